"""Reads of drafts and comments. Visibility is decided here: the public never gets a pending
comment or contact details; agency staff see everything of their own agency's drafts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from consult import rules
from drafts.models import Comment, Draft
from drafts.rules import EXPORT_COMMENTS


def comment_list_for_export(*, draft: Draft, viewer: Any) -> Iterator[Comment]:
    """Every comment of a draft (all statuses), in article then arrival order, streamed in
    chunks so a 100,000-comment draft never sits in memory. Only the draft's own agency staff,
    moderators and administrators."""
    rules.require(viewer, EXPORT_COMMENTS, draft)
    return (
        Comment.objects.filter(draft=draft)
        .select_related("article", "rejection_reason")
        .order_by("article__position", "submitted_at", "id")
        .iterator(chunk_size=2000)
    )
