"""Role × permission matrix: every registered permission, every kind of visitor, cell by cell.

A new permission without a row here fails `test_every_permission_has_a_row`, so nobody adds a
rule without deciding who holds it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from consult import rules
from consult.errors import NotAllowed, NotAuthenticated
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "moderator",
    "leader",
    "agency_staff_own",
    "agency_staff_other",
    "administrator",
    "disabled",
)
Y, N = True, False

# Columns in the order of ROLES. Agency-scoped permissions are checked on an object (a draft)
# of the first agency: "own" staff work there, "other" staff belong to another agency.
MATRIX: dict[str, tuple[bool, bool, bool, bool, bool, bool, bool]] = {
    #                               anon mod leader own other admin disabled
    "consult.view_staff_area": (N, Y, Y, Y, Y, Y, N),
    "moderation.moderate": (N, Y, N, N, N, Y, N),
    "moderation.view_audit_log": (N, Y, Y, Y, Y, Y, N),
    "moderation.manage_reasons": (N, N, N, N, N, Y, N),
    "moderation.export_audit_log": (N, N, N, N, N, Y, N),
    "livechat.manage_dialogue": (N, Y, N, N, N, Y, N),
    "livechat.moderate_question": (N, Y, N, N, N, Y, N),
    "livechat.view_staff_queue": (N, Y, Y, N, N, Y, N),
    "livechat.present": (N, Y, Y, N, N, Y, N),
    "livechat.answer_question": (N, Y, Y, N, N, Y, N),
    "livechat.export_transcript": (N, Y, Y, N, N, Y, N),
    "drafts.manage_draft": (N, Y, N, Y, N, Y, N),
    "drafts.view_all_comments": (N, Y, N, Y, N, Y, N),
    "drafts.set_disposition": (N, Y, N, Y, N, Y, N),
    "drafts.enter_offline_comment": (N, Y, N, Y, N, Y, N),
    "drafts.export_comments": (N, Y, N, Y, N, Y, N),
    "drafts.view_contacts": (N, Y, N, Y, N, Y, N),
    "drafts.moderate_comment": (N, Y, N, N, N, Y, N),
}


@pytest.fixture
def visitors(agency, other_agency, chair) -> dict[str, Any]:
    return {
        "anonymous": AnonymousUser(),
        "moderator": make_user("moderator"),
        "leader": make_user("leader", leader=chair),
        "agency_staff_own": make_user("agency_staff", agency=agency),
        "agency_staff_other": make_user("agency_staff", agency=other_agency),
        "administrator": make_user("", is_superuser=True, is_staff=True),
        "disabled": make_user("moderator", is_active=False),
    }


@pytest.fixture
def owned(agency) -> SimpleNamespace:
    # The agency-scoped predicates look only at `agency_id`, as a Draft offers it.
    return SimpleNamespace(agency_id=agency.pk)


def test_every_permission_has_a_row():
    registered = set(rules.registered())
    assert registered - set(MATRIX) == set(), "add a row to MATRIX for each new permission"
    assert set(MATRIX) - registered == set(), "MATRIX names a permission nobody registers"


@pytest.mark.parametrize("permission", sorted(MATRIX))
def test_permission_matrix(permission, visitors, owned):
    expected = dict(zip(ROLES, MATRIX[permission], strict=True))
    actual = {role: rules.has_perm(visitors[role], permission, owned) for role in ROLES}
    assert actual == expected


@pytest.mark.parametrize("permission", sorted(MATRIX))
def test_require_raises_the_right_error(permission, visitors, owned):
    for role, allowed in zip(ROLES, MATRIX[permission], strict=True):
        if allowed:
            rules.require(visitors[role], permission, owned)
            continue
        expected = NotAuthenticated if role == "anonymous" else NotAllowed
        with pytest.raises(expected):
            rules.require(visitors[role], permission, owned)


def test_administrator_role_without_superuser_flag_is_an_administrator(owned):
    admin = make_user("administrator")
    superuser = make_user("", is_superuser=True)
    for permission in MATRIX:
        assert rules.has_perm(admin, permission, owned) == rules.has_perm(
            superuser, permission, owned
        ), permission


def test_agency_staff_without_agency_holds_no_draft_permission(owned):
    adrift = make_user("agency_staff")
    for permission in MATRIX:
        if permission.startswith("drafts."):
            assert not rules.has_perm(adrift, permission, owned), permission
            assert not rules.has_perm(adrift, permission, None), permission


def test_account_without_role_is_not_staff(owned):
    nobody = make_user("")
    assert not any(rules.has_perm(nobody, permission, owned) for permission in MATRIX)


def test_unknown_permission_is_an_error(visitors):
    with pytest.raises(KeyError):
        rules.has_perm(visitors["moderator"], "livechat.fly")
