"""Roles and named permission rules.

Each app declares its permission names as constants in its own `rules.py` and registers one
predicate per name here; services call `require()`. A permission string is never retyped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from consult.errors import NotAllowed, NotAuthenticated
from consult.signals import permission_denied

Predicate = Callable[[Any, Any], bool]

MODERATOR = "moderator"
LEADER = "leader"
AGENCY_STAFF = "agency_staff"
ADMINISTRATOR = "administrator"
STAFF_ROLES = (MODERATOR, LEADER, AGENCY_STAFF, ADMINISTRATOR)

_RULES: dict[str, Predicate] = {}


def role_of(user: Any) -> str | None:
    """The staff role of an active account, or None for anonymous visitors and disabled accounts."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ADMINISTRATOR
    return user.role or None


def is_staff_member(user: Any) -> bool:
    return role_of(user) is not None


def is_moderator(user: Any) -> bool:
    return role_of(user) in (MODERATOR, ADMINISTRATOR)


def is_leader(user: Any) -> bool:
    return role_of(user) == LEADER


def is_admin(user: Any) -> bool:
    return role_of(user) == ADMINISTRATOR


def is_agency_staff_of(user: Any, agency_id: int | None) -> bool:
    return role_of(user) == AGENCY_STAFF and agency_id is not None and user.agency_id == agency_id


def register(name: str, predicate: Predicate) -> str:
    """Register the predicate for a permission name; returns the name so it can be a constant."""
    if name in _RULES and _RULES[name] is not predicate:
        raise ValueError(f"permission {name!r} registered twice")
    _RULES[name] = predicate
    return name


def registered() -> dict[str, Predicate]:
    return dict(_RULES)


def has_perm(user: Any, name: str, obj: Any = None) -> bool:
    try:
        predicate = _RULES[name]
    except KeyError as exc:
        raise KeyError(f"unknown permission {name!r}") from exc
    return bool(predicate(user, obj))


def require(user: Any, name: str, obj: Any = None) -> None:
    """Raise NotAuthenticated / NotAllowed unless `user` holds permission `name` on `obj`."""
    if has_perm(user, name, obj):
        return
    # Refusals are audited (moderation listens); send_robust so a receiver's fault never
    # turns a refusal into a server error.
    permission_denied.send_robust(sender=require, user=user, permission=name, obj=obj)
    if role_of(user) is None and not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(_("Vui lòng đăng nhập bằng tài khoản cán bộ."))
    raise NotAllowed(_("Tài khoản của bạn không có quyền thực hiện thao tác này."))


VIEW_STAFF_AREA = register("consult.view_staff_area", lambda user, obj: is_staff_member(user))
