"""Claims: "I am on this one". A moderator who opens an item claims it; the others see the
claim live and are asked to confirm before deciding on a claimed item.

A claim is a courtesy between colleagues, not a lock: it expires by itself after
CLAIM_SECONDS (a moderator who walks away never blocks an item), and a moderator who confirms
may still decide. What stops two moderators from deciding the same item twice is the item's
version (moderation.services.version_check), not the claim.

Claims leave no audit entry: they change every time a moderator moves through the list, and
the audit log records decisions. The decision taken over someone else's claim is audited by the
feature's decision service like any other.

Every change of a claim is announced (`claim.changed`, see moderation.realtime) after commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import rules as consult_rules
from consult.errors import Conflict, Invalid, NotAllowed
from moderation import realtime, registry
from moderation import rules as moderation_rules
from moderation.models import Claim

CLAIMED = "claimed"


def claim_seconds() -> int:
    """How long a claim lives without being refreshed (settings.CONSULT["CLAIM_SECONDS"])."""
    try:
        configured: Any = settings.CONSULT.get("CLAIM_SECONDS", 120)
        seconds = int(configured)
    except (TypeError, ValueError):
        seconds = 120
    return max(1, seconds)


def claim_to_dict(claim: Claim | None) -> dict[str, Any] | None:
    """The claim as the inbox shows it: whose, until when. Never more than a staff name."""
    if claim is None:
        return None
    return {
        "kind": claim.kind,
        "object_id": claim.object_id,
        "moderator": _moderator_dict(claim.moderator),
        "expires_at": claim.expires_at.isoformat(),
    }


def _moderator_dict(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": getattr(user, "display_name", "") or user.get_username()}


def _item_key(kind: Any, object_id: Any) -> tuple[str, int]:
    """Validate an item reference coming from a form or a socket frame."""
    known = {item_type.kind for item_type in registry.kinds()}
    if not isinstance(kind, str) or kind not in known:
        raise Invalid(_("Loại nội dung không hợp lệ."), fields={"kind": _("Không hợp lệ.")})
    number = 0
    # Only an integer or a string of ASCII digits: True, 1.5, "1e3" and 1e400 are not ids.
    if isinstance(object_id, int) and not isinstance(object_id, bool):
        number = object_id
    elif isinstance(object_id, str) and re.fullmatch(r"[0-9]{1,19}", object_id.strip()):
        number = int(object_id.strip())
    if not 0 < number <= 2**63 - 1:
        raise Invalid(_("Mã nội dung không hợp lệ."), fields={"object_id": _("Không hợp lệ.")})
    return kind, number


def _announce(claim: Claim | None, *, kind: str, object_id: int) -> None:
    data = claim_to_dict(claim)
    realtime.claim_changed(
        kind=kind,
        object_id=object_id,
        moderator=data["moderator"] if data else None,
        expires_at=data["expires_at"] if data else None,
    )


def claim_acquire(*, actor: Any, kind: str, object_id: int) -> Claim:
    """Claim an item for `actor` (a moderator or an administrator) for CLAIM_SECONDS.

    - nobody holds it, or the holder's claim has expired: `actor` takes it;
    - `actor` already holds it: the expiry is pushed back (acquiring again is harmless);
    - another moderator holds a live claim: their claim is returned unchanged, for the caller
      to show ("Đang được … xử lý").
    Emits `claim.changed` after commit whenever the claim changed (not in the last case).
    """
    consult_rules.require(actor, moderation_rules.MODERATE)
    kind, object_id = _item_key(kind, object_id)
    with transaction.atomic():
        now = timezone.now()
        expires_at = now + dt.timedelta(seconds=claim_seconds())
        claim = (
            Claim.objects.select_for_update()
            .select_related("moderator")
            .filter(kind=kind, object_id=object_id)
            .first()
        )
        if claim is None:
            try:
                # A savepoint: two moderators claiming a free item at the same instant both
                # try to insert; the loser reads the winner's row below.
                with transaction.atomic():
                    claim = Claim.objects.create(
                        kind=kind,
                        object_id=object_id,
                        moderator=actor,
                        expires_at=expires_at,
                        created_at=now,
                    )
            except IntegrityError:
                claim = (
                    Claim.objects.select_for_update()
                    .select_related("moderator")
                    .get(kind=kind, object_id=object_id)
                )
            else:
                _announce(claim, kind=kind, object_id=object_id)
                return claim
        if claim.moderator_id != actor.pk and claim.is_live(now):
            return claim
        if claim.moderator_id != actor.pk:
            # The other moderator's claim ran out: a takeover starts a new claim.
            claim.moderator = actor
            claim.created_at = now
        claim.expires_at = expires_at
        claim.save(update_fields=["moderator", "created_at", "expires_at"])
        _announce(claim, kind=kind, object_id=object_id)
        return claim


def claim_release(*, actor: Any, kind: str, object_id: int) -> bool:
    """Give an item back: the claim disappears for everyone at once instead of expiring.

    A moderator releases only their own claim; an administrator may release anyone's (a
    colleague went home with items claimed). Releasing a free item does nothing. Returns True
    when a live claim was removed. Emits `claim.changed` with `moderator: null` after commit.
    """
    consult_rules.require(actor, moderation_rules.MODERATE)
    kind, object_id = _item_key(kind, object_id)
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update()
            .select_related("moderator")
            .filter(kind=kind, object_id=object_id)
            .first()
        )
        if claim is None:
            return False
        live = claim.is_live()
        if live and claim.moderator_id != actor.pk and not consult_rules.is_admin(actor):
            raise NotAllowed(
                _("Nội dung này đang được %(name)s xử lý; chỉ người đó mới trả lại được.")
                % {"name": _moderator_dict(claim.moderator)["name"]}
            )
        claim.delete()
        _announce(None, kind=kind, object_id=object_id)
        return live


def claims_clear(*, kind: str, object_id: int) -> None:
    """Remove any claim on an item that has just been decided (inside the deciding
    transaction). Called by moderation's index, whoever decided and from whichever screen.
    Emits `claim.changed` with `moderator: null` after commit when a claim existed."""
    if Claim.objects.filter(kind=kind, object_id=int(object_id)).delete()[0]:
        _announce(None, kind=kind, object_id=int(object_id))


def claim_get(*, kind: str, object_id: int) -> Claim | None:
    """The live claim on an item, or None."""
    kind, object_id = _item_key(kind, object_id)
    return (
        Claim.objects.select_related("moderator")
        .filter(kind=kind, object_id=object_id, expires_at__gt=timezone.now())
        .first()
    )


def claim_check(*, actor: Any, kind: str, object_id: int, confirmed: bool) -> None:
    """Guard for every decision on an item: raise Conflict(code="claimed"), naming the
    moderator, when someone else holds a live claim on it and `actor` has not confirmed that
    they decide anyway. The decision views ask, then send `confirm_claimed=1`."""
    claim = claim_get(kind=kind, object_id=object_id)
    if claim is None or claim.moderator_id == getattr(actor, "pk", None) or confirmed:
        return
    name = _moderator_dict(claim.moderator)["name"]
    raise Conflict(
        _(
            "Nội dung này đang được %(name)s xử lý. "
            "Nếu vẫn muốn quyết định thay, hãy xác nhận rồi gửi lại."
        )
        % {"name": name},
        code=CLAIMED,
        data={"claim": claim_to_dict(claim)},
    )


def claims_for(items: Iterable[Any]) -> dict[tuple[str, int], Claim]:
    """The live claims on a page of items, keyed by (kind, object_id), in one query.

    `items` holds objects with `kind` and `object_id` (moderation.models.Item rows) or
    (kind, object_id) pairs.
    """
    ids_by_kind: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if isinstance(item, tuple):
            kind, object_id = item[0], item[1]
        else:
            kind, object_id = item.kind, item.object_id
        ids_by_kind[str(kind)].add(int(object_id))
    if not ids_by_kind:
        return {}
    where = Q()
    for kind, ids in ids_by_kind.items():
        where |= Q(kind=kind, object_id__in=sorted(ids))
    claims = Claim.objects.select_related("moderator").filter(where, expires_at__gt=timezone.now())
    return {(claim.kind, claim.object_id): claim for claim in claims}


def claims_live() -> list[Claim]:
    """Every live claim, for an inbox socket that just connected."""
    return list(
        Claim.objects.select_related("moderator")
        .filter(expires_at__gt=timezone.now())
        .order_by("kind", "object_id")
    )
