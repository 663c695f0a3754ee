"""Incoming frames and the Origin rule, without a socket (the socket tests are in
test_consumers.py)."""

from __future__ import annotations

import pytest

from consult.errors import Invalid, NotAllowed
from consult.origin import OriginValidator
from livechat.protocol import ACTIONS, MAX_FRAME_CHARS, frame_parse


def test_every_action_but_ping_and_upvote_is_staff_only():
    assert {name for name, a in ACTIONS.items() if not a.staff_only} == {"ping", "upvote"}


def test_public_cannot_send_a_staff_action_even_with_valid_fields():
    with pytest.raises(NotAllowed) as caught:
        frame_parse('{"type": "approve", "request_id": "r", "question_id": 1}', staff=False)
    assert caught.value.request_id == "r"


def test_moderator_frame_is_parsed_with_optional_fields_defaulted():
    frame = frame_parse('{"type": "reject", "question_id": 5, "reason_id": 2}', staff=True)
    assert frame.action.name == "reject"
    assert frame.args == {"question_id": 5, "reason_id": 2, "note": None, "version": None}
    assert frame.request_id == ""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "bad_frame"),
        ("x" * (MAX_FRAME_CHARS + 1), "too_large"),
        ("{", "bad_json"),
        ("null", "bad_frame"),
        ('{"type": ["ping"]}', "unknown_action"),
        ('{"type": "dialogue.doorbell"}', "unknown_action"),
        ('{"type": "upvote", "question_id": 1.5}', "invalid"),
        ('{"type": "upvote", "question_id": 9007199254740992}', "invalid"),
    ],
)
def test_bad_frames_are_invalid_with_a_code(text, code):
    with pytest.raises(Invalid) as caught:
        frame_parse(text, staff=True)
    assert caught.value.code == code
    assert caught.value.message


@pytest.fixture
def validator():
    return OriginValidator(
        None,
        allowed_hosts=["consult.binhan.gov.vn", ".binhan.gov.vn"],
        extra_origins=["https://portal.example.vn"],
    )


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://consult.binhan.gov.vn", "consult.binhan.gov.vn", True),
        ("https://tin.binhan.gov.vn", "consult.binhan.gov.vn", True),  # ALLOWED_HOSTS pattern
        ("https://portal.example.vn", "consult.binhan.gov.vn", True),  # WS_ALLOWED_ORIGINS
        ("http://portal.example.vn", "consult.binhan.gov.vn", False),  # scheme matters there
        ("https://evil.example", "consult.binhan.gov.vn", False),
        ("https://evil.example", "evil.example", False),  # same origin, host not allowed
        ("https://binhan.gov.vn.evil.example", "consult.binhan.gov.vn", False),
        ("null", "consult.binhan.gov.vn", False),
        (None, "consult.binhan.gov.vn", False),
        ("", "consult.binhan.gov.vn", False),
        ("https://consult.binhan.gov.vn:99999", "consult.binhan.gov.vn", True),  # host pattern
        ("javascript://consult.binhan.gov.vn", "consult.binhan.gov.vn", False),
    ],
)
def test_origin_rule(validator, origin, host, allowed):
    assert validator.origin_allowed(origin, host) is allowed


def test_star_in_allowed_hosts_allows_only_the_same_origin():
    validator = OriginValidator(None, allowed_hosts=["*"], extra_origins=[])
    assert validator.origin_allowed("http://10.0.0.5:8000", "10.0.0.5:8000")
    assert not validator.origin_allowed("http://evil.example", "10.0.0.5:8000")
