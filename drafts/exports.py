"""Downloads of a draft's comments for its drafting agency.

Three formats, all thin over `drafts.selectors.comment_list_for_export` (DOCX) and
`comment_rows_for_export` (XLSX, CSV: plain tuples, no model instances), which check the
permission and stream every comment in article order:

- DOCX: the synthesis table the agency files and publishes ("Bản tổng hợp ý kiến, tiếp thu,
  giải trình ý kiến góp ý", LEGAL.md), in the standard layout or the older five-column one.
- XLSX: one row per comment with every useful field, written in XlsxWriter's constant-memory
  mode to a temporary file.
- CSV: the same columns, UTF-8 with a BOM, produced as a generator of byte chunks.

Nothing here changes a model; the view and the management command record each download in
the audit log with `record_download`. No cell a spreadsheet opens can start a formula: every
text value passes through `neutralize_formula`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import re
import tempfile
import unicodedata
import urllib.parse
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar
from xml.sax.saxutils import escape as xml_escape

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt
from xlsxwriter.utility import xl_col_to_name

from consult.text import fold
from drafts.models import Comment, Draft
from drafts.selectors import comment_list_for_export, comment_rows_for_export
from moderation.services import audit_record

FORMAT_DOCX = "docx"
FORMAT_XLSX = "xlsx"
FORMAT_CSV = "csv"
FORMATS = (FORMAT_DOCX, FORMAT_XLSX, FORMAT_CSV)

LAYOUT_STANDARD = "standard"
LAYOUT_FIVE_COLUMN = "five-column"
LAYOUTS = (LAYOUT_STANDARD, LAYOUT_FIVE_COLUMN)

CONTENT_TYPES = {
    FORMAT_DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FORMAT_XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FORMAT_CSV: "text/csv; charset=utf-8",
}

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
CSV_BOM = "\ufeff"
# Excel refuses longer strings in one cell; a longer comment is cut with a visible marker.
XLSX_MAX_CELL = 32767


# --- shared helpers ------------------------------------------------------------------------

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and carriage
# return, strips them and then does). Full-width forms are included because some spreadsheet
# programs fold them to their ASCII equivalents.
_FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def neutralize_formula(value: str) -> str:
    """Return `value` prefixed with a single quote when a spreadsheet could read it as a
    formula: it starts (possibly after whitespace) with =, +, -, @, a tab, a carriage return
    or a full-width =, +, -, @. The one helper used by XLSX and CSV (OWASP "CSV injection")."""
    if not value:
        return value
    first = value[0]
    # lstrip() copies the whole text: only when it starts with whitespace.
    if first in _FORMULA_TRIGGERS or (first.isspace() and value.lstrip()[:1] in _FORMULA_TRIGGERS):
        return "'" + value
    return value


# Characters XML 1.0 cannot carry; they would make Word refuse the whole document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_clean(value: str) -> str:
    """Text as NFC (TCVN 6909, even for legacy rows stored otherwise) without characters XML
    cannot carry."""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return _XML_INVALID.sub("", value)


def local(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime as naive local time in Asia/Ho_Chi_Minh (what Excel expects)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def download_filename(draft: Draft, fmt: str, *, layout: str = LAYOUT_STANDARD) -> tuple[str, str]:
    """(ASCII fallback, Unicode name) for a download of `draft` in `fmt`.

    The Unicode name keeps the Vietnamese title; both are stripped of CR, LF, quotes, path
    separators and other characters that could break the header or a file system.
    """
    title = _UNSAFE_NAME.sub(" ", draft.title)
    title = " ".join(title.split())[:120].strip(" .") or draft.slug
    if fmt == FORMAT_DOCX:
        prefix, ascii_prefix = "Bảng tổng hợp góp ý", "bang-tong-hop-gop-y"
        if layout == LAYOUT_FIVE_COLUMN:
            prefix, ascii_prefix = prefix + " (5 cột)", ascii_prefix + "-5-cot"
    else:
        prefix, ascii_prefix = "Danh sách góp ý", "danh-sach-gop-y"
    unicode_name = f"{prefix} - {title}.{fmt}"
    ascii_slug = slugify(fold(title))[:80].strip("-") or "du-thao"
    return f"{ascii_prefix}-{ascii_slug}.{fmt}", unicode_name


def content_disposition(draft: Draft, fmt: str, *, layout: str = LAYOUT_STANDARD) -> str:
    """An RFC 6266 attachment header: an ASCII `filename` for old clients and the Vietnamese
    name percent-encoded in `filename*`."""
    ascii_name, unicode_name = download_filename(draft, fmt, layout=layout)
    quoted = urllib.parse.quote(unicode_name, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def record_download(
    *,
    actor: Any,
    draft: Draft,
    fmt: str,
    layout: str | None,
    with_contacts: bool,
    count: int,
    actor_label: str | None = None,
) -> None:
    """Append the audit entry for one export of a draft's comments (the only write of a
    download): action "draft.export" on the draft, so the log filtered by the draft shows
    who took its comments away, in which format and whether with contact details. Called by
    the download view and by `export_comments`."""
    what = {FORMAT_DOCX: "bảng tổng hợp (DOCX", FORMAT_XLSX: "XLSX", FORMAT_CSV: "CSV"}[fmt]
    if fmt == FORMAT_DOCX:
        what += ", mẫu 5 cột)" if layout == LAYOUT_FIVE_COLUMN else ", mẫu tiêu chuẩn)"
    note = _(
        "Tải xuống góp ý: %(what)s, dự thảo «%(title)s» (#%(id)s), %(count)s góp ý, %(contacts)s."
    ) % {
        "what": what,
        "title": draft.title[:200],
        "id": draft.pk,
        "count": count,
        "contacts": _("có thông tin liên hệ") if with_contacts else _("không có thông tin liên hệ"),
    }
    with transaction.atomic():
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action="draft.export",
            item_kind="draft",
            item=draft,
            after={
                "draft": draft.pk,
                "format": fmt,
                "layout": layout or "",
                "with_contacts": with_contacts,
                "count": count,
            },
            note=note,
        )


def _choices(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


Progress = Callable[[int], None]
_Row = TypeVar("_Row")  # a Comment (DOCX) or a row tuple (XLSX, CSV)
PROGRESS_EVERY = 500


def _with_progress(comments: Iterator[_Row], progress: Progress | None) -> Iterator[_Row]:
    """Pass the comments (instances or row tuples) through, telling `progress` how many were read every PROGRESS_EVERY
    (a prepared download shows it, drafts/export_jobs.py); `None` costs nothing."""
    if progress is None:
        yield from comments
        return
    done = 0
    for comment in comments:
        yield comment
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(done)


def _article_label(comment: Comment) -> tuple[str, str]:
    """(citation, title) of the article a comment is on; ("Góp ý chung", "") for the draft."""
    article = comment.article
    if article is None:
        return _("Góp ý chung"), ""
    citation = article.citation or (f"Điều {article.number}" if article.number else "")
    return citation or article.title or _("Điều khoản không xác định"), article.title


# --- rows for XLSX and CSV -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    # text | label | int | date | datetime. A label is one of the portal's own words (a
    # status, a type, yes/no): text that nobody typed, so it needs no formula neutralising.
    kind: str = "text"
    contact: bool = False


def table_columns(*, with_contacts: bool) -> list[Column]:
    """The columns of the XLSX and CSV exports; e-mail and phone only with contacts."""
    columns = [
        Column("stt", _("STT"), 6, "int"),
        Column("id", _("Mã góp ý"), 9, "int"),
        Column("citation", _("Điều, khoản"), 14),
        Column("article_title", _("Tên điều"), 28),
        Column("commenter_type", _("Chủ thể góp ý"), 20, "label"),
        Column("name", _("Người góp ý"), 24),
        Column("organization", _("Cơ quan, tổ chức"), 28),
        Column("email", _("Thư điện tử"), 28, contact=True),
        Column("phone", _("Điện thoại"), 15, contact=True),
        Column("publish_name", _("Đồng ý công khai tên"), 12, "label"),
        Column("body", _("Nội dung góp ý"), 70),
        Column("status", _("Trạng thái"), 13, "label"),
        Column("rejection_reason", _("Lý do từ chối"), 30),
        Column("disposition", _("Kết quả tiếp thu"), 20, "label"),
        Column("response", _("Ý kiến tiếp thu, giải trình"), 60),
        Column("channel", _("Hình thức tiếp nhận"), 18, "label"),
        Column("received_on", _("Ngày nhận"), 12, "date"),
        Column("submitted_at", _("Thời điểm gửi"), 17, "datetime"),
        Column("published_at", _("Thời điểm đăng"), 17, "datetime"),
        Column("decided_at", _("Thời điểm duyệt"), 17, "datetime"),
        Column("disposition_at", _("Thời điểm tiếp thu, giải trình"), 17, "datetime"),
    ]
    return [c for c in columns if with_contacts or not c.contact]


def _label(labels: dict[str, str], value: str) -> str:
    """The portal's label for a stored choice; a value outside the choices (a legacy row) is
    shown as stored, neutralised like any text since nobody vouches for it."""
    label = labels.get(value)
    return label if label is not None else neutralize_formula(value or "")


class _RowBuilder:
    """Turns a row of `comment_rows_for_export` into the values of `table_columns`, with
    labels looked up once. Built for 100,000 rows: plain tuples in, a list out, no lookups
    by name."""

    def __init__(self, *, with_contacts: bool) -> None:
        self.with_contacts = with_contacts
        self.columns = table_columns(with_contacts=with_contacts)
        self.types = _choices(Comment.CommenterType.choices)
        self.statuses = _choices(Comment.Status.choices)
        self.dispositions = _choices(Comment.Disposition.choices)
        self.channels = _choices(Comment.Channel.choices)
        self.yes, self.no = _("Có"), _("Không")
        self.general = _("Góp ý chung")
        self.unknown_article = _("Điều khoản không xác định")
        # Comment.display_name's label, looked up once.
        self.anonymous = str(_("Người góp ý ẩn danh"))

    def article_label(self, article_id: Any, citation: str, number: str, title: str) -> str:
        """The article's citation ("Điều 5"), as `_article_label` gives it for a comment."""
        if article_id is None:
            return self.general
        return citation or (f"Điều {number}" if number else "") or title or self.unknown_article

    def values(self, number: int, row: tuple[Any, ...]) -> list[Any]:
        (pk, article_id, citation, article_number, article_title, commenter_type, name,
         organization, email, phone, publish_name, body, status, reason, disposition,
         response, channel, received_on, submitted_at, published_at, decided_at,
         disposition_at) = row  # fmt: skip
        if self.with_contacts:
            shown_name = name
        elif commenter_type != Comment.CommenterType.INDIVIDUAL and organization:
            shown_name = organization  # Comment.display_name
        else:
            shown_name = name if publish_name else self.anonymous
        values = [
            number,
            pk,
            self.article_label(article_id, citation, article_number, article_title),
            (article_title or "") if article_id is not None else "",
            _label(self.types, commenter_type),
            shown_name,
            organization,
        ]
        if self.with_contacts:
            values += [email, phone]
        values += [
            self.yes if publish_name else self.no,
            body,
            _label(self.statuses, status),
            reason or "",
            _label(self.dispositions, disposition),
            response,
            _label(self.channels, channel),
            received_on,
            local(submitted_at),
            local(published_at),
            local(decided_at),
            local(disposition_at),
        ]
        return values


def _rows(draft: Draft, viewer: Any, progress: Progress | None = None) -> Iterator[tuple[Any, ...]]:
    return _with_progress(comment_rows_for_export(draft=draft, viewer=viewer), progress)


# --- CSV -----------------------------------------------------------------------------------


class _Echo:
    """A pseudo-buffer: csv.writer writes a line, we get it back as the return value."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: str) -> str:
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return neutralize_formula(value)


def csv_stream(
    *, draft: Draft, viewer: Any, with_contacts: bool, batch: int = 500
) -> Iterator[bytes]:
    """The CSV export as byte chunks: UTF-8 with a BOM (so Excel shows Vietnamese), a header
    row, then one row per comment (every status), `batch` rows per chunk. Dates are local time
    as "YYYY-MM-DD HH:MM:SS", which Excel reads as dates whatever its locale.

    The permission is checked now (by the selector); the rows are read lazily as the
    generator is consumed, so a streaming response never holds the whole file."""
    rows = _rows(draft, viewer)
    builder = _RowBuilder(with_contacts=with_contacts)
    columns = builder.columns
    # Per kind of column, the positions to rewrite (not a function call per cell: this loop
    # runs 2 million times for 100,000 comments). Labels and numbers are
    # written as they are; csv writes None as an empty field.
    texts = [i for i, col in enumerate(columns) if col.kind == "text"]
    datetimes = [i for i, col in enumerate(columns) if col.kind == "datetime"]
    dates = [i for i, col in enumerate(columns) if col.kind == "date"]
    writer = csv.writer(_Echo())

    def generate() -> Iterator[bytes]:
        yield (CSV_BOM + writer.writerow([col.header for col in columns])).encode()
        lines: list[str] = []
        for number, row in enumerate(rows, start=1):
            values = builder.values(number, row)
            for i in texts:
                if values[i]:
                    values[i] = _csv_text(values[i])
            for i in datetimes:
                if values[i] is not None:
                    # Naive local time: isoformat is strftime("%Y-%m-%d %H:%M:%S") for less.
                    values[i] = values[i].isoformat(" ", "seconds")
            for i in dates:
                if values[i] is not None:
                    values[i] = values[i].isoformat()
            lines.append(writer.writerow(values))
            if len(lines) >= batch:
                yield "".join(lines).encode()
                lines = []
        if lines:
            yield "".join(lines).encode()

    return generate()


# --- XLSX ----------------------------------------------------------------------------------


def _xlsx_text(value: str) -> str:
    value = neutralize_formula(_xml_clean(value))
    if len(value) > XLSX_MAX_CELL:
        value = value[: XLSX_MAX_CELL - 20] + " […] " + _("(đã cắt)")
    return value


_XLSX_SHEET = "xl/worksheets/sheet1.xml"
_EXCEL_EPOCH = dt.datetime(1899, 12, 31)
# XlsxWriter's escape of text that looks like its own _xHHHH_ escapes (kept identical).
_XLSX_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")


def _excel_serial(value: dt.datetime) -> str:
    """A naive datetime as Excel's serial number, as XlsxWriter writes it (1900 date system,
    with Excel's phantom 29 February 1900)."""
    delta = value - _EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if serial > 59:
        serial += 1
    return f"{serial:.16G}"


def _xlsx_inline(text: str) -> str:
    """A cleaned cell text (`_xlsx_text`) as the body of an inline string: what XlsxWriter's
    constant-memory mode writes (carriage returns as _x000D_, look-alike escapes escaped,
    &, < and > as entities), except that a text that looks like rich-text XML ("<r>…</r>") is
    escaped too rather than written raw into the sheet."""
    if "_x" in text:
        text = _XLSX_ESCAPE_LIKE.sub(r"_x005F\1", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def write_xlsx(
    *,
    draft: Draft,
    viewer: Any,
    out: str | IO[bytes],
    with_contacts: bool,
    progress: Progress | None = None,
) -> int:
    """Write the XLSX export to `out` (a path or a seekable binary file) and return how many
    comments it holds. One sheet, one row per comment (every status), frozen header, autofilter,
    wrapped text, dates as real Excel dates in local time. Memory stays flat whatever the
    number of comments: the rows go to a temporary file, then into the archive in chunks.

    XlsxWriter builds everything but the data rows (styles, columns, the header row, frozen
    panes, autofilter, properties); the rows are written here, one string per row, in the XML
    XlsxWriter's constant-memory mode writes: its per-cell machinery was most of the time of a
    100,000-comment export. Every text goes through `neutralize_formula` and is written as an
    inline string, never as a formula, a number or a URL; numbers and dates as numbers."""
    rows = _rows(draft, viewer, progress)
    builder = _RowBuilder(with_contacts=with_contacts)
    columns = builder.columns
    scaffold = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        scaffold,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties(
        {"title": _xml_clean(draft.title[:250]), "author": _xml_clean(draft.agency.name)}
    )
    sheet = workbook.add_worksheet(_("Góp ý"))
    header = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
         "bg_color": "#D9E2F3", "border": 1, "font_name": "Times New Roman", "font_size": 12}
    )  # fmt: skip
    text = workbook.add_format(
        {"text_wrap": True, "valign": "top", "font_name": "Times New Roman", "font_size": 12}
    )
    number = workbook.add_format(
        {"valign": "top", "align": "center", "font_name": "Times New Roman", "font_size": 12}
    )
    date = workbook.add_format(
        {"num_format": "dd/mm/yyyy", "valign": "top", "font_name": "Times New Roman",
         "font_size": 12}
    )  # fmt: skip
    datetime_ = workbook.add_format(
        {"num_format": "dd/mm/yyyy hh:mm", "valign": "top", "font_name": "Times New Roman",
         "font_size": 12}
    )  # fmt: skip
    cell_formats = {"text": text, "label": text, "int": number, "date": date, "datetime": datetime_}
    # The column carries the format too, so an empty cell (not written at all) looks the same.
    for index, col in enumerate(columns):
        sheet.set_column(index, index, col.width, cell_formats[col.kind])
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 32)
    for index, col in enumerate(columns):
        sheet.write_string(0, index, col.header, header)
    # Style indices are fixed on first use; the rows below use them before XlsxWriter does.
    styles = {kind: fmt._get_xf_index() for kind, fmt in cell_formats.items()}
    cells = [
        (index, col.kind, f'{xl_col_to_name(index)}{{}}" s="{styles[col.kind]}"')
        for index, col in enumerate(columns)
    ]

    count = 0
    with tempfile.TemporaryFile() as body:
        lines: list[str] = []
        for count, row in enumerate(rows, start=1):
            values = builder.values(count, row)
            r = count + 1
            xml = [f'<row r="{r}">']
            for index, kind, ref in cells:
                value = values[index]
                if value is None or value == "":
                    continue
                if kind == "text" or kind == "label":
                    value = _xlsx_text(value) if kind == "text" else value
                    space = (
                        ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                    )
                    xml.append(
                        f'<c r="{ref.format(r)} t="inlineStr"><is><t{space}>'
                        f"{_xlsx_inline(value)}</t></is></c>"
                    )
                elif kind == "int":
                    xml.append(f'<c r="{ref.format(r)}><v>{value:.16G}</v></c>')
                else:
                    if kind == "date":
                        value = dt.datetime.combine(value, dt.time())
                    xml.append(f'<c r="{ref.format(r)}><v>{_excel_serial(value)}</v></c>')
            xml.append("</row>")
            lines.append("".join(xml))
            if len(lines) >= 500:
                body.write("".join(lines).encode())
                lines = []
        if lines:
            body.write("".join(lines).encode())
        sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
        workbook.close()
        _xlsx_assemble(scaffold, body, out, last_row=count + 1, last_col=len(columns) - 1)
    return count


def _xlsx_assemble(
    scaffold: io.BytesIO, body: IO[bytes], out: str | IO[bytes], *, last_row: int, last_col: int
) -> None:
    """Copy XlsxWriter's workbook into `out`, its sheet with the data rows of `body` spliced in
    after the header row and the sheet's dimension widened to them, streaming `body` in
    chunks. Deflate level 1: the sheet is most of the work and compresses well at any level."""
    with (
        zipfile.ZipFile(scaffold) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != _XLSX_SHEET:
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
                continue
            xml = data.decode()
            head, tail = xml.split("</sheetData>", 1)
            head = re.sub(
                r'<dimension ref="[^"]*"/>',
                f'<dimension ref="A1:{xl_col_to_name(last_col)}{last_row}"/>',
                head,
                count=1,
            )
            # Opened by name, the entry takes the archive's compression and level.
            with target.open(info.filename, "w", force_zip64=True) as sink:
                sink.write(head.encode())
                body.seek(0)
                while chunk := body.read(1 << 20):
                    sink.write(chunk)
                sink.write(b"</sheetData>" + tail.encode())


# --- DOCX ----------------------------------------------------------------------------------

_W_NS = nsdecls("w")
_FONT = "Times New Roman"
_FONT_SIZE = 26  # half-points: 13 pt, as in official documents (Decree 30/2020)
# Landscape A4 with the margins of Decree 30/2020: 3 cm left, 2 cm elsewhere.
_PAGE_W, _PAGE_H = Cm(29.7), Cm(21.0)
_MARGIN_L, _MARGIN_R, _MARGIN_TB = Cm(3.0), Cm(2.0), Cm(2.0)
_TWIPS_PER_CM = 1440 / 2.54

# Column headings (LEGAL.md) and widths in cm; together they fill the 24.7 cm between margins.
_STANDARD_COLUMNS = [
    (gettext_noop("STT"), 1.3),
    (gettext_noop("Nhóm vấn đề / Điều / Khoản"), 3.6),
    (gettext_noop("Chủ thể góp ý"), 4.2),
    (gettext_noop("Nội dung góp ý"), 8.3),
    (gettext_noop("Ý kiến tiếp thu, giải trình"), 7.3),
]
_FIVE_COLUMNS = [
    (gettext_noop("TT"), 1.3),
    (gettext_noop("Nội dung dự thảo (Điều, khoản)"), 4.6),
    (gettext_noop("Nội dung góp ý"), 8.3),
    (gettext_noop("Đơn vị góp ý"), 4.2),
    (gettext_noop("Ý kiến giải trình, tiếp thu"), 6.3),
]


@dataclass
class DocxSummary:
    """What went into a synthesis table, for its totals paragraph and the audit entry."""

    comments: int = 0
    accepted: int = 0
    partly: int = 0
    explained: int = 0
    not_handled: int = 0
    pending_excluded: int = 0
    rejected_excluded: int = 0
    commenters: dict[str, set[str]] = field(
        default_factory=lambda: {k: set() for k in Comment.CommenterType.values}
    )

    def count_commenter(self, c: Comment) -> None:
        if c.commenter_type == Comment.CommenterType.INDIVIDUAL:
            key = fold(c.name) + "|" + (c.email or c.phone or "").strip().lower()
        else:
            key = fold(c.organization or c.name)
        self.commenters.setdefault(c.commenter_type, set()).add(key)

    def commenter_count(self, commenter_type: str) -> int:
        return len(self.commenters.get(commenter_type, ()))


def _date_place(today: dt.date) -> str:
    """ "Bình An, ngày 05 tháng 02 năm 2026": day below 10 and month below 3 get a leading zero
    (Decree 30/2020 on the presentation of official documents)."""
    place = str(settings.CONSULT.get("PROVINCE_NAME", "")).strip()
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if place.lower().startswith(prefix):
            place = place[len(prefix) :].strip()
            break
    day = f"{today.day:02d}" if today.day < 10 else str(today.day)
    month = f"{today.month:02d}" if today.month < 3 else str(today.month)
    text = _("ngày %(day)s tháng %(month)s năm %(year)s") % {
        "day": day,
        "month": month,
        "year": today.year,
    }
    return f"{place}, {text}" if place else text[:1].upper() + text[1:]


def _run_xml(text: str, *, bold: bool = False, italic: bool = False) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{xml_escape(_xml_clean(text))}</w:t></w:r>'


def _paras_xml(
    text: str, *, bold: bool = False, italic: bool = False, center: bool = False,
    keep_next: bool = False,
) -> str:  # fmt: skip
    """One <w:p> per line of `text` (at least one, as Word requires in a cell)."""
    ppr = "<w:pPr>" + ("<w:keepNext/>" if keep_next else "")
    ppr += '<w:spacing w:before="40" w:after="40"/>'
    ppr += ('<w:jc w:val="center"/>' if center else "") + "</w:pPr>"
    lines = text.split("\n") if text else [""]
    return "".join(
        f"<w:p>{ppr}{_run_xml(line, bold=bold, italic=italic) if line else ''}</w:p>"
        for line in lines
    )


def _cell_xml(
    width: int, content: str, *, span: int = 1, vmerge: str | None = None, shade: bool = False
) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge is not None:
        props += '<w:vMerge w:val="restart"/>' if vmerge == "restart" else "<w:vMerge/>"
    if shade:
        props += '<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"


class _TableWriter:
    """Appends rows to a python-docx table through lxml in batches: python-docx's add_row
    copies and re-walks the table for every row, which is slow for thousands of rows."""

    def __init__(self, table: Any, batch: int = 400) -> None:
        self.tbl = table._tbl
        self.batch = batch
        self.pending: list[str] = []

    def add(self, row_xml: str) -> None:
        self.pending.append(row_xml)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> list[Any]:
        if not self.pending:
            return []
        parsed = parse_xml(f"<w:tbl {_W_NS}>{''.join(self.pending)}</w:tbl>")
        self.pending = []
        rows = list(parsed)
        self.tbl.extend(rows)
        return rows


def _set_defaults(document: Any) -> None:
    """Times New Roman 13 pt for every run (also East Asian and complex scripts), Vietnamese
    language, single spacing and no space after paragraphs unless a paragraph says so."""
    styles = document.styles.element
    defaults = styles.find(f"{{{styles.nsmap['w']}}}docDefaults")
    if defaults is not None:
        styles.remove(defaults)
    styles.insert(
        0,
        parse_xml(
            f"<w:docDefaults {_W_NS}><w:rPrDefault><w:rPr>"
            f'<w:rFonts w:ascii="{_FONT}" w:hAnsi="{_FONT}" w:eastAsia="{_FONT}" w:cs="{_FONT}"/>'
            f'<w:sz w:val="{_FONT_SIZE}"/><w:szCs w:val="{_FONT_SIZE}"/>'
            '<w:lang w:val="vi-VN" w:eastAsia="vi-VN" w:bidi="ar-SA"/>'
            "</w:rPr></w:rPrDefault>"
            '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
            "</w:pPr></w:pPrDefault></w:docDefaults>"
        ),
    )
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = _PAGE_W, _PAGE_H
    section.left_margin, section.right_margin = _MARGIN_L, _MARGIN_R
    section.top_margin = section.bottom_margin = _MARGIN_TB
    # Page number centred in the footer.
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer._p.append(
        parse_xml(f'<w:fldSimple {_W_NS} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )


def _paragraph(
    document: Any, text: str = "", *, bold: bool = False, italic: bool = False,
    align: Any = None, size: int | None = None, before: int = 0, after: int = 0,
    indent: bool = False,
) -> Any:  # fmt: skip
    para = document.add_paragraph()
    if text:
        run = para.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        if size:
            run.font.size = Pt(size)
    fmt = para.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if align is not None:
        para.alignment = align
    if indent:
        fmt.first_line_indent = Cm(1)
    return para


def _cell_text(cell: Any, lines: list[tuple[str, bool, bool, int | None]]) -> None:
    """Fill a header-block cell with centred lines (text, bold, italic, size)."""
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    for text, bold, italic, size in lines:
        para = cell.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if text:
            run = para.add_run(text)
            run.bold, run.italic = bold or None, italic or None
            if size:
                run.font.size = Pt(size)


def _borderless_table(document: Any, widths_cm: list[float], rows: int = 1) -> Any:
    table = document.add_table(rows=rows, cols=len(widths_cm))
    table.style = None  # "Normal Table": no borders
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    return table


def _header_block(document: Any, draft: Draft, today: dt.date) -> None:
    table = _borderless_table(document, [9.5, 15.2])
    left, right = table.rows[0].cells
    _cell_text(left, [(draft.agency.name.upper(), True, False, 12), ("———————", False, False, 12)])
    _cell_text(
        right,
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False, 12),
            ("Độc lập - Tự do - Hạnh phúc", True, False, 13),
            ("———————————————", False, False, 12),
            (_date_place(today), False, True, 13),
        ],
    )


def _signature_block(document: Any) -> None:
    _paragraph(document, "", before=6)
    table = _borderless_table(document, [12.35, 12.35])
    _left, right = table.rows[0].cells
    _cell_text(
        right,
        [
            (_("CƠ QUAN SOẠN THẢO"), True, False, 13),
            (_("(Ký, ghi rõ họ tên, đóng dấu)"), False, True, 13),
            ("", False, False, None),
            ("", False, False, None),
            ("", False, False, None),
            ("", False, False, None),
        ],
    )


def _fmt_day(value: dt.datetime | None) -> str:
    day = local(value)
    return day.strftime("%d/%m/%Y") if day else "…"


def _commenter_text(c: Comment, types: dict[str, str], channels: dict[str, str]) -> str:
    """Who commented, as published: `display_name` only names individuals who agreed to it."""
    lines = [c.display_name, f"({types.get(c.commenter_type, c.commenter_type)})"]
    if c.channel != Comment.Channel.ONLINE:
        via = channels.get(c.channel, c.channel)
        if c.received_on:
            via += ", " + c.received_on.strftime("%d/%m/%Y")
        lines.append(via)
    return "\n".join(lines)


def write_docx(
    *,
    draft: Draft,
    viewer: Any,
    out: str | IO[bytes],
    layout: str = LAYOUT_STANDARD,
    include_pending: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DocxSummary:
    """Write the synthesis table of `draft` ("Bản tổng hợp ý kiến, tiếp thu, giải trình ý
    kiến góp ý", LEGAL.md) as DOCX to `out` and return its totals.

    Which comments appear: those the portal published, which includes comments staff entered
    from paper, e-mail or meetings (they are published when entered). Rejected comments never
    appear; comments still waiting for moderation appear only with `include_pending=True`
    (marked "chưa duyệt"), and the introduction says how many were left out. The table is a
    document the agency files and publishes with the revised draft, so it names commenters as
    the public pages do (`Comment.display_name`: an individual's name only with their consent)
    and never shows contact details; those are in the XLSX/CSV for authorised staff.

    Layouts: "standard" — STT | Nhóm vấn đề / Điều / Khoản | Chủ thể góp ý | Nội dung góp ý |
    Ý kiến tiếp thu, giải trình, with a heading row per article ("Góp ý chung" first);
    "five-column" — TT | Nội dung dự thảo (Điều, khoản) | Nội dung góp ý | Đơn vị góp ý |
    Ý kiến giải trình, tiếp thu, with the article cell merged down its comments. Landscape A4,
    Times New Roman 13, the header row repeated on every page.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    try:
        return _write_docx(
            draft=draft, viewer=viewer, out=out, layout=layout,
            include_pending=include_pending, today=today, progress=progress,
        )  # fmt: skip
    finally:
        # python-docx's objects reference each other in cycles (document, parts, tables) that
        # keep the whole XML tree (~150 MB for 10,000 rows) until the cyclic collector runs,
        # which can be much later in a server process. Collect now: a few milliseconds.
        gc.collect()


def _write_docx(
    *,
    draft: Draft,
    viewer: Any,
    out: str | IO[bytes],
    layout: str,
    include_pending: bool,
    today: dt.date | None,
    progress: Progress | None = None,
) -> DocxSummary:
    comments = _with_progress(comment_list_for_export(draft=draft, viewer=viewer), progress)
    today = today or timezone.now().astimezone(LOCAL_TZ).date()
    types = _choices(Comment.CommenterType.choices)
    channels = _choices(Comment.Channel.choices)
    dispositions = _choices(Comment.Disposition.choices)
    summary = DocxSummary()

    document = Document()
    _set_defaults(document)
    document.core_properties.title = _xml_clean(draft.title[:250])
    document.core_properties.author = _xml_clean(draft.agency.name[:250])
    document.core_properties.language = "vi-VN"

    _header_block(document, draft, today)
    _paragraph(
        document, _("BẢN TỔNG HỢP Ý KIẾN, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý"), bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER, size=14, before=18,
    )  # fmt: skip
    _paragraph(
        document, _("đối với dự thảo %(title)s") % {"title": _xml_clean(draft.title)},
        bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=14, after=12,
    )  # fmt: skip
    receiver = draft.receiving_unit_name
    if draft.receiving_unit_address:
        receiver += ", " + _("địa chỉ: %(a)s") % {"a": draft.receiving_unit_address}
    if draft.receiving_unit_email:
        receiver += ", " + _("thư điện tử: %(e)s") % {"e": draft.receiving_unit_email}
    intro = _(
        "Thực hiện quy định của pháp luật về ban hành văn bản quy phạm pháp luật, %(agency)s đã "
        "đăng tải toàn văn dự thảo %(title)s trên %(portal)s để lấy ý kiến của cơ quan, tổ chức, "
        "cá nhân từ ngày %(opens)s đến ngày %(closes)s. Ý kiến góp ý được gửi trực tuyến trên "
        "Cổng hoặc gửi về %(receiver)s. %(agency)s tổng hợp, tiếp thu, giải trình các ý kiến "
        "góp ý như sau:"
    ) % {
        "agency": draft.agency.name,
        "title": draft.title,
        "portal": settings.CONSULT.get("SITE_NAME", ""),
        "opens": _fmt_day(draft.opens_at),
        "closes": _fmt_day(draft.closes_at),
        "receiver": receiver,
    }
    _paragraph(
        document, _xml_clean(intro), indent=True, after=6
    ).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _paragraph(document, _("I. TỔNG SỐ Ý KIẾN GÓP Ý"), bold=True, before=6, after=3)
    # Filled after the table is built: the totals are counted while streaming the comments.
    totals = [_paragraph(document, indent=True, after=3) for _i in range(4)]
    _paragraph(
        document, _("II. NỘI DUNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH"), bold=True, before=6, after=6
    )

    spec = _STANDARD_COLUMNS if layout == LAYOUT_STANDARD else _FIVE_COLUMNS
    widths = [round(w * _TWIPS_PER_CM) for _h, w in spec]
    table = document.add_table(rows=1, cols=len(spec))
    table.style = document.styles["Table Grid"]
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(f"{{{grid.nsmap['w']}}}gridCol"), widths, strict=True):
        col.set(f"{{{grid.nsmap['w']}}}w", str(width))
    header_row = table.rows[0]._tr
    for tc in list(header_row.tc_lst):  # python-docx's empty cells, replaced below
        header_row.remove(tc)
    header_row.append(parse_xml(f"<w:trPr {_W_NS}><w:cantSplit/><w:tblHeader/></w:trPr>"))
    for (title, _w), width in zip(spec, widths, strict=True):
        header_row.append(
            parse_xml(
                f'<w:tc {_W_NS}><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>'
                '<w:shd w:val="clear" w:color="auto" w:fill="D9E2F3"/><w:vAlign w:val="center"/>'
                f"</w:tcPr>{_paras_xml(_(title), bold=True, center=True)}</w:tc>"
            )
        )
    writer = _TableWriter(table)
    full = sum(widths)

    number = 0
    current_group: object = object()
    general_rows: list[str] = []  # "Góp ý chung" is placed first whatever the database order
    renumber = False

    def response_xml(c: Comment) -> str:
        label = dispositions.get(c.disposition, "") if c.disposition else ""
        parts = []
        if label:
            parts.append(_paras_xml(label + ".", bold=True))
        if c.response:
            parts.append(_paras_xml(c.response))
        if not parts:
            parts.append(_paras_xml(_("Chưa tiếp thu, giải trình"), italic=True))
        return "".join(parts)

    for c in comments:
        if c.status == Comment.Status.REJECTED:
            summary.rejected_excluded += 1
            continue
        if c.status == Comment.Status.PENDING and not include_pending:
            summary.pending_excluded += 1
            continue
        number += 1
        summary.comments += 1
        summary.count_commenter(c)
        if c.disposition == Comment.Disposition.ACCEPTED:
            summary.accepted += 1
        elif c.disposition == Comment.Disposition.PARTLY:
            summary.partly += 1
        elif c.disposition == Comment.Disposition.EXPLAINED:
            summary.explained += 1
        else:
            summary.not_handled += 1

        citation, article_title = _article_label(c)
        group_label = f"{citation}. {article_title}" if article_title else citation
        new_group = c.article_id != current_group
        current_group = c.article_id
        body = c.body
        if c.status == Comment.Status.PENDING:
            body = _("[Chưa duyệt] ") + body
        target = general_rows if c.article_id is None else None
        if target is not None and not general_rows and number > 1:
            renumber = True  # article rows came first (PostgreSQL sorts NULL last)

        rows: list[str] = []
        if layout == LAYOUT_STANDARD:
            if new_group:
                rows.append(
                    "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + _cell_xml(full, _paras_xml(group_label, bold=True, keep_next=True),
                                span=len(widths), shade=True)
                    + "</w:tr>"
                )  # fmt: skip
            rows.append(
                "<w:tr>"
                + _cell_xml(widths[0], _paras_xml(str(number), center=True))
                + _cell_xml(widths[1], _paras_xml(citation))
                + _cell_xml(widths[2], _paras_xml(_commenter_text(c, types, channels)))
                + _cell_xml(widths[3], _paras_xml(body))
                + _cell_xml(widths[4], response_xml(c))
                + "</w:tr>"
            )
        else:
            rows.append(
                "<w:tr>"
                + _cell_xml(widths[0], _paras_xml(str(number), center=True))
                + _cell_xml(
                    widths[1],
                    _paras_xml(group_label if new_group else "", bold=True),
                    vmerge="restart" if new_group else "continue",
                )
                + _cell_xml(widths[2], _paras_xml(body))
                + _cell_xml(widths[3], _paras_xml(_commenter_text(c, types, channels)))
                + _cell_xml(widths[4], response_xml(c))
                + "</w:tr>"
            )
        if target is not None:
            target.extend(rows)
        else:
            for row in rows:
                writer.add(row)
    writer.flush()

    if general_rows:
        # General comments go right under the header row, before the articles. Their STT was
        # assigned in database order; when that put them last, renumber the table from the top.
        writer.pending = general_rows
        for row in reversed(writer.flush()):
            row.getparent().remove(row)
            header_row.addnext(row)
        if renumber:
            _renumber(table._tbl, has_group_rows=layout == LAYOUT_STANDARD)
    if summary.comments == 0:
        writer.add(
            "<w:tr>" + _cell_xml(full, _paras_xml(_("Không có ý kiến góp ý."), italic=True,
                                                  center=True), span=len(widths)) + "</w:tr>"
        )  # fmt: skip
        writer.flush()

    agencies = summary.commenter_count(Comment.CommenterType.AGENCY)
    organizations = summary.commenter_count(Comment.CommenterType.ORGANIZATION)
    individuals = summary.commenter_count(Comment.CommenterType.INDIVIDUAL)
    lines = [
        _(
            "1. Số cơ quan, tổ chức, cá nhân góp ý: %(total)s, gồm %(agencies)s cơ quan nhà nước, "
            "%(orgs)s tổ chức, doanh nghiệp và %(people)s cá nhân."
        )
        % {
            "total": agencies + organizations + individuals,
            "agencies": agencies,
            "orgs": organizations,
            "people": individuals,
        },
        _("2. Tổng số ý kiến góp ý: %(n)s ý kiến.") % {"n": summary.comments},
        _(
            "3. Kết quả: tiếp thu %(accepted)s ý kiến; tiếp thu một phần %(partly)s ý kiến; "
            "giải trình, không tiếp thu %(explained)s ý kiến; chưa tiếp thu, giải trình "
            "%(none)s ý kiến."
        )
        % {
            "accepted": summary.accepted,
            "partly": summary.partly,
            "explained": summary.explained,
            "none": summary.not_handled,
        },
    ]
    excluded = []
    if summary.pending_excluded:
        excluded.append(_("%(n)s ý kiến đang chờ kiểm duyệt") % {"n": summary.pending_excluded})
    if summary.rejected_excluded:
        excluded.append(
            _("%(n)s ý kiến không được đăng do vi phạm quy định về nội dung")
            % {"n": summary.rejected_excluded}
        )
    lines.append(
        _("4. Không đưa vào bảng tổng hợp: %(list)s.") % {"list": "; ".join(excluded)}
        if excluded
        else ""
    )
    for para, line in zip(totals, lines, strict=True):
        if line:
            para.add_run(line)
        else:
            para._p.getparent().remove(para._p)

    _signature_block(document)
    document.save(out)
    return summary


def _renumber(tbl: Any, *, has_group_rows: bool) -> None:
    """Rewrite the STT column top to bottom, skipping the header and group heading rows."""
    w = tbl.nsmap["w"]
    tc_tag, t_tag = f"{{{w}}}tc", f"{{{w}}}t"
    number = 0
    for index, tr in enumerate(tbl.iterchildren(f"{{{w}}}tr")):
        if index == 0:
            continue
        first = tr.find(tc_tag)
        if has_group_rows and first.getnext() is None:  # a heading row is one merged cell
            continue
        number += 1
        text = next(first.iter(t_tag), None)
        if text is not None:
            text.text = str(number)
