from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from consult import rules
from moderation.models import AuditEntry, FlagTerm, RejectionReason


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "legal_basis", "is_active", "position"]
    list_editable = ["is_active", "position"]
    search_fields = ["title", "explanation", "code"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, even for administrators."""

    list_display = ["created_at", "actor_label", "action", "item_kind", "item_id", "reason"]
    list_filter = ["action", "item_kind"]
    search_fields = ["actor_label", "item_label", "context_label", "note"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FlagTerm)
class FlagTermAdmin(admin.ModelAdmin):
    """Administrators keep the terms the auto-flags look for (moderation.flags)."""

    list_display = ["term", "category", "is_active", "note"]
    list_editable = ["category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["term", "note"]

    # The Consult role decides, not Django's per-model permissions: administrators only.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return rules.is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return rules.is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return rules.is_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return rules.is_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return rules.is_admin(request.user)
