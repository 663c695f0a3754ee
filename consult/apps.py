from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("Consult: tài khoản và danh mục")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Staff sockets follow their account (logout, role revoked, account disabled).
        from consult import sessions  # noqa: F401  -- connects its signal receivers
