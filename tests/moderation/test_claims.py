"""Claims as services: who holds an item, expiry and takeover, release, the confirmation
guard before a decision, and the claim.changed broadcast after commit (never for a rollback).

The two-moderator flow over real WebSockets is in test_inbox_socket.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from consult.errors import Conflict, Invalid, NotAllowed, NotAuthenticated
from moderation import claims, realtime
from moderation.models import Claim
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


class Clock:
    """timezone.now, moved by hand: claims expire without the test sleeping."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What moderation.realtime actually sends to the channel layer (after commit)."""
    frames: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(realtime, "_send", lambda event, data: frames.append((event, data)))
    return frames


def acquire(user: Any, object_id: int = 7, kind: str = "question") -> Claim:
    return claims.claim_acquire(actor=user, kind=kind, object_id=object_id)


# --- acquiring -----------------------------------------------------------------------------


def test_moderator_can_claim_a_free_item_for_claim_seconds(moderator, clock):
    claim = acquire(moderator)
    assert claim.moderator == moderator
    assert claim.expires_at == clock.now + dt.timedelta(seconds=120)
    assert claims.claim_get(kind="question", object_id=7) == claim


def test_claim_lasts_the_configured_seconds(moderator, clock, settings):
    settings.CONSULT = {**settings.CONSULT, "CLAIM_SECONDS": 30}
    assert acquire(moderator).expires_at == clock.now + dt.timedelta(seconds=30)


def test_moderator_claiming_again_refreshes_own_claim(moderator, clock):
    first = acquire(moderator)
    clock.advance(100)
    again = acquire(moderator)
    assert again.pk == first.pk
    assert again.created_at == first.created_at  # still the same claim, taken at the start
    assert again.expires_at == clock.now + dt.timedelta(seconds=120)
    assert Claim.objects.count() == 1


def test_moderator_cannot_take_a_live_claim_and_gets_the_holders_claim(
    moderator, moderator2, clock
):
    mine = acquire(moderator)
    clock.advance(60)
    theirs = acquire(moderator2)
    assert theirs.pk == mine.pk
    assert theirs.moderator == moderator
    assert theirs.expires_at == mine.expires_at  # unchanged: no one extends another's claim
    assert Claim.objects.get().moderator == moderator


def test_moderator_can_take_over_an_expired_claim(moderator, moderator2, clock):
    acquire(moderator)
    clock.advance(121)
    claim = acquire(moderator2)
    assert claim.moderator == moderator2
    assert claim.created_at == clock.now
    assert claim.expires_at == clock.now + dt.timedelta(seconds=120)
    assert Claim.objects.count() == 1


def test_claim_is_still_held_one_second_before_it_expires(moderator, moderator2, clock):
    acquire(moderator)
    clock.advance(119)
    assert acquire(moderator2).moderator == moderator


def test_claims_on_different_items_and_kinds_are_independent(moderator, moderator2):
    acquire(moderator, 7, "question")
    assert acquire(moderator2, 7, "comment").moderator == moderator2
    assert acquire(moderator2, 8, "question").moderator == moderator2


def test_admin_can_claim(admin_user):
    assert acquire(admin_user).moderator == admin_user


@pytest.mark.parametrize("role", ["leader", "agency_staff", ""])
def test_non_moderator_cannot_claim(role):
    user = make_user(role)
    with pytest.raises(NotAllowed):
        acquire(user)
    assert not Claim.objects.exists()


def test_disabled_moderator_cannot_claim(moderator):
    moderator.is_active = False
    moderator.save()
    with pytest.raises((NotAllowed, NotAuthenticated)):
        acquire(moderator)


def test_anonymous_cannot_claim():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        acquire(AnonymousUser())


@pytest.mark.parametrize(
    ("kind", "object_id", "field"),
    [
        ("answer", 1, "kind"),  # not a moderated item type
        ("", 1, "kind"),
        (None, 1, "kind"),
        (["question"], 1, "kind"),
        ("question", 0, "object_id"),
        ("question", -4, "object_id"),
        ("question", "abc", "object_id"),
        ("question", "12abc", "object_id"),
        ("question", 1.5, "object_id"),
        ("question", True, "object_id"),
        ("question", None, "object_id"),
        ("question", 10**30, "object_id"),
        ("question", "1e3", "object_id"),
    ],
)
def test_moderator_cannot_claim_with_a_bad_item_reference(moderator, kind, object_id, field):
    with pytest.raises(Invalid) as caught:
        claims.claim_acquire(actor=moderator, kind=kind, object_id=object_id)
    assert field in caught.value.fields
    assert not Claim.objects.exists()


def test_object_id_as_digits_from_a_form_is_accepted(moderator):
    assert claims.claim_acquire(actor=moderator, kind="comment", object_id="42").object_id == 42


# --- releasing -----------------------------------------------------------------------------


def test_moderator_can_release_own_claim(moderator, moderator2):
    acquire(moderator)
    assert claims.claim_release(actor=moderator, kind="question", object_id=7) is True
    assert claims.claim_get(kind="question", object_id=7) is None
    assert acquire(moderator2).moderator == moderator2


def test_releasing_a_free_item_does_nothing(moderator):
    assert claims.claim_release(actor=moderator, kind="question", object_id=7) is False


def test_moderator_cannot_release_another_moderators_live_claim(moderator, moderator2):
    acquire(moderator)
    with pytest.raises(NotAllowed) as caught:
        claims.claim_release(actor=moderator2, kind="question", object_id=7)
    assert "Lê Biên Tập" in caught.value.message
    assert Claim.objects.get().moderator == moderator


def test_admin_can_release_any_claim(moderator, admin_user):
    acquire(moderator)
    assert claims.claim_release(actor=admin_user, kind="question", object_id=7) is True
    assert not Claim.objects.exists()


def test_expired_claim_of_another_moderator_is_cleared_on_release(moderator, moderator2, clock):
    acquire(moderator)
    clock.advance(200)
    assert claims.claim_release(actor=moderator2, kind="question", object_id=7) is False
    assert not Claim.objects.exists()


def test_leader_cannot_release(moderator, leader_user):
    acquire(moderator)
    with pytest.raises(NotAllowed):
        claims.claim_release(actor=leader_user, kind="question", object_id=7)


# --- the guard before a decision -----------------------------------------------------------


def test_moderator_cannot_decide_on_an_item_claimed_by_another_without_confirming(
    moderator, moderator2
):
    acquire(moderator)
    with pytest.raises(Conflict) as caught:
        claims.claim_check(actor=moderator2, kind="question", object_id=7, confirmed=False)
    assert caught.value.code == "claimed"
    assert caught.value.status == 409
    assert "Lê Biên Tập" in caught.value.message
    assert caught.value.data["claim"]["moderator"] == {"id": moderator.pk, "name": "Lê Biên Tập"}


def test_moderator_can_decide_on_an_item_claimed_by_another_when_confirmed(moderator, moderator2):
    acquire(moderator)
    claims.claim_check(actor=moderator2, kind="question", object_id=7, confirmed=True)


def test_moderator_can_decide_on_own_claimed_item_and_on_a_free_one(moderator):
    claims.claim_check(actor=moderator, kind="question", object_id=7, confirmed=False)
    acquire(moderator)
    claims.claim_check(actor=moderator, kind="question", object_id=7, confirmed=False)


def test_moderator_can_decide_without_confirming_when_the_claim_expired(
    moderator, moderator2, clock
):
    acquire(moderator)
    clock.advance(121)
    claims.claim_check(actor=moderator2, kind="question", object_id=7, confirmed=False)


# --- reading -------------------------------------------------------------------------------


def test_claims_for_returns_live_claims_of_a_page_in_one_query(
    moderator, moderator2, clock, django_assert_num_queries
):
    acquire(moderator, 1, "question")
    acquire(moderator2, 2, "comment")
    acquire(moderator2, 3, "question")
    clock.advance(100)
    acquire(moderator2, 3, "question")  # refreshed: still live below
    clock.advance(30)  # the first two are now expired

    class Row:
        def __init__(self, kind: str, object_id: int) -> None:
            self.kind, self.object_id = kind, object_id

    rows = [Row("question", 1), Row("comment", 2), Row("question", 3), Row("comment", 3)]
    with django_assert_num_queries(1):
        found = claims.claims_for(rows)
        names = {key: claim.moderator.display_name for key, claim in found.items()}
    assert names == {("question", 3): "Phạm Biên Tập"}
    assert claims.claims_for([]) == {}
    assert set(claims.claims_for([("question", 3)])) == {("question", 3)}


def test_claim_to_dict_names_the_moderator_and_nothing_more(moderator):
    data = claims.claim_to_dict(acquire(moderator))
    assert data == {
        "kind": "question",
        "object_id": 7,
        "moderator": {"id": moderator.pk, "name": "Lê Biên Tập"},
        "expires_at": data["expires_at"],
    }
    assert dt.datetime.fromisoformat(data["expires_at"]) > timezone.now()


# --- broadcasts ----------------------------------------------------------------------------


def test_every_claim_change_is_broadcast_after_commit(
    moderator, moderator2, clock, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = acquire(moderator)
    assert sent == [
        (
            "claim.changed",
            {
                "kind": "question",
                "object_id": 7,
                "moderator": {"id": moderator.pk, "name": "Lê Biên Tập"},
                "expires_at": claim.expires_at.isoformat(),
            },
        )
    ]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        acquire(moderator2)  # held by the first: nothing changes, nothing is sent
    assert sent == []
    clock.advance(10)
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = acquire(moderator)
    assert [data["expires_at"] for _event, data in sent] == [refreshed.expires_at.isoformat()]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_release(actor=moderator, kind="question", object_id=7)
    assert sent == [
        (
            "claim.changed",
            {"kind": "question", "object_id": 7, "moderator": None, "expires_at": None},
        )
    ]


def test_claim_rolled_back_is_never_broadcast(moderator, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                acquire(moderator)
                raise RuntimeError("the caller's transaction fails")
        except RuntimeError:
            pass
    assert callbacks == []
    assert sent == []
    assert not Claim.objects.exists()


def test_inbox_changed_waits_for_the_commit(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        realtime.inbox_changed(kind="comment", object_id=3)
        assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [("item.changed", {"kind": "comment", "object_id": 3})]


def test_broadcast_failure_does_not_break_the_claim(
    moderator, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    class BrokenLayer:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            raise ConnectionError("redis is down")

    monkeypatch.setattr(realtime, "get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        acquire(moderator)
    assert len(callbacks) == 1
    assert "claim.changed" in caplog.text and "failed" in caplog.text
    assert Claim.objects.get().moderator == moderator


def test_deciding_an_item_clears_every_claim_on_it(dialogue, moderator, moderator2):
    from livechat import services as livechat_services
    from tests.conftest import QUESTION_DEFAULTS

    question, _created = livechat_services.question_submit(
        dialogue_id=dialogue.pk, **QUESTION_DEFAULTS
    )
    acquire(moderator, object_id=question.pk)
    # The decision comes from the live console (no confirmation step there), not the inbox.
    livechat_services.question_approve(actor=moderator2, question_id=question.pk)
    assert claims.claim_get(kind="question", object_id=question.pk) is None
