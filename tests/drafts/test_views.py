"""The pages, as a visitor and as staff would use them (no JavaScript)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from drafts import services
from drafts.models import Comment, Draft, DraftAttachment
from moderation.models import RejectionReason
from tests.drafts.conftest import SAMPLE_TEXT, make_comment, make_draft, make_published_series

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def text_of(response) -> str:
    return response.content.decode()


def form_data(**extra):
    return {
        "article": "dieu-2",
        "commenter_type": "individual",
        "name": "Trần Thị Bình",
        "email": "binh.tran@example.vn",
        "body": "Đề nghị bổ sung thời hạn giải quyết.",
        "consent": "on",
        "request_id": "form-1",
        **extra,
    }


# --- public pages --------------------------------------------------------------------------


def test_visitor_can_list_and_search_drafts(client, agency):
    make_draft(agency, title="Quy định về hòa giải ở cơ sở")
    response = client.get(reverse("drafts:draft-list"), {"q": "hoa giai"})
    assert response.status_code == 200
    assert "Quy định về hòa giải ở cơ sở" in text_of(response)


def test_list_shows_an_empty_state_for_no_match(client, agency):
    make_draft(agency)
    response = client.get(reverse("drafts:draft-list"), {"q": "không có từ này"})
    assert "Không có dự thảo nào khớp" in text_of(response)


def test_list_paginates(client, agency):
    for n in range(23):
        make_draft(agency, title=f"Dự thảo số {n}")
    first = text_of(client.get(reverse("drafts:draft-list")))
    assert "Trang 1/2" in first and 'rel="next"' in first
    second = text_of(client.get(reverse("drafts:draft-list"), {"page": 2}))
    assert second.count('class="draft-title"') == 3


def test_draft_page_shows_outline_deadline_receiving_unit_and_counts(client, draft):
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED, body="Ý kiến đã đăng")
    make_comment(draft, number="1", status=Comment.Status.PENDING, body="Ý kiến chờ duyệt")
    html = text_of(client.get(draft.get_absolute_url()))
    assert 'id="dieu-1"' in html and 'href="#dieu-1"' in html
    assert "Còn 2" in html  # 24 days and some hours left
    assert draft.receiving_unit_email in html and draft.receiving_unit_address in html
    assert "1 góp ý đã đăng về Điều 1" in html
    assert "Ý kiến đã đăng" in html
    # Never a pending comment, never contact details.
    assert "Ý kiến chờ duyệt" not in html
    assert "an.nguyen@example.vn" not in html and "0912345678" not in html


def test_draft_page_shows_the_latest_comments_and_links_to_the_full_list(client, draft):
    make_published_series(draft, 12, number="1", body="Ý kiến số {n:02d}")
    html = text_of(client.get(draft.get_absolute_url()))
    assert "12 góp ý đã đăng về Điều 1" in html
    # Only the latest few are on the page, however many there are.
    assert "Ý kiến số 11" in html and "Ý kiến số 10" in html and "Ý kiến số 08" not in html
    list_url = reverse("drafts:comment-list", args=[draft.slug]) + "?article=dieu-1"
    assert f'href="{list_url}"' in html
    assert "Xem tất cả góp ý về Điều 1" in html
    # A long comment is cut in the preview and links to its full text.
    long = make_comment(
        draft, number="3", status=Comment.Status.PUBLISHED, body="Đề nghị bổ sung. " * 40
    )
    html = text_of(client.get(draft.get_absolute_url()))
    permalink = reverse("drafts:comment-permalink", args=[draft.slug, long.pk])
    assert f'<a href="{permalink}">Đọc toàn văn</a>' in html
    # Articles without comments get no link to an empty list.
    assert "Xem tất cả góp ý về Điều 2" not in html


def test_cached_draft_page_follows_publications_take_downs_and_language(client, draft, moderator):
    first = make_comment(draft, number="1", status=Comment.Status.PUBLISHED, body="Ý kiến đầu")
    assert "Ý kiến đầu" in text_of(client.get(draft.get_absolute_url()))
    pending = make_comment(draft, number="1", body="Ý kiến mới duyệt")
    assert "Ý kiến mới duyệt" not in text_of(client.get(draft.get_absolute_url()))
    services.comment_approve(actor=moderator, comment_id=pending.pk)
    html = text_of(client.get(draft.get_absolute_url()))
    assert "Ý kiến mới duyệt" in html and "2 góp ý đã đăng về Điều 1" in html
    spam = RejectionReason.objects.filter(is_active=True).first()
    services.comment_reject(actor=moderator, comment_id=first.pk, reason_id=spam.pk)
    html = text_of(client.get(draft.get_absolute_url()))
    assert "Ý kiến đầu" not in html and "1 góp ý đã đăng về Điều 1" in html
    english = text_of(client.get(draft.get_absolute_url(), {"lang": "en"}))
    assert "1 published comment on Điều 1" in english
    assert "1 góp ý đã đăng về Điều 1" in text_of(
        client.get(draft.get_absolute_url(), {"lang": "vi"})
    )


def test_cached_draft_page_reads_no_previews_again(client, draft, django_assert_max_num_queries):
    for number in ("1", "2", "3"):
        make_comment(draft, number=number, status=Comment.Status.PUBLISHED)
    client.get(draft.get_absolute_url())  # renders and caches the text section
    with CaptureQueriesContext(connection) as queries:
        html = text_of(client.get(draft.get_absolute_url()))
    assert "1 góp ý đã đăng về Điều 3" in html
    assert not any("ROW_NUMBER" in q["sql"].upper() for q in queries.captured_queries)


def test_comment_list_page_paginates_without_javascript(client, draft):
    make_published_series(draft, 23, number="1", body="Ý kiến số {n:02d}")
    make_comment(draft, number="1", status=Comment.Status.PENDING, body="Ý kiến chờ duyệt")
    url = reverse("drafts:comment-list", args=[draft.slug])
    first = text_of(client.get(url, {"article": "dieu-1"}))
    assert "Góp ý đã đăng về Điều 1" in first and "23 góp ý đã đăng" in first
    assert first.count('class="comment"') == 20
    assert "Ý kiến số 00" in first and "Ý kiến số 20" not in first
    assert "Trang 1/2" in first and 'href="?article=dieu-1&amp;page=2"' in first
    second = text_of(client.get(url, {"article": "dieu-1", "page": 2}))
    assert second.count('class="comment"') == 3 and "Ý kiến số 22" in second
    assert "Ý kiến chờ duyệt" not in first + second
    assert "an.nguyen@example.vn" not in first + second


def test_comment_list_page_has_an_empty_state_and_404s_an_unknown_article(client, draft):
    url = reverse("drafts:comment-list", args=[draft.slug])
    response = client.get(url, {"article": "general"})
    assert response.status_code == 200
    assert "Chưa có góp ý nào được đăng." in text_of(response)
    assert client.get(url, {"article": "dieu-99"}).status_code == 404


def test_comment_list_page_is_in_english_when_asked(client, draft):
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    url = reverse("drafts:comment-list", args=[draft.slug])
    html = text_of(client.get(url, {"article": "dieu-1", "lang": "en"}))
    assert "Published comments on Điều 1" in html and "oldest first" in html


def test_comment_permalink_leads_to_its_page_and_anchor(client, draft):
    start = timezone.now() - dt.timedelta(hours=1)
    comments = [
        make_comment(
            draft,
            number="2",
            status=Comment.Status.PUBLISHED,
            published_at=start + dt.timedelta(minutes=n),
        )
        for n in range(21)
    ]
    last = comments[-1]
    response = client.get(reverse("drafts:comment-permalink", args=[draft.slug, last.pk]))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("drafts:comment-list", args=[draft.slug]) + f"?article=dieu-2&page=2#gy-{last.pk}"
    )
    assert f'id="gy-{last.pk}"' in text_of(client.get(response["Location"]))
    pending = make_comment(draft, number="2")
    missing = client.get(reverse("drafts:comment-permalink", args=[draft.slug, pending.pk]))
    assert missing.status_code == 404


def test_article_link_preselects_the_article_in_the_form(client, draft):
    html = text_of(client.get(draft.get_absolute_url(), {"article": "dieu-2"}))
    assert '<option value="dieu-2" selected>' in html
    assert 'href="?article=dieu-3#gop-y"' in html


def test_consent_box_is_unticked_by_default(client, draft):
    html = text_of(client.get(draft.get_absolute_url()))
    consent = re.search(r'<input type="checkbox" id="id_consent"[^>]*>', html).group(0)
    assert "checked" not in consent


def test_visitor_can_comment_on_an_article_without_javascript(client, draft):
    response = client.post(reverse("drafts:comment-submit", args=[draft.slug]), form_data())
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.article.number == "2" and comment.status == Comment.Status.PENDING
    page = client.get(response["Location"])
    assert "Cảm ơn bạn đã góp ý" in text_of(page)
    # Posting the same form twice (double click) creates nothing more.
    client.post(reverse("drafts:comment-submit", args=[draft.slug]), form_data())
    assert Comment.objects.count() == 1


def test_invalid_comment_shows_messages_next_to_fields(client, draft):
    response = client.post(
        reverse("drafts:comment-submit", args=[draft.slug]),
        form_data(consent="", email="", body=""),
    )
    assert response.status_code == 400
    html = text_of(response)
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert "Vui lòng cho biết thư điện tử hoặc số điện thoại" in html
    assert "Trần Thị Bình" in html  # what was typed is kept
    assert not Comment.objects.exists()


def test_closed_draft_shows_no_form_and_refuses_a_stale_post(client, agency):
    past = timezone.now() - dt.timedelta(hours=1)
    closed = make_draft(agency, opens_at=past - dt.timedelta(days=30), closes_at=past)
    html = text_of(client.get(closed.get_absolute_url()))
    assert "Đã hết thời gian lấy ý kiến" in html and 'name="consent"' not in html
    response = client.post(reverse("drafts:comment-submit", args=[closed.slug]), form_data())
    assert response.status_code == 409
    assert "Đã hết thời gian lấy ý kiến" in text_of(response)
    assert not Comment.objects.exists()


def test_upcoming_draft_says_when_comments_open(client, agency):
    later = timezone.now() + dt.timedelta(days=2)
    upcoming = make_draft(agency, opens_at=later, closes_at=later + dt.timedelta(days=30))
    html = text_of(client.get(upcoming.get_absolute_url()))
    assert "chưa đến thời gian lấy ý kiến" in html and 'name="consent"' not in html


def test_unpublished_draft_is_404_for_visitors(client, agency):
    hidden = make_draft(agency, status=Draft.Status.DRAFT)
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_report_is_shown_prominently_once_published(client, agency, agency_staff):
    past = timezone.now() - dt.timedelta(days=1)
    closed = make_draft(agency, opens_at=past - dt.timedelta(days=30), closes_at=past)
    client.force_login(agency_staff)
    response = client.post(
        reverse("drafts:staff-report", args=[closed.slug]),
        {
            "response_summary": "Tiếp thu 10 ý kiến, giải trình 2 ý kiến.",
            "report": SimpleUploadedFile("bao-cao.pdf", PDF),
        },
    )
    assert response.status_code == 302
    client.logout()
    html = text_of(client.get(closed.get_absolute_url()))
    assert "Kết quả tiếp thu, giải trình ý kiến góp ý" in html
    assert "Tiếp thu 10 ý kiến" in html
    report = closed.attachments.get(kind=DraftAttachment.Kind.SYNTHESIS_REPORT)
    download = client.get(reverse("drafts:attachment-download", args=[closed.slug, report.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in download["Content-Disposition"]


# --- staff pages ---------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_for_staff_pages(client, draft):
    response = client.get(reverse("drafts:staff-workspace", args=[draft.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_agency_cannot_open_the_workspace_or_moderation(client, draft, other_staff):
    make_comment(draft, body="Góp ý chờ duyệt của người dân")
    client.force_login(other_staff)
    for name in ("staff-workspace", "staff-moderate", "staff-draft-edit", "staff-import"):
        response = client.get(reverse(f"drafts:{name}", args=[draft.slug]))
        assert response.status_code == 404, name
        assert "Góp ý chờ duyệt" not in text_of(response)
    assert draft.title not in text_of(client.get(reverse("drafts:staff-draft-list")))


def test_agency_staff_sees_every_comment_with_contacts_in_the_workspace(
    client, draft, agency_staff
):
    make_comment(draft, number="1", body="Góp ý chờ duyệt")
    make_comment(draft, number="2", status=Comment.Status.PUBLISHED, body="Góp ý đã đăng")
    client.force_login(agency_staff)
    html = text_of(client.get(reverse("drafts:staff-workspace", args=[draft.slug])))
    assert "Góp ý chờ duyệt" in html and "Góp ý đã đăng" in html
    assert "an.nguyen@example.vn" in html
    assert "export.docx" in html and "layout=five-column" in html and "export.csv" in html


def test_agency_staff_can_set_a_disposition_from_the_workspace(client, draft, agency_staff):
    comment = make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    client.force_login(agency_staff)
    response = client.post(
        reverse("drafts:staff-comment-disposition", args=[draft.slug, comment.pk]),
        {"disposition": "accepted", "response": "Tiếp thu.", "version": comment.version},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.disposition == "accepted" and comment.response == "Tiếp thu."


def test_moderator_can_approve_and_sees_a_conflict_clearly(client, draft, moderator):
    comment = make_comment(draft, body="Cần duyệt")
    client.force_login(moderator)
    page = text_of(client.get(reverse("drafts:staff-moderate", args=[draft.slug])))
    assert "Cần duyệt" in page and 'name="version" value="1"' in page
    url = reverse("drafts:staff-comment-decide", args=[draft.slug, comment.pk, "approve"])
    client.post(url, {"version": 1})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED
    # A second moderator still holding version 1 gets a clear message, not an error page.
    reject = reverse("drafts:staff-comment-decide", args=[draft.slug, comment.pk, "reject"])
    reason = RejectionReason.objects.first()
    response = client.post(reject, {"version": 1, "reason": reason.pk}, follow=True)
    assert "Một biên tập viên khác vừa xử lý" in text_of(response)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED


def test_agency_staff_cannot_moderate_comments(client, draft, agency_staff):
    comment = make_comment(draft)
    client.force_login(agency_staff)
    url = reverse("drafts:staff-comment-decide", args=[draft.slug, comment.pk, "approve"])
    assert client.post(url, {"version": 1}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_create_form_refuses_a_short_period_and_keeps_the_input(client, agency, agency_staff):
    client.force_login(agency_staff)
    data = {
        "title": "Quy định về phí vệ sinh môi trường",
        "kind": "",
        "agency": agency.pk,
        "opens_at": "2026-11-01T08:00",
        "closes_at": "2026-11-05T08:00",
        "receiving_unit_address": "Số 1",
        "receiving_unit_email": "gopy@binhan.gov.vn",
    }
    from drafts.models import DocumentKind

    data["kind"] = DocumentKind.objects.get(code="quyet-dinh").pk
    response = client.post(reverse("drafts:staff-draft-create"), data)
    assert response.status_code == 400
    html = text_of(response)
    assert "tối thiểu là 30 ngày" in html and "Quy định về phí vệ sinh môi trường" in html
    data.update(shortened_procedure="on", shortened_reason="Khẩn cấp do thiên tai.")
    response = client.post(reverse("drafts:staff-draft-create"), data)
    assert response.status_code == 302
    assert Draft.objects.get().shortened_procedure


def test_staff_can_import_the_text_and_see_the_warnings(client, agency, agency_staff):
    target = make_draft(agency, status=Draft.Status.DRAFT, articles=())
    client.force_login(agency_staff)
    response = client.post(
        reverse("drafts:staff-import", args=[target.slug]),
        {"file": SimpleUploadedFile("du-thao.txt", SAMPLE_TEXT.encode())},
        follow=True,
    )
    html = text_of(response)
    assert "Đã nhập toàn văn: 4 điều" in html
    assert "điểm cần kiểm tra sau khi nhập" in html


def test_upload_of_a_fake_docx_shows_a_clear_error(client, draft, agency_staff):
    client.force_login(agency_staff)
    response = client.post(
        reverse("drafts:staff-attachments", args=[draft.slug]),
        {"kind": "full_text", "title": "Toàn văn", "file": SimpleUploadedFile("a.docx", PDF)},
    )
    assert response.status_code == 400
    assert "nội dung lại là PDF" in text_of(response)
    assert not draft.attachments.exists()


def test_staff_can_publish_a_draft_from_the_page(client, agency, agency_staff):
    target = make_draft(agency, status=Draft.Status.DRAFT)
    client.force_login(agency_staff)
    client.post(reverse("drafts:staff-publish", args=[target.slug]), {"action": "publish"})
    target.refresh_from_db()
    assert target.status == Draft.Status.PUBLISHED


def test_staff_can_enter_an_offline_comment(client, draft, agency_staff):
    client.force_login(agency_staff)
    response = client.post(
        reverse("drafts:staff-comment-offline", args=[draft.slug]),
        {
            "channel": "meeting",
            "received_on": "2026-01-10",
            "article": "dieu-1",
            "commenter_type": "agency",
            "name": "Nguyễn Văn Cường",
            "organization": "UBND phường Tân Phong",
            "body": "Ý kiến tại hội nghị lấy ý kiến.",
        },
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.channel == "meeting" and comment.status == Comment.Status.PENDING


def test_draft_page_declares_a_mobile_viewport_and_its_stylesheet(client, draft):
    html = text_of(client.get(draft.get_absolute_url()))
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "css/drafts.css" in html


def test_comment_list_page_queries_do_not_grow_with_comments(client, draft):
    url = reverse("drafts:comment-list", args=[draft.slug])

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"article": "dieu-1", "page": 2}).status_code == 200
        return len(queries)

    for _ in range(25):
        make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    few = queries_for_page()
    for _ in range(40):
        make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    assert queries_for_page() == few <= 5
