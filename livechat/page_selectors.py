"""Reads that only the HTML pages need: lists grouped for the public index, counts for the
staff overview, the moderator console's columns. Visibility rules stay in `selectors`; these
build on its querysets."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from consult import rules
from livechat import presence, selectors
from livechat.models import Dialogue, Question
from livechat.rules import VIEW_STAFF_QUEUE

Status = Question.Status
AnswerState = Question.AnswerState


def dialogue_list_public_grouped() -> dict[str, Any]:
    """The public index: live now, announced (soonest first), and the rest (newest first)."""
    public = selectors.dialogue_list_public()
    return {
        "live": list(public.filter(status=Dialogue.Status.LIVE).order_by("starts_at")),
        "announced": list(public.filter(status=Dialogue.Status.ANNOUNCED).order_by("starts_at")),
        "past": public.filter(
            status__in=[Dialogue.Status.ENDED, Dialogue.Status.ARCHIVED]
        ).order_by("-starts_at", "-id"),
    }


def dialogue_list_with_counts(*, viewer: Any) -> QuerySet[Dialogue]:
    """Every dialogue for the staff overview with its question counts."""
    live = ~Q(questions__status=Status.MERGED)
    return selectors.dialogue_list_for_staff(viewer=viewer).annotate(
        n_pending=Count("questions", filter=Q(questions__status=Status.PENDING)),
        n_published=Count("questions", filter=Q(questions__status=Status.PUBLISHED)),
        n_answered=Count(
            "questions",
            filter=live
            & Q(
                questions__answer_state__in=[
                    AnswerState.ANSWERED_LIVE,
                    AnswerState.ANSWERED_WRITTEN,
                ]
            ),
        ),
        n_awaiting_written=Count(
            "questions",
            filter=live & Q(questions__answer_state=AnswerState.AWAITING_WRITTEN),
        ),
    )


def dialogue_live_counts(*, dialogue: Dialogue, viewer: Any) -> dict[str, int | None]:
    """The staff screens' live counts: questions pending, published, answered (live or in
    writing) and awaiting a written answer, and public viewers online across every server
    process (None when that cannot be read). Moderators and leaders only."""
    rules.require(viewer, VIEW_STAFF_QUEUE, dialogue)
    live = ~Q(status=Status.MERGED)
    counts = Question.objects.filter(dialogue=dialogue).aggregate(
        pending=Count("id", filter=Q(status=Status.PENDING)),
        published=Count("id", filter=Q(status=Status.PUBLISHED)),
        answered=Count(
            "id",
            filter=live
            & Q(answer_state__in=[AnswerState.ANSWERED_LIVE, AnswerState.ANSWERED_WRITTEN]),
        ),
        awaiting_written=Count("id", filter=live & Q(answer_state=AnswerState.AWAITING_WRITTEN)),
    )
    result: dict[str, int | None] = {key: int(value) for key, value in counts.items()}
    result["viewers"] = presence.viewers_online(dialogue.pk)
    return result


def dialogue_staff_seq(*, dialogue_id: int) -> int:
    """The staff event counter, read before the page's lists so a socket resuming from it
    replays anything committed while the page was being rendered."""
    return int(Dialogue.objects.values_list("last_seq", flat=True).get(pk=dialogue_id))


CONSOLE_COLUMNS = ("pending", "published", "forwarded", "written", "rejected")


def console_column_of(question: Question) -> str:
    if question.answer_state == AnswerState.AWAITING_WRITTEN and question.status in (
        Status.PENDING,
        Status.PUBLISHED,
    ):
        return "written"
    if question.status == Status.PENDING:
        return "pending"
    if question.status == Status.REJECTED:
        return "rejected"
    if question.forwarded_to_id and question.answer_state == AnswerState.UNANSWERED:
        return "forwarded"
    return "published"


def console_columns(*, dialogue: Dialogue, viewer: Any) -> dict[str, list[Question]]:
    """The moderator console's columns, each in its working order: pending oldest first,
    the published queue in the moderators' order, written answers by due date."""
    questions = selectors.question_list_staff(dialogue=dialogue, viewer=viewer).select_related(
        "merged_into"
    )
    columns: dict[str, list[Question]] = {name: [] for name in CONSOLE_COLUMNS}
    for question in questions:
        columns[console_column_of(question)].append(question)
    columns["pending"].sort(key=lambda q: (q.submitted_at, q.pk))
    columns["published"].sort(key=lambda q: (q.position, q.pk))
    columns["forwarded"].sort(key=lambda q: (q.position, q.pk))
    columns["written"].sort(key=lambda q: (q.written_due_on or q.submitted_at.date(), q.pk))
    columns["rejected"].sort(key=lambda q: q.decided_at or q.submitted_at, reverse=True)
    return columns


def queue_neighbour(*, question: Question, direction: str) -> Question | None:
    """The published question just above ("up") or below ("down") in the queue order."""
    queue = Question.objects.filter(dialogue_id=question.dialogue_id, status=Status.PUBLISHED)
    if direction == "up":
        return (
            queue.filter(
                Q(position__lt=question.position)
                | Q(position=question.position, pk__lt=question.pk)
            )
            .order_by("-position", "-pk")
            .first()
        )
    return (
        queue.filter(
            Q(position__gt=question.position) | Q(position=question.position, pk__gt=question.pk)
        )
        .order_by("position", "pk")
        .first()
    )


def dialogue_leaders(dialogue: Dialogue) -> list[Any]:
    """The chair first, then the participants: who may be forwarded to or answer."""
    leaders = [dialogue.chair]
    leaders += [p for p in dialogue.participants.all() if p.pk != dialogue.chair_id]
    return leaders


def topic_list(*, dialogue: Dialogue, viewer: Any) -> list[str]:
    rules.require(viewer, VIEW_STAFF_QUEUE, dialogue)
    return sorted(
        set(
            Question.objects.filter(dialogue=dialogue)
            .exclude(topic="")
            .values_list("topic", flat=True)
        )
    )


def transcript_questions(*, dialogue: Dialogue) -> list[Question]:
    """Published questions with their answers, in the order they were published."""
    return list(selectors.question_list_public(dialogue=dialogue))
