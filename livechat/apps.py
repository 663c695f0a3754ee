from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Đối thoại trực tuyến")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from livechat import rules  # noqa: F401  -- registers the permission predicates
        from moderation import registry

        def describe(question: Any) -> str:
            return f"Câu hỏi #{question.pk}: {question.body[:120]}"

        def snapshot(question: Any) -> dict[str, Any]:
            from livechat.selectors import question_get, question_staff_dict

            return question_staff_dict(question_get(question_id=question.pk))

        def context(question: Any) -> str:
            return f"Đối thoại: {question.dialogue.topic}"

        registry.register(
            registry.ItemType(
                kind="question",
                label="Câu hỏi đối thoại trực tuyến",
                describe=describe,
                snapshot=snapshot,
                context=context,
            )
        )
