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

        def approve(*, actor: Any, object_id: int, expected_version: int | None) -> Any:
            from livechat.services import question_approve

            return question_approve(
                actor=actor, question_id=object_id, expected_version=expected_version
            )

        def reject(
            *, actor: Any, object_id: int, reason_id: Any, note: str, expected_version: int | None
        ) -> Any:
            from livechat.services import question_reject

            return question_reject(
                actor=actor,
                question_id=object_id,
                reason_id=reason_id,
                note=note,
                expected_version=expected_version,
            )

        def overdue_url(dialogue_id: int) -> str:
            from django.urls import reverse

            from livechat.models import Dialogue

            slug = Dialogue.objects.filter(pk=dialogue_id).values_list("slug", flat=True).first()
            return reverse("livechat:written", kwargs={"slug": slug}) if slug else ""

        def reindex() -> int:
            from livechat.services import questions_reindex

            return questions_reindex()

        registry.register(
            registry.ItemType(
                kind="question",
                label=_("Câu hỏi đối thoại trực tuyến"),
                describe=describe,
                snapshot=snapshot,
                context=context,
                approve=approve,
                reject=reject,
                overdue_url=overdue_url,
                reindex=reindex,
            )
        )
