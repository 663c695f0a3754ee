"""Every service of the live dialogues: what it changes, the exact events it appends (staff and
public), the doorbell after commit, and what it refuses without changing anything."""

from __future__ import annotations

import datetime as dt
import json
import threading
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections
from django.test import override_settings

from consult.errors import Conflict, Invalid, NotAllowed, NotAuthenticated, NotFound, TooMany
from consult.models import Leader, PublicHoliday
from livechat import events, selectors, services
from livechat.models import Answer, Dialogue, DialogueEvent, Question, Upvote
from moderation.models import AuditEntry, RejectionReason
from tests.conftest import QUESTION_DEFAULTS, make_dialogue, make_user

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONTACT_KEYS = {"email", "phone", "has_email", "has_phone"}
STAFF_ONLY_KEYS = {"original_body", "version", "asker_name", "status", "forwarded_to", "position"}


# --- helpers (also used by the selector and API tests) ----------------------------------------


def submit(dialogue: Dialogue, **overrides: Any) -> Question:
    question, _created = services.question_submit(
        dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, **overrides}
    )
    return question


def publish(dialogue: Dialogue, moderator: Any, **overrides: Any) -> Question:
    question = submit(dialogue, **overrides)
    return services.question_approve(actor=moderator, question_id=question.pk)


def log(dialogue: Dialogue) -> list[DialogueEvent]:
    return list(DialogueEvent.objects.filter(dialogue=dialogue).order_by("seq"))


def log_types(dialogue: Dialogue) -> list[str]:
    return [e.type for e in log(dialogue)]


def keys_deep(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            found |= keys_deep(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= keys_deep(inner)
    return found


def assert_public_clean(payload: Any) -> None:
    """No contact detail (nor a hint of one) and no staff-only field anywhere in `payload`."""
    keys = keys_deep(payload)
    assert not keys & CONTACT_KEYS, keys & CONTACT_KEYS
    assert not keys & STAFF_ONLY_KEYS, keys & STAFF_ONLY_KEYS
    text = json.dumps(payload, ensure_ascii=False, default=str)
    assert QUESTION_DEFAULTS["email"] not in text
    assert "0912345678" not in text


def unique_ip() -> str:
    # The rate-limit counters live in the shared cache (Redis in CI), which is never flushed
    # from a test: each test counts under identities of its own instead.
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


def unique_email() -> str:
    return f"an.{uuid.uuid4().hex[:10]}@example.vn"


def unchanged(
    dialogue: Dialogue, action: Callable[[], Any], error: type[Exception]
) -> pytest.ExceptionInfo:
    """Run a refused action: it raises `error`, and appends, audits and schedules nothing."""
    seq = Dialogue.objects.get(pk=dialogue.pk).last_seq
    # A refused permission check is itself audited (moderation.receivers); decisions are not.
    audits = AuditEntry.objects.exclude(action="permission_denied").count()
    questions = {q.pk: (q.status, q.version, q.body) for q in Question.objects.all()}
    with pytest.raises(error) as info:
        action()
    assert Dialogue.objects.get(pk=dialogue.pk).last_seq == seq
    assert DialogueEvent.objects.filter(dialogue=dialogue, seq__gt=seq).count() == 0
    assert AuditEntry.objects.exclude(action="permission_denied").count() == audits
    assert {q.pk: (q.status, q.version, q.body) for q in Question.objects.all()} == questions
    return info


@pytest.fixture
def reason(db: Any) -> RejectionReason:
    found = RejectionReason.objects.filter(is_active=True).order_by("position").first()
    if found is None:  # after a transactional test flushed the seeded list
        found = RejectionReason.objects.create(
            code="spam", title="Trùng lặp, quảng cáo", explanation="Nội dung trùng lặp."
        )
    return found


@pytest.fixture
def retired_reason(db: Any) -> RejectionReason:
    return RejectionReason.objects.create(
        code=f"cu-{uuid.uuid4().hex[:6]}",
        title="Lý do cũ",
        explanation="Không còn dùng.",
        is_active=False,
    )


# --- submitting ---------------------------------------------------------------------------------


def test_citizen_can_submit_question_seen_by_staff_only(dialogue):
    question, created = services.question_submit(
        dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "email": "An.Nguyen@Example.VN"}
    )
    assert created
    assert question.status == Question.Status.PENDING
    assert question.email == "an.nguyen@example.vn"
    assert len(question.tracking_code) == 10
    assert question.position == question.pk
    assert question.consent_at is not None
    (event,) = log(dialogue)
    assert (event.type, event.seq, event.public_seq, event.public_data) == (
        "question.submitted",
        1,
        None,
        None,
    )
    staff = event.data["question"]
    assert staff["id"] == question.pk and staff["has_email"] is True
    assert "email" not in staff and "phone" not in staff
    assert Dialogue.objects.get(pk=dialogue.pk).last_public_seq == 0


def test_submit_rings_doorbell_only_after_commit(dialogue, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.group_name(dialogue.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            question = submit(dialogue, phone="0912 345 678")
        assert len(callbacks) == 2  # the dialogue's doorbell and the moderators' inbox
        for callback in callbacks:
            callback()
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(events.group_name(dialogue.pk), channel)
    assert message["type"] == events.DOORBELL
    assert (message["seq"], message["public_seq"], message["public"]) == (1, None, None)
    frame = json.loads(message["staff"])
    assert frame["event"] == "question.submitted" and frame["data"]["question"]["id"] == question.pk
    assert "0912345678" not in message["staff"]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"publish_name": False, "email": "", "phone": "0912345678"},
        {"body": "  Câu hỏi có khoảng trắng ở đầu,\n\nnhiều dòng và dấu “ngoặc kép”.  "},
    ],
)
def test_submitted_event_carries_what_reading_the_question_back_gives(dialogue, overrides):
    # question_submit builds the event from the instance it created instead of reading it back.
    question = submit(dialogue, **overrides)
    [event] = log(dialogue)
    fresh = selectors.question_get(question_id=question.pk)
    expected = json.loads(json.dumps(selectors.question_staff_dict(fresh), cls=DjangoJSONEncoder))
    assert event.data == {"question": expected}


def test_submit_reads_the_dialogue_when_the_one_given_is_another(dialogue, chair):
    # `dialogue=` only saves a read; `dialogue_id` decides where the question goes.
    other = make_dialogue(chair, slug="doi-thoai-khac")
    question, created = services.question_submit(
        dialogue_id=dialogue.pk, dialogue=other, **QUESTION_DEFAULTS, request_id="req-x"
    )
    assert created
    assert question.dialogue_id == dialogue.pk
    assert [e.seq for e in log(dialogue)] == [1]
    assert not log(other)


def test_retry_with_same_request_id_creates_nothing(dialogue, django_capture_on_commit_callbacks):
    first, created = services.question_submit(
        dialogue_id=dialogue.pk, **QUESTION_DEFAULTS, request_id="req-1"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again, created_again = services.question_submit(
            dialogue_id=dialogue.pk, **QUESTION_DEFAULTS, request_id="req-1"
        )
    assert created and not created_again
    assert again.pk == first.pk and again.tracking_code == first.tracking_code
    assert callbacks == []
    assert Question.objects.count() == 1
    assert log_types(dialogue) == ["question.submitted"]


def test_retry_with_same_request_id_after_dialogue_ended_returns_the_question(dialogue, moderator):
    first = submit(dialogue, request_id="late-retry")
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="ended")
    again, created = services.question_submit(
        dialogue_id=dialogue.pk, **QUESTION_DEFAULTS, request_id="late-retry"
    )
    assert not created and again.pk == first.pk


def test_citizen_can_submit_when_dialogue_announced(chair):
    announced = make_dialogue(chair, status=Dialogue.Status.ANNOUNCED)
    assert submit(announced).status == Question.Status.PENDING


@pytest.mark.parametrize("status", ["draft", "ended", "archived"])
def test_citizen_cannot_submit_when_dialogue_not_accepting(chair, status):
    closed = make_dialogue(chair, status=status)
    info = unchanged(closed, lambda: submit(closed), Conflict)
    assert info.value.code == "not_accepting"
    assert Question.objects.count() == 0


def test_citizen_cannot_submit_to_missing_dialogue(db):
    with pytest.raises(NotFound):
        services.question_submit(dialogue_id=999_999, **QUESTION_DEFAULTS)


LONG = settings.CONSULT["QUESTION_MAX_LENGTH"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": "maybe"}, "consent"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "an.nguyen@"}, "email"),
        ({"email": "", "phone": "12345"}, "phone"),
        ({"email": "", "phone": "0912 345 678 999"}, "phone"),
        ({"asker_name": "   "}, "asker_name"),
        ({"asker_name": "A" * 121}, "asker_name"),
        ({"locality": ""}, "locality"),
        ({"body": ""}, "body"),
        ({"body": 12345}, "body"),
        ({"body": "a" * (LONG + 1)}, "body"),
        # 'ệ' as e + two combining marks: too long once normalised to NFC, counted as stored.
        ({"body": unicodedata.normalize("NFD", "ệ" * (LONG + 1))}, "body"),
        ({"body": "\u200b" * 5}, "body"),
        ({"request_id": "has spaces"}, "request_id"),
        ({"request_id": "x" * 65}, "request_id"),
    ],
)
def test_citizen_cannot_submit_invalid_question(dialogue, overrides, field):
    info = unchanged(dialogue, lambda: submit(dialogue, **overrides), Invalid)
    assert field in info.value.fields
    assert Question.objects.count() == 0


def test_invalid_submission_reports_every_field_at_once(dialogue):
    with pytest.raises(Invalid) as info:
        submit(dialogue, asker_name="", email="", phone="", consent=False, body="")
    assert {"asker_name", "email", "consent", "body"} <= set(info.value.fields)


def test_decomposed_input_is_stored_as_nfc_without_invisible_characters(dialogue):
    body_nfc = "ệ" * LONG  # exactly the limit once composed; 3x as long when decomposed
    question = submit(
        dialogue,
        asker_name=unicodedata.normalize("NFD", "Trần\u200b Thị  Hoà"),
        locality=unicodedata.normalize("NFD", "Đồng\u202eTháp"),
        body=unicodedata.normalize("NFD", body_nfc),
    )
    question.refresh_from_db()
    assert question.asker_name == "Trần Thị Hoà"
    assert unicodedata.is_normalized("NFC", question.asker_name)
    assert question.locality == "ĐồngTháp"
    assert question.body == body_nfc


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "+84912345678"),
        ("(024) 3825 1234", "02438251234"),
    ],
)
def test_citizen_can_submit_with_phone_only(dialogue, phone, stored):
    question = submit(dialogue, email="", phone=phone)
    assert question.phone == stored and question.email == ""


def test_citizen_cannot_submit_past_ip_rate_limit(dialogue):
    ip = unique_ip()
    limits = {**settings.CONSULT, "SUBMISSIONS_PER_IP_PER_HOUR": 2}
    with override_settings(CONSULT=limits):
        submit(dialogue, client_ip=ip, email=unique_email())
        submit(dialogue, client_ip=ip, email=unique_email())
        info = unchanged(
            dialogue, lambda: submit(dialogue, client_ip=ip, email=unique_email()), TooMany
        )
        submit(dialogue, client_ip=unique_ip(), email=unique_email())  # another address is fine
    assert 1 <= info.value.retry_after <= 3600
    assert info.value.status == 429
    assert Question.objects.count() == 3


def test_citizen_cannot_submit_past_contact_rate_limit(dialogue):
    email = unique_email()
    limits = {**settings.CONSULT, "SUBMISSIONS_PER_CONTACT_PER_HOUR": 1}
    with override_settings(CONSULT=limits):
        submit(dialogue, client_ip=unique_ip(), email=email)
        with pytest.raises(TooMany):
            submit(dialogue, client_ip=unique_ip(), email=email.upper())


def test_retry_does_not_count_against_rate_limit(dialogue):
    ip = unique_ip()
    with override_settings(CONSULT={**settings.CONSULT, "SUBMISSIONS_PER_IP_PER_HOUR": 1}):
        first = submit(dialogue, client_ip=ip, request_id="once")
        again = submit(dialogue, client_ip=ip, request_id="once")
    assert again.pk == first.pk


# --- upvotes ------------------------------------------------------------------------------------


def test_citizen_can_upvote_once_per_browser(dialogue, moderator):
    question = publish(dialogue, moderator)
    _, counted = services.question_upvote(question_id=question.pk, voter_token="browser-a")
    again, counted_again = services.question_upvote(
        question_id=question.pk, voter_token="browser-a"
    )
    other, counted_other = services.question_upvote(
        question_id=question.pk, voter_token="browser-b"
    )
    assert (counted, counted_again, counted_other) == (True, False, True)
    assert again.upvote_count == 1 and other.upvote_count == 2
    upvotes = [e for e in log(dialogue) if e.type == "question.upvoted"]
    assert [e.public_data for e in upvotes] == [
        {"question_id": question.pk, "upvote_count": 1},
        {"question_id": question.pk, "upvote_count": 2},
    ]
    assert all(e.public_seq is not None for e in upvotes)
    # Only a salted hash of the browser token is kept.
    assert not Upvote.objects.filter(voter_hash__in=["browser-a", "browser-b"]).exists()


def test_citizen_cannot_upvote_pending_question(dialogue):
    question = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_upvote(question_id=question.pk, voter_token="b"),
        NotFound,
    )


@pytest.mark.parametrize("token", ["", "x" * 129])
def test_citizen_cannot_upvote_without_valid_browser_token(dialogue, moderator, token):
    question = publish(dialogue, moderator)
    unchanged(
        dialogue,
        lambda: services.question_upvote(question_id=question.pk, voter_token=token),
        Invalid,
    )


# --- approving, conflicts, rollback ---------------------------------------------------------------


def test_moderator_can_approve_question(dialogue, moderator, django_capture_on_commit_callbacks):
    question = submit(dialogue)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approved = services.question_approve(
            actor=moderator, question_id=question.pk, expected_version=1
        )
    assert len(callbacks) == 3  # the dialogue's doorbell, the moderators' inbox, the e-mail
    assert approved.status == Question.Status.PUBLISHED
    assert approved.version == 2 and approved.published_at is not None
    event = log(dialogue)[-1]
    assert (event.type, event.seq, event.public_seq) == ("question.published", 2, 1)
    public = event.public_data["question"]
    assert public["id"] == question.pk and public["body"] == question.body
    assert public["display_name"] == "Nguyễn Văn An"
    assert_public_clean(event.public_data)
    assert event.data["question"]["status"] == "published"
    entry = AuditEntry.objects.get(action="approve")
    assert entry.actor == moderator and entry.item_id == question.pk
    assert entry.before["status"] == "pending" and entry.after["status"] == "published"


def test_anonymous_asker_name_is_never_public(dialogue, moderator):
    publish(dialogue, moderator, publish_name=False, asker_name="Lê Thị Kín")
    event = log(dialogue)[-1]
    assert "Lê Thị Kín" not in json.dumps(event.public_data, ensure_ascii=False)
    assert event.public_data["question"]["display_name"] == "Người gửi ẩn danh"
    assert event.data["question"]["asker_name"] == "Lê Thị Kín"


def test_second_moderator_with_same_version_gets_conflict_with_current_state(
    dialogue, moderator, moderator2, reason
):
    question = submit(dialogue)
    services.question_approve(actor=moderator, question_id=question.pk, expected_version=1)
    info = unchanged(
        dialogue,
        lambda: services.question_reject(
            actor=moderator2, question_id=question.pk, reason_id=reason.pk, expected_version=1
        ),
        Conflict,
    )
    current = info.value.data["current"]
    assert current["id"] == question.pk
    assert current["status"] == "published" and current["version"] == 2
    assert "email" not in current
    assert log_types(dialogue).count("question.published") == 1
    assert AuditEntry.objects.filter(item_id=question.pk).count() == 1


def test_moderator_cannot_approve_twice_even_without_version(dialogue, moderator, moderator2):
    question = submit(dialogue)
    services.question_approve(actor=moderator, question_id=question.pk)
    info = unchanged(
        dialogue,
        lambda: services.question_approve(actor=moderator2, question_id=question.pk),
        Conflict,
    )
    assert info.value.data["current"]["status"] == "published"


@pytest.mark.parametrize("role", ["leader", "agency_staff"])
def test_non_moderator_cannot_approve(dialogue, chair, agency, role):
    question = submit(dialogue)
    user = make_user(role, leader=chair if role == "leader" else None, agency=agency)
    unchanged(
        dialogue, lambda: services.question_approve(actor=user, question_id=question.pk), NotAllowed
    )


def test_anonymous_cannot_approve(dialogue):
    from django.contrib.auth.models import AnonymousUser

    question = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_approve(actor=AnonymousUser(), question_id=question.pk),
        NotAuthenticated,
    )


def test_administrator_can_approve(dialogue, admin_user):
    question = submit(dialogue)
    assert services.question_approve(actor=admin_user, question_id=question.pk).status == (
        "published"
    )


def test_failed_service_rolls_back_and_schedules_nothing(
    dialogue, moderator, monkeypatch, django_capture_on_commit_callbacks
):
    question = submit(dialogue)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit storage down")

    monkeypatch.setattr(services, "audit_record", broken)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
    ):
        services.question_approve(actor=moderator, question_id=question.pk)
    assert callbacks == []
    question.refresh_from_db()
    assert question.status == "pending" and question.version == 1
    assert log_types(dialogue) == ["question.submitted"]
    assert Dialogue.objects.get(pk=dialogue.pk).last_public_seq == 0


def test_missing_question_is_not_found(dialogue, moderator):
    with pytest.raises(NotFound):
        services.question_approve(actor=moderator, question_id=999_999)


# --- rejecting ---------------------------------------------------------------------------------


def test_moderator_can_reject_pending_question_with_reason(dialogue, moderator, reason):
    question = submit(dialogue)
    rejected = services.question_reject(
        actor=moderator,
        question_id=question.pk,
        reason_id=reason.pk,
        note="trùng",
        expected_version=1,
    )
    assert rejected.status == "rejected" and rejected.rejection_reason == reason
    event = log(dialogue)[-1]
    assert (event.type, event.public_seq, event.public_data) == ("question.rejected", None, None)
    assert event.data["question"]["rejection_reason"]["id"] == reason.pk
    entry = AuditEntry.objects.get(action="reject")
    assert (entry.reason, entry.note, entry.actor) == (reason, "trùng", moderator)
    tracking = selectors.question_tracking_dict(
        selectors.question_get_by_tracking_code(code=question.tracking_code)
    )
    assert tracking["status"] == "rejected"
    assert tracking["rejection_reason"] == {
        "title": reason.title,
        "explanation": reason.explanation,
    }


def test_moderator_can_withdraw_published_question_on_air(dialogue, moderator, reason):
    question = publish(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    services.question_reject(actor=moderator, question_id=question.pk, reason_id=reason.pk)
    off_air, rejected = log(dialogue)[-2:]
    assert off_air.type == "question.off_air" and off_air.public_data == {
        "question_id": question.pk
    }
    assert rejected.type == "question.rejected"
    assert rejected.public_data == {"question_id": question.pk}
    assert rejected.public_seq == off_air.public_seq + 1
    assert Dialogue.objects.get(pk=dialogue.pk).on_air_id is None


@pytest.mark.parametrize("which", ["none", "empty", "retired", "missing", "garbage"])
def test_moderator_cannot_reject_without_active_reason(dialogue, moderator, retired_reason, which):
    question = submit(dialogue)
    reason_id = {
        "none": None,
        "empty": "",
        "retired": retired_reason.pk,
        "missing": 999_999,
        "garbage": "abc",
    }[which]
    info = unchanged(
        dialogue,
        lambda: services.question_reject(
            actor=moderator, question_id=question.pk, reason_id=reason_id
        ),
        Invalid,
    )
    assert "reason" in info.value.fields


def test_moderator_cannot_reject_rejected_question(dialogue, moderator, reason):
    question = submit(dialogue)
    services.question_reject(actor=moderator, question_id=question.pk, reason_id=reason.pk)
    unchanged(
        dialogue,
        lambda: services.question_reject(
            actor=moderator, question_id=question.pk, reason_id=reason.pk
        ),
        Conflict,
    )


# --- editing -----------------------------------------------------------------------------------


def test_moderator_edit_keeps_the_original_once(dialogue, moderator):
    question = submit(dialogue, body="Khi nao duoc boi thuong?")
    services.question_edit(
        actor=moderator, question_id=question.pk, body="Khi nào được bồi thường?"
    )
    edited = services.question_edit(
        actor=moderator, question_id=question.pk, body="Khi nào gia đình tôi được bồi thường?"
    )
    assert edited.body == "Khi nào gia đình tôi được bồi thường?"
    assert edited.original_body == "Khi nao duoc boi thuong?"
    assert edited.version == 3
    edits = [e for e in log(dialogue) if e.type == "question.edited"]
    assert len(edits) == 2 and all(e.public_data is None for e in edits)  # still pending
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["edit", "edit"]


def test_moderator_edit_of_published_question_is_public(dialogue, moderator):
    question = publish(dialogue, moderator)
    services.question_edit(actor=moderator, question_id=question.pk, body="Câu hỏi đã sửa.")
    event = log(dialogue)[-1]
    assert event.type == "question.edited"
    assert event.public_data["question"]["body"] == "Câu hỏi đã sửa."
    assert_public_clean(event.public_data)


def test_moderator_edit_with_same_text_changes_nothing(dialogue, moderator):
    question = submit(dialogue)
    unchanged_body = question.body
    result = services.question_edit(
        actor=moderator, question_id=question.pk, body=f"  {unchanged_body}\u200b "
    )
    assert result.version == 1 and result.original_body == ""
    assert log_types(dialogue) == ["question.submitted"]


@pytest.mark.parametrize("body", ["", "a" * (LONG + 1), None])
def test_moderator_cannot_edit_to_invalid_text(dialogue, moderator, body):
    question = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_edit(actor=moderator, question_id=question.pk, body=body),
        Invalid,
    )


# --- merging -----------------------------------------------------------------------------------


def test_moderator_can_merge_duplicates(dialogue, moderator, leader_user):
    target = publish(dialogue, moderator, body="Bồi thường đất nông nghiệp khi nào?")
    published_dup = publish(dialogue, moderator, body="Bao giờ trả tiền bồi thường?")
    pending_dup = submit(dialogue, body="Tiền đền bù bao giờ có?")
    services.question_upvote(question_id=target.pk, voter_token="browser-a")
    services.question_upvote(question_id=published_dup.pk, voter_token="browser-a")
    services.question_upvote(question_id=published_dup.pk, voter_token="browser-b")

    merged = services.question_merge(
        actor=moderator,
        target_id=target.pk,
        # The target itself in the list is ignored; supports never bump the version.
        source_ids=[published_dup.pk, pending_dup.pk, target.pk],
        expected_version=2,
    )
    assert merged.upvote_count == 2  # browser-a counted once
    for source in (published_dup, pending_dup):
        source.refresh_from_db()
        assert source.status == "merged" and source.merged_into_id == target.pk
    event = log(dialogue)[-1]
    assert event.type == "question.merged"
    assert event.data["merged_ids"] == [published_dup.pk, pending_dup.pk]
    assert event.public_data["merged_ids"] == [published_dup.pk]  # the pending one never showed
    assert event.public_data["question"]["upvote_count"] == 2
    assert_public_clean(event.public_data)
    entry = AuditEntry.objects.get(action="merge")
    assert entry.after["merged"] == [published_dup.pk, pending_dup.pk]

    staff_ids = {q.pk for q in selectors.question_list_staff(dialogue=dialogue, viewer=moderator)}
    assert staff_ids == {target.pk}

    services.answer_post(actor=leader_user, question_id=target.pk, body="Trong quý IV.")
    for source in (published_dup, pending_dup):
        tracking = selectors.question_tracking_dict(
            selectors.question_get_by_tracking_code(code=source.tracking_code)
        )
        assert tracking["merged_into"] == target.pk
        assert tracking["answer_state"] == "answered_live"
        assert [a["body"] for a in tracking["answers"]] == ["Trong quý IV."]


def test_merge_into_a_pending_target_never_publishes_its_text(dialogue, moderator):
    pending_target = submit(dialogue, body="Câu hỏi chưa duyệt, có số 0912 345 678")
    published_dup = publish(dialogue, moderator, body="Bao giờ trả tiền bồi thường?")
    services.question_merge(
        actor=moderator, target_id=pending_target.pk, source_ids=[published_dup.pk]
    )
    event = log(dialogue)[-1]
    assert event.type == "question.merged"
    # The public learns only that the published duplicate disappears.
    assert event.public_data == {"merged_ids": [published_dup.pk]}
    assert event.data["question"]["id"] == pending_target.pk


def test_merge_of_a_merge_target_follows_to_the_new_target(dialogue, moderator):
    first = publish(dialogue, moderator)
    middle = publish(dialogue, moderator)
    target = publish(dialogue, moderator)
    services.question_merge(actor=moderator, target_id=middle.pk, source_ids=[first.pk])
    services.question_merge(actor=moderator, target_id=target.pk, source_ids=[middle.pk])
    first.refresh_from_db()
    assert first.merged_into_id == target.pk


def test_moderator_cannot_merge_stale_version(dialogue, moderator):
    target = publish(dialogue, moderator)
    dup = submit(dialogue)
    info = unchanged(
        dialogue,
        lambda: services.question_merge(
            actor=moderator, target_id=target.pk, source_ids=[dup.pk], expected_version=1
        ),
        Conflict,
    )
    assert info.value.data["current"]["version"] == 2


def test_moderator_cannot_merge_into_itself_or_handled_or_foreign(
    dialogue, chair, moderator, reason
):
    target = publish(dialogue, moderator)
    rejected = submit(dialogue)
    services.question_reject(actor=moderator, question_id=rejected.pk, reason_id=reason.pk)
    elsewhere = submit(make_dialogue(chair))
    with pytest.raises(Invalid):
        services.question_merge(actor=moderator, target_id=target.pk, source_ids=[target.pk])
    unchanged(
        dialogue,
        lambda: services.question_merge(
            actor=moderator, target_id=target.pk, source_ids=[rejected.pk]
        ),
        Conflict,
    )
    unchanged(
        dialogue,
        lambda: services.question_merge(
            actor=moderator, target_id=target.pk, source_ids=[elsewhere.pk]
        ),
        NotFound,
    )


# --- tagging, forwarding, ordering -------------------------------------------------------------------


def test_moderator_can_tag_question(dialogue, moderator):
    pending = submit(dialogue)
    services.question_tag(actor=moderator, question_id=pending.pk, topic="Đất đai")
    assert log(dialogue)[-1].public_data is None
    published = publish(dialogue, moderator)
    tagged = services.question_tag(actor=moderator, question_id=published.pk, topic=" Đất  đai ")
    assert tagged.topic == "Đất đai"
    event = log(dialogue)[-1]
    assert event.type == "question.tagged" and event.public_data["question"]["topic"] == "Đất đai"


def test_moderator_can_forward_to_participating_leader(dialogue, moderator, vice_chair):
    question = publish(dialogue, moderator)
    forwarded = services.question_forward(
        actor=moderator, question_id=question.pk, leader_id=vice_chair.pk, expected_version=2
    )
    assert forwarded.forwarded_to == vice_chair
    event = log(dialogue)[-1]
    assert (event.type, event.public_seq, event.public_data) == ("question.forwarded", None, None)
    assert event.data["question"]["forwarded_to"]["id"] == vice_chair.pk
    withdrawn = services.question_forward(actor=moderator, question_id=question.pk, leader_id=None)
    assert withdrawn.forwarded_to is None


def test_moderator_cannot_forward_to_outside_leader_or_pending(dialogue, moderator, other_agency):
    outsider = Leader.objects.create(name="Võ Văn Khách", title="Giám đốc Sở", agency=other_agency)
    question = publish(dialogue, moderator)
    info = unchanged(
        dialogue,
        lambda: services.question_forward(
            actor=moderator, question_id=question.pk, leader_id=outsider.pk
        ),
        Invalid,
    )
    assert "leader" in info.value.fields
    pending = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_forward(
            actor=moderator, question_id=pending.pk, leader_id=dialogue.chair_id
        ),
        Conflict,
    )


def test_moderator_can_reorder_queue(dialogue, moderator):
    q1, q2, q3 = (publish(dialogue, moderator) for _ in range(3))
    assert services.question_reorder(
        actor=moderator, dialogue_id=dialogue.pk, ordered_ids=[q3.pk, q1.pk]
    ) == [q3.pk, q1.pk]
    positions = dict(Question.objects.values_list("pk", "position"))
    assert positions[q3.pk] < positions[q1.pk]
    assert positions[q2.pk] == q2.pk  # untouched
    event = log(dialogue)[-1]
    assert event.type == "question.reordered" and event.public_data is None
    assert [row["id"] for row in event.data["order"]] == [q3.pk, q1.pk]


@pytest.mark.parametrize("ids", [[], ["x"], "dup", "foreign"])
def test_moderator_cannot_reorder_with_bad_list(dialogue, chair, moderator, ids):
    q1 = publish(dialogue, moderator)
    if ids == "dup":
        ids = [q1.pk, q1.pk]
    elif ids == "foreign":
        ids = [q1.pk, submit(make_dialogue(chair)).pk]
    expected = NotFound if len(ids) == 2 and ids[0] != ids[1] else Invalid
    unchanged(
        dialogue,
        lambda: services.question_reorder(
            actor=moderator, dialogue_id=dialogue.pk, ordered_ids=ids
        ),
        expected,
    )


# --- on air -------------------------------------------------------------------------------------


def test_moderator_can_put_published_question_on_air_while_live(dialogue, moderator):
    first = publish(dialogue, moderator)
    second = publish(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=first.pk)
    services.question_put_on_air(actor=moderator, question_id=second.pk)
    assert Dialogue.objects.get(pk=dialogue.pk).on_air_id == second.pk
    event = log(dialogue)[-1]
    assert event.type == "question.on_air" and event.public_data["question"]["id"] == second.pk
    entry = AuditEntry.objects.filter(action="on_air").first()
    assert entry.before == {"on_air": first.pk} and entry.after == {"on_air": second.pk}


def test_moderator_cannot_put_pending_question_on_air(dialogue, moderator):
    pending = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_put_on_air(actor=moderator, question_id=pending.pk),
        Conflict,
    )


@pytest.mark.parametrize("status", ["announced", "ended"])
def test_moderator_cannot_put_on_air_unless_live(chair, moderator, status):
    dialogue = make_dialogue(chair, status=Dialogue.Status.LIVE)
    question = publish(dialogue, moderator)
    Dialogue.objects.filter(pk=dialogue.pk).update(status=status)
    unchanged(
        dialogue,
        lambda: services.question_put_on_air(actor=moderator, question_id=question.pk),
        Conflict,
    )


def test_moderator_can_take_question_off_air(dialogue, moderator):
    question = publish(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    services.question_take_off_air(actor=moderator, dialogue_id=dialogue.pk)
    event = log(dialogue)[-1]
    assert event.type == "question.off_air"
    assert event.data == event.public_data == {"question_id": question.pk}
    assert Dialogue.objects.get(pk=dialogue.pk).on_air_id is None
    # Nothing on air: nothing to do, nothing appended.
    seq = Dialogue.objects.get(pk=dialogue.pk).last_seq
    services.question_take_off_air(actor=moderator, dialogue_id=dialogue.pk)
    assert Dialogue.objects.get(pk=dialogue.pk).last_seq == seq


def test_leader_cannot_take_question_off_air(dialogue, leader_user):
    with pytest.raises(NotAllowed):
        services.question_take_off_air(actor=leader_user, dialogue_id=dialogue.pk)


# --- answer states ------------------------------------------------------------------------------


def test_moderator_can_mark_answered_live(dialogue, moderator):
    question = publish(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    marked = services.question_mark_answered_live(actor=moderator, question_id=question.pk)
    assert marked.answer_state == "answered_live" and marked.answered_at is not None
    assert log_types(dialogue)[-2:] == ["question.off_air", "question.answer_state_changed"]
    assert log(dialogue)[-1].public_data["question"]["answer_state"] == "answered_live"
    unchanged(
        dialogue,
        lambda: services.question_mark_answered_live(actor=moderator, question_id=question.pk),
        Conflict,
    )


def test_moderator_cannot_mark_pending_question_answered_live(dialogue, moderator):
    pending = submit(dialogue)
    unchanged(
        dialogue,
        lambda: services.question_mark_answered_live(actor=moderator, question_id=pending.pk),
        Conflict,
    )


TET_2027 = [f"2027-02-{day:02d}" for day in range(8, 13)]  # Mon 8 – Fri 12 February 2027


@pytest.mark.parametrize(
    ("holidays", "due"),
    [([], dt.date(2027, 2, 26)), (TET_2027, dt.date(2027, 3, 5))],
)
def test_mark_written_is_due_15_working_days_after_dialogue_end(chair, moderator, holidays, due):
    PublicHoliday.objects.all().delete()  # the settings list alone decides here
    dialogue = make_dialogue(
        chair,
        starts_at=dt.datetime(2027, 2, 5, 8, 0, tzinfo=VN),
        ends_at=dt.datetime(2027, 2, 5, 10, 0, tzinfo=VN),  # a Friday
    )
    question = submit(dialogue)  # a pending question may be kept for a written answer too
    with override_settings(CONSULT={**settings.CONSULT, "PUBLIC_HOLIDAYS": holidays}):
        marked = services.question_mark_written(
            actor=moderator, question_id=question.pk, expected_version=1
        )
    assert marked.answer_state == "awaiting_written"
    assert marked.written_due_on == due
    event = log(dialogue)[-1]
    assert event.type == "question.answer_state_changed" and event.public_data is None
    assert event.data["question"]["written_due_on"] == due.isoformat()


def test_mark_written_after_late_end_counts_from_actual_end(chair, moderator):
    PublicHoliday.objects.all().delete()  # the settings list alone decides here
    dialogue = make_dialogue(
        chair,
        starts_at=dt.datetime(2027, 2, 5, 8, 0, tzinfo=VN),
        ends_at=dt.datetime(2027, 2, 5, 10, 0, tzinfo=VN),
    )
    question = publish(dialogue, moderator)
    Dialogue.objects.filter(pk=dialogue.pk).update(
        status="ended", ended_at=dt.datetime(2027, 2, 8, 9, 0, tzinfo=VN)
    )
    with override_settings(CONSULT={**settings.CONSULT, "PUBLIC_HOLIDAYS": []}):
        marked = services.question_mark_written(actor=moderator, question_id=question.pk)
    assert marked.written_due_on == dt.date(2027, 3, 1)


# --- answers ------------------------------------------------------------------------------------


def test_leader_can_answer_for_own_leader(dialogue, moderator, leader_user, chair):
    question = publish(dialogue, moderator)
    answer = services.answer_post(
        actor=leader_user, question_id=question.pk, body=" Trong tháng 12. "
    )
    assert (answer.leader, answer.author, answer.kind, answer.body) == (
        chair,
        leader_user,
        "live",
        "Trong tháng 12.",
    )
    question.refresh_from_db()
    assert question.answer_state == "answered_live" and question.version == 3
    event = log(dialogue)[-1]
    assert event.type == "answer.posted" and event.public_seq is not None
    assert event.public_data["answer"]["leader"]["name"] == chair.name
    assert event.public_data["answer_state"] == "answered_live"
    assert_public_clean(event.public_data)
    assert "author" not in event.public_data["answer"]
    assert AuditEntry.objects.get(action="answer").after["leader"] == chair.pk


def test_secretary_answer_is_attributed_to_the_leader(dialogue, moderator, chair):
    secretary = make_user("leader", leader=chair, full_name="Thư ký riêng")
    question = publish(dialogue, moderator)
    answer = services.answer_post(
        actor=secretary, question_id=question.pk, body="Đã giao Sở TN&MT.", leader_id=chair.pk
    )
    assert answer.leader == chair and answer.author == secretary


@pytest.mark.parametrize("leader_id", ["other", "abc"])
def test_leader_cannot_answer_for_another_leader(
    dialogue, moderator, leader_user, vice_chair, leader_id
):
    question = publish(dialogue, moderator)
    leader_id = vice_chair.pk if leader_id == "other" else leader_id
    unchanged(
        dialogue,
        lambda: services.answer_post(
            actor=leader_user, question_id=question.pk, body="...", leader_id=leader_id
        ),
        NotAllowed,
    )
    assert Answer.objects.count() == 0


def test_leader_account_without_leader_cannot_answer(dialogue, moderator):
    unlinked = make_user("leader")
    question = publish(dialogue, moderator)
    unchanged(
        dialogue,
        lambda: services.answer_post(actor=unlinked, question_id=question.pk, body="..."),
        NotAllowed,
    )


def test_moderator_must_name_a_participating_leader(dialogue, moderator, vice_chair, other_agency):
    question = publish(dialogue, moderator)
    outsider = Leader.objects.create(name="Đỗ Văn Ngoài", title="Giám đốc", agency=other_agency)
    for leader_id in (None, "", outsider.pk):
        info = unchanged(
            dialogue,
            lambda leader_id=leader_id: services.answer_post(
                actor=moderator, question_id=question.pk, body="...", leader_id=leader_id
            ),
            Invalid,
        )
        assert "leader" in info.value.fields
    answer = services.answer_post(
        actor=moderator, question_id=question.pk, body="Thay mặt.", leader_id=vice_chair.pk
    )
    assert answer.leader == vice_chair and answer.author == moderator


def test_agency_staff_cannot_answer(dialogue, moderator, agency_staff):
    question = publish(dialogue, moderator)
    unchanged(
        dialogue,
        lambda: services.answer_post(actor=agency_staff, question_id=question.pk, body="..."),
        NotAllowed,
    )


def test_leader_cannot_answer_pending_question(dialogue, leader_user):
    question = submit(dialogue)
    info = unchanged(
        dialogue,
        lambda: services.answer_post(actor=leader_user, question_id=question.pk, body="..."),
        Conflict,
    )
    assert info.value.data["current"]["status"] == "pending"


@pytest.mark.parametrize(
    "body", ["", "  \u200b ", "a" * (settings.CONSULT["ANSWER_MAX_LENGTH"] + 1)]
)
def test_leader_cannot_post_invalid_answer(dialogue, moderator, leader_user, body):
    question = publish(dialogue, moderator)
    info = unchanged(
        dialogue,
        lambda: services.answer_post(actor=leader_user, question_id=question.pk, body=body),
        Invalid,
    )
    assert "body" in info.value.fields


def test_written_answer_after_dialogue_ended(dialogue, moderator, leader_user):
    question = publish(dialogue, moderator)
    services.question_mark_written(actor=moderator, question_id=question.pk)
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="ended")
    answer = services.answer_post(
        actor=leader_user, question_id=question.pk, body="Văn bản trả lời."
    )
    assert answer.kind == "written"
    question.refresh_from_db()
    assert question.answer_state == "answered_written"
    assert log(dialogue)[-1].public_data["answer"]["kind"] == "written"
    tracking = selectors.question_tracking_dict(question)
    assert tracking["answer_state"] == "answered_written"
    assert tracking["answers"][0]["body"] == "Văn bản trả lời."


def test_answer_retry_with_same_request_id_returns_first_answer(dialogue, moderator, leader_user):
    question = publish(dialogue, moderator)
    first = services.answer_post(
        actor=leader_user, question_id=question.pk, body="Một.", request_id="ans-1"
    )
    again = services.answer_post(
        actor=leader_user, question_id=question.pk, body="Một.", request_id="ans-1"
    )
    assert again.pk == first.pk
    assert Answer.objects.count() == 1
    assert log_types(dialogue).count("answer.posted") == 1


# --- dialogue lifecycle ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("draft", "announced"),
        ("announced", "live"),
        ("announced", "draft"),
        ("announced", "ended"),
        ("live", "ended"),
        ("ended", "archived"),
        ("ended", "live"),
        ("archived", "ended"),
    ],
)
def test_moderator_can_move_dialogue_along_lifecycle(chair, moderator, before, after):
    dialogue = make_dialogue(chair, status=before)
    result = services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status=after)
    assert result.status == after
    (event,) = log(dialogue)
    assert event.type == "dialogue.status_changed"
    assert event.data["status"] == after and event.data["before"] == before
    if after == "draft":
        assert event.public_data is None and event.public_seq is None
    else:
        assert event.public_data == event.data and event.public_seq == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("draft", "live"),
        ("draft", "ended"),
        ("live", "announced"),
        ("live", "draft"),
        ("live", "archived"),
        ("ended", "draft"),
        ("archived", "live"),
        ("archived", "draft"),
        ("live", "live"),
    ],
)
def test_moderator_cannot_skip_lifecycle_steps(chair, moderator, before, after):
    dialogue = make_dialogue(chair, status=before)
    unchanged(
        dialogue,
        lambda: services.dialogue_set_status(
            actor=moderator, dialogue_id=dialogue.pk, status=after
        ),
        Conflict,
    )
    assert Dialogue.objects.get(pk=dialogue.pk).status == before


def test_moderator_cannot_set_unknown_status(dialogue, moderator):
    info = unchanged(
        dialogue,
        lambda: services.dialogue_set_status(
            actor=moderator, dialogue_id=dialogue.pk, status="paused"
        ),
        Invalid,
    )
    assert "status" in info.value.fields


def test_leader_cannot_change_dialogue_status(dialogue, leader_user):
    unchanged(
        dialogue,
        lambda: services.dialogue_set_status(
            actor=leader_user, dialogue_id=dialogue.pk, status="ended"
        ),
        NotAllowed,
    )


def test_ending_dialogue_clears_on_air_and_records_end(dialogue, moderator):
    question = publish(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    ended = services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="ended")
    assert ended.on_air_id is None and ended.ended_at is not None
    assert log(dialogue)[-1].public_data["on_air"] is None


def test_public_sequence_stays_gap_free_across_services(dialogue, moderator, leader_user, reason):
    shown = publish(dialogue, moderator)
    hidden = submit(dialogue)
    services.question_reject(actor=moderator, question_id=hidden.pk, reason_id=reason.pk)
    services.question_forward(actor=moderator, question_id=shown.pk, leader_id=dialogue.chair_id)
    services.question_upvote(question_id=shown.pk, voter_token="v")
    services.answer_post(actor=leader_user, question_id=shown.pk, body="Đã rõ.")
    entries = log(dialogue)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    public = [e.public_seq for e in entries if e.public_seq is not None]
    assert public == list(range(1, len(public) + 1))
    assert [e.type for e in entries if e.public_seq is not None] == [
        "question.published",
        "question.upvoted",
        "answer.posted",
    ]
    for entry in entries:
        if entry.public_data is not None:
            assert_public_clean(entry.public_data)


# --- real concurrency (PostgreSQL) -------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers and cannot show "
    "row-lock races between threads",
)


def _race(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work(i))
        except BaseException as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_moderators_racing_on_one_version_apply_once(dialogue, moderator, moderator2):
    question = submit(dialogue)
    actors = [moderator, moderator2]
    results, errors = _race(
        2,
        lambda i: services.question_approve(
            actor=actors[i], question_id=question.pk, expected_version=1
        ),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], Conflict)
    assert errors[0].data["current"]["status"] == "published"
    assert errors[0].data["current"]["version"] == 2
    assert log_types(dialogue).count("question.published") == 1
    assert AuditEntry.objects.filter(action="approve", item_id=question.pk).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_same_request_id_at_the_same_moment_creates_one_question(dialogue):
    results, errors = _race(
        4,
        lambda i: services.question_submit(
            dialogue_id=dialogue.pk, **QUESTION_DEFAULTS, request_id="same-moment"
        ),
    )
    assert errors == []
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert {q.pk for q, _created in results} == {Question.objects.get().pk}
    assert sum(created for _q, created in results) == 1
    assert log_types(dialogue) == ["question.submitted"]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_keep_event_log_gap_free(dialogue):
    _results, errors = _race(
        6,
        lambda i: services.question_submit(
            dialogue_id=dialogue.pk, **QUESTION_DEFAULTS, request_id=f"parallel-{i}"
        ),
    )
    assert errors == []
    assert [e.seq for e in log(dialogue)] == list(range(1, 7))
