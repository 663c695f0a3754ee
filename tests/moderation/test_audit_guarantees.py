"""The audit log's guarantees (issue 4): append-only at every layer, refused permission checks
recorded (even when the caller's transaction rolls back), filters, and the CSV export for
administrators only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.core.signals import request_finished
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.test import AsyncClient, Client
from django.utils import timezone

from consult import rules
from consult.errors import NotAllowed, NotAuthenticated
from livechat import services
from livechat.rules import MODERATE_QUESTION
from moderation import receivers
from moderation.audit import csv_safe
from moderation.models import AuditEntry, AuditLogImmutable
from moderation.rules import EXPORT_AUDIT_LOG, VIEW_AUDIT_LOG
from tests.conftest import QUESTION_DEFAULTS, make_user

pytestmark = pytest.mark.django_db

AUDIT_URL = "/moderation/audit/"
EXPORT_URL = "/moderation/audit/export.csv"
POSTGRES = connection.vendor == "postgresql"


def _entry(**fields: Any) -> AuditEntry:
    values = {"actor_label": "Lê Biên Tập", "action": "approve", "item_kind": "question"}
    return AuditEntry.objects.create(**{**values, **fields})


def _entry_at(when: dt.datetime, monkeypatch: Any, **fields: Any) -> AuditEntry:
    # created_at is auto_now_add (and rows can never be changed afterwards): set the clock.
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return _entry(**fields)


def _request_ends() -> None:
    """What the end of an HTTP request does, minus closing the test's database connection
    (Django's test client does the same)."""
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)


def _denials() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="permission_denied").order_by("id"))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so that Excel reads Vietnamese"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- append-only, layer by layer ----------------------------------------------------------------


def test_nobody_can_change_an_entry_through_the_model():
    entry = _entry(note="gốc")
    entry.note = "sửa lén"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == "gốc"


def test_nobody_can_change_entries_through_a_queryset():
    entry = _entry(note="gốc")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(note="sửa lén")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.note = "sửa lén"
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_update([entry], ["note"])
    assert AuditEntry.objects.get(pk=entry.pk).note == "gốc"


def test_the_database_refuses_a_raw_update():
    entry = _entry(note="gốc")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_auditentry SET note = 'sửa lén'")
    assert AuditEntry.objects.get(pk=entry.pk).note == "gốc"


@pytest.mark.skipif(
    not POSTGRES,
    reason="SQLite gets no DELETE trigger: Django empties tables with DELETE there "
    "(docs/audit-log.md); model, queryset and admin refuse deletion",
)
def test_the_database_refuses_a_raw_delete():
    entry = _entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM moderation_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_inserting_still_works_after_a_refused_update():
    _entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_auditentry SET action = 'x'")
    _entry(action="reject")
    assert AuditEntry.objects.count() == 2


def test_admin_can_neither_change_nor_delete_an_entry(admin_user):
    entry = _entry()
    client = _client(admin_user)
    change = client.post(f"/admin/moderation/auditentry/{entry.pk}/change/", {"note": "x"})
    assert change.status_code == 403
    delete = client.post(f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


# --- refused permission checks ------------------------------------------------------------------


def test_moderator_cannot_export_and_the_refusal_is_recorded(moderator):
    response = _client(moderator).get(EXPORT_URL)
    assert response.status_code == 403
    [denial] = _denials()
    assert denial.actor == moderator and denial.actor_label == "Lê Biên Tập"
    assert denial.item_kind == "permission"
    assert denial.after == {
        "permission": EXPORT_AUDIT_LOG,
        "object": "",
        "role": "moderator",
    }
    assert EXPORT_AUDIT_LOG in denial.note
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_anonymous_visitor_is_sent_to_login_and_the_refusal_is_recorded():
    response = Client().get(AUDIT_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    [denial] = _denials()
    assert denial.actor is None
    assert denial.actor_label == "khách (chưa đăng nhập)"
    assert denial.after["permission"] == VIEW_AUDIT_LOG and denial.after["role"] == "anonymous"


def test_anonymous_export_is_sent_to_login_and_recorded():
    response = Client().get(EXPORT_URL)
    assert response.status_code == 302
    assert [d.after["permission"] for d in _denials()] == [EXPORT_AUDIT_LOG]


def test_a_permitted_check_leaves_nothing(moderator):
    rules.require(moderator, VIEW_AUDIT_LOG)
    assert not _denials()


def test_leader_refused_inside_a_rolled_back_service_is_still_recorded(dialogue, leader_user):
    """question_approve checks the rule inside its transaction (after locking the row); the
    refusal rolls it back, and the record is written once the request is over."""
    question, _ = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    with pytest.raises(NotAllowed):
        services.question_approve(actor=leader_user, question_id=question.pk)
    _request_ends()
    [denial] = _denials()
    assert denial.actor == leader_user
    assert denial.after["permission"] == MODERATE_QUESTION
    assert denial.item_id == question.pk
    assert denial.item_label == f"câu hỏi #{question.pk}"
    # The object is named by kind and id only: no citizen text, no contact details.
    recorded = str(denial.after) + denial.item_label + denial.note
    assert QUESTION_DEFAULTS["body"][:30] not in recorded
    assert QUESTION_DEFAULTS["email"] not in recorded


def test_leader_refused_over_the_api_is_recorded(dialogue, leader_user):
    question, _ = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    response = _client(leader_user).post(
        f"/api/v1/questions/{question.pk}/approve", {}, content_type="application/json"
    )
    assert response.status_code == 403
    [denial] = _denials()
    assert denial.actor == leader_user and denial.item_id == question.pk


def test_a_refusal_held_by_an_ended_test_is_never_written_later(leader_user):
    stale = receivers._denial(leader_user, MODERATE_QUESTION, None)
    stale.test_root = object()  # a TestCase transaction that no longer exists
    receivers._pending().append(stale)
    _request_ends()
    assert not _denials()
    assert not receivers._pending()


@pytest.mark.django_db(transaction=True)
def test_refusal_inside_a_transaction_that_rolls_back_is_recorded_after_it():
    user = make_user("leader")
    with pytest.raises(NotAllowed), transaction.atomic():
        rules.require(user, MODERATE_QUESTION)
    # Rolled back: nothing yet, the refusal is held until the request ends.
    assert not _denials()
    _request_ends()
    assert [d.actor for d in _denials()] == [user]


@pytest.mark.django_db(transaction=True)
def test_refusal_caught_inside_a_committed_transaction_is_recorded_once():
    user = make_user("leader")
    with transaction.atomic():
        with pytest.raises(NotAllowed):
            rules.require(user, MODERATE_QUESTION)
        assert not _denials()  # not inside the caller's transaction
    assert [d.actor for d in _denials()] == [user]  # right after the commit
    _request_ends()
    assert len(_denials()) == 1


@pytest.mark.django_db(transaction=True)
def test_refusal_outside_any_transaction_is_written_at_once():
    with pytest.raises(NotAuthenticated):
        rules.require(AnonymousUser(), VIEW_AUDIT_LOG)
    assert [d.actor_label for d in _denials()] == ["khách (chưa đăng nhập)"]


# --- the page: filters --------------------------------------------------------------------------


def test_staff_can_filter_by_action_actor_and_dates(moderator, monkeypatch):
    vn = timezone.get_current_timezone()
    _entry_at(dt.datetime(2026, 3, 1, 9, 0, tzinfo=vn), monkeypatch, note="tháng ba")
    _entry_at(
        dt.datetime(2026, 3, 2, 23, 30, tzinfo=vn), monkeypatch, action="reject", note="từ chối"
    )
    _entry_at(
        dt.datetime(2026, 3, 5, 8, 0, tzinfo=vn),
        monkeypatch,
        actor_label="Phạm Biên Tập",
        note="người khác",
    )
    client = _client(moderator)

    def notes(**params: str) -> list[str]:
        response = client.get(AUDIT_URL, params)
        assert response.status_code == 200
        return [e.note for e in response.context["page"].object_list]

    assert notes(action="reject") == ["từ chối"]
    assert notes(actor="phạm") == ["người khác"]
    # Both days included, in Vietnamese time (23:30 on 2 March is still 2 March).
    assert notes(since="2026-03-02", until="2026-03-02") == ["từ chối"]
    assert notes(since="2026-03-01", until="2026-03-04") == ["từ chối", "tháng ba"]
    assert notes(since="2026-03-03") == ["người khác"]


def test_entries_show_their_time_to_the_second_in_vietnam_time(moderator, monkeypatch):
    # 07:00:09 UTC is 14:00:09 in Hồ Chí Minh City; seconds order decisions within a minute.
    _entry_at(dt.datetime(2026, 11, 26, 7, 0, 9, tzinfo=dt.UTC), monkeypatch)
    page = _client(moderator).get(AUDIT_URL).content.decode()
    assert '<time datetime="2026-11-26T14:00:09+07:00">14:00:09, 26/11/2026</time>' in page


def test_a_date_that_does_not_parse_is_said_not_applied(moderator):
    _entry(note="một")
    response = _client(moderator).get(AUDIT_URL, {"since": "31/02/2026"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ngày không hợp lệ" in page and 'aria-invalid="true"' in page
    assert [e.note for e in response.context["page"].object_list] == ["một"]


def test_moderator_sees_the_log_but_no_export_link(moderator):
    _entry()
    page = _client(moderator).get(AUDIT_URL).content.decode()
    assert "Nhật ký kiểm duyệt" in page and EXPORT_URL not in page


def test_administrator_sees_an_export_link_keeping_the_filters(admin_user):
    page = _client(admin_user).get(AUDIT_URL, {"action": "reject", "q": "Đất"}).content.decode()
    assert f"{EXPORT_URL}?q=%C4%90%E1%BA%A5t&amp;action=reject" in page


# --- the export ---------------------------------------------------------------------------------


def test_administrator_can_export_with_filters_and_the_export_is_recorded(admin_user):
    _entry(item_label="Câu hỏi #1: Đền bù đất", note="Duyệt", item_id=1)
    _entry(action="reject", item_label="Câu hỏi #2", item_id=2)
    response = _client(admin_user).get(EXPORT_URL, {"action": "approve"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="nhat-ky-kiem-duyet-')
    rows = _csv(b"".join(response.streaming_content))
    assert rows[0][:5] == ["STT", "Thời điểm", "Người thực hiện", "Tài khoản", "Thao tác"]
    assert len(rows) == 2
    assert rows[1][2] == "Lê Biên Tập" and rows[1][4] == "approve"
    assert rows[1][7] == "Câu hỏi #1: Đền bù đất" and rows[1][12] == "Duyệt"
    export = AuditEntry.objects.get(action="audit.export")
    assert export.actor == admin_user
    assert export.after == {"format": "csv", "filters": "action=approve", "rows": 1}


def test_export_neutralises_spreadsheet_formulas(admin_user):
    _entry(
        actor_label='=HYPERLINK("http://x")',
        item_label="+84 912 345 678",
        context_label="-1+1",
        note="@SUM(A1)",
    )
    _entry(actor_label="\tTab", note="\rCR", item_label="bình thường")
    rows = _csv(b"".join(_client(admin_user).get(EXPORT_URL).streaming_content))
    first, second = rows[1], rows[2]
    assert first[2] == '\'=HYPERLINK("http://x")'
    assert first[7] == "'+84 912 345 678" and first[8] == "'-1+1" and first[12] == "'@SUM(A1)"
    assert second[2] == "'\tTab" and second[12] == "'\rCR" and second[7] == "bình thường"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("a=b", "a=b"), (7, "7")],
)
def test_csv_safe(value: Any, expected: str):
    assert csv_safe(value) == expected


def test_agency_staff_cannot_export(agency_staff):
    assert _client(agency_staff).get(EXPORT_URL).status_code == 403
    assert [d.actor for d in _denials()] == [agency_staff]


def test_export_is_get_only(admin_user):
    assert _client(admin_user).post(EXPORT_URL).status_code == 405
    assert not AuditEntry.objects.filter(action="audit.export").exists()


@pytest.mark.django_db(transaction=True)
async def test_export_streams_under_asgi():
    @sync_to_async
    def setup() -> Any:
        AuditEntry.objects.bulk_create(
            AuditEntry(actor_label=f"Biên tập {i}", action="approve", item_kind="question")
            for i in range(700)
        )
        return make_user("", is_superuser=True, is_staff=True)

    admin = await setup()
    client = AsyncClient()
    await sync_to_async(client.force_login)(admin)
    response = await client.get(EXPORT_URL)
    assert response.status_code == 200 and response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) > 2  # BOM, then batches of rows
    rows = _csv(b"".join(chunks))
    assert len(rows) == 701 and rows[-1][0] == "700"
    from django.db import connections

    await sync_to_async(connections.close_all)()
