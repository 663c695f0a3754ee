"""Refused permission checks go to the audit log.

`consult.rules.require` sends `consult.signals.permission_denied` just before it raises. The
entry (action "permission_denied", item_kind "permission") names the account — or "khách (chưa
đăng nhập)" for an anonymous visitor —, the permission and the object checked (its kind and id
only: never a citizen's text or contact details).

The refusal is an exception, so the caller's transaction, if there is one, usually rolls back;
an entry written inside it would vanish with it. Hence:

- outside any transaction of the caller (views, selectors, and services that check before
  opening theirs), the entry is written at once, in its own transaction;
- inside one (services that lock the row first, then check), it is held and written as soon
  as that transaction is over: right after its commit (`on_commit`), or — when it rolled back —
  at the end of the HTTP request (`request_finished`), or at the next refusal or request of the
  same thread, whichever comes first. The hold is per thread and never crosses to another.

Only `require()` refusals are recorded — not a login redirect of `@login_required`, not a
static file — so an anonymous crawler cannot flood the log more than the pages it asks for.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import DatabaseError, transaction

from moderation.audit import KIND_PERMISSION, PERMISSION_DENIED

logger = logging.getLogger(__name__)

ANONYMOUS_LABEL = "khách (chưa đăng nhập)"

_local = threading.local()


@dataclass
class _Denial:
    actor: Any
    actor_label: str
    permission: str
    object_label: str
    object_id: int | None
    role: str
    # The TestCase transaction this refusal happened under (None outside tests): a refusal held
    # by a test that has ended is dropped, never written into the next test.
    test_root: Any = field(default=None, repr=False)


def _pending() -> list[_Denial]:
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def _blocks(connection: Any) -> list[Any]:
    return list(getattr(connection, "atomic_blocks", []))


def _in_caller_transaction(connection: Any) -> bool:
    """True inside an atomic block the application opened. The blocks a Django TestCase opens
    around each test are not the caller's (Django's own `durable` check ignores them alike)."""
    return any(not getattr(block, "_from_testcase", False) for block in _blocks(connection))


def _test_root(connection: Any) -> Any:
    blocks = _blocks(connection)
    if blocks and getattr(blocks[0], "_from_testcase", False):
        return blocks[0]
    return None


def _object_label(obj: Any) -> tuple[str, int | None]:
    """The kind and id of the object checked; never its text (it may be a citizen's)."""
    if obj is None:
        return "", None
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return type(obj).__name__[:80], None
    pk = getattr(obj, "pk", None)
    name = str(meta.verbose_name)
    return (f"{name} #{pk}" if pk is not None else name), (pk if isinstance(pk, int) else None)


def _denial(user: Any, permission: str, obj: Any) -> _Denial:
    from consult import rules

    authenticated = bool(getattr(user, "is_authenticated", False)) and getattr(user, "pk", None)
    if authenticated:
        label = getattr(user, "display_name", "") or user.get_username()
        actor = user
    else:
        label, actor = ANONYMOUS_LABEL, None
    object_label, object_id = _object_label(obj)
    return _Denial(
        actor=actor,
        actor_label=str(label)[:150],
        permission=str(permission)[:200],
        object_label=object_label,
        object_id=object_id,
        role=rules.role_of(user) or ("" if authenticated else "anonymous"),
    )


def _write(denial: _Denial) -> None:
    from moderation.models import AuditEntry

    try:
        with transaction.atomic():
            AuditEntry.objects.create(
                actor=denial.actor,
                actor_label=denial.actor_label,
                action=PERMISSION_DENIED,
                item_kind=KIND_PERMISSION,
                item_id=denial.object_id,
                item_label=(denial.object_label or denial.permission)[:255],
                context_label=denial.permission[:255],
                after={
                    "permission": denial.permission,
                    "object": denial.object_label,
                    "role": denial.role,
                },
                # Stored data, not page text: the same words whatever the request's language.
                note=f"Bị từ chối: không có quyền “{denial.permission}”.",
            )
    except DatabaseError:
        # The refusal itself still reaches the caller; losing its record is logged loudly.
        logger.exception("could not record a refused permission check: %s", denial)


def denials_flush(**kwargs: Any) -> None:
    """Write the refusals held by this thread, once no transaction of the caller is open."""
    pending = _pending()
    if not pending:
        return
    connection = transaction.get_connection()
    if _in_caller_transaction(connection):
        return  # still inside: on_commit or the end of the request will come back
    held, pending[:] = list(pending), []
    root = _test_root(connection)
    for denial in held:
        if denial.test_root is not None and denial.test_root is not root:
            continue  # held by a test that has ended: it belongs to no one now
        _write(denial)


def permission_denied_record(
    sender: Any, *, user: Any, permission: str, obj: Any = None, **kwargs: Any
) -> None:
    """Receiver of consult.signals.permission_denied."""
    denial = _denial(user, permission, obj)
    connection = transaction.get_connection()
    if not _in_caller_transaction(connection):
        denials_flush()
        _write(denial)
        return
    denial.test_root = _test_root(connection)
    _pending().append(denial)
    # If the caller catches the refusal and commits after all, write right after that commit.
    transaction.on_commit(denials_flush)


def connect() -> None:
    """Called once from ModerationConfig.ready()."""
    from consult.signals import permission_denied

    permission_denied.connect(permission_denied_record, dispatch_uid="moderation.denials")
    request_started.connect(denials_flush, dispatch_uid="moderation.denials.started")
    request_finished.connect(denials_flush, dispatch_uid="moderation.denials.finished")
