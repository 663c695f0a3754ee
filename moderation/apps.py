from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Kiểm duyệt")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moderation import rules  # noqa: F401  -- registers the permission predicates
        from moderation.receivers import connect as receivers_connect

        receivers_connect()  # refused permission checks go to the audit log
