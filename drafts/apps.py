from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DraftsConfig(AppConfig):
    name = "drafts"
    verbose_name = _("Lấy ý kiến dự thảo")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from drafts import rules  # noqa: F401  -- registers the permission predicates

        self._register_moderation()
        self._register_home()

    @staticmethod
    def _register_moderation() -> None:
        from moderation import registry

        def describe_comment(comment: Any) -> str:
            where = comment.article.citation if comment.article_id else "toàn bộ dự thảo"
            return f"Góp ý #{comment.pk} ({where}): {comment.body[:120]}"

        def snapshot_comment(comment: Any) -> dict[str, Any]:
            from drafts.selectors import comment_staff_dict

            # No viewer: the snapshot travels in conflict messages, so never contact details.
            return comment_staff_dict(comment)

        def context_comment(comment: Any) -> str:
            return f"Dự thảo: {comment.draft.title}"

        def approve_comment(*, actor: Any, object_id: int, expected_version: int | None) -> Any:
            from drafts.services import comment_approve

            return comment_approve(
                actor=actor, comment_id=object_id, expected_version=expected_version
            )

        def reject_comment(
            *, actor: Any, object_id: int, reason_id: Any, note: str, expected_version: int | None
        ) -> Any:
            from drafts.services import comment_reject

            return comment_reject(
                actor=actor,
                comment_id=object_id,
                reason_id=reason_id,
                note=note,
                expected_version=expected_version,
            )

        def reindex_comments() -> int:
            from drafts.services import comments_reindex

            return comments_reindex()

        registry.register(
            registry.ItemType(
                kind="comment",
                label=_("Góp ý dự thảo văn bản"),
                describe=describe_comment,
                snapshot=snapshot_comment,
                context=context_comment,
                approve=approve_comment,
                reject=reject_comment,
                reindex=reindex_comments,
            )
        )

        def describe_draft(draft: Any) -> str:
            return f"Dự thảo: {draft.title}"

        def snapshot_draft(draft: Any) -> dict[str, Any]:
            return {"id": draft.pk, "slug": draft.slug, "status": draft.status}

        def context_draft(draft: Any) -> str:
            return str(draft.agency.name)

        # Draft management (create, publish, attachments, report, downloads) is audited too.
        registry.register(
            registry.ItemType(
                kind="draft",
                label=_("Dự thảo văn bản"),
                describe=describe_draft,
                snapshot=snapshot_draft,
                context=context_draft,
            )
        )

    @staticmethod
    def _register_home() -> None:
        from consult.home import HomeSection, home_section_register

        def context() -> dict[str, Any]:
            from drafts.selectors import draft_list_public

            return {"open_drafts": list(draft_list_public(phase="open")[:5])}

        home_section_register(
            HomeSection(
                key="drafts", template="drafts/_home_section.html", context=context, order=20
            )
        )
