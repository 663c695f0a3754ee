"""Reads of the live dialogues. Visibility is decided here, by audience, for every edge:
a public viewer never gets a pending or rejected question, nor anyone's contact details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from consult import rules
from consult.errors import NotFound
from livechat.models import Answer, Dialogue, DialogueEvent, Question
from livechat.rules import VIEW_STAFF_QUEUE

PUBLIC = "public"
STAFF = "staff"


def audience_for(user: Any, dialogue: Dialogue | None = None) -> str:
    return STAFF if rules.has_perm(user, VIEW_STAFF_QUEUE, dialogue) else PUBLIC


# --- dialogues -------------------------------------------------------------------------------


def dialogue_list_public() -> QuerySet[Dialogue]:
    return (
        Dialogue.objects.exclude(status=Dialogue.Status.DRAFT)
        .select_related("chair", "chair__agency", "host_agency")
        .order_by("-starts_at")
    )


def dialogue_list_for_staff(*, viewer: Any) -> QuerySet[Dialogue]:
    rules.require(viewer, VIEW_STAFF_QUEUE)
    return Dialogue.objects.select_related("chair", "host_agency").order_by("-starts_at")


def dialogue_get(*, slug: str, viewer: Any, related: bool = True) -> Dialogue:
    """A dialogue by slug; drafts (not yet announced) exist only for staff.

    `related=False` leaves out the chair, agencies and participants a page shows (one query
    instead of three or more): for an action that needs only the dialogue itself."""
    queryset = Dialogue.objects.all()
    if related:
        queryset = queryset.select_related(
            "chair", "chair__agency", "host_agency", "on_air"
        ).prefetch_related("participants", "participants__agency")
    try:
        dialogue = queryset.get(slug=slug)
    except Dialogue.DoesNotExist as exc:
        raise NotFound(_("Không tìm thấy cuộc đối thoại.")) from exc
    if not dialogue_visible(dialogue, viewer):
        raise NotFound(_("Không tìm thấy cuộc đối thoại."))
    return dialogue


def dialogue_visible(dialogue: Dialogue, viewer: Any) -> bool:
    """Whether `viewer` may see the dialogue at all: drafts (not yet announced) only staff."""
    return dialogue.status != Dialogue.Status.DRAFT or audience_for(viewer, dialogue) == STAFF


def leader_to_dict(leader: Any) -> dict[str, Any] | None:
    if leader is None:
        return None
    return {"id": leader.pk, "name": leader.name, "title": leader.title}


def dialogue_to_dict(dialogue: Dialogue) -> dict[str, Any]:
    return {
        "id": dialogue.pk,
        "slug": dialogue.slug,
        "topic": dialogue.topic,
        "status": dialogue.status,
        "starts_at": dialogue.starts_at,
        "ends_at": dialogue.ends_at,
        "stream_url": dialogue.stream_url,
        "chair": leader_to_dict(dialogue.chair),
        "participants": [leader_to_dict(p) for p in dialogue.participants.all()],
        "on_air": dialogue.on_air_id,
        "accepts_questions": dialogue.accepts_questions,
    }


# --- questions -------------------------------------------------------------------------------


def _answers_prefetch() -> Prefetch:
    return Prefetch(
        "answers", queryset=Answer.objects.select_related("leader").order_by("created_at", "id")
    )


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "question_id": answer.question_id,
        "leader": leader_to_dict(answer.leader),
        "kind": answer.kind,
        "body": answer.body,
        "created_at": answer.created_at,
    }


def question_public_dict(
    question: Question, *, answers: Iterable[Answer] | None = None
) -> dict[str, Any]:
    """What anyone may see of a published question: never contact details, never the name
    unless the asker opted in. `answers`: the question's answers when the caller already
    knows them (a question created in this transaction has none), else they are read."""
    if answers is None:
        answers = question.answers.all()
    return {
        "id": question.pk,
        "display_name": question.display_name,
        "locality": question.locality,
        "body": question.body,
        "topic": question.topic,
        "answer_state": question.answer_state,
        "upvote_count": question.upvote_count,
        "published_at": question.published_at,
        "answers": [answer_to_dict(a) for a in answers],
    }


def question_staff_dict(
    question: Question, *, answers: Iterable[Answer] | None = None
) -> dict[str, Any]:
    """What moderators and leaders see: everything but the contact details themselves
    (`answers` as for question_public_dict)."""
    data = question_public_dict(question, answers=answers)
    data.update(
        {
            "asker_name": question.asker_name,
            "publish_name": question.publish_name,
            "has_email": bool(question.email),
            "has_phone": bool(question.phone),
            "status": question.status,
            "version": question.version,
            "original_body": question.original_body,
            "position": question.position,
            "forwarded_to": leader_to_dict(question.forwarded_to),
            "rejection_reason": (
                {"id": question.rejection_reason_id, "title": reason.title}
                if (reason := question.rejection_reason) is not None
                else None
            ),
            "merged_into": question.merged_into_id,
            "submitted_at": question.submitted_at,
            "written_due_on": question.written_due_on,
        }
    )
    return data


def question_queryset() -> QuerySet[Question]:
    return Question.objects.select_related(
        "forwarded_to", "rejection_reason", "dialogue"
    ).prefetch_related(_answers_prefetch())


def question_get(*, question_id: int, dialogue_id: int | None = None) -> Question:
    queryset = question_queryset()
    if dialogue_id is not None:
        queryset = queryset.filter(dialogue_id=dialogue_id)
    try:
        return queryset.get(pk=question_id)
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Không tìm thấy câu hỏi.") from exc


def question_list_public(*, dialogue: Dialogue) -> QuerySet[Question]:
    return (
        question_queryset()
        .filter(dialogue=dialogue, status=Question.Status.PUBLISHED)
        .order_by("published_at", "id")
    )


def question_list_staff(*, dialogue: Dialogue, viewer: Any) -> QuerySet[Question]:
    rules.require(viewer, VIEW_STAFF_QUEUE, dialogue)
    return question_queryset().filter(dialogue=dialogue).exclude(status=Question.Status.MERGED)


def question_list_forwarded(*, dialogue: Dialogue, viewer: Any) -> QuerySet[Question]:
    """The leaders' queue: published questions forwarded to a leader, not yet answered, in the
    moderators' order."""
    rules.require(viewer, VIEW_STAFF_QUEUE, dialogue)
    return (
        question_queryset()
        .filter(
            dialogue=dialogue,
            status=Question.Status.PUBLISHED,
            forwarded_to__isnull=False,
            answer_state=Question.AnswerState.UNANSWERED,
        )
        .order_by("position", "published_at", "id")
    )


def question_list_awaiting_written(*, dialogue: Dialogue, viewer: Any) -> QuerySet[Question]:
    rules.require(viewer, VIEW_STAFF_QUEUE, dialogue)
    return (
        question_queryset()
        .filter(dialogue=dialogue, answer_state=Question.AnswerState.AWAITING_WRITTEN)
        .exclude(status=Question.Status.MERGED)
        .order_by("written_due_on", "position", "id")
    )


def question_get_by_tracking_code(*, code: str) -> Question:
    """The asker's own question. A merged question is followed to the one it was merged into,
    whose status and answers the asker then sees."""
    try:
        question = (
            question_queryset()
            .select_related("rejection_reason")
            .get(tracking_code=code.strip().upper())
        )
    except Question.DoesNotExist as exc:
        raise NotFound(_("Không tìm thấy câu hỏi với mã theo dõi này.")) from exc
    return question


def question_tracking_dict(question: Question) -> dict[str, Any]:
    target = question
    hops = 0
    while target.merged_into_id is not None and hops < 10:
        target = question_get(question_id=target.merged_into_id)
        hops += 1
    data: dict[str, Any] = {
        "tracking_code": question.tracking_code,
        "dialogue": {"slug": question.dialogue.slug, "topic": question.dialogue.topic},
        "status": question.status,
        "body": question.body,
        "submitted_at": question.submitted_at,
        "answer_state": target.answer_state,
        "written_due_on": target.written_due_on,
        "answers": (
            [answer_to_dict(a) for a in target.answers.all()]
            if target.status == Question.Status.PUBLISHED
            else []
        ),
        "merged_into": target.pk if target is not question else None,
        "rejection_reason": None,
    }
    reason = question.rejection_reason  # no query when there is none
    if question.status == Question.Status.REJECTED and reason is not None:
        data["rejection_reason"] = {"title": reason.title, "explanation": reason.explanation}
    return data


# --- the live snapshot and the event log -----------------------------------------------------


def snapshot_build(*, dialogue: Dialogue, audience: str) -> dict[str, Any]:
    """The first frame of a socket: the state this audience may see and the `seq` it is at.

    The counters are read before the questions, so an event committed in between is replayed
    rather than lost (a client ignores what it already has by id).
    """
    counters = Dialogue.objects.values("last_seq", "last_public_seq").get(pk=dialogue.pk)
    fresh = dialogue_get_fresh(dialogue_id=dialogue.pk)
    seq = counters["last_seq"] if audience == STAFF else counters["last_public_seq"]
    return {
        "type": "snapshot",
        "seq": seq,
        "dialogue": dialogue_to_dict(fresh),
        "questions": question_dicts_for_audience(dialogue_id=fresh.pk, audience=audience),
    }


_PUBLIC_QUESTION_FIELDS = (
    "id",
    "asker_name",
    "publish_name",
    "locality",
    "body",
    "topic",
    "answer_state",
    "upvote_count",
    "published_at",
)
_STAFF_QUESTION_FIELDS = (
    *_PUBLIC_QUESTION_FIELDS,
    "status",
    "version",
    "original_body",
    "position",
    "forwarded_to_id",
    "forwarded_to__name",
    "forwarded_to__title",
    "rejection_reason_id",
    "rejection_reason__title",
    "merged_into_id",
    "submitted_at",
    "written_due_on",
)


def question_dicts_for_audience(*, dialogue_id: int, audience: str) -> list[dict[str, Any]]:
    """Every question of a dialogue this audience may see, as `question_public_dict` /
    `question_staff_dict` shape them (the tests hold the two equal), in two queries whatever
    their number: the questions, then every answer of the dialogue. Read as plain rows, not
    model instances with a prefetch: at 2,000 questions the ORM's per-instance work was most
    of a snapshot's time."""
    staff = audience == STAFF
    questions = Question.objects.filter(dialogue_id=dialogue_id)
    if staff:
        # Whether there is a contact, never the contact itself.
        rows = (
            questions.exclude(status=Question.Status.MERGED)
            .annotate(
                has_email=ExpressionWrapper(~Q(email=""), output_field=BooleanField()),
                has_phone=ExpressionWrapper(~Q(phone=""), output_field=BooleanField()),
            )
            .values(*_STAFF_QUESTION_FIELDS, "has_email", "has_phone")
        )
    else:
        rows = (
            questions.filter(status=Question.Status.PUBLISHED)
            .order_by("published_at", "id")
            .values(*_PUBLIC_QUESTION_FIELDS)
        )
    answers: dict[int, list[dict[str, Any]]] = {}
    answer_rows = (
        Answer.objects.filter(question__dialogue_id=dialogue_id)
        .order_by("created_at", "id")
        .values("id", "question_id", "leader_id", "leader__name", "leader__title", "kind", "body",
                "created_at")
    )  # fmt: skip
    for a in answer_rows:
        answers.setdefault(a["question_id"], []).append(
            {
                "id": a["id"],
                "question_id": a["question_id"],
                "leader": {"id": a["leader_id"], "name": a["leader__name"],
                           "title": a["leader__title"]},
                "kind": a["kind"],
                "body": a["body"],
                "created_at": a["created_at"],
            }
        )  # fmt: skip
    anonymous = str(_("Người gửi ẩn danh"))  # Question.display_name, looked up once
    result = []
    for q in rows:
        data = {
            "id": q["id"],
            "display_name": q["asker_name"] if q["publish_name"] else anonymous,
            "locality": q["locality"],
            "body": q["body"],
            "topic": q["topic"],
            "answer_state": q["answer_state"],
            "upvote_count": q["upvote_count"],
            "published_at": q["published_at"],
            "answers": answers.get(q["id"], []),
        }
        if staff:
            data.update(
                {
                    "asker_name": q["asker_name"],
                    "publish_name": q["publish_name"],
                    "has_email": bool(q["has_email"]),
                    "has_phone": bool(q["has_phone"]),
                    "status": q["status"],
                    "version": q["version"],
                    "original_body": q["original_body"],
                    "position": q["position"],
                    "forwarded_to": (
                        {
                            "id": q["forwarded_to_id"],
                            "name": q["forwarded_to__name"],
                            "title": q["forwarded_to__title"],
                        }
                        if q["forwarded_to_id"]
                        else None
                    ),
                    "rejection_reason": (
                        {"id": q["rejection_reason_id"], "title": q["rejection_reason__title"]}
                        if q["rejection_reason_id"]
                        else None
                    ),
                    "merged_into": q["merged_into_id"],
                    "submitted_at": q["submitted_at"],
                    "written_due_on": q["written_due_on"],
                }
            )
        result.append(data)
    return result


def dialogue_get_fresh(*, dialogue_id: int) -> Dialogue:
    return (
        Dialogue.objects.select_related("chair", "on_air")
        .prefetch_related("participants")
        .get(pk=dialogue_id)
    )


def event_list_after(*, dialogue_id: int, audience: str, after: int) -> list[DialogueEvent] | None:
    """Events after `after` for this audience, in order; None when the client is too far
    behind (or ahead) and needs a fresh snapshot instead."""
    consult: dict[str, Any] = settings.CONSULT  # mixed value types: dict[str, object] to mypy
    limit = int(consult["REPLAY_LIMIT"])
    counters = Dialogue.objects.values("last_seq", "last_public_seq").get(pk=dialogue_id)
    last = counters["last_seq"] if audience == STAFF else counters["last_public_seq"]
    if after < 0 or after > last or last - after > limit:
        return None
    events = DialogueEvent.objects.filter(dialogue_id=dialogue_id)
    if audience == STAFF:
        return list(events.filter(seq__gt=after).order_by("seq"))
    return list(events.filter(public_seq__gt=after).order_by("public_seq"))
