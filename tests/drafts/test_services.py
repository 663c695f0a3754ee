"""The rules of the consultation, checked at the service layer where they live."""

from __future__ import annotations

import datetime as dt
import unicodedata
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consult.errors import Conflict, Invalid, NotAllowed, NotFound, PeriodClosed
from drafts import services
from drafts.models import Comment, Draft, DraftAttachment, DraftNode
from moderation.models import AuditEntry, RejectionReason
from tests.drafts.conftest import (
    COMMENT_INPUT,
    SAMPLE_TEXT,
    article,
    kind_get,
    make_comment,
    make_draft,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC
# The deadline is midnight Vietnamese time, i.e. 17:00 UTC the day before.
CLOSES = dt.datetime(2026, 12, 1, 0, 0, tzinfo=VN)
OPENS = dt.datetime(2026, 11, 1, 0, 0, tzinfo=VN)


@pytest.fixture
def period_draft(agency):
    return make_draft(agency, opens_at=OPENS, closes_at=CLOSES)


def submit(draft, **extra):
    return services.comment_submit(draft_id=draft.pk, **{**COMMENT_INPUT, **extra})


# --- the comment period, at its edges ------------------------------------------------------


def test_citizen_can_comment_one_second_before_closing(period_draft):
    now = dt.datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
    comment, created = submit(period_draft, now=now)
    assert created and comment.status == Comment.Status.PENDING


def test_citizen_cannot_comment_at_closing_time_in_vietnam(period_draft):
    # A UTC clock reading 30 November 17:00 is already 1 December 00:00 in Hà Nội.
    with pytest.raises(PeriodClosed) as excinfo:
        submit(period_draft, now=dt.datetime(2026, 11, 30, 17, 0, 0, tzinfo=UTC))
    assert excinfo.value.status == 409
    assert "00:00, 01/12/2026" in excinfo.value.message
    assert not Comment.objects.exists()


def test_citizen_cannot_comment_when_the_server_clock_passed_closing(period_draft):
    """The server's own clock decides, whatever the page showed when it was loaded."""
    late = dt.datetime(2026, 11, 30, 17, 0, 1, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=late), pytest.raises(PeriodClosed):
        submit(period_draft)


def test_citizen_cannot_comment_before_opening(period_draft):
    early = dt.datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 31/10 in Vietnam
    with pytest.raises(PeriodClosed) as excinfo:
        submit(period_draft, now=early)
    assert "chưa đến thời gian" in excinfo.value.message


def test_citizen_can_comment_at_the_opening_instant(period_draft):
    _comment, created = submit(period_draft, now=dt.datetime(2026, 10, 31, 17, 0, tzinfo=UTC))
    assert created


def test_citizen_cannot_comment_on_an_unpublished_draft(agency):
    hidden = make_draft(agency, status=Draft.Status.DRAFT)
    with pytest.raises(NotFound):
        submit(hidden)


# --- the minimum period per kind and the shortened procedure -------------------------------


def draft_input(agency, **extra):
    return {
        "agency": agency,
        "kind": "quyet-dinh",
        "title": "Quy định về bồi thường khi Nhà nước thu hồi đất",
        "opens_at": "2026-11-01T08:00",
        "closes_at": "2026-12-01T08:00",
        "receiving_unit_address": "Số 12 đường Lê Lợi, thành phố Bình An",
        "receiving_unit_email": "gopy@binhan.gov.vn",
        **extra,
    }


def test_agency_staff_can_create_draft_with_the_minimum_period(agency, agency_staff):
    kind_get("quyet-dinh", 30)
    draft = services.draft_create(actor=agency_staff, **draft_input(agency))
    assert draft.status == Draft.Status.DRAFT
    assert draft.opens_at == dt.datetime(2026, 11, 1, 8, 0, tzinfo=VN)
    assert draft.closes_at - draft.opens_at == dt.timedelta(days=30)
    # The receiving unit defaults to the drafting agency.
    assert draft.receiving_unit_name == agency.name
    assert draft.slug == "quy-dinh-ve-boi-thuong-khi-nha-nuoc-thu-hoi-dat"
    assert AuditEntry.objects.filter(action="draft.create", item_id=draft.pk).exists()


def test_agency_staff_cannot_create_draft_shorter_than_the_kind_minimum(agency, agency_staff):
    kind_get("quyet-dinh", 30)
    with pytest.raises(Invalid) as excinfo:
        services.draft_create(
            actor=agency_staff, **draft_input(agency, closes_at="2026-11-30T08:00")
        )
    assert "30 ngày" in excinfo.value.fields["closes_at"]
    assert not Draft.objects.exists()


def test_shortened_procedure_needs_a_written_reason(agency, agency_staff):
    kind_get("quyet-dinh", 30)
    short = draft_input(agency, closes_at="2026-11-08T08:00", shortened_procedure=True)
    with pytest.raises(Invalid) as excinfo:
        services.draft_create(actor=agency_staff, **short)
    assert "shortened_reason" in excinfo.value.fields
    draft = services.draft_create(
        actor=agency_staff,
        **short,
        shortened_reason="Văn bản ban hành trong trường hợp khẩn cấp để phòng, chống thiên tai.",
    )
    assert draft.shortened_procedure and draft.shortened_reason


def test_minimum_is_per_kind(agency, agency_staff):
    kind_get("luat", 20)
    draft = services.draft_create(
        actor=agency_staff,
        **draft_input(agency, kind="luat", closes_at="2026-11-21T08:00"),
    )
    assert draft.kind.code == "luat"


def test_period_must_end_after_it_starts(agency, agency_staff):
    with pytest.raises(Invalid) as excinfo:
        services.draft_create(
            actor=agency_staff, **draft_input(agency, closes_at="2026-11-01T08:00")
        )
    assert "closes_at" in excinfo.value.fields


def test_agency_staff_cannot_create_draft_for_another_agency(other_agency, agency_staff):
    with pytest.raises(NotAllowed):
        services.draft_create(actor=agency_staff, **draft_input(other_agency))


def test_other_agency_staff_cannot_update_the_draft(draft, other_staff):
    with pytest.raises(NotAllowed):
        services.draft_update(actor=other_staff, draft_id=draft.pk, title="Đổi tên")


def test_agency_staff_cannot_hand_a_draft_to_another_agency(draft, agency_staff, other_agency):
    with pytest.raises(NotAllowed):
        services.draft_update(actor=agency_staff, draft_id=draft.pk, agency=other_agency)


def test_update_refolds_the_search_text(draft, moderator):
    services.draft_update(actor=moderator, draft_id=draft.pk, title="Quy định về Hoà Bình")
    draft.refresh_from_db()
    assert " hoa binh " in draft.search_text


def test_draft_cannot_be_published_without_its_text(agency, agency_staff):
    empty = make_draft(agency, status=Draft.Status.DRAFT, articles=())
    with pytest.raises(Conflict):
        services.draft_publish(actor=agency_staff, draft_id=empty.pk)
    services.draft_import_text(
        actor=agency_staff,
        draft_id=empty.pk,
        upload=SimpleUploadedFile("du-thao.txt", SAMPLE_TEXT.encode()),
        filename="du-thao.txt",
    )
    assert services.draft_publish(actor=agency_staff, draft_id=empty.pk).status == "published"


# --- importing the text --------------------------------------------------------------------


def test_import_stores_nodes_in_document_order_with_anchors(agency, agency_staff):
    draft = make_draft(agency, status=Draft.Status.DRAFT, articles=())
    services.draft_import_text(
        actor=agency_staff,
        draft_id=draft.pk,
        upload=SimpleUploadedFile("du-thao.txt", SAMPLE_TEXT.encode()),
        filename="du-thao.txt",
    )
    nodes = list(DraftNode.objects.filter(draft=draft).order_by("position"))
    articles = [n for n in nodes if n.kind == DraftNode.Kind.ARTICLE]
    assert [a.number for a in articles] == ["1", "2", "3", "5"]
    assert [a.anchor for a in articles] == ["dieu-1", "dieu-2", "dieu-3", "dieu-5"]
    clause = next(n for n in nodes if n.citation == "Khoản 2 Điều 2")
    assert clause.parent_id == articles[1].pk
    point = next(n for n in nodes if n.kind == DraftNode.Kind.POINT and n.number == "b")
    assert point.parent_id == clause.pk and "Nhà thầu" in point.body
    assert [n.position for n in nodes] == sorted(n.position for n in nodes)
    # The gap between Điều 3 and Điều 5 is reported for the officer to check.
    draft.refresh_from_db()
    assert any("4" in w["message"] for w in draft.import_warnings)


def test_import_is_refused_once_articles_have_comments(draft, agency_staff):
    make_comment(draft, number="1")
    with pytest.raises(Conflict):
        services.draft_import_text(
            actor=agency_staff,
            draft_id=draft.pk,
            upload=SimpleUploadedFile("du-thao.txt", SAMPLE_TEXT.encode()),
            filename="du-thao.txt",
        )
    assert DraftNode.objects.filter(draft=draft).count() == 3


def test_import_of_an_unreadable_file_is_a_clear_error(draft, agency_staff):
    with pytest.raises(Invalid) as excinfo:
        services.draft_import_text(
            actor=agency_staff,
            draft_id=draft.pk,
            upload=SimpleUploadedFile("du-thao.pdf", b"%PDF-1.4 x"),
            filename="du-thao.pdf",
        )
    assert "PDF" in excinfo.value.fields["file"]


# --- submitting comments -------------------------------------------------------------------


def test_citizen_can_comment_on_an_article_by_its_number(draft):
    comment, _ = submit(draft, article="2")
    assert comment.article == article(draft, "2")
    comment, _ = submit(draft, article="Điều 3", request_id="r-2")
    assert comment.article == article(draft, "3")


def test_citizen_can_comment_on_the_whole_draft(draft):
    comment, _ = submit(draft, article="")
    assert comment.article is None


def test_citizen_cannot_comment_on_a_missing_article(draft):
    with pytest.raises(Invalid) as excinfo:
        submit(draft, article="99")
    assert "Điều 99" in excinfo.value.fields["article"]


def test_same_request_id_never_creates_a_second_comment(draft):
    first, created = submit(draft, request_id="req-123")
    again, created_again = submit(draft, request_id="req-123", body="Bản gửi lại")
    assert created and not created_again
    assert again.pk == first.pk
    assert Comment.objects.count() == 1


def test_simultaneous_retries_return_the_first_comment(draft):
    """The race: both requests pass the duplicate check; the unique constraint catches it."""
    first, _ = submit(draft, request_id="race-1")
    real_filter = Comment.objects.filter
    calls = {"n": 0}

    def filter_missing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            return Comment.objects.none()
        return real_filter(*args, **kwargs)

    with mock.patch.object(Comment.objects, "filter", side_effect=filter_missing_once):
        again, created = submit(draft, request_id="race-1")
    assert not created and again.pk == first.pk
    assert Comment.objects.count() == 1


def test_consent_is_required(draft):
    with pytest.raises(Invalid) as excinfo:
        submit(draft, consent=False)
    assert "consent" in excinfo.value.fields


def test_a_contact_is_required(draft):
    with pytest.raises(Invalid) as excinfo:
        submit(draft, email="", phone="")
    assert "email" in excinfo.value.fields


@pytest.mark.parametrize("commenter_type", ["organization", "agency"])
def test_organisations_must_name_themselves(draft, commenter_type):
    with pytest.raises(Invalid) as excinfo:
        submit(draft, commenter_type=commenter_type, organization="  ")
    assert "organization" in excinfo.value.fields
    comment, _ = submit(draft, commenter_type=commenter_type, organization="Hiệp hội Xây dựng")
    assert comment.display_name == "Hiệp hội Xây dựng"


def test_unknown_commenter_type_is_refused(draft):
    with pytest.raises(Invalid) as excinfo:
        submit(draft, commenter_type="robot")
    assert "commenter_type" in excinfo.value.fields


def test_text_is_stored_as_nfc_without_invisible_characters(draft):
    nfd = unicodedata.normalize("NFD", "Đề nghị sửa Khoản 2\u200b về hoà giải")
    comment, _ = submit(draft, body=nfd, name=unicodedata.normalize("NFD", "Lê Thị Hoà"))
    assert comment.body == "Đề nghị sửa Khoản 2 về hoà giải"
    assert unicodedata.is_normalized("NFC", comment.name)


def test_too_long_comment_is_refused(draft, settings):
    settings.CONSULT = {**settings.CONSULT, "COMMENT_MAX_LENGTH": 50}
    with pytest.raises(Invalid) as excinfo:
        submit(draft, body="x" * 51)
    assert "50" in excinfo.value.fields["body"]


# --- moderation ----------------------------------------------------------------------------


def test_moderator_can_approve_a_comment(draft, moderator):
    comment = make_comment(draft, number="1")
    approved = services.comment_approve(
        actor=moderator, comment_id=comment.pk, expected_version=comment.version
    )
    assert approved.status == Comment.Status.PUBLISHED and approved.published_at
    entry = AuditEntry.objects.get(item_kind="comment", item_id=comment.pk)
    assert entry.action == "approve" and entry.actor == moderator


def test_agency_staff_cannot_approve_comments(draft, agency_staff):
    comment = make_comment(draft)
    with pytest.raises(NotAllowed):
        services.comment_approve(actor=agency_staff, comment_id=comment.pk)


def test_moderator_cannot_approve_on_a_stale_version(draft, moderator, moderator2):
    comment = make_comment(draft)
    services.comment_approve(actor=moderator, comment_id=comment.pk, expected_version=1)
    with pytest.raises(Conflict) as excinfo:
        services.comment_approve(actor=moderator2, comment_id=comment.pk, expected_version=1)
    assert excinfo.value.data["current"]["status"] == "published"
    assert "email" not in excinfo.value.data["current"]


def test_moderator_cannot_reject_without_a_reason_from_the_list(draft, moderator):
    comment = make_comment(draft)
    with pytest.raises(Invalid):
        services.comment_reject(actor=moderator, comment_id=comment.pk, reason_id=None)
    reason = RejectionReason.objects.filter(is_active=True).first()
    rejected = services.comment_reject(
        actor=moderator, comment_id=comment.pk, reason_id=reason.pk, note="Quảng cáo"
    )
    assert rejected.status == Comment.Status.REJECTED and rejected.rejection_reason == reason
    assert AuditEntry.objects.get(action="reject", item_id=comment.pk).reason == reason


# --- dispositions and offline comments -----------------------------------------------------


def test_agency_staff_can_set_a_disposition(draft, agency_staff):
    comment = make_comment(draft, number="2", status=Comment.Status.PUBLISHED)
    done = services.comment_set_disposition(
        actor=agency_staff,
        comment_id=comment.pk,
        disposition="partly",
        response="Tiếp thu, bổ sung thời hạn tại Khoản 1 Điều 2.",
    )
    assert done.disposition == "partly" and done.disposition_by == agency_staff
    assert AuditEntry.objects.filter(action="comment.disposition", item_id=comment.pk).exists()


def test_other_agency_staff_cannot_set_a_disposition(draft, other_staff):
    comment = make_comment(draft)
    with pytest.raises(NotAllowed):
        services.comment_set_disposition(
            actor=other_staff, comment_id=comment.pk, disposition="accepted"
        )


def test_explained_disposition_needs_a_response(draft, agency_staff):
    comment = make_comment(draft)
    with pytest.raises(Invalid) as excinfo:
        services.comment_set_disposition(
            actor=agency_staff, comment_id=comment.pk, disposition="explained", response=""
        )
    assert "response" in excinfo.value.fields


def test_agency_staff_can_enter_a_paper_comment_which_awaits_moderation(draft, agency_staff):
    comment = services.comment_enter_offline(
        actor=agency_staff,
        draft_id=draft.pk,
        channel="paper",
        received_on="2026-01-05",
        name="Nguyễn Văn Bình",
        commenter_type="agency",
        organization="UBND xã Tân Phú",
        body="Đề nghị giữ nguyên Điều 3.",
        article="3",
        scan=SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    )
    assert comment.status == Comment.Status.PENDING
    assert comment.channel == "paper" and comment.entered_by == agency_staff
    assert comment.scan.name.endswith(".png") and "scan" not in comment.scan.name
    assert comment.article == article(draft, "3")


def test_offline_comment_cannot_be_received_in_the_future(draft, agency_staff):
    tomorrow = (timezone.localtime(timezone.now(), VN) + dt.timedelta(days=1)).date()
    with pytest.raises(Invalid) as excinfo:
        services.comment_enter_offline(
            actor=agency_staff,
            draft_id=draft.pk,
            channel="email",
            received_on=tomorrow.isoformat(),
            name="A",
            commenter_type="individual",
            body="Nội dung",
        )
    assert "received_on" in excinfo.value.fields


def test_other_agency_staff_cannot_enter_offline_comments(draft, other_staff):
    with pytest.raises(NotAllowed):
        services.comment_enter_offline(
            actor=other_staff,
            draft_id=draft.pk,
            channel="paper",
            received_on="2026-01-05",
            name="A",
            commenter_type="individual",
            body="x",
        )


# --- publishing the outcome ----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_report_cannot_be_published_before_the_period_closed(draft, agency_staff):
    with pytest.raises(Conflict):
        services.draft_publish_report(
            actor=agency_staff,
            draft_id=draft.pk,
            response_summary="Đã tiếp thu.",
            report=SimpleUploadedFile("bao-cao.pdf", PDF),
        )


def test_agency_staff_can_publish_the_report_after_closing(agency, agency_staff):
    past = timezone.now() - dt.timedelta(days=1)
    closed = make_draft(agency, opens_at=past - dt.timedelta(days=30), closes_at=past)
    with pytest.raises(Invalid) as excinfo:
        services.draft_publish_report(
            actor=agency_staff, draft_id=closed.pk, response_summary="Đã tiếp thu."
        )
    assert "report" in excinfo.value.fields
    done = services.draft_publish_report(
        actor=agency_staff,
        draft_id=closed.pk,
        response_summary="Tiếp thu 12 ý kiến, giải trình 3 ý kiến.",
        report=SimpleUploadedFile("bao-cao.pdf", PDF),
        revised_draft=SimpleUploadedFile("du-thao-chinh-ly.pdf", PDF),
    )
    assert done.report_published_at is not None
    assert done.phase == Draft.Phase.REPORTED
    kinds = set(closed.attachments.values_list("kind", flat=True))
    assert kinds == {DraftAttachment.Kind.SYNTHESIS_REPORT, DraftAttachment.Kind.REVISED_DRAFT}
