"""Signals the core sends; features and moderation listen without the core knowing them.

`permission_denied` is sent by `consult.rules.require` just before it refuses, with
`user` (the account, or an anonymous user), `permission` (the permission name) and `obj` (the
object checked, or None). Moderation's receiver writes the refusal to the audit log.
A receiver must never raise: the caller is about to get its own NotAllowed/NotAuthenticated.
"""

from __future__ import annotations

from django.dispatch import Signal

permission_denied = Signal()
