"""Incoming WebSocket frames: the allowed actions and the validation of their fields.

A client's `type` is looked up here and nowhere else; it never reaches the channel layer or a
consumer handler name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from consult.errors import DomainError, Invalid, NotAllowed

MAX_FRAME_CHARS = 16_384
# Ids and versions are positive and fit in a JavaScript number and a PostgreSQL bigint.
MAX_INT = 2**53 - 1

# WebSocket close codes the server uses (4000-4999 are for applications).
CLOSE_NOT_FOUND = 4404  # no such dialogue, or not public yet: do not retry
CLOSE_RESYNC = 4409  # the server lost track of this socket's stream: reconnect with ?after=
CLOSE_TOO_SLOW = 4408  # the client did not read its frames fast enough: reconnect with ?after=
CLOSE_SERVER_ERROR = 1011  # the server failed to open the stream: retry later

INT = "int"
STR = "str"
INT_LIST = "int_list"
OPT_INT = "opt_int"


@dataclass(frozen=True)
class Action:
    name: str
    staff_only: bool
    fields: dict[str, str]
    optional: frozenset[str] = frozenset()


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("ping", False, {}),
        Action("upvote", False, {"question_id": INT}),
        Action("approve", True, {"question_id": INT, "version": OPT_INT}, frozenset({"version"})),
        Action(
            "reject",
            True,
            {"question_id": INT, "reason_id": INT, "note": STR, "version": OPT_INT},
            frozenset({"note", "version"}),
        ),
        Action(
            "edit",
            True,
            {"question_id": INT, "body": STR, "version": OPT_INT},
            frozenset({"version"}),
        ),
        Action(
            "merge",
            True,
            {"question_id": INT, "source_ids": INT_LIST, "version": OPT_INT},
            frozenset({"version"}),
        ),
        Action(
            "tag",
            True,
            {"question_id": INT, "topic": STR, "version": OPT_INT},
            frozenset({"version"}),
        ),
        Action(
            "forward",
            True,
            {"question_id": INT, "leader_id": OPT_INT, "version": OPT_INT},
            frozenset({"version", "leader_id"}),
        ),
        Action("reorder", True, {"ordered_ids": INT_LIST}),
        Action("on_air", True, {"question_id": INT, "version": OPT_INT}, frozenset({"version"})),
        Action("off_air", True, {}),
        Action(
            "mark_answered_live",
            True,
            {"question_id": INT, "version": OPT_INT},
            frozenset({"version"}),
        ),
        Action(
            "mark_written", True, {"question_id": INT, "version": OPT_INT}, frozenset({"version"})
        ),
        Action(
            "answer",
            True,
            {"question_id": INT, "body": STR, "leader_id": OPT_INT},
            frozenset({"leader_id"}),
        ),
        Action("set_status", True, {"status": STR}),
    ]
}


@dataclass(frozen=True)
class ClientFrame:
    action: Action
    request_id: str
    args: dict[str, Any]


def _field(name: str, kind: str, value: Any) -> Any:
    if kind in (INT, OPT_INT):
        if value is None and kind == OPT_INT:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise Invalid(
                _("Trường “%(name)s” phải là số nguyên.") % {"name": name},
                fields={name: _("Phải là số nguyên.")},
            )
        return value
    if kind == STR:
        if not isinstance(value, str):
            raise Invalid(
                _("Trường “%(name)s” phải là chuỗi ký tự.") % {"name": name},
                fields={name: _("Phải là chuỗi ký tự.")},
            )
        return value
    if kind == INT_LIST:
        if (
            not isinstance(value, list)
            or len(value) > 1000
            or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INT for v in value
            )
        ):
            raise Invalid(
                _("Trường “%(name)s” phải là danh sách số nguyên.") % {"name": name},
                fields={name: _("Không hợp lệ.")},
            )
        return value
    raise AssertionError(kind)


def frame_parse(text: str | None, *, staff: bool) -> ClientFrame:
    """Parse and validate one client frame from a socket of staff (or of the public); raise
    Invalid (or NotAllowed for a staff action on a public socket) with a clear message."""
    if text is None:
        raise Invalid(_("Chỉ nhận khung văn bản JSON."), code="bad_frame")
    if len(text) > MAX_FRAME_CHARS:
        raise Invalid(
            _("Khung dữ liệu quá lớn (tối đa %(max)s ký tự).") % {"max": MAX_FRAME_CHARS},
            code="too_large",
        )
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Invalid(_("Khung dữ liệu không phải JSON hợp lệ."), code="bad_json") from exc
    if not isinstance(payload, dict):
        raise Invalid(_("Khung dữ liệu phải là một đối tượng JSON."), code="bad_frame")
    request_id = payload.get("request_id", "")
    if not isinstance(request_id, str) or len(request_id) > 64:
        raise Invalid(_("request_id không hợp lệ."), code="bad_frame")
    try:
        kind = payload.get("type")
        action = ACTIONS.get(kind) if isinstance(kind, str) else None
        if action is None:
            raise Invalid(_("Thao tác không được hỗ trợ."), code="unknown_action")
        if action.staff_only and not staff:
            raise NotAllowed(_("Thao tác này chỉ dành cho cán bộ đã đăng nhập."))
        args: dict[str, Any] = {}
        for name, kind in action.fields.items():
            if name not in payload:
                if name in action.optional:
                    args[name] = None
                    continue
                raise Invalid(
                    _("Thiếu trường “%(name)s”.") % {"name": name}, fields={name: _("Bắt buộc.")}
                )
            args[name] = _field(name, kind, payload[name])
    except DomainError as exc:
        # The client's request_id is known by now: the error frame answers that request.
        exc.request_id = request_id  # read by the consumer
        raise
    return ClientFrame(action=action, request_id=request_id, args=args)
