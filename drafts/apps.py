from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DraftsConfig(AppConfig):
    name = "drafts"
    verbose_name = _("Lấy ý kiến dự thảo")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from drafts import rules  # noqa: F401  -- registers the permission predicates
