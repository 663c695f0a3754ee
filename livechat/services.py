"""Every state change of the live dialogues, one function per use case.

Each service checks the rule, validates, writes the change and its audit entry, and appends an
event to the dialogue's log, all in one transaction; the broadcast happens after commit (see
`livechat.events.event_append`). HTML views, the JSON API and the WebSocket consumer all call
these functions, so a rule lives in one place.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from consult import rules
from consult.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from consult.models import Leader
from consult.ratelimit import ratelimit_hit
from consult.validation import FieldErrors
from consult.workdays import add_working_days
from livechat import events
from livechat.models import Answer, Dialogue, Question, Upvote
from livechat.rules import ANSWER_QUESTION, MANAGE_DIALOGUE, MODERATE_QUESTION
from livechat.selectors import (
    answer_to_dict,
    dialogue_visible,
    question_public_dict,
    question_staff_dict,
)
from moderation import notifications
from moderation.services import (
    audit_record,
    item_index,
    item_sync,
    items_index_new,
    reason_get_active,
    version_check,
)

ITEM_KIND = "question"
_TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
Status = Question.Status
AnswerState = Question.AnswerState


# --- helpers ---------------------------------------------------------------------------------


def _setting_int(name: str, default: int | None = None) -> int:
    """An integer of settings.CONSULT (whose values django-stubs types as `object`)."""
    value: Any = settings.CONSULT[name] if default is None else settings.CONSULT.get(name, default)
    return int(value)


def _tracking_code_new() -> str:
    return "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(10))


def _question_lock(question_id: int | str, *, dialogue_id: int | None = None) -> Question:
    queryset = Question.objects.select_for_update()
    if dialogue_id is not None:
        queryset = queryset.filter(dialogue_id=dialogue_id)
    try:
        return queryset.get(pk=int(question_id))
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Không tìm thấy câu hỏi.")) from exc


def _reload(question: Question) -> Question:
    from livechat.selectors import question_get

    return question_get(question_id=question.pk)


def _state(question: Question) -> dict[str, Any]:
    return {
        "status": question.status,
        "answer_state": question.answer_state,
        "body": question.body,
        "topic": question.topic,
        "forwarded_to": question.forwarded_to_id,
        "position": question.position,
        "version": question.version,
    }


def _emit_question(question: Question, event_type: str, *, public: bool | None = None) -> None:
    """Append `event_type` for a question: staff always, the public only while it is published
    (or when `public` says so explicitly)."""
    fresh = _reload(question)
    show_public = fresh.status == Status.PUBLISHED if public is None else public
    events.event_append(
        dialogue_id=fresh.dialogue_id,
        event_type=event_type,
        data={"question": question_staff_dict(fresh)},
        public_data={"question": question_public_dict(fresh)} if show_public else None,
    )


def _conflict_state(question: Question, message: str) -> Conflict:
    return Conflict(message, data={"current": question_staff_dict(_reload(question))})


def _moderated(
    question: Question, *, actor: Any, expected_version: int | None, allowed: tuple[str, ...]
) -> None:
    """The common guard of a moderation action on a locked question."""
    rules.require(actor, MODERATE_QUESTION, question)
    version_check(item_kind=ITEM_KIND, item=question, expected_version=expected_version)
    if question.status not in allowed:
        raise _conflict_state(
            question,
            _("Câu hỏi đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
            % {"status": question.get_status_display()},
        )


def _save(question: Question, fields: list[str], *, decided_by: Any = None) -> None:
    question.version += 1
    question.save(update_fields=[*fields, "version"])
    _item_sync(question, text_changed="body" in fields, actor=decided_by)


# --- the moderators' unified inbox (moderation.Item) and the askers' e-mails --------------------


def _due_on(question: Question) -> Any:
    return (
        question.written_due_on if question.answer_state == AnswerState.AWAITING_WRITTEN else None
    )


def _item_entry(question: Question, *, moderate_url: str | None = None) -> dict[str, Any]:
    """`item_index`'s arguments for a question (its dialogue loaded); `moderate_url`: its
    dialogue's moderation page, when the caller has it already."""
    dialogue = question.dialogue
    if moderate_url is None:
        moderate_url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    return {
        "object_id": question.pk,
        "context_kind": "dialogue",
        "context_id": dialogue.pk,
        "context_label": dialogue.topic,
        "context_url": f"{moderate_url}#q-{question.pk}",
        "status": question.status,
        "version": question.version,
        "text": question.body,
        "topic": question.topic,
        "author_label": f"{question.asker_name} — {question.locality}",
        "submitted_at": question.submitted_at,
        "due_on": _due_on(question),
    }


def question_index(question: Question, *, new: bool = False) -> None:
    """Put a question in the moderators' unified inbox (inside the caller's transaction);
    `new`: the question was created in this transaction (see moderation item_index)."""
    item_index(kind=ITEM_KIND, new=new, **_item_entry(question))


def _item_sync(question: Question, *, text_changed: bool = False, actor: Any = None) -> None:
    item_sync(
        kind=ITEM_KIND,
        object_id=question.pk,
        status=question.status,
        version=question.version,
        topic=question.topic,
        text=question.body if text_changed else None,
        decided_by=actor,
        due_on=_due_on(question),
    )


def questions_reindex() -> int:
    """Index every question into the unified inbox (installations older than the index);
    oldest first, so duplicates point at the earlier question. Returns how many."""
    count = 0
    for question in Question.objects.select_related("dialogue").order_by("submitted_at", "pk"):
        with transaction.atomic():
            question_index(question)
        count += 1
    return count


def _tracking_path(question: Question) -> str:
    return reverse("livechat:track-detail", kwargs={"code": question.tracking_code})


def _notify_published(question: Question) -> None:
    notifications.item_published_notify(
        email=question.email,
        item_label=gettext_noop("câu hỏi"),  # the mail is always in Vietnamese
        context_label=question.dialogue.topic,
        text=question.body,
        link=_tracking_path(question),
    )


def _notify_rejected(question: Question, reason: Any) -> None:
    notifications.item_rejected_notify(
        email=question.email,
        item_label=gettext_noop("câu hỏi"),  # the mail is always in Vietnamese
        context_label=question.dialogue.topic,
        text=question.body,
        reason_title=reason.title,
        reason_explanation=reason.explanation,
        link=_tracking_path(question),
    )


def _notify_answered(question: Question, answer: Answer) -> None:
    """The asker and everyone whose question was merged into this one."""
    askers = [question, *Question.objects.filter(merged_into=question, status=Status.MERGED)]
    for asker in askers:
        notifications.question_answered_notify(
            email=asker.email,
            context_label=question.dialogue.topic,
            text=question.body,
            answer_text=answer.body,
            answered_by=f"{answer.leader.title} {answer.leader.name}".strip(),
            link=_tracking_path(asker),
        )


# --- dialogues -------------------------------------------------------------------------------

_TRANSITIONS = {
    Dialogue.Status.DRAFT: {Dialogue.Status.ANNOUNCED},
    Dialogue.Status.ANNOUNCED: {Dialogue.Status.LIVE, Dialogue.Status.DRAFT, Dialogue.Status.ENDED},
    Dialogue.Status.LIVE: {Dialogue.Status.ENDED},
    Dialogue.Status.ENDED: {Dialogue.Status.ARCHIVED, Dialogue.Status.LIVE},
    Dialogue.Status.ARCHIVED: {Dialogue.Status.ENDED},
}


def dialogue_set_status(*, actor: Any, dialogue_id: int, status: str) -> Dialogue:
    """Move a dialogue along its lifecycle (draft → announced → live → ended → archived).

    Moderators and administrators. Emits `dialogue.status_changed` (public unless it goes back
    to draft). Ending a live dialogue takes the question on air off air.
    """
    rules.require(actor, MANAGE_DIALOGUE)
    with transaction.atomic():
        try:
            dialogue = Dialogue.objects.select_for_update().get(pk=dialogue_id)
        except Dialogue.DoesNotExist as exc:
            raise NotFound(_("Không tìm thấy cuộc đối thoại.")) from exc
        if status not in Dialogue.Status.values:
            raise Invalid(_("Trạng thái không hợp lệ."), fields={"status": _("Không hợp lệ.")})
        if status not in _TRANSITIONS[Dialogue.Status(dialogue.status)]:
            raise Conflict(
                _("Không thể chuyển từ “%(old)s” sang “%(new)s”.")
                % {
                    "old": dialogue.get_status_display(),
                    "new": Dialogue.Status(status).label,
                }
            )
        before = dialogue.status
        dialogue.status = status
        fields = ["status", "updated_at"]
        if status == Dialogue.Status.ENDED:
            dialogue.ended_at = dialogue.ended_at or timezone.now()
            dialogue.on_air = None
            fields += ["ended_at", "on_air"]
        dialogue.save(update_fields=fields)
        data = {"status": status, "before": before, "on_air": dialogue.on_air_id}
        events.event_append(
            dialogue_id=dialogue.pk,
            event_type=events.DIALOGUE_STATUS_CHANGED,
            data=data,
            public_data=data if status != Dialogue.Status.DRAFT else None,
        )
    return dialogue


# --- citizens --------------------------------------------------------------------------------


def question_fields_clean(
    *,
    asker_name: Any,
    locality: Any,
    email: Any = "",
    phone: Any = "",
    body: Any,
    consent: Any,
    publish_name: Any = False,
    request_id: Any = "",
) -> dict[str, Any]:
    """A citizen's question as sent, normalised and checked: the fields of a new Question.

    Pure (no database): the API runs it before a submission joins a batch (livechat.intake).
    Raises Invalid with every field's problem at once.
    """
    errors = FieldErrors()
    fields = {
        "asker_name": errors.text("asker_name", asker_name, max_length=120),
        "locality": errors.text("locality", locality, max_length=120),
        "email": errors.email("email", email),
        "phone": errors.phone("phone", phone),
        "body": errors.text(
            "body", body, max_length=_setting_int("QUESTION_MAX_LENGTH"), multiline=True
        ),
        "publish_name": errors.boolean("publish_name", publish_name),
        "request_id": errors.request_id("request_id", request_id),
    }
    consent = errors.boolean("consent", consent)
    if (
        not fields["email"]
        and not fields["phone"]
        and "email" not in errors.fields
        and "phone" not in errors.fields
    ):
        errors.add("email", _("Vui lòng cho biết thư điện tử hoặc số điện thoại để liên hệ."))
    if not consent and "consent" not in errors.fields:
        errors.add("consent", _("Bạn cần đồng ý với việc xử lý thông tin cá nhân để gửi câu hỏi."))
    errors.raise_if_any()
    return fields


@dataclass(frozen=True)
class QuestionSubmission:
    """One validated question (`question_fields_clean`) on its way to a dialogue, named by
    `dialogue` (already read), `dialogue_id`, or `slug` as `viewer` sees it (a draft exists
    only for staff). `language`: the asker's, for the error messages of a batch run in
    another request's thread."""

    fields: dict[str, Any]
    dialogue_id: int | None = None
    slug: str = ""
    viewer: Any = None
    dialogue: Dialogue | None = None
    client_ip: str = ""
    language: str | None = None


# What questions_submit gives back per submission: (question, created) or the error it met.
SubmitOutcome = tuple[Question, bool] | Exception


def _asker_language(submission: QuestionSubmission) -> Any:
    return (
        translation.override(submission.language)
        if submission.language
        else contextlib.nullcontext()
    )


def _dialogues_resolve(submissions: Sequence[QuestionSubmission]) -> list[Dialogue | None]:
    """Each submission's dialogue, read in at most two queries (by id, by slug); None when it
    does not exist or `viewer` may not see it."""
    given = [
        s.dialogue
        if s.dialogue is not None and s.dialogue.pk == (s.dialogue_id or s.dialogue.pk)
        else None
        for s in submissions
    ]
    ids = {s.dialogue_id for s, g in zip(submissions, given, strict=True) if g is None}
    slugs = {s.slug for s, g in zip(submissions, given, strict=True) if g is None and s.slug}
    ids.discard(None)
    by_id = Dialogue.objects.in_bulk(ids) if ids else {}
    by_slug = Dialogue.objects.in_bulk(slugs, field_name="slug") if slugs else {}
    found: list[Dialogue | None] = []
    for s, dialogue in zip(submissions, given, strict=True):
        if dialogue is None and s.dialogue_id:
            dialogue = by_id.get(s.dialogue_id)
        elif dialogue is None:
            dialogue = by_slug.get(s.slug)
            dialogue = dialogue if dialogue and dialogue_visible(dialogue, s.viewer) else None
        found.append(dialogue)
    return found


def questions_submit(submissions: Sequence[QuestionSubmission]) -> list[SubmitOutcome]:
    """Citizens send questions to announced or live dialogues; all that can be accepted are
    committed together, in order, in one transaction.

    Anyone may call it. Gives back, per submission and in order, (question, created) or the
    error that submission met (NotFound, Conflict `not_accepting`, TooMany), which leaves the
    others unaffected. A retry with the same `request_id` (earlier, or in the same batch)
    gets the first question and creates nothing. Emits `question.submitted` to staff only,
    per question, in one doorbell per dialogue; nothing is public before a moderator approves
    it. This is `question_submit` for many at once: the JSON API's intake commits the
    questions that arrive together as one batch (livechat.intake), so the statements, the
    transaction and the broadcast are paid once per batch rather than once per question.
    """
    outcomes: list[SubmitOutcome | None] = [None] * len(submissions)
    dialogues = _dialogues_resolve(submissions)
    keys = {
        (dialogue.pk, s.fields["request_id"])
        for s, dialogue in zip(submissions, dialogues, strict=True)
        if dialogue is not None and s.fields["request_id"]
    }
    earlier: dict[tuple[int, str], Question] = {}
    if keys:
        for question in Question.objects.filter(
            dialogue_id__in={k[0] for k in keys}, request_id__in={k[1] for k in keys}
        ):
            earlier[(question.dialogue_id, question.request_id)] = question
    accepted: list[tuple[int, QuestionSubmission, Dialogue]] = []
    first_of: dict[tuple[int, str], int] = {}  # a request_id's first submission in this batch
    repeats: list[tuple[int, int]] = []  # (index, index of the first with its request_id)
    for i, (s, dialogue) in enumerate(zip(submissions, dialogues, strict=True)):
        key = (dialogue.pk, s.fields["request_id"]) if dialogue is not None else None
        try:
            with _asker_language(s):
                if dialogue is None:
                    raise NotFound(_("Không tìm thấy cuộc đối thoại."))
                if key and key[1] and key in earlier:
                    outcomes[i] = (earlier[key], False)
                    continue
                if key and key[1] and key in first_of:
                    repeats.append((i, first_of[key]))
                    continue
                if not dialogue.accepts_questions:
                    raise Conflict(
                        _("Cuộc đối thoại này hiện không nhận câu hỏi (trạng thái: %(status)s).")
                        % {"status": dialogue.get_status_display()},
                        code="not_accepting",
                    )
                ratelimit_hit(
                    scope="question-ip",
                    identity=s.client_ip,
                    limit=_setting_int("SUBMISSIONS_PER_IP_PER_HOUR"),
                )
                ratelimit_hit(
                    scope="question-contact",
                    identity=s.fields["email"] or s.fields["phone"],
                    limit=_setting_int("SUBMISSIONS_PER_CONTACT_PER_HOUR"),
                )
        except DomainError as exc:
            outcomes[i] = exc
            continue
        if key and key[1]:
            first_of[key] = i
        accepted.append((i, s, dialogue))
    for i, inserted in _questions_insert(accepted):
        outcomes[i] = inserted
    for i, first in repeats:
        earliest = outcomes[first]
        outcomes[i] = (earliest[0], False) if isinstance(earliest, tuple) else earliest
    done = [outcome for outcome in outcomes if outcome is not None]
    if len(done) != len(submissions):  # every branch above answers its submission
        raise RuntimeError("questions_submit left a submission without an answer")
    return done


def _questions_insert(
    batch: list[tuple[int, QuestionSubmission, Dialogue]],
) -> list[tuple[int, SubmitOutcome]]:
    """Create the accepted submissions' questions, inbox items and events in one transaction.
    A unique request_id that another request committed meanwhile fails the whole INSERT: then
    each is tried on its own, and the one that lost the race gets the winner's question."""
    if not batch:
        return []
    try:
        with transaction.atomic():
            questions = _questions_create(batch)
    except IntegrityError as exc:
        if len(batch) > 1:
            return [outcome for item in batch for outcome in _questions_insert([item])]
        i, s, dialogue = batch[0]
        if s.fields["request_id"]:
            existing = Question.objects.filter(
                dialogue=dialogue, request_id=s.fields["request_id"]
            ).first()
            if existing is not None:
                return [(i, (existing, False))]
        return [(i, exc)]
    return [(i, (question, True)) for (i, _s, _d), question in zip(batch, questions, strict=True)]


def _questions_create(batch: list[tuple[int, QuestionSubmission, Dialogue]]) -> list[Question]:
    now = timezone.now()
    questions = [
        Question(
            dialogue=dialogue,
            tracking_code=_tracking_code_new(),
            consent_at=now,
            position=0,
            **s.fields,
        )
        for _i, s, dialogue in batch
    ]
    Question.objects.bulk_create(questions)
    # New questions go to the end of the queue: their own id is a position after every other.
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(position=F("pk"))
    by_dialogue: dict[int, list[Question]] = {}
    for question in questions:
        question.position = question.pk
        by_dialogue.setdefault(question.dialogue_id, []).append(question)
    urls = {
        d.pk: reverse("livechat:moderate", kwargs={"slug": d.slug})
        for d in {q.dialogue for q in questions}
    }
    items_index_new(
        kind=ITEM_KIND,
        entries=[_item_entry(q, moderate_url=urls[q.dialogue_id]) for q in questions],
    )
    for dialogue_id, created in by_dialogue.items():
        # Created here with every value set and without answers: the staff view comes from
        # these instances rather than from reading them back (a test holds the two equal).
        events.events_append(
            dialogue_id=dialogue_id,
            entries=[
                (events.QUESTION_SUBMITTED, {"question": question_staff_dict(q, answers=())}, None)
                for q in created
            ],
        )
    return questions


def question_submit(
    *,
    dialogue_id: int,
    asker_name: Any,
    locality: Any,
    email: Any = "",
    phone: Any = "",
    body: Any,
    consent: Any,
    publish_name: Any = False,
    request_id: Any = "",
    client_ip: str = "",
    dialogue: Dialogue | None = None,
) -> tuple[Question, bool]:
    """A citizen sends a question to an announced or live dialogue.

    Anyone may call it. `dialogue`: the dialogue `dialogue_id` names when the caller has just
    read it, so it is not read a second time. Returns (question, created): a retry with the
    same `request_id` returns the first question and creates nothing. Raises Invalid,
    NotFound, Conflict `not_accepting` or TooMany. Emits `question.submitted` to staff only;
    nothing is public before a moderator approves it. (`questions_submit` for one.)
    """
    fields = question_fields_clean(
        asker_name=asker_name,
        locality=locality,
        email=email,
        phone=phone,
        body=body,
        consent=consent,
        publish_name=publish_name,
        request_id=request_id,
    )
    submission = QuestionSubmission(
        fields=fields, dialogue_id=dialogue_id, dialogue=dialogue, client_ip=client_ip
    )
    (outcome,) = questions_submit([submission])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _voter_hash(voter_token: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), voter_token.encode(), hashlib.sha256).hexdigest()


def question_upvote(
    *, question_id: int, voter_token: str, client_ip: str = ""
) -> tuple[Question, bool]:
    """Support a published question, once per browser (`voter_token` from its cookie).

    Anyone may call it. Returns (question, counted); a second support from the same browser
    counts nothing. At most UPVOTES_PER_IP_PER_HOUR tries per `client_ip` (TooMany with
    Retry-After past it), since a script can drop its cookie. Emits `question.upvoted` to
    everyone when counted.
    """
    if not voter_token or len(voter_token) > 128:
        raise Invalid(_("Không xác định được trình duyệt để ghi nhận ủng hộ."))
    ratelimit_hit(
        scope="upvote-ip",
        identity=client_ip,
        limit=_setting_int("UPVOTES_PER_IP_PER_HOUR", 300),
    )
    voter_hash = _voter_hash(voter_token)
    with transaction.atomic():
        question = _question_lock(question_id)
        if question.status != Status.PUBLISHED:
            raise NotFound(_("Không tìm thấy câu hỏi."))
        if Upvote.objects.filter(question=question, voter_hash=voter_hash).exists():
            return question, False
        try:
            with transaction.atomic():
                Upvote.objects.create(question=question, voter_hash=voter_hash)
        except IntegrityError:
            return question, False
        Question.objects.filter(pk=question.pk).update(upvote_count=F("upvote_count") + 1)
        question.refresh_from_db(fields=["upvote_count"])
        data = {"question_id": question.pk, "upvote_count": question.upvote_count}
        events.event_append(
            dialogue_id=question.dialogue_id,
            event_type=events.QUESTION_UPVOTED,
            data=data,
            public_data=data,
        )
    return question, True


# --- moderators ------------------------------------------------------------------------------


def question_approve(
    *, actor: Any, question_id: int, expected_version: int | None = None
) -> Question:
    """Publish a pending question. Moderators. Emits `question.published` (public and staff).

    A second moderator approving at the same moment gets a Conflict with the fresh state.
    """
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question, actor=actor, expected_version=expected_version, allowed=(Status.PENDING,)
        )
        before = _state(question)
        question.status = Status.PUBLISHED
        question.published_at = question.decided_at = timezone.now()
        _save(question, ["status", "published_at", "decided_at"], decided_by=actor)
        audit_record(
            actor=actor,
            action="approve",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
        )
        _emit_question(question, events.QUESTION_PUBLISHED)
        _notify_published(question)
    return _reload(question)


def question_reject(
    *,
    actor: Any,
    question_id: int,
    reason_id: Any,
    note: str = "",
    expected_version: int | None = None,
) -> Question:
    """Refuse a pending (or withdraw a published) question with a reason from the legal list.

    Moderators. The asker sees the reason on their tracking page. Emits `question.rejected`:
    to staff, and to the public only if it had been published (so screens remove it).
    """
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question,
            actor=actor,
            expected_version=expected_version,
            allowed=(Status.PENDING, Status.PUBLISHED),
        )
        reason = reason_get_active(reason_id=reason_id)
        if reason is None:
            raise Invalid(
                _("Vui lòng chọn lý do từ chối trong danh mục."),
                fields={"reason": _("Vui lòng chọn lý do từ chối.")},
            )
        was_public = question.status == Status.PUBLISHED
        before = _state(question)
        question.status = Status.REJECTED
        question.rejection_reason = reason
        question.decided_at = timezone.now()
        _save(question, ["status", "rejection_reason", "decided_at"], decided_by=actor)
        _off_air_if(question)
        audit_record(
            actor=actor,
            action="reject",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
            reason=reason,
            note=note,
        )
        fresh = _reload(question)
        events.event_append(
            dialogue_id=question.dialogue_id,
            event_type=events.QUESTION_REJECTED,
            data={"question": question_staff_dict(fresh)},
            public_data={"question_id": question.pk} if was_public else None,
        )
        _notify_rejected(question, reason)
    return _reload(question)


def question_edit(
    *, actor: Any, question_id: int, body: Any, expected_version: int | None = None
) -> Question:
    """Correct the wording (typos, personal data). The citizen's original is kept for staff.

    Moderators. Emits `question.edited` (public too when the question is published).
    """
    errors = FieldErrors()
    body = errors.text("body", body, max_length=_setting_int("QUESTION_MAX_LENGTH"), multiline=True)
    errors.raise_if_any()
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question,
            actor=actor,
            expected_version=expected_version,
            allowed=(Status.PENDING, Status.PUBLISHED),
        )
        if body == question.body:
            return _reload(question)
        before = _state(question)
        if not question.original_body:
            question.original_body = question.body
        question.body = body
        _save(question, ["body", "original_body"])
        audit_record(
            actor=actor,
            action="edit",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
        )
        _emit_question(question, events.QUESTION_EDITED)
    return _reload(question)


def question_merge(
    *, actor: Any, target_id: int, source_ids: list[int], expected_version: int | None = None
) -> Question:
    """Merge duplicate questions into `target_id`: the sources stop being listed, every asker
    keeps following the target through their tracking code, and supports are summed (a browser
    that supported several counts once).

    Moderators. Emits `question.merged` (public: the target and the ids that disappear).
    """
    ids = sorted({int(i) for i in source_ids if str(i).strip()} - {int(target_id)})
    if not ids:
        raise Invalid(
            _("Chọn ít nhất một câu hỏi khác để gộp."), fields={"source_ids": _("Chưa chọn.")}
        )
    with transaction.atomic():
        target = _question_lock(target_id)
        _moderated(
            target,
            actor=actor,
            expected_version=expected_version,
            allowed=(Status.PENDING, Status.PUBLISHED),
        )
        sources = list(
            Question.objects.select_for_update()
            .filter(pk__in=ids, dialogue_id=target.dialogue_id)
            .order_by("pk")
        )
        if len(sources) != len(ids):
            raise NotFound(_("Không tìm thấy một số câu hỏi cần gộp."))
        for source in sources:
            if source.status not in (Status.PENDING, Status.PUBLISHED):
                raise _conflict_state(
                    source, _("Câu hỏi #%(id)s đã được xử lý, không thể gộp.") % {"id": source.pk}
                )
        before = _state(target)
        public_removed = [s.pk for s in sources if s.status == Status.PUBLISHED]
        for source in sources:
            source.status = Status.MERGED
            source.merged_into = target
            source.decided_at = timezone.now()
            _save(source, ["status", "merged_into", "decided_at"], decided_by=actor)
            _off_air_if(source)
            # Questions merged earlier into a source now follow the new target directly.
            Question.objects.filter(merged_into=source).update(merged_into=target)
        family = [
            target.pk,
            *Question.objects.filter(merged_into=target).values_list("pk", flat=True),
        ]
        target.upvote_count = (
            Upvote.objects.filter(question_id__in=family).values("voter_hash").distinct().count()
        )
        _save(target, ["upvote_count"])
        audit_record(
            actor=actor,
            action="merge",
            item_kind=ITEM_KIND,
            item=target,
            before=before,
            after={**_state(target), "merged": [s.pk for s in sources]},
        )
        fresh = _reload(target)
        public = target.status == Status.PUBLISHED
        events.event_append(
            dialogue_id=target.dialogue_id,
            event_type=events.QUESTION_MERGED,
            data={"question": question_staff_dict(fresh), "merged_ids": [s.pk for s in sources]},
            # A pending target's text has not been approved: the public only learns which
            # published questions disappear.
            public_data=(
                {"question": question_public_dict(fresh), "merged_ids": public_removed}
                if public
                else {"merged_ids": public_removed}
                if public_removed
                else None
            ),
        )
    return _reload(target)


def question_tag(
    *, actor: Any, question_id: int, topic: Any, expected_version: int | None = None
) -> Question:
    """Put a question under a topic (nhóm chủ đề). Moderators. Emits `question.tagged`."""
    errors = FieldErrors()
    topic = errors.text("topic", topic, max_length=80, required=False)
    errors.raise_if_any()
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question,
            actor=actor,
            expected_version=expected_version,
            allowed=(Status.PENDING, Status.PUBLISHED),
        )
        before = _state(question)
        question.topic = topic
        _save(question, ["topic"])
        audit_record(
            actor=actor,
            action="tag",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
        )
        _emit_question(question, events.QUESTION_TAGGED)
    return _reload(question)


def question_forward(
    *, actor: Any, question_id: int, leader_id: Any, expected_version: int | None = None
) -> Question:
    """Forward a published question to one of the dialogue's leaders (their presenter queue).

    Moderators. `leader_id` empty withdraws the forward. Emits `question.forwarded` (staff).
    """
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question, actor=actor, expected_version=expected_version, allowed=(Status.PUBLISHED,)
        )
        leader = None
        if leader_id not in (None, ""):
            leader = _dialogue_leader(question.dialogue_id, leader_id)
        before = _state(question)
        question.forwarded_to = leader
        _save(question, ["forwarded_to"])
        audit_record(
            actor=actor,
            action="forward",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
        )
        _emit_question(question, events.QUESTION_FORWARDED, public=False)
    return _reload(question)


def question_reorder(*, actor: Any, dialogue_id: int, ordered_ids: list[int]) -> list[int]:
    """Set the queue order: `ordered_ids` first, in that order, the rest after them as before.

    Moderators. Emits `question.reordered` (staff) with the new order of the given ids.
    """
    rules.require(actor, MODERATE_QUESTION)
    try:
        ids = [int(i) for i in ordered_ids]
    except (TypeError, ValueError) as exc:
        raise Invalid(_("Danh sách thứ tự không hợp lệ.")) from exc
    if not ids or len(ids) != len(set(ids)) or len(ids) > 1000:
        raise Invalid(_("Danh sách thứ tự không hợp lệ."))
    with transaction.atomic():
        questions = {
            q.pk: q
            for q in Question.objects.select_for_update().filter(
                dialogue_id=dialogue_id, pk__in=ids
            )
        }
        if len(questions) != len(ids):
            raise NotFound(_("Không tìm thấy một số câu hỏi."))
        before = {str(i): questions[i].position for i in ids}
        positions = sorted(q.position for q in questions.values())
        for position, question_id in zip(positions, ids, strict=True):
            question = questions[question_id]
            if question.position != position:
                question.position = position
                _save(question, ["position"])
        audit_record(
            actor=actor,
            action="reorder",
            item_kind=ITEM_KIND,
            item_id=None,
            before=before,
            after={str(i): questions[i].position for i in ids},
            note=f"dialogue {dialogue_id}",
        )
        events.event_append(
            dialogue_id=dialogue_id,
            event_type=events.QUESTION_REORDERED,
            data={"order": [{"id": i, "position": questions[i].position} for i in ids]},
        )
    return ids


def question_put_on_air(
    *, actor: Any, question_id: int, expected_version: int | None = None
) -> Question:
    """Put a published question on air (the one the leader answers now); the previous one
    goes off air. Moderators. Emits `question.on_air` (public and staff)."""
    with transaction.atomic():
        question = _question_lock(question_id)
        _moderated(
            question, actor=actor, expected_version=expected_version, allowed=(Status.PUBLISHED,)
        )
        dialogue = Dialogue.objects.select_for_update().get(pk=question.dialogue_id)
        if dialogue.status != Dialogue.Status.LIVE:
            raise Conflict(_("Chỉ đưa câu hỏi lên sóng khi cuộc đối thoại đang diễn ra."))
        previous = dialogue.on_air_id
        Dialogue.objects.filter(pk=dialogue.pk).update(on_air=question)
        _save(question, [])
        audit_record(
            actor=actor,
            action="on_air",
            item_kind=ITEM_KIND,
            item=question,
            before={"on_air": previous},
            after={"on_air": question.pk},
        )
        _emit_question(question, events.QUESTION_ON_AIR)
    return _reload(question)


def question_take_off_air(*, actor: Any, dialogue_id: int) -> None:
    """Clear the question on air. Moderators. Emits `question.off_air` (public and staff)."""
    rules.require(actor, MODERATE_QUESTION)
    with transaction.atomic():
        dialogue = Dialogue.objects.select_for_update().get(pk=dialogue_id)
        if dialogue.on_air_id is None:
            return
        previous = dialogue.on_air_id
        Dialogue.objects.filter(pk=dialogue.pk).update(on_air=None)
        audit_record(
            actor=actor,
            action="off_air",
            item_kind=ITEM_KIND,
            item_id=previous,
            before={"on_air": previous},
            after={"on_air": None},
        )
        data = {"question_id": previous}
        events.event_append(
            dialogue_id=dialogue.pk, event_type=events.QUESTION_OFF_AIR, data=data, public_data=data
        )


def _off_air_if(question: Question) -> None:
    """Take `question` off air if it is the one on air (inside the caller's transaction)."""
    if Dialogue.objects.filter(pk=question.dialogue_id, on_air=question).update(on_air=None):
        data = {"question_id": question.pk}
        events.event_append(
            dialogue_id=question.dialogue_id,
            event_type=events.QUESTION_OFF_AIR,
            data=data,
            public_data=data,
        )


def question_mark_answered_live(
    *, actor: Any, question_id: int, expected_version: int | None = None
) -> Question:
    """Mark a published question as answered live (the leader answered it on air without a
    typed answer). Moderators. Emits `question.answer_state_changed`."""
    return _answer_state_set(
        actor=actor,
        question_id=question_id,
        expected_version=expected_version,
        state=AnswerState.ANSWERED_LIVE,
        action="mark_answered_live",
    )


def question_mark_written(
    *, actor: Any, question_id: int, expected_version: int | None = None
) -> Question:
    """Mark a question "to be answered in writing": it is due 15 working days after the
    dialogue ends (or after today, if later). Moderators. Emits `question.answer_state_changed`."""
    return _answer_state_set(
        actor=actor,
        question_id=question_id,
        expected_version=expected_version,
        state=AnswerState.AWAITING_WRITTEN,
        action="mark_written",
    )


def _answer_state_set(
    *, actor: Any, question_id: int, expected_version: int | None, state: str, action: str
) -> Question:
    with transaction.atomic():
        question = _question_lock(question_id)
        allowed = (
            (Status.PUBLISHED,)
            if state == AnswerState.ANSWERED_LIVE
            else (
                Status.PENDING,
                Status.PUBLISHED,
            )
        )
        _moderated(question, actor=actor, expected_version=expected_version, allowed=allowed)
        if question.answer_state in (AnswerState.ANSWERED_LIVE, AnswerState.ANSWERED_WRITTEN):
            raise _conflict_state(question, _("Câu hỏi này đã được trả lời."))
        before = _state(question)
        question.answer_state = state
        fields = ["answer_state"]
        if state == AnswerState.AWAITING_WRITTEN:
            question.written_due_on = written_due_date(question.dialogue_id)
            fields.append("written_due_on")
        else:
            question.answered_at = timezone.now()
            fields.append("answered_at")
        _save(question, fields)
        _off_air_if(question)
        audit_record(
            actor=actor,
            action=action,
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after=_state(question),
        )
        _emit_question(question, events.QUESTION_ANSWER_STATE_CHANGED)
    return _reload(question)


def written_due_date(dialogue_id: int) -> Any:
    dialogue = Dialogue.objects.only("ends_at", "ended_at").get(pk=dialogue_id)
    end = dialogue.ended_at or dialogue.ends_at
    start = max(timezone.localdate(end), timezone.localdate())
    return add_working_days(start, _setting_int("WRITTEN_ANSWER_WORKING_DAYS"))


# --- leaders ---------------------------------------------------------------------------------


def _dialogue_leader(dialogue_id: int, leader_id: Any) -> Leader:
    dialogue = Dialogue.objects.get(pk=dialogue_id)
    try:
        leader_pk = int(leader_id)
    except (TypeError, ValueError) as exc:
        raise Invalid(_("Lãnh đạo không hợp lệ."), fields={"leader": _("Không hợp lệ.")}) from exc
    if leader_pk != dialogue.chair_id and not dialogue.participants.filter(pk=leader_pk).exists():
        raise Invalid(
            _("Lãnh đạo này không tham gia cuộc đối thoại."), fields={"leader": _("Không hợp lệ.")}
        )
    return Leader.objects.get(pk=leader_pk)


def answer_post(
    *,
    actor: Any,
    question_id: int,
    body: Any,
    leader_id: Any = None,
    request_id: Any = "",
) -> Answer:
    """Post a leader's answer to a published question: live while the dialogue is live,
    written afterwards (which fulfils a "to be answered in writing" mark).

    Leaders (or their secretaries, typing on their behalf: the answer is attributed to the
    leader the account answers for) and moderators (who must name the leader). A retry with the
    same `request_id` returns the first answer. Emits `answer.posted` (public and staff).
    """
    rules.require(actor, ANSWER_QUESTION)
    errors = FieldErrors()
    body = errors.text("body", body, max_length=_setting_int("ANSWER_MAX_LENGTH"), multiline=True)
    request_id = errors.request_id("request_id", request_id)
    errors.raise_if_any()
    with transaction.atomic():
        question = _question_lock(question_id)
        if request_id:
            existing = Answer.objects.filter(question=question, request_id=request_id).first()
            if existing is not None:
                return existing
        if question.status != Status.PUBLISHED:
            raise _conflict_state(question, _("Chỉ trả lời câu hỏi đã được đăng."))
        if rules.is_leader(actor):
            if actor.leader_id is None:
                raise NotAllowed(_("Tài khoản chưa được gắn với lãnh đạo nào."))
            if leader_id not in (None, "") and str(leader_id).strip() != str(actor.leader_id):
                raise NotAllowed(_("Bạn chỉ có thể trả lời thay mặt lãnh đạo của mình."))
            leader_id = actor.leader_id
        if leader_id in (None, ""):
            raise Invalid(
                _("Vui lòng chọn lãnh đạo trả lời."), fields={"leader": _("Vui lòng chọn.")}
            )
        leader = _dialogue_leader(question.dialogue_id, leader_id)
        dialogue = Dialogue.objects.get(pk=question.dialogue_id)
        kind = Answer.Kind.WRITTEN if dialogue.is_over else Answer.Kind.LIVE
        before = _state(question)
        answer = Answer.objects.create(
            question=question,
            leader=leader,
            author=actor,
            kind=kind,
            body=body,
            request_id=request_id,
        )
        question.answer_state = (
            AnswerState.ANSWERED_WRITTEN
            if kind == Answer.Kind.WRITTEN
            else AnswerState.ANSWERED_LIVE
        )
        question.answered_at = timezone.now()
        _save(question, ["answer_state", "answered_at"])
        audit_record(
            actor=actor,
            action="answer",
            item_kind=ITEM_KIND,
            item=question,
            before=before,
            after={**_state(question), "answer_id": answer.pk, "leader": leader.pk},
        )
        answer = Answer.objects.select_related("leader").get(pk=answer.pk)
        data = {
            "question_id": question.pk,
            "answer_state": question.answer_state,
            "answer": answer_to_dict(answer),
        }
        events.event_append(
            dialogue_id=question.dialogue_id,
            event_type=events.ANSWER_POSTED,
            data=data,
            public_data=data,
        )
        _notify_answered(question, answer)
    return answer
