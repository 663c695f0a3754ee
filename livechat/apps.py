from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Đối thoại trực tuyến")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consult.home import HomeSection, home_section_register
        from livechat import rules  # noqa: F401  -- registers the permission predicates
        from moderation import registry

        def describe(question: Any) -> str:
            return f"Câu hỏi #{question.pk}: {question.body[:120]}"

        def snapshot(question: Any) -> dict[str, Any]:
            from livechat.selectors import question_get, question_staff_dict

            return question_staff_dict(question_get(question_id=question.pk))

        def context(question: Any) -> str:
            return f"Đối thoại: {question.dialogue.topic}"

        def home_dialogues() -> dict[str, Any]:
            from livechat.page_selectors import dialogue_list_public_grouped

            groups = dialogue_list_public_grouped()
            return {"dialogues": (groups["live"] + groups["announced"])[:5]}

        home_section_register(
            HomeSection(
                key="livechat",
                template="livechat/home_section.html",
                context=home_dialogues,
                order=10,
            )
        )

        registry.register(
            registry.ItemType(
                kind="question",
                label="Câu hỏi đối thoại trực tuyến",
                describe=describe,
                snapshot=snapshot,
                context=context,
            )
        )
