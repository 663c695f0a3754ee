from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consult import rules
from consult.models import Agency, Leader, PublicHoliday, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "phone"]
    search_fields = ["name", "code", "short_name"]


@admin.register(Leader)
class LeaderAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "agency"]
    list_filter = ["agency"]
    search_fields = ["name", "title"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "agency", "leader", "is_active"]
    list_filter = ["role", "agency", "is_active", "is_superuser"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Vai trò trong Consult"), {"fields": ("full_name", "role", "agency", "leader")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Vai trò trong Consult"), {"fields": ("full_name", "role", "agency", "leader")}),
    )


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    """Administrators keep the holiday list (the Government announces Tết year by year)."""

    list_display = ["date", "name"]
    list_filter = ["name"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

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
