from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from consult.models import Agency, Leader, User


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
        *BaseUserAdmin.fieldsets,
        (_("Vai trò trong Consult"), {"fields": ("full_name", "role", "agency", "leader")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Vai trò trong Consult"), {"fields": ("full_name", "role", "agency", "leader")}),
    )
