"""The dialogue WebSocket over the real ASGI stack (Origin check, session auth, routing).

Runs against the in-memory channel layer by default and against real Redis when REDIS_URL is
set. Services are called in worker threads (database_sync_to_async) and tests use committed
transactions, so the doorbell rings after commit exactly as in production.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from asgi import application
from livechat import events, services
from livechat.fanout import hub_registry
from livechat.models import Dialogue, Question
from livechat.protocol import CLOSE_NOT_FOUND, MAX_FRAME_CHARS
from moderation.models import RejectionReason
from tests.conftest import QUESTION_DEFAULTS, make_dialogue
from tests.livechat.test_services import unique_ip

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"
CONTACT_KEYS = {"email", "phone", "asker_name", "has_email", "has_phone", "original_body"}
STAFF_ONLY_KEYS = {"status", "version", "position", "forwarded_to", "rejection_reason"}


# --- helpers (also used by test_fanout) --------------------------------------------------------


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def ws_open(
    slug: str,
    *,
    user: Any = None,
    query: str = "",
    origin: bytes | None = ORIGIN,
    voter: str | None = None,
    expect_first: bool = True,
    client: tuple[str, int] | None = None,
) -> tuple[WebsocketCommunicator, dict[str, Any] | None]:
    """Open a dialogue socket as `user` (None: the public) and read its first frame.

    `client`: the scope's client address, as daphne sets it (the test communicator sets none).
    """
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    cookies = []
    if user is not None:
        cookies.append(f"sessionid={await database_sync_to_async(session_cookie)(user)}")
    if voter is not None:
        cookies.append(f"consult_voter={voter}")
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    path = f"/ws/dialogues/{slug}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    if client is not None:
        communicator.scope["client"] = client
    connected, _code = await communicator.connect(timeout=5)
    assert connected, f"socket to {path} refused"
    first = await communicator.receive_json_from(timeout=5) if expect_first else None
    return communicator, first


def submit(dialogue: Dialogue, **extra: Any) -> Question:
    data = {**QUESTION_DEFAULTS, "request_id": uuid.uuid4().hex, **extra}
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **data)
    return question


def publish(dialogue: Dialogue, moderator: Any, **extra: Any) -> Question:
    question = submit(dialogue, **extra)
    return services.question_approve(actor=moderator, question_id=question.pk)


async def event_next(communicator: WebsocketCommunicator, wait: float = 5) -> dict[str, Any]:
    frame = await communicator.receive_json_from(timeout=wait)
    assert frame["type"] == "event", frame
    return frame


async def action_with_events(
    communicator: WebsocketCommunicator, payload: dict[str, Any] | str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send one client frame; return the reply to it and the event frames that came before."""
    if isinstance(payload, str):
        await communicator.send_to(text_data=payload)
    else:
        await communicator.send_json_to(payload)
    before = []
    for _ in range(50):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error"):
            return frame, before
        before.append(frame)
    raise AssertionError("no reply to the client frame")


async def action(
    communicator: WebsocketCommunicator, payload: dict[str, Any] | str
) -> dict[str, Any]:
    return (await action_with_events(communicator, payload))[0]


def _connection_close() -> None:
    connection.close()  # `connection` is per thread: this closes the worker thread's one


@pytest.fixture(autouse=True)
async def clean_layer():
    """Every test leaves no hub behind (no leaked group member) and an empty channel layer."""
    yield
    assert hub_registry().hubs == {}, "a socket was left open or a hub was not stopped"
    layer = get_channel_layer()
    if layer is not None:
        await layer.flush()
    # The worker thread's database connection would outlive the test database otherwise.
    await database_sync_to_async(_connection_close)()


# --- snapshots and visibility ------------------------------------------------------------------


async def test_public_can_connect_and_sees_only_published_questions_without_contact_details(
    dialogue, moderator
):
    pending = await database_sync_to_async(submit)(dialogue, body="Câu hỏi còn chờ duyệt?")
    published = await database_sync_to_async(publish)(dialogue, moderator)
    viewer, snapshot = await ws_open(dialogue.slug)
    try:
        assert snapshot["type"] == "snapshot"
        assert snapshot["role"] == "public"
        assert snapshot["seq"] == 1  # one public event so far: the approval
        assert snapshot["dialogue"]["slug"] == dialogue.slug
        assert [q["id"] for q in snapshot["questions"]] == [published.pk]
        question = snapshot["questions"][0]
        assert not CONTACT_KEYS & question.keys()
        assert not STAFF_ONLY_KEYS & question.keys()
        raw = json.dumps(snapshot, ensure_ascii=False)
        assert QUESTION_DEFAULTS["email"] not in raw
        assert "chờ duyệt" not in raw and pending.tracking_code not in raw
    finally:
        await viewer.disconnect()


async def test_moderator_can_connect_and_sees_pending_questions(dialogue, moderator):
    pending = await database_sync_to_async(submit)(dialogue)
    published = await database_sync_to_async(publish)(dialogue, moderator)
    staff, snapshot = await ws_open(dialogue.slug, user=moderator)
    try:
        assert snapshot["role"] == "staff"
        assert snapshot["seq"] == 3  # submitted, submitted, published
        statuses = {q["id"]: q["status"] for q in snapshot["questions"]}
        assert statuses == {pending.pk: "pending", published.pk: "published"}
        # Staff see that contact details exist, never the details themselves.
        assert QUESTION_DEFAULTS["email"] not in json.dumps(snapshot, ensure_ascii=False)
    finally:
        await staff.disconnect()


async def test_leader_can_connect_as_staff(dialogue, leader_user):
    staff, snapshot = await ws_open(dialogue.slug, user=leader_user)
    try:
        assert snapshot["role"] == "staff"
    finally:
        await staff.disconnect()


# --- live events -------------------------------------------------------------------------------


async def test_public_sees_question_published_with_next_public_seq(dialogue, moderator):
    await database_sync_to_async(publish)(dialogue, moderator)
    question = await database_sync_to_async(submit)(dialogue)
    viewer, snapshot = await ws_open(dialogue.slug)
    try:
        await database_sync_to_async(services.question_approve)(
            actor=moderator, question_id=question.pk, expected_version=1
        )
        frame = await event_next(viewer)
        assert frame["event"] == events.QUESTION_PUBLISHED
        assert frame["seq"] == snapshot["seq"] + 1
        assert frame["data"]["question"]["id"] == question.pk
        assert not CONTACT_KEYS & frame["data"]["question"].keys()
        assert not STAFF_ONLY_KEYS & frame["data"]["question"].keys()
        assert await viewer.receive_nothing(timeout=0.2)
    finally:
        await viewer.disconnect()


async def test_moderator_can_approve_over_the_socket_and_the_public_sees_it(dialogue, moderator):
    question = await database_sync_to_async(submit)(dialogue)
    viewer, public_snapshot = await ws_open(dialogue.slug)
    staff, staff_snapshot = await ws_open(dialogue.slug, user=moderator)
    try:
        reply, before = await action_with_events(
            staff,
            {"type": "approve", "request_id": "r1", "question_id": question.pk, "version": 1},
        )
        assert reply["type"] == "ack" and reply["request_id"] == "r1"
        assert reply["question"]["status"] == "published"
        assert reply["question"]["version"] == 2
        frame = await event_next(viewer)
        assert (frame["event"], frame["seq"]) == (events.QUESTION_PUBLISHED, 1)
        assert public_snapshot["seq"] == 0
        # The moderator's own socket gets the staff frame too (before or after the ack).
        staff_frame = before[0] if before else await event_next(staff)
        assert staff_frame["seq"] == staff_snapshot["seq"] + 1
        assert staff_frame["data"]["question"]["status"] == "published"
    finally:
        await viewer.disconnect()
        await staff.disconnect()


async def test_public_cannot_see_pending_submissions_but_staff_can(dialogue, moderator):
    viewer, _ = await ws_open(dialogue.slug)
    staff, staff_snapshot = await ws_open(dialogue.slug, user=moderator)
    try:
        question = await database_sync_to_async(submit)(dialogue)
        frame = await event_next(staff)
        assert frame["event"] == events.QUESTION_SUBMITTED
        assert frame["seq"] == staff_snapshot["seq"] + 1
        assert frame["data"]["question"]["id"] == question.pk
        assert frame["data"]["question"]["status"] == "pending"
        assert QUESTION_DEFAULTS["email"] not in json.dumps(frame, ensure_ascii=False)
        assert await viewer.receive_nothing(timeout=0.3)
    finally:
        await viewer.disconnect()
        await staff.disconnect()


async def test_public_can_upvote_once_over_the_socket(dialogue, moderator):
    question = await database_sync_to_async(publish)(dialogue, moderator)
    viewer, snapshot = await ws_open(dialogue.slug, voter="trinh-duyet-1")
    try:
        reply, before = await action_with_events(
            viewer, {"type": "upvote", "question_id": question.pk}
        )
        assert reply["type"] == "ack"
        assert (reply["counted"], reply["upvote_count"]) == (True, 1)
        frame = before[0] if before else await event_next(viewer)
        assert frame["event"] == events.QUESTION_UPVOTED
        assert frame["data"] == {"question_id": question.pk, "upvote_count": 1}
        assert frame["seq"] == snapshot["seq"] + 1
        again = await action(viewer, {"type": "upvote", "question_id": question.pk})
        assert (again["counted"], again["upvote_count"]) == (False, 1)
    finally:
        await viewer.disconnect()


async def test_supports_over_the_socket_are_limited_per_address_like_over_http(dialogue, moderator):
    """A script dropping its voter cookie cannot support past UPVOTES_PER_IP_PER_HOUR by
    opening a fresh socket per support: the socket's client address is counted."""
    questions = [
        await database_sync_to_async(publish)(dialogue, moderator, email=f"ung-ho-{i}@example.vn")
        for i in range(3)
    ]
    address = unique_ip()
    limited = {**settings.CONSULT, "UPVOTES_PER_IP_PER_HOUR": 2}
    with override_settings(CONSULT=limited):
        for question in questions[:2]:
            # A new voter cookie every time, from the same address.
            viewer, _ = await ws_open(dialogue.slug, voter=uuid.uuid4().hex, client=(address, 5))
            try:
                reply = await action(viewer, {"type": "upvote", "question_id": question.pk})
                assert (reply["type"], reply["counted"]) == ("ack", True)
            finally:
                await viewer.disconnect()
        viewer, _ = await ws_open(dialogue.slug, voter=uuid.uuid4().hex, client=(address, 6))
        try:
            refused = await action(
                viewer, {"type": "upvote", "question_id": questions[2].pk, "request_id": "u3"}
            )
            assert (refused["type"], refused["code"]) == ("error", "too_many_requests")
            assert refused["request_id"] == "u3"
            assert 0 < refused["retry_after"] <= 3600
            # The socket stays open and usable.
            pong = await action(viewer, {"type": "ping", "request_id": "p"})
            assert pong["type"] == "ack"
        finally:
            await viewer.disconnect()
        # Another address is not affected.
        other, _ = await ws_open(dialogue.slug, voter=uuid.uuid4().hex, client=(unique_ip(), 7))
        try:
            reply = await action(other, {"type": "upvote", "question_id": questions[2].pk})
            assert (reply["type"], reply["counted"], reply["upvote_count"]) == ("ack", True, 1)
        finally:
            await other.disconnect()
    counts = await database_sync_to_async(
        lambda: list(
            Question.objects.filter(pk__in=[q.pk for q in questions])
            .order_by("pk")
            .values_list("upvote_count", flat=True)
        )
    )()
    assert counts == [1, 1, 1]  # the refused support changed nothing


# --- resume ------------------------------------------------------------------------------------


async def test_public_can_resume_after_seq_and_gets_exactly_the_missed_events(dialogue, moderator):
    viewer, snapshot = await ws_open(dialogue.slug)
    seen = snapshot["seq"]
    await viewer.disconnect()

    def changes_while_away() -> list[int]:
        a = publish(dialogue, moderator)
        submit(dialogue)  # pending: the public must not get it
        b = publish(dialogue, moderator)
        services.question_edit(actor=moderator, question_id=a.pk, body="Nội dung đã sửa lỗi.")
        return [a.pk, b.pk]

    a_id, b_id = await database_sync_to_async(changes_while_away)()
    viewer, first = await ws_open(dialogue.slug, query=f"after={seen}&audience=public")
    try:
        assert first == {"type": "resumed", "seq": seen, "role": "public"}
        frames = [await event_next(viewer) for _ in range(3)]
        assert [f["seq"] for f in frames] == [seen + 1, seen + 2, seen + 3]
        assert [(f["event"], f["data"]["question"]["id"]) for f in frames] == [
            (events.QUESTION_PUBLISHED, a_id),
            (events.QUESTION_PUBLISHED, b_id),
            (events.QUESTION_EDITED, a_id),
        ]
        assert await viewer.receive_nothing(timeout=0.2)
        # And the stream goes on live after the replay.
        c = await database_sync_to_async(publish)(dialogue, moderator)
        live = await event_next(viewer)
        assert (live["seq"], live["data"]["question"]["id"]) == (seen + 4, c.pk)
    finally:
        await viewer.disconnect()


async def test_moderator_can_resume_after_seq_with_staff_events(dialogue, moderator):
    staff, snapshot = await ws_open(dialogue.slug, user=moderator)
    seen = snapshot["seq"]
    await staff.disconnect()
    question = await database_sync_to_async(submit)(dialogue)
    staff, first = await ws_open(dialogue.slug, user=moderator, query=f"after={seen}")
    try:
        assert first["type"] == "resumed" and first["role"] == "staff"
        frame = await event_next(staff)
        assert (frame["seq"], frame["event"]) == (seen + 1, events.QUESTION_SUBMITTED)
        assert frame["data"]["question"]["id"] == question.pk
    finally:
        await staff.disconnect()


# 999: in the future; 1: four events behind with a replay limit of 3; -1 and abc: nonsense.
@pytest.mark.parametrize("after", ["999", "1", "-1", "abc"])
async def test_public_gets_a_fresh_snapshot_when_resume_is_impossible(
    dialogue, moderator, settings, after
):
    settings.CONSULT = {**settings.CONSULT, "REPLAY_LIMIT": 3}

    def five_published() -> None:
        for _ in range(5):
            publish(dialogue, moderator)

    await database_sync_to_async(five_published)()
    viewer, first = await ws_open(dialogue.slug, query=f"after={after}")
    try:
        assert first["type"] == "snapshot"
        assert first["seq"] == 5
        assert len(first["questions"]) == 5
    finally:
        await viewer.disconnect()


async def test_resume_from_the_other_audience_gets_a_fresh_snapshot(dialogue, moderator):
    await database_sync_to_async(publish)(dialogue, moderator)
    staff, first = await ws_open(dialogue.slug, user=moderator, query="after=1&audience=public")
    try:
        assert first["type"] == "snapshot" and first["role"] == "staff"
    finally:
        await staff.disconnect()


# --- concurrency -------------------------------------------------------------------------------


async def test_moderator_cannot_approve_a_question_another_moderator_just_approved(
    dialogue, moderator, moderator2
):
    question = await database_sync_to_async(submit)(dialogue)
    first, _ = await ws_open(dialogue.slug, user=moderator)
    second, _ = await ws_open(dialogue.slug, user=moderator2)
    try:
        frame = {"type": "approve", "question_id": question.pk, "version": 1}
        await first.send_json_to({**frame, "request_id": "a"})
        await second.send_json_to({**frame, "request_id": "b"})
        replies = {}
        for communicator in (first, second):
            while True:
                reply = await communicator.receive_json_from(timeout=5)
                if reply["type"] in ("ack", "error"):
                    replies[reply["request_id"]] = reply
                    break
        kinds = sorted(r["type"] for r in replies.values())
        assert kinds == ["ack", "error"]
        error = next(r for r in replies.values() if r["type"] == "error")
        assert error["code"] == "conflict"
        assert error["current"]["id"] == question.pk
        assert error["current"]["status"] == "published"
        assert error["current"]["version"] == 2
        assert error["message"]
    finally:
        await first.disconnect()
        await second.disconnect()


# --- bad input ---------------------------------------------------------------------------------

BAD_FRAMES = [
    ('{"type": "shout", "request_id": "x1"}', "unknown_action", "x1"),
    ('{"type": "websocket.disconnect", "request_id": "x2", "code": 1000}', "unknown_action", "x2"),
    (
        '{"type": "dialogue.doorbell", "request_id": "x3", "seq": 99, "public_seq": 99,'
        ' "public": "{\\"type\\":\\"event\\"}"}',
        "unknown_action",
        "x3",
    ),
    ('{"type": "websocket_receive"}', "unknown_action", ""),
    ('{"type": "approve", "request_id": "x4"}', "forbidden", "x4"),
    ('{"type": "upvote", "request_id": "x5"}', "invalid", "x5"),
    ('{"type": "ping", "request_id": 7}', "bad_frame", ""),
    ('{"type": "ping", "request_id": "' + "x" * 65 + '"}', "bad_frame", ""),
    ("{not json", "bad_json", ""),
    ("[1, 2, 3]", "bad_frame", ""),
    ('"ping"', "bad_frame", ""),
    ("[" * 10_000, "bad_json", ""),  # nesting deep enough to exhaust the parser's recursion
    (
        '{"type": "ping", "request_id": "big", "pad": "' + "x" * MAX_FRAME_CHARS + '"}',
        "too_large",
        "",
    ),
]


async def test_bad_frames_get_clear_errors_and_the_socket_stays_usable(dialogue):
    viewer, _ = await ws_open(dialogue.slug)
    try:
        for text, code, request_id in BAD_FRAMES:
            reply = await action(viewer, text)
            assert reply["type"] == "error", text[:60]
            assert reply["code"] == code, text[:60]
            assert reply["request_id"] == request_id
            assert reply["message"]
        await viewer.send_to(bytes_data=b"\x00\x01")
        reply = await viewer.receive_json_from(timeout=5)
        assert (reply["type"], reply["code"]) == ("error", "bad_frame")
        pong = await action(viewer, {"type": "ping", "request_id": "still-here"})
        assert pong == {"type": "ack", "request_id": "still-here", "seq": 0}
    finally:
        await viewer.disconnect()


async def test_wrong_or_missing_fields_are_invalid_with_the_field_named(dialogue, moderator):
    question = await database_sync_to_async(submit)(dialogue)
    staff, _ = await ws_open(dialogue.slug, user=moderator)
    try:
        cases = [
            ({"type": "approve", "question_id": str(question.pk)}, "question_id"),
            ({"type": "approve", "question_id": True}, "question_id"),
            ({"type": "approve", "question_id": 2**70}, "question_id"),
            ({"type": "approve", "question_id": -1}, "question_id"),
            ({"type": "approve"}, "question_id"),
            ({"type": "approve", "question_id": question.pk, "version": "1"}, "version"),
            ({"type": "reject", "question_id": question.pk}, "reason_id"),
            ({"type": "edit", "question_id": question.pk, "body": ["x"]}, "body"),
            ({"type": "reorder", "ordered_ids": [1, "2"]}, "ordered_ids"),
            ({"type": "reorder", "ordered_ids": "1,2"}, "ordered_ids"),
        ]
        for payload, field in cases:
            reply = await action(staff, {**payload, "request_id": field})
            assert reply["type"] == "error", payload
            assert reply["code"] == "invalid", payload
            assert field in reply["fields"], payload
        # Nothing happened to the question.
        fresh = await database_sync_to_async(Question.objects.get)(pk=question.pk)
        assert (fresh.status, fresh.version) == (Question.Status.PENDING, 1)
        # A valid rejection still works afterwards, with a reason from the legal list.
        reason = await database_sync_to_async(RejectionReason.objects.create)(
            code="ngoai-pham-vi",
            title="Nội dung không thuộc phạm vi cuộc đối thoại",
            explanation="Câu hỏi không liên quan đến chủ đề của cuộc đối thoại.",
        )
        reply = await action(
            staff,
            {
                "type": "reject",
                "request_id": "ok",
                "question_id": question.pk,
                "reason_id": reason.pk,
            },
        )
        assert reply["type"] == "ack" and reply["question"]["status"] == "rejected"
    finally:
        await staff.disconnect()


async def test_moderator_cannot_act_on_a_question_of_another_dialogue(dialogue, chair, moderator):
    other = await database_sync_to_async(make_dialogue)(chair)
    foreign = await database_sync_to_async(submit)(other)
    staff, _ = await ws_open(dialogue.slug, user=moderator)
    try:
        reply = await action(staff, {"type": "approve", "question_id": foreign.pk})
        assert (reply["type"], reply["code"]) == ("error", "not_found")
        fresh = await database_sync_to_async(Question.objects.get)(pk=foreign.pk)
        assert fresh.status == Question.Status.PENDING
    finally:
        await staff.disconnect()


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "approve", "question_id": 0},
        {"type": "set_status", "status": "ended"},
        {"type": "off_air"},
        {"type": "answer", "question_id": 0, "body": "Trả lời giả mạo"},
    ],
)
async def test_public_cannot_use_staff_actions(dialogue, payload):
    question = await database_sync_to_async(submit)(dialogue)
    if "question_id" in payload:
        payload = {**payload, "question_id": question.pk}
    viewer, _ = await ws_open(dialogue.slug)
    try:
        reply = await action(viewer, {**payload, "request_id": "p"})
        assert (reply["type"], reply["code"], reply["request_id"]) == ("error", "forbidden", "p")
        fresh = await database_sync_to_async(Question.objects.get)(pk=question.pk)
        assert fresh.status == Question.Status.PENDING
        status = await database_sync_to_async(lambda: Dialogue.objects.get(pk=dialogue.pk).status)()
        assert status == Dialogue.Status.LIVE
    finally:
        await viewer.disconnect()


async def test_leader_cannot_approve_questions(dialogue, leader_user):
    question = await database_sync_to_async(submit)(dialogue)
    staff, _ = await ws_open(dialogue.slug, user=leader_user)
    try:
        reply = await action(staff, {"type": "approve", "question_id": question.pk})
        assert (reply["type"], reply["code"]) == ("error", "forbidden")
    finally:
        await staff.disconnect()


async def test_a_flood_of_actions_is_throttled(dialogue):
    viewer, _ = await ws_open(dialogue.slug)
    try:
        for i in range(40):
            await viewer.send_json_to({"type": "ping", "request_id": str(i)})
        replies = [await viewer.receive_json_from(timeout=5) for _ in range(40)]
        codes = [r.get("code") for r in replies if r["type"] == "error"]
        assert codes and set(codes) == {"too_many_requests"}
        assert all(r["retry_after"] >= 1 for r in replies if r["type"] == "error")
        assert sum(r["type"] == "ack" for r in replies) >= 20
    finally:
        await viewer.disconnect()


# --- who may open a socket ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"https://testserver.evil.example", b"null", b"file://", None],
)
async def test_public_cannot_connect_from_a_foreign_or_missing_origin(dialogue, origin):
    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(
        application, f"/ws/dialogues/{dialogue.slug}/", headers=headers
    )
    connected, _code = await communicator.connect(timeout=5)
    assert not connected
    await communicator.disconnect()


async def test_public_can_connect_from_the_same_origin_as_the_host(dialogue):
    communicator = WebsocketCommunicator(
        application,
        f"/ws/dialogues/{dialogue.slug}/",
        headers=[(b"origin", b"http://localhost:8000"), (b"host", b"localhost:8000")],
    )
    connected, _code = await communicator.connect(timeout=5)
    try:
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    finally:
        await communicator.disconnect()


async def test_public_cannot_connect_to_a_draft_dialogue(chair, moderator):
    draft = await database_sync_to_async(make_dialogue)(chair, status=Dialogue.Status.DRAFT)
    communicator = WebsocketCommunicator(
        application, f"/ws/dialogues/{draft.slug}/", headers=[(b"origin", ORIGIN)]
    )
    connected, code = await communicator.connect(timeout=5)
    assert not connected
    assert code == CLOSE_NOT_FOUND
    await communicator.disconnect()
    # Staff prepare it before it is announced.
    staff, snapshot = await ws_open(draft.slug, user=moderator)
    try:
        assert snapshot["dialogue"]["status"] == "draft"
    finally:
        await staff.disconnect()


async def test_public_cannot_connect_to_an_unknown_dialogue(db):
    communicator = WebsocketCommunicator(
        application, "/ws/dialogues/khong-ton-tai/", headers=[(b"origin", ORIGIN)]
    )
    connected, code = await communicator.connect(timeout=5)
    assert (connected, code) == (False, CLOSE_NOT_FOUND)
    await communicator.disconnect()
