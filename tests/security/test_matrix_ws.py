"""Role × action matrix over every WebSocket action, cell by cell, over the real ASGI stack
(Origin check, session authentication, routing).

The dialogue socket: every action of livechat/protocol.py ACTIONS, sent with valid fields, by
each kind of visitor. Y = the action passed the permission check (an ack, or an error about
the content or the state: invalid, conflict, not found for an id that is not there); N = an
error frame refusing it (forbidden / not allowed / not authenticated). An action without a
row fails `test_every_dialogue_action_has_a_row`.

The moderators' inbox socket: who gets in (others are closed with CLOSE_FORBIDDEN) and, once
in, every frame type. Both sockets refuse a foreign or missing Origin.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from asgi import application
from consult.models import Agency, Leader
from livechat.protocol import ACTIONS
from moderation.consumers import CLOSE_FORBIDDEN
from moderation.models import RejectionReason
from tests.conftest import make_dialogue, make_user

# clean_layer: every test leaves no hub, no channel-layer message, no worker connection behind.
from tests.livechat.test_consumers import clean_layer, session_cookie
from tests.livechat.test_services import publish, submit, unique_email, unique_ip

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"
ROLES = (
    "anonymous",
    "citizen",
    "moderator",
    "leader",
    "agency_staff_own",
    "agency_staff_other",
    "administrator",
)
Y, N = True, False
ALL = (Y, Y, Y, Y, Y, Y, Y)
MODERATORS = (N, N, Y, N, N, N, Y)
ANSWERING = (N, N, Y, Y, N, N, Y)  # moderators, leaders (for themselves), administrators

# Columns in the order of ROLES:
#   anon  citizen  moderator  leader  staff-own-agency  staff-other-agency  administrator
DIALOGUE_MATRIX: dict[str, tuple[bool, ...]] = {
    "ping": ALL,
    "upvote": ALL,
    "approve": MODERATORS,
    "reject": MODERATORS,
    "edit": MODERATORS,
    "merge": MODERATORS,
    "tag": MODERATORS,
    "forward": MODERATORS,
    "reorder": MODERATORS,
    "on_air": MODERATORS,
    "off_air": MODERATORS,
    "mark_answered_live": MODERATORS,
    "mark_written": MODERATORS,
    "answer": ANSWERING,
    "set_status": MODERATORS,
}

# Who may open the moderators' inbox socket; once in, claim / release / ping are theirs.
INBOX_OPENS = MODERATORS
INBOX_FRAMES = ("claim", "release", "ping")

REFUSED_CODES = {"forbidden", "not_allowed", "not_authenticated", "permission_denied"}


assert clean_layer  # an autouse fixture, used by being imported here


def test_every_dialogue_action_has_a_row():
    assert set(ACTIONS) == set(DIALOGUE_MATRIX), "add a row for each new WebSocket action"


def _dataset() -> dict[str, Any]:
    agency = Agency.objects.create(code="ubnd", name="Ủy ban nhân dân tỉnh Bình An")
    other = Agency.objects.create(code="sxd", name="Sở Xây dựng tỉnh Bình An")
    chair = Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch", agency=agency)
    moderator = make_user("moderator")
    dialogue = make_dialogue(chair)
    return {
        "dialogue": dialogue,
        "chair": chair,
        "published": publish(dialogue, moderator, email=unique_email(), client_ip=unique_ip()),
        "pending": submit(dialogue, email=unique_email(), client_ip=unique_ip()),
        "duplicate": submit(dialogue, email=unique_email(), client_ip=unique_ip()),
        # The seeded reasons are gone in a transactional test: one of our own.
        "reason": RejectionReason.objects.create(
            code="ngoai-pham-vi",
            title="Nội dung không thuộc phạm vi cuộc đối thoại",
            explanation="Câu hỏi không liên quan đến chủ đề của cuộc đối thoại.",
        ),
        "users": {
            "anonymous": None,
            "citizen": None,
            "moderator": moderator,
            "leader": make_user("leader", leader=chair),
            "agency_staff_own": make_user("agency_staff", agency=agency),
            "agency_staff_other": make_user("agency_staff", agency=other),
            "administrator": make_user("", is_superuser=True, is_staff=True),
        },
    }


def _frame(name: str, ds: dict[str, Any]) -> dict[str, Any]:
    """Valid fields for each action, so a refusal can only come from the permission check."""
    pending, published = ds["pending"].pk, ds["published"].pk
    fields: dict[str, dict[str, Any]] = {
        "ping": {},
        "upvote": {"question_id": published},
        "approve": {"question_id": pending},
        "reject": {"question_id": pending, "reason_id": ds["reason"].pk},
        "edit": {"question_id": pending, "body": "Khi nào có kết quả bồi thường đất?"},
        "merge": {"question_id": pending, "source_ids": [ds["duplicate"].pk]},
        "tag": {"question_id": pending, "topic": "Đất đai"},
        "forward": {"question_id": pending, "leader_id": ds["chair"].pk},
        "reorder": {"ordered_ids": [published]},
        "on_air": {"question_id": published},
        "off_air": {},
        "mark_answered_live": {"question_id": published},
        "mark_written": {"question_id": published},
        "answer": {"question_id": published, "body": "Trả lời: trong tháng này."},
        "set_status": {"status": "live"},
    }
    return {"type": name, "request_id": f"r-{name}", **fields[name]}


async def _open(path: str, *, session: str | None, voter: str | None, origin: Any = ORIGIN):
    headers = [] if origin is None else [(b"origin", origin)]
    cookies = [f"sessionid={session}"] if session else []
    if voter:
        cookies.append(f"consult_voter={voter}")
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _reply(communicator: WebsocketCommunicator, frame: dict[str, Any]) -> dict[str, Any]:
    await communicator.send_json_to(frame)
    for _ in range(50):
        got = await communicator.receive_json_from(timeout=5)
        if got["type"] in ("ack", "error") and got.get("request_id") == frame["request_id"]:
            return got
    raise AssertionError(f"no reply to {frame['type']}")


@pytest.mark.parametrize("role", ROLES)
async def test_role_may_take_exactly_the_dialogue_actions_of_the_matrix(role: str) -> None:
    ds = await database_sync_to_async(_dataset)()
    user = ds["users"][role]
    session = await database_sync_to_async(session_cookie)(user) if user else None
    voter = "trinh-duyet-cua-cong-dan-0001" if role == "citizen" else None
    communicator, connected, _code = await _open(
        f"/ws/dialogues/{ds['dialogue'].slug}/", session=session, voter=voter
    )
    assert connected
    await communicator.receive_json_from(timeout=5)  # the snapshot
    column = ROLES.index(role)
    wrong = []
    try:
        # set_status last: it could end the dialogue for the actions after it.
        for name in sorted(DIALOGUE_MATRIX, key=lambda n: (n == "set_status", n)):
            reply = await _reply(communicator, _frame(name, ds))
            refused = reply["type"] == "error" and reply.get("code") in REFUSED_CODES
            if DIALOGUE_MATRIX[name][column] == refused:
                wrong.append(f"{name}: {reply}")
    finally:
        await communicator.disconnect()
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
async def test_only_moderators_open_the_inbox_socket_and_use_its_frames(role: str) -> None:
    ds = await database_sync_to_async(_dataset)()
    user = ds["users"][role]
    session = await database_sync_to_async(session_cookie)(user) if user else None
    communicator, connected, _code = await _open("/ws/moderation/", session=session, voter=None)
    try:
        if not INBOX_OPENS[ROLES.index(role)]:
            # Accepted, then closed at once with the "forbidden" code, before any hello.
            output = await communicator.receive_output(timeout=5)
            assert output == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
            return
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        assert hello["type"] == "hello"
        for name in INBOX_FRAMES:
            frame = {"type": name, "request_id": f"r-{name}"}
            if name != "ping":
                frame.update({"kind": "question", "object_id": ds["pending"].pk})
            reply = await _reply(communicator, frame)
            assert reply["type"] == "ack", reply
    finally:
        await communicator.disconnect()


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null", None])
async def test_nobody_opens_a_socket_from_a_foreign_or_missing_origin(origin: Any) -> None:
    ds = await database_sync_to_async(_dataset)()
    session = await database_sync_to_async(session_cookie)(ds["users"]["moderator"])
    for path in (f"/ws/dialogues/{ds['dialogue'].slug}/", "/ws/moderation/"):
        communicator, connected, _code = await _open(
            path, session=session, voter=None, origin=origin
        )
        assert not connected, path
        await communicator.disconnect()
