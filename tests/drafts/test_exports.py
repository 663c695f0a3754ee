"""Downloads of a draft's comments: the DOCX synthesis table (both layouts), XLSX and CSV,
opened back and checked cell by cell; who may download; the audit entry; the file name; the
management command. Data is built with the ORM so these tests depend only on the models."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from consult.models import Agency, User
from drafts import exports
from drafts.models import Comment, DocumentKind, Draft, DraftNode
from moderation.models import AuditEntry, RejectionReason
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TZ = exports.LOCAL_TZ
TITLE = "Quyết định ban hành Quy định quản lý trật tự xây dựng trên địa bàn tỉnh Bình An"
NFD_BODY = unicodedata.normalize("NFD", "Đề nghị làm rõ khái niệm “công trình tạm” ở khoản 2.")
FORMULAS = [
    '=HYPERLINK("http://evil.example","Bấm")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=cmd",
    "  =1+2",
    "＝1+1",
]


# --- data --------------------------------------------------------------------------------


def make_draft(
    agency: Agency, *, title: str = TITLE, slug: str = "quy-dinh-trat-tu-xay-dung"
) -> Draft:
    kind, _ = DocumentKind.objects.get_or_create(code="quyet-dinh", defaults={"name": "Quyết định"})
    opens = dt.datetime(2026, 3, 2, 8, 0, tzinfo=TZ)
    return Draft.objects.create(
        slug=slug,
        title=title,
        kind=kind,
        agency=agency,
        summary="Tóm tắt.",
        receiving_unit_name="Phòng Pháp chế, Sở Xây dựng",
        receiving_unit_address="12 Trần Hưng Đạo, phường Tân Phong",
        receiving_unit_email="phapche@sxd.binhan.gov.vn",
        opens_at=opens,
        closes_at=opens + dt.timedelta(days=30),
        status=Draft.Status.PUBLISHED,
    )


def make_article(draft: Draft, number: int, title: str, position: int) -> DraftNode:
    return DraftNode.objects.create(
        draft=draft,
        kind=DraftNode.Kind.ARTICLE,
        number=str(number),
        title=title,
        anchor=f"dieu-{number}",
        citation=f"Điều {number}",
        position=position,
        depth=1,
    )


_seq = iter(range(1, 10_000_000))


def add_comment(draft: Draft, article: DraftNode | None = None, **fields: Any) -> Comment:
    n = next(_seq)
    values: dict[str, Any] = {
        "commenter_type": Comment.CommenterType.INDIVIDUAL,
        "name": f"Nguyễn Văn {n}",
        "email": f"nguoi{n}@example.vn",
        "phone": "",
        "publish_name": False,
        "body": f"Góp ý số {n}.",
        "status": Comment.Status.PUBLISHED,
        "consent_at": timezone.now(),
    }
    values.update(fields)
    submitted_at = values.pop("submitted_at", None)
    comment = Comment.objects.create(draft=draft, article=article, **values)
    # auto_now_add ignores a given value; set the arrival time the tests need afterwards.
    at = submitted_at or dt.datetime(2026, 3, 3, 9, 0, tzinfo=TZ) + dt.timedelta(minutes=n)
    Comment.objects.filter(pk=comment.pk).update(submitted_at=at)
    comment.refresh_from_db()
    return comment


@pytest.fixture
def draft(agency: Agency) -> Draft:
    return make_draft(agency)


@pytest.fixture
def data(draft: Draft) -> dict[str, Any]:
    """A draft with two articles (the second has no comments) and comments in every state."""
    art1 = make_article(draft, 1, "Phạm vi điều chỉnh", 10)
    art2 = make_article(draft, 2, "Đối tượng áp dụng", 20)
    art3 = make_article(draft, 3, "Giấy phép xây dựng có thời hạn", 30)
    reason = RejectionReason.objects.filter(is_active=True).first()
    assert reason is not None, "the rejection reasons are seeded by a migration"
    c = {
        # General comment, from a state agency, accepted.
        "general": add_comment(
            draft, None, commenter_type=Comment.CommenterType.AGENCY, name="Trần Văn Bình",
            organization="Sở Tài chính tỉnh Bình An", email="stc@binhan.gov.vn",
            body="Đề nghị bổ sung căn cứ Luật Xây dựng năm 2014.",
            disposition=Comment.Disposition.ACCEPTED, response="Đã bổ sung vào phần căn cứ.",
            published_at=timezone.now(), decided_at=timezone.now(),
        ),
        # Article 1: organisation, partly accepted; individual (named), explained; NFD input.
        "org": add_comment(
            draft, art1, commenter_type=Comment.CommenterType.ORGANIZATION, name="Lê Thị Cúc",
            organization="Công ty Cổ phần Xây dựng Hòa Bình", phone="0912345678",
            body="Phạm vi chưa bao gồm công trình tạm.\nĐề nghị bổ sung.",
            disposition=Comment.Disposition.PARTLY, response="Tiếp thu một phần.",
        ),
        "named": add_comment(
            draft, art1, name="Phạm Minh Đức", publish_name=True, email="duc@example.vn", phone="0987654321",
            body=NFD_BODY,  # legacy NFD text bypassing the services: exports give NFC
            disposition=Comment.Disposition.EXPLAINED, response="Khái niệm đã có trong Luật.",
        ),
        # Same person again on article 3, by paper at a meeting: counted once as a commenter.
        "paper": add_comment(
            draft, art3, name="Phạm Minh Đức", publish_name=True, email="duc@example.vn", phone="0987654321",
            channel=Comment.Channel.PAPER, received_on=dt.date(2026, 3, 10),
            body="Thời hạn của giấy phép nên là 24 tháng.",
        ),
        # Anonymous individual on article 3 whose text is a formula payload.
        "formula": add_comment(draft, art3, name="Hoàng Ẩn Danh", email="an@example.vn", body=FORMULAS[0]),
        "pending": add_comment(draft, art1, status=Comment.Status.PENDING, body="Góp ý đang chờ duyệt."),
        "rejected": add_comment(
            draft, art3, status=Comment.Status.REJECTED, rejection_reason=reason, body="Nội dung vi phạm."
        ),
    }  # fmt: skip
    return {"draft": draft, "articles": (art1, art2, art3), "comments": c, "reason": reason}


# --- helpers -----------------------------------------------------------------------------


def table_rows(doc: Any) -> list[list[str]]:
    """The rows of the synthesis table (the document's table with five columns)."""
    table = next(t for t in doc.tables if len(t.columns) == 5)
    return [[cell.text for cell in row.cells] for row in table.rows]


def docx_of(response: Any) -> Any:
    return Document(io.BytesIO(b"".join(response.streaming_content)))


def build_docx(draft: Draft, viewer: Any, **kwargs: Any) -> tuple[Any, exports.DocxSummary]:
    buf = io.BytesIO()
    summary = exports.write_docx(draft=draft, viewer=viewer, out=buf, **kwargs)
    buf.seek(0)
    return Document(buf), summary


def export_url(draft: Draft, fmt: str) -> str:
    return reverse("drafts:draft-export", kwargs={"slug": draft.slug, "fmt": fmt})


# --- the formula guard -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("   =1+2", "'   =1+2"),
        ("\n=1", "'\n=1"),
        ("＝1+1", "'＝1+1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        ("Bình thường = tốt", "Bình thường = tốt"),
        ("1-2", "1-2"),
        ("", ""),
        ("a@b.vn", "a@b.vn"),
    ],
)
def test_formula_like_text_is_quoted(value: str, expected: str) -> None:
    assert exports.neutralize_formula(value) == expected


# --- DOCX --------------------------------------------------------------------------------


def test_docx_standard_layout_has_header_title_totals_table_and_signature(
    data: dict[str, Any], moderator: User, settings: Any
) -> None:
    settings.CONSULT = {
        **settings.CONSULT,
        "PROVINCE_NAME": "tỉnh Bình An",
        "SITE_NAME": "Cổng TTĐT tỉnh Bình An",
    }
    doc, summary = build_docx(data["draft"], moderator, today=dt.date(2026, 2, 5))

    # Header block: agency left, national motto and place/date right (borderless table).
    header = doc.tables[0]
    left, right = header.rows[0].cells
    assert "ỦY BAN NHÂN DÂN TỈNH BÌNH AN" in left.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right.text
    assert "Độc lập - Tự do - Hạnh phúc" in right.text
    assert "Bình An, ngày 05 tháng 02 năm 2026" in right.text
    assert header._tbl.tblPr.find(f"{{{header._tbl.nsmap['w']}}}tblStyle") is None

    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BẢN TỔNG HỢP Ý KIẾN, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý" in text
    assert f"đối với dự thảo {TITLE}" in text
    assert "từ ngày 02/03/2026 đến ngày 01/04/2026" in text
    assert "Cổng TTĐT tỉnh Bình An" in text
    assert "Phòng Pháp chế, Sở Xây dựng" in text and "phapche@sxd.binhan.gov.vn" in text
    # Totals: 1 agency, 1 organisation, 2 individuals (Phạm Minh Đức twice counts once);
    # 5 published comments: 1 accepted, 1 partly, 1 explained, 2 not handled yet.
    assert "gồm 1 cơ quan nhà nước, 1 tổ chức, doanh nghiệp và 2 cá nhân" in text
    assert "góp ý: 4," in text
    assert "Tổng số ý kiến góp ý: 5 ý kiến." in text
    assert (
        "tiếp thu 1 ý kiến; tiếp thu một phần 1 ý kiến; giải trình, không tiếp thu 1 ý kiến; "
        "chưa tiếp thu, giải trình 2 ý kiến." in text
    )
    assert "1 ý kiến đang chờ kiểm duyệt" in text
    assert "1 ý kiến không được đăng" in text
    assert (summary.comments, summary.accepted, summary.partly, summary.explained) == (5, 1, 1, 1)

    rows = table_rows(doc)
    assert rows[0] == [
        "STT", "Nhóm vấn đề / Điều / Khoản", "Chủ thể góp ý", "Nội dung góp ý",
        "Ý kiến tiếp thu, giải trình",
    ]  # fmt: skip
    # Group heading rows span the table (python-docx repeats a merged cell's text).
    assert rows[1] == ["Góp ý chung"] * 5
    assert rows[2][0] == "1" and rows[2][1] == "Góp ý chung"
    assert rows[2][2] == "Sở Tài chính tỉnh Bình An\n(Cơ quan nhà nước)"
    assert rows[2][3] == "Đề nghị bổ sung căn cứ Luật Xây dựng năm 2014."
    assert rows[2][4] == "Tiếp thu.\nĐã bổ sung vào phần căn cứ."
    assert rows[3] == ["Điều 1. Phạm vi điều chỉnh"] * 5
    assert rows[4][:4] == [
        "2", "Điều 1", "Công ty Cổ phần Xây dựng Hòa Bình\n(Tổ chức, doanh nghiệp)",
        "Phạm vi chưa bao gồm công trình tạm.\nĐề nghị bổ sung.",
    ]  # fmt: skip
    assert rows[4][4] == "Tiếp thu một phần.\nTiếp thu một phần."
    assert rows[5][0] == "3" and rows[5][2] == "Phạm Minh Đức\n(Cá nhân)"
    # NFD input stored as NFC comes out as NFC.
    assert rows[5][3] == unicodedata.normalize("NFC", NFD_BODY)
    assert unicodedata.is_normalized("NFC", rows[5][3])
    assert rows[5][4] == "Giải trình, không tiếp thu.\nKhái niệm đã có trong Luật."
    # Article 2 has no comments: no group. Article 3: paper comment shows its channel and date;
    # the anonymous individual is not named; the formula stays plain text.
    assert rows[6] == ["Điều 3. Giấy phép xây dựng có thời hạn"] * 5
    assert rows[7][0] == "4" and rows[7][2] == "Phạm Minh Đức\n(Cá nhân)\nVăn bản giấy, 10/03/2026"
    assert rows[7][4] == "Chưa tiếp thu, giải trình"
    assert rows[8][0] == "5" and rows[8][2] == "Người góp ý ẩn danh\n(Cá nhân)"
    assert rows[8][3] == FORMULAS[0]
    assert len(rows) == 9
    # Pending, rejected and contact details are nowhere in the document.
    everything = text + "\n".join("|".join(r) for r in rows)
    for absent in ("Góp ý đang chờ duyệt.", "Nội dung vi phạm.", "Hoàng Ẩn Danh", "0987654321",
                   "stc@binhan.gov.vn", "Lê Thị Cúc"):  # fmt: skip
        assert absent not in everything

    # Signature block.
    signature = doc.tables[-1].rows[0].cells[1].text
    assert "CƠ QUAN SOẠN THẢO" in signature and "(Ký, ghi rõ họ tên, đóng dấu)" in signature


def test_docx_is_landscape_a4_times_new_roman_with_repeated_header_row(
    data: dict[str, Any], moderator: User
) -> None:
    doc, _summary = build_docx(data["draft"], moderator)
    section = doc.sections[0]
    assert section.page_width > section.page_height
    assert round(section.page_width.cm, 1) == 29.7 and round(section.page_height.cm, 1) == 21.0
    styles = doc.styles.element.xml
    assert 'w:ascii="Times New Roman"' in styles and '<w:sz w:val="26"/>' in styles
    table = next(t for t in doc.tables if len(t.columns) == 5)
    w = table._tbl.nsmap["w"]
    first, second = table._tbl.tr_lst[:2]
    assert first.find(f"{{{w}}}trPr/{{{w}}}tblHeader") is not None
    assert second.find(f"{{{w}}}trPr/{{{w}}}tblHeader") is None


def test_docx_include_pending_lists_pending_comments_marked(
    data: dict[str, Any], moderator: User
) -> None:
    doc, summary = build_docx(data["draft"], moderator, include_pending=True)
    bodies = [r[3] for r in table_rows(doc)]
    assert "[Chưa duyệt] Góp ý đang chờ duyệt." in bodies
    assert "Nội dung vi phạm." not in " ".join(bodies)
    assert (
        summary.comments == 6 and summary.pending_excluded == 0 and summary.rejected_excluded == 1
    )


def test_docx_five_column_layout(data: dict[str, Any], moderator: User) -> None:
    doc, _summary = build_docx(data["draft"], moderator, layout=exports.LAYOUT_FIVE_COLUMN)
    rows = table_rows(doc)
    assert rows[0] == [
        "TT", "Nội dung dự thảo (Điều, khoản)", "Nội dung góp ý", "Đơn vị góp ý",
        "Ý kiến giải trình, tiếp thu",
    ]  # fmt: skip
    # No heading rows: one row per comment; the article cell is merged down its comments
    # (python-docx shows the merged cell's text on every row it covers).
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert [r[1] for r in rows[1:]] == [
        "Góp ý chung",
        "Điều 1. Phạm vi điều chỉnh",
        "Điều 1. Phạm vi điều chỉnh",
        "Điều 3. Giấy phép xây dựng có thời hạn",
        "Điều 3. Giấy phép xây dựng có thời hạn",
    ]
    assert rows[2][2] == "Phạm vi chưa bao gồm công trình tạm.\nĐề nghị bổ sung."
    assert rows[2][3] == "Công ty Cổ phần Xây dựng Hòa Bình\n(Tổ chức, doanh nghiệp)"
    assert rows[2][4] == "Tiếp thu một phần.\nTiếp thu một phần."
    w = doc.tables[1]._tbl.nsmap["w"]
    merges = [
        tr.findall(f"{{{w}}}tc")[1].find(f"{{{w}}}tcPr/{{{w}}}vMerge")
        for tr in doc.tables[1]._tbl.tr_lst[1:]
    ]
    assert [m.get(f"{{{w}}}val") for m in merges] == ["restart", "restart", None, "restart", None]


def test_docx_of_a_draft_without_comments_says_so(draft: Draft, moderator: User) -> None:
    doc, summary = build_docx(draft, moderator)
    rows = table_rows(doc)
    assert rows[1] == ["Không có ý kiến góp ý."] * 5
    assert summary.comments == 0


def test_docx_general_comments_come_first_whatever_the_database_order(
    draft: Draft, moderator: User
) -> None:
    art = make_article(draft, 1, "Phạm vi", 1)
    add_comment(draft, art, body="Về Điều 1")
    add_comment(draft, None, body="Chung A")
    add_comment(draft, None, body="Chung B")
    rows = table_rows(build_docx(draft, moderator)[0])
    assert [r[0] for r in rows[1:]] == ["Góp ý chung", "1", "2", "Điều 1. Phạm vi", "3"]
    assert [r[3] for r in rows[1:] if r[0].isdigit()] == ["Chung A", "Chung B", "Về Điều 1"]


# --- XLSX ----------------------------------------------------------------------------------


def build_xlsx(draft: Draft, viewer: Any, *, with_contacts: bool) -> tuple[Any, int]:
    buf = io.BytesIO()
    count = exports.write_xlsx(draft=draft, viewer=viewer, out=buf, with_contacts=with_contacts)
    buf.seek(0)
    return openpyxl.load_workbook(buf).active, count


def test_xlsx_has_every_field_per_comment_with_contacts(
    data: dict[str, Any], agency_staff: User
) -> None:
    sheet, count = build_xlsx(data["draft"], agency_staff, with_contacts=True)
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == [
        "STT", "Mã góp ý", "Điều, khoản", "Tên điều", "Chủ thể góp ý", "Người góp ý",
        "Cơ quan, tổ chức", "Thư điện tử", "Điện thoại", "Đồng ý công khai tên", "Nội dung góp ý",
        "Trạng thái", "Lý do từ chối", "Kết quả tiếp thu", "Ý kiến tiếp thu, giải trình",
        "Hình thức tiếp nhận", "Ngày nhận", "Thời điểm gửi", "Thời điểm đăng", "Thời điểm duyệt",
        "Thời điểm tiếp thu, giải trình",
    ]  # fmt: skip
    assert count == 7 and len(rows) == 8  # every status
    by_id = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    c = data["comments"]
    assert by_id[c["named"].pk]["Nội dung góp ý"] == unicodedata.normalize("NFC", NFD_BODY)
    org = by_id[c["org"].pk]
    assert org["Điều, khoản"] == "Điều 1" and org["Tên điều"] == "Phạm vi điều chỉnh"
    assert org["Chủ thể góp ý"] == "Tổ chức, doanh nghiệp"
    assert org["Người góp ý"] == "Lê Thị Cúc"
    assert org["Cơ quan, tổ chức"] == "Công ty Cổ phần Xây dựng Hòa Bình"
    assert org["Điện thoại"] == "0912345678"
    assert org["Nội dung góp ý"] == "Phạm vi chưa bao gồm công trình tạm.\nĐề nghị bổ sung."
    assert org["Trạng thái"] == "Đã đăng"
    assert org["Kết quả tiếp thu"] == "Tiếp thu một phần"
    assert org["Ý kiến tiếp thu, giải trình"] == "Tiếp thu một phần."
    assert org["Hình thức tiếp nhận"] == "Trực tuyến"
    # Local time (UTC+7) as a real Excel datetime.
    expected = c["org"].submitted_at.astimezone(TZ).replace(tzinfo=None)
    assert org["Thời điểm gửi"] == expected
    assert isinstance(org["Thời điểm gửi"], dt.datetime)
    general = by_id[c["general"].pk]
    assert general["Điều, khoản"] == "Góp ý chung" and general["Tên điều"] is None
    assert general["Thư điện tử"] == "stc@binhan.gov.vn"
    assert general["Chủ thể góp ý"] == "Cơ quan nhà nước"
    paper = by_id[c["paper"].pk]
    assert paper["Hình thức tiếp nhận"] == "Văn bản giấy"
    assert paper["Ngày nhận"] == dt.datetime(2026, 3, 10)
    assert paper["Kết quả tiếp thu"] == "Chưa xử lý"
    rejected = by_id[c["rejected"].pk]
    assert rejected["Trạng thái"] == "Bị từ chối"
    assert rejected["Lý do từ chối"] == data["reason"].title
    assert by_id[c["pending"].pk]["Trạng thái"] == "Chờ duyệt"
    # The anonymous individual's real name is there for staff allowed to see contacts.
    assert by_id[c["formula"].pk]["Người góp ý"] == "Hoàng Ẩn Danh"
    # Row order follows the articles: general, Điều 1 (×3), Điều 3 (×3); STT counts 1..7.
    assert [r[0] for r in rows[1:]] == list(range(1, 8))


def test_xlsx_sheet_is_frozen_filtered_and_wrapped(data: dict[str, Any], moderator: User) -> None:
    sheet, _count = build_xlsx(data["draft"], moderator, with_contacts=True)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:U8"
    body_col = next(cell.column_letter for cell in sheet[1] if cell.value == "Nội dung góp ý")
    assert sheet.column_dimensions[body_col].width > 60
    assert sheet[f"{body_col}2"].alignment.wrap_text is True
    assert sheet["A1"].font.b is True


def test_xlsx_without_contacts_has_no_email_phone_or_hidden_names(
    data: dict[str, Any], moderator: User
) -> None:
    sheet, _count = build_xlsx(data["draft"], moderator, with_contacts=False)
    rows = list(sheet.iter_rows(values_only=True))
    assert "Thư điện tử" not in rows[0] and "Điện thoại" not in rows[0]
    flat = " ".join(str(v) for row in rows for v in row if v is not None)
    for secret in (
        "0987654321",
        "0912345678",
        "stc@binhan.gov.vn",
        "an@example.vn",
        "Hoàng Ẩn Danh",
        "Lê Thị Cúc",
    ):
        assert secret not in flat
    names = {row[1]: row[5] for row in rows[1:]}
    assert names[data["comments"]["formula"].pk] == "Người góp ý ẩn danh"
    assert names[data["comments"]["named"].pk] == "Phạm Minh Đức"  # agreed to be named


def test_xlsx_formula_payloads_are_stored_as_quoted_text(draft: Draft, moderator: User) -> None:
    for payload in FORMULAS:
        add_comment(draft, None, body=payload, name=payload, organization=payload, response=payload)
    buf = io.BytesIO()
    exports.write_xlsx(draft=draft, viewer=moderator, out=buf, with_contacts=True)
    buf.seek(0)
    sheet = openpyxl.load_workbook(buf).active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for title in (
            "Nội dung góp ý",
            "Người góp ý",
            "Cơ quan, tổ chức",
            "Ý kiến tiếp thu, giải trình",
        ):
            cell = row[header.index(title)]
            assert cell.data_type == "s", (title, cell.value)
            assert cell.value.startswith("'"), (title, cell.value)
    # No formula anywhere in the sheet XML.
    buf.seek(0)
    import zipfile

    sheet_xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


# --- CSV -----------------------------------------------------------------------------------


def csv_rows(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_has_bom_same_columns_and_neutralised_formulas(draft: Draft, moderator: User) -> None:
    art = make_article(draft, 5, "Điều khoản thi hành", 5)
    for payload in FORMULAS:
        add_comment(draft, art, body=payload, name="Ngô Thị Hà", publish_name=True)
    add_comment(draft, art, body=NFD_BODY.replace("Đề", "Về"), name="Nguyễn Ánh", phone="0901")
    raw = b"".join(exports.csv_stream(draft=draft, viewer=moderator, with_contacts=True, batch=3))
    rows = csv_rows(raw)
    header = rows[0]
    assert header == [c.header for c in exports.table_columns(with_contacts=True)]
    assert len(rows) == len(FORMULAS) + 2
    body = header.index("Nội dung góp ý")
    for row, payload in zip(rows[1:], FORMULAS, strict=False):
        assert row[body] == "'" + payload
        assert row[header.index("Điều, khoản")] == "Điều 5"
        assert row[header.index("Người góp ý")] == "Ngô Thị Hà"
    assert rows[-1][header.index("Điện thoại")] == "0901"
    assert rows[-1][body] == unicodedata.normalize("NFC", NFD_BODY.replace("Đề", "Về"))
    assert rows[-1][header.index("Người góp ý")] == "Nguyễn Ánh"
    # Excel-friendly: CRLF line ends, ISO local datetimes, Vietnamese intact.
    assert b"\r\n" in raw
    submitted = rows[1][header.index("Thời điểm gửi")]
    assert dt.datetime.strptime(submitted, "%Y-%m-%d %H:%M:%S")
    assert "Điều khoản thi hành" in raw.decode("utf-8-sig")


def test_csv_without_contacts_drops_contact_columns(data: dict[str, Any], moderator: User) -> None:
    raw = b"".join(exports.csv_stream(draft=data["draft"], viewer=moderator, with_contacts=False))
    rows = csv_rows(raw)
    assert "Thư điện tử" not in rows[0] and "Điện thoại" not in rows[0]
    assert len(rows) == 8
    assert "0987654321" not in raw.decode("utf-8-sig")


def test_csv_stream_checks_the_permission_before_any_byte(
    data: dict[str, Any], other_agency: Agency
) -> None:
    from consult.errors import NotAllowed

    outsider = make_user("agency_staff", agency=other_agency)
    with pytest.raises(NotAllowed):
        exports.csv_stream(draft=data["draft"], viewer=outsider, with_contacts=False)


# --- file names ----------------------------------------------------------------------------


def test_download_name_has_ascii_fallback_and_utf8_name_without_injection(agency: Agency) -> None:
    draft = make_draft(
        agency, title='Nghị quyết "về" phí\r\nSet-Cookie: x=1; a/b\\c', slug="nq-phi"
    )
    header = exports.content_disposition(draft, "xlsx")
    assert "\r" not in header and "\n" not in header
    assert header.startswith(
        'attachment; filename="danh-sach-gop-y-nghi-quyet-ve-phi-set-cookie-x1-a-b-c.xlsx"; '
    )
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert all(ch not in encoded for ch in ' ";\\')
    name = urllib.parse.unquote(encoded)
    assert name == "Danh sách góp ý - Nghị quyết về phí Set-Cookie x=1 a b c.xlsx"
    header.encode("ascii")  # latin-1 safe header


# --- the view: permissions, audit, streaming ------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_anonymous_cannot_export_and_is_sent_to_login(
    data: dict[str, Any], client: Client, fmt: str
) -> None:
    response = client.get(export_url(data["draft"], fmt))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not AuditEntry.objects.filter(action="draft.export").exists()


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_agency_staff_cannot_export_other_agency_draft(
    data: dict[str, Any], client: Client, other_agency: Agency, fmt: str
) -> None:
    client.force_login(make_user("agency_staff", agency=other_agency))
    response = client.get(export_url(data["draft"], fmt))
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="draft.export").exists()


def test_leader_cannot_export(data: dict[str, Any], client: Client, leader_user: User) -> None:
    client.force_login(leader_user)
    assert client.get(export_url(data["draft"], "csv")).status_code == 403


@pytest.mark.parametrize("role", ["agency_staff", "moderator", "admin_user"])
@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_staff_can_export_and_each_download_is_audited(
    data: dict[str, Any], client: Client, request: Any, role: str, fmt: str
) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    draft = data["draft"]
    response = client.get(export_url(draft, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES[fmt]
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f".{fmt}\"; filename*=UTF-8''" in disposition
    assert urllib.parse.unquote(disposition.split("''", 1)[1]).endswith(f"{TITLE}.{fmt}")
    raw = b"".join(response.streaming_content)
    if fmt == "docx":
        assert len(table_rows(Document(io.BytesIO(raw)))) == 9
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(raw)).active
        assert sheet.max_row == 8
        assert "Thư điện tử" in [c.value for c in sheet[1]]  # staff allowed to see contacts
    else:
        assert len(csv_rows(raw)) == 8

    entry = AuditEntry.objects.get(action="draft.export")
    assert entry.actor == user
    assert entry.item_kind == "draft" and entry.item_id == draft.pk
    assert entry.after["format"] == fmt
    assert entry.after["with_contacts"] is (fmt != "docx")
    assert TITLE[:50] in entry.note


def test_two_downloads_leave_two_audit_entries_with_layout(
    data: dict[str, Any], client: Client, moderator: User
) -> None:
    client.force_login(moderator)
    url = export_url(data["draft"], "docx")
    assert client.get(url).status_code == 200
    response = client.get(url + "?layout=five-column")
    assert table_rows(docx_of(response))[0][0] == "TT"
    assert "5-cot" in response["Content-Disposition"]
    layouts = sorted(e.after["layout"] for e in AuditEntry.objects.filter(action="draft.export"))
    assert layouts == ["five-column", "standard"]


def test_staff_cannot_export_unknown_format_layout_or_draft(
    data: dict[str, Any], client: Client, moderator: User
) -> None:
    client.force_login(moderator)
    draft = data["draft"]
    assert client.get(f"/drafts/{draft.slug}/export.pdf").status_code == 404
    assert client.get(f"/drafts/{draft.slug}/export.docx?layout=<script>").status_code == 400
    assert client.get("/drafts/khong-co/export.csv").status_code == 404
    assert not AuditEntry.objects.filter(action="draft.export").exists()


def test_staff_cannot_export_with_post(
    data: dict[str, Any], client: Client, moderator: User
) -> None:
    client.force_login(moderator)
    assert client.post(export_url(data["draft"], "csv")).status_code == 405


@pytest.mark.django_db(transaction=True)
async def test_csv_streams_asynchronously_under_asgi(agency: Agency) -> None:
    from asgiref.sync import sync_to_async

    @sync_to_async
    def setup() -> tuple[Draft, User]:
        draft = make_draft(agency, slug="asgi")
        Comment.objects.bulk_create(
            Comment(draft=draft, commenter_type="individual", name="Lê Văn Tám", body=f"Góp ý {i}")
            for i in range(1200)
        )
        return draft, make_user("moderator")

    draft, user = await setup()
    client = AsyncClient()
    await sync_to_async(client.force_login)(user)
    response = await client.get(export_url(draft, "csv"))
    assert response.status_code == 200
    assert response.is_async  # no "must consume synchronous iterators" buffering
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) > 2  # header + several batches of rows
    rows = csv_rows(b"".join(chunks))
    assert len(rows) == 1201 and rows[-1][0] == "1200"
    # The rows were read in the thread sync_to_async uses; a real ASGI server closes that
    # thread's connection when the response ends, the test client does not.
    from django.db import connections

    await sync_to_async(connections.close_all)()


# --- the management command ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_export_comments_command_writes_the_report(
    data: dict[str, Any], tmp_path: Path, capsys: Any, fmt: str
) -> None:
    target = tmp_path / f"bao-cao.{fmt}"
    call_command("export_comments", data["draft"].slug, "--format", fmt, "-o", str(target))
    out = capsys.readouterr().out
    assert str(target) in out
    assert ("5 comments" if fmt == "docx" else "7 comments") in out
    assert not list(tmp_path.glob(".*part"))
    if fmt == "docx":
        assert len(table_rows(Document(str(target)))) == 9
    elif fmt == "xlsx":
        header = [c.value for c in openpyxl.load_workbook(target).active[1]]
        assert "Thư điện tử" not in header  # no contacts by default
    else:
        rows = csv_rows(target.read_bytes())
        assert "Điện thoại" not in rows[0] and len(rows) == 8
    entry = AuditEntry.objects.get(action="draft.export")
    assert entry.actor is None and "export_comments" in entry.actor_label
    assert entry.after["format"] == fmt


def test_export_comments_command_with_contacts_and_layout(
    data: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "ds.xlsx"
    call_command(
        "export_comments",
        data["draft"].slug,
        "--format",
        "xlsx",
        "--with-contacts",
        "-o",
        str(target),
    )
    header = [c.value for c in openpyxl.load_workbook(target).active[1]]
    assert "Thư điện tử" in header and "Điện thoại" in header
    docx_target = tmp_path / "bang.docx"
    call_command(
        "export_comments",
        data["draft"].slug,
        "--format",
        "docx",
        "--layout",
        "five-column",
        "-o",
        str(docx_target),
    )
    assert table_rows(Document(str(docx_target)))[0][0] == "TT"


def test_export_comments_command_refuses_unknown_draft(db: Any, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no draft"):
        call_command(
            "export_comments", "khong-co", "--format", "csv", "-o", str(tmp_path / "x.csv")
        )
    assert not (tmp_path / "x.csv").exists()


def test_rows_without_contacts_name_people_as_the_public_page_does(
    draft: Draft, moderator: User
) -> None:
    """The export reads plain rows, not comments: its names must stay Comment.display_name."""
    combos = [
        (commenter_type, organization, publish_name)
        for commenter_type in Comment.CommenterType.values
        for organization in ("", "Hiệp hội Doanh nghiệp tỉnh")
        for publish_name in (True, False)
    ]
    comments = [
        Comment.objects.create(
            draft=draft,
            commenter_type=commenter_type,
            name="Đặng Văn Tư",
            organization=organization,
            publish_name=publish_name,
            body="Góp ý.",
        )
        for commenter_type, organization, publish_name in combos
    ]
    raw = b"".join(exports.csv_stream(draft=draft, viewer=moderator, with_contacts=False))
    rows = csv_rows(raw)
    names = {int(row[1]): row[5] for row in rows[1:]}
    assert names == {c.pk: c.display_name for c in comments}
    general = {int(row[1]): row[2] for row in rows[1:]}
    assert set(general.values()) == {"Góp ý chung"}


def test_a_stored_value_outside_the_choices_is_neutralised_like_text(
    draft: Draft, moderator: User
) -> None:
    comment = Comment.objects.create(
        draft=draft, commenter_type="individual", name="Lý Văn Năm", body="Góp ý."
    )
    Comment.objects.filter(pk=comment.pk).update(channel="=1+1")  # a legacy row
    rows = csv_rows(
        b"".join(exports.csv_stream(draft=draft, viewer=moderator, with_contacts=False))
    )
    header = rows[0]
    assert rows[1][header.index("Hình thức tiếp nhận")] == "'=1+1"
    assert rows[1][header.index("Chủ thể góp ý")] == "Cá nhân"
    sheet, _count = build_xlsx(draft, moderator, with_contacts=False)
    values = [cell.value for cell in sheet[2]]
    assert "'=1+1" in values and not any(str(v).startswith("=") for v in values if v)


def _xlsx_reference(draft: Draft, viewer: Any, *, with_contacts: bool) -> Any:
    """The same rows written cell by cell through XlsxWriter's own API (what write_xlsx did
    before it wrote the rows' XML itself), opened back."""
    import xlsxwriter

    builder = exports._RowBuilder(with_contacts=with_contacts)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})  # fmt: skip
    sheet = book.add_worksheet("Góp ý")
    base = {"valign": "top", "font_name": "Times New Roman", "font_size": 12}
    formats = {
        "text": book.add_format({**base, "text_wrap": True}),
        "int": book.add_format({**base, "align": "center"}),
        "date": book.add_format({**base, "num_format": "dd/mm/yyyy"}),
        "datetime": book.add_format({**base, "num_format": "dd/mm/yyyy hh:mm"}),
    }
    formats["label"] = formats["text"]
    for index, col in enumerate(builder.columns):
        sheet.write_string(0, index, col.header)
    rows = exports.comment_rows_for_export(draft=draft, viewer=viewer)
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(builder.values(number, row)):
            kind = builder.columns[index].kind
            if value is None or value == "":
                continue
            if kind == "text":
                sheet.write_string(number, index, exports._xlsx_text(value), formats[kind])
            elif kind == "label":
                sheet.write_string(number, index, value, formats[kind])
            elif kind == "int":
                sheet.write_number(number, index, value, formats[kind])
            else:
                if kind == "date":
                    value = dt.datetime.combine(value, dt.time())
                sheet.write_datetime(number, index, value, formats[kind])
    book.close()
    buf.seek(0)
    return openpyxl.load_workbook(buf).active


@pytest.mark.parametrize("with_contacts", [True, False])
def test_xlsx_rows_equal_xlsxwriters_own_cells(
    data: dict[str, Any], moderator: User, with_contacts: bool
) -> None:
    """write_xlsx writes the rows' XML itself: every cell must read back as XlsxWriter's own
    would (value, type, number format, wrapping), whitespace, entities and control-character
    escapes included."""
    draft = data["draft"]
    tricky = [
        "  khoảng trắng đầu và cuối  ",
        "A & B < C > D \"E\" 'F'",
        "dòng 1\r\ndòng 2\ndòng 3",
        "chuỗi _x0041_ giống mã thoát",
        "tab\tgiữa",
    ]
    for body in tricky:
        Comment.objects.create(
            draft=draft, commenter_type="individual", name="Vũ Thị Sáu", body=body,
            received_on=dt.date(2026, 3, 5), status=Comment.Status.PUBLISHED,
            published_at=dt.datetime(2026, 3, 5, 9, 30, 15, tzinfo=TZ),
        )  # fmt: skip
    ours, count = build_xlsx(draft, moderator, with_contacts=with_contacts)
    reference = _xlsx_reference(draft, moderator, with_contacts=with_contacts)
    assert count == Comment.objects.filter(draft=draft).count()
    assert ours.max_row == reference.max_row == count + 1
    assert ours.max_column == reference.max_column
    for mine, theirs in zip(ours.iter_rows(min_row=2), reference.iter_rows(min_row=2), strict=True):
        for a, b in zip(mine, theirs, strict=True):
            assert (a.value, a.data_type, a.number_format) == (
                b.value,
                b.data_type,
                b.number_format,
            )
            if a.value is not None:
                assert a.alignment.wrap_text == b.alignment.wrap_text
                assert a.font.name == b.font.name == "Times New Roman"
    bodies = {row[10] if with_contacts else row[8] for row in ours.iter_rows(values_only=True)}
    # (openpyxl reads the \r and _x005F_ escapes back differently from Excel: those two are
    # held by the cell-by-cell equality above.)
    assert set(tricky[:2] + tricky[4:]) <= bodies


def test_xlsx_text_that_looks_like_xml_is_text(draft: Draft, moderator: User) -> None:
    payload = "<r><t>chèn</t></r>"
    Comment.objects.create(
        draft=draft, commenter_type="individual", name="Lò Văn Bảy", body=payload
    )
    sheet, _count = build_xlsx(draft, moderator, with_contacts=False)
    assert payload in [cell.value for cell in sheet[2]]
