"""Upload validation and safe downloads for the files of a draft (and scans of offline comments).

A file is judged by its CONTENT, never by its name or the browser's Content-Type: the first
bytes are sniffed with `filetype`, and a Word/Excel document (a ZIP container) is opened to see
that it really holds a Word/Excel document and is not a zip bomb. The stored name is random with
the detected extension, so nothing a user typed reaches the file system; the download name is
built from the Vietnamese title with an ASCII fallback (RFC 6266 / RFC 5987).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from consult.errors import Invalid, TooLarge
from consult.text import normalize_text

MB = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    extension: str
    mime: str
    label: str


PDF = FileType("pdf", "application/pdf", "PDF")
DOCX = FileType(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"
)
XLSX = FileType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"
)
DOC = FileType("doc", "application/msword", "Word 97-2003")
JPEG = FileType("jpg", "image/jpeg", "JPEG")
PNG = FileType("png", "image/png", "PNG")

ALLOWED: tuple[FileType, ...] = (PDF, DOCX, XLSX, DOC, JPEG, PNG)
# Names users give files; a known extension that disagrees with the content is refused.
_EXTENSION_ALIASES = {
    "pdf": PDF,
    "docx": DOCX,
    "xlsx": XLSX,
    "doc": DOC,
    "jpg": JPEG,
    "jpeg": JPEG,
    "png": PNG,
}


def _limits() -> dict[str, int]:
    cfg: dict[str, Any] = getattr(settings, "CONSULT", {})
    return {
        "max_bytes": int(cfg.get("DRAFT_ATTACHMENT_MAX_BYTES", 20 * MB)),
        # A real .docx/.xlsx expands a few times; hundreds of MB or thousands of entries is
        # an attack (or something we do not want to open anyway).
        "max_unzipped": int(cfg.get("DRAFT_ATTACHMENT_MAX_UNZIPPED_BYTES", 200 * MB)),
        "max_entries": int(cfg.get("DRAFT_ATTACHMENT_MAX_ZIP_ENTRIES", 2000)),
        "max_ratio": int(cfg.get("DRAFT_ATTACHMENT_MAX_ZIP_RATIO", 200)),
    }


def max_upload_bytes() -> int:
    return _limits()["max_bytes"]


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(position)
    return int(size)


def zip_check(upload: IO[bytes], *, expect: FileType) -> None:
    """Refuse a ZIP container that is not the expected Office document or that would expand
    to something absurd (size, entry count or compression ratio)."""
    limits = _limits()
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > limits["max_entries"]:
                raise Invalid(
                    _("Tệp nén có quá nhiều thành phần (%(count)s), không thể nhận.")
                    % {"count": len(entries)},
                    code="zip_bomb",
                )
            total = 0
            for entry in entries:
                total += entry.file_size
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > MB and ratio > limits["max_ratio"]:
                    raise Invalid(
                        _("Tệp có thành phần nén bất thường (tỉ lệ nén quá lớn), không thể nhận."),
                        code="zip_bomb",
                    )
            if total > limits["max_unzipped"]:
                raise Invalid(
                    _("Tệp khi giải nén quá lớn (%(size)s MB), không thể nhận.")
                    % {"size": total // MB},
                    code="zip_bomb",
                )
            names = {entry.filename for entry in entries}
    except zipfile.BadZipFile as exc:
        raise Invalid(
            _("Tệp %(label)s bị hỏng hoặc không đúng định dạng.") % {"label": expect.label},
            code="bad_file",
        ) from exc
    finally:
        upload.seek(0)
    main_part = "word/document.xml" if expect is DOCX else "xl/workbook.xml"
    if "[Content_Types].xml" not in names or main_part not in names:
        raise Invalid(
            _("Nội dung tệp không phải là tài liệu %(label)s thật.") % {"label": expect.label},
            code="wrong_type",
        )


def _sniff(upload: IO[bytes]) -> FileType | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        return None
    mime = kind.mime
    if mime == DOCX.mime:
        return DOCX
    if mime == XLSX.mime:
        return XLSX
    if mime == "application/zip":
        # filetype recognises Office documents by their first entry; some writers put another
        # entry first, so look inside before deciding.
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist()[:5000])
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        return None
    if mime in ("application/x-ole-storage", "application/msword", "application/vnd.ms-office"):
        return DOC
    return {PDF.mime: PDF, JPEG.mime: JPEG, PNG.mime: PNG}.get(mime)


def file_validate(
    upload: Any, *, allowed: tuple[FileType, ...] = ALLOWED, field: str = "file"
) -> FileType:
    """Check an uploaded file: size limit (TooLarge), type by content among `allowed`, the name's
    extension agreeing with the content, and ZIP sanity for Office documents. Returns the type."""
    if upload is None:
        raise Invalid(_("Vui lòng chọn tệp."), fields={field: _("Vui lòng chọn tệp.")})
    limit = max_upload_bytes()
    size = _size_of(upload)
    if size > limit:
        raise TooLarge(
            _("Tệp quá lớn (%(size)s MB). Dung lượng tối đa là %(max)s MB.")
            % {"size": round(size / MB, 1), "max": limit // MB},
            fields={field: _("Tệp quá lớn.")},
        )
    if size == 0:
        raise Invalid(_("Tệp rỗng."), fields={field: _("Tệp rỗng.")})
    detected = _sniff(upload)
    names = ", ".join(t.label for t in allowed)
    if detected is None or detected not in allowed:
        message = _("Loại tệp không được chấp nhận. Chỉ nhận: %(types)s.") % {"types": names}
        raise Invalid(message, code="wrong_type", fields={field: message})
    claimed_ext = (getattr(upload, "name", "") or "").rsplit(".", 1)
    claimed = _EXTENSION_ALIASES.get(claimed_ext[-1].lower()) if len(claimed_ext) == 2 else None
    if claimed is not None and claimed is not detected:
        message = _(
            "Tên tệp có đuôi .%(ext)s nhưng nội dung lại là %(label)s. Vui lòng kiểm tra lại tệp."
        ) % {"ext": claimed_ext[-1].lower(), "label": detected.label}
        raise Invalid(message, code="wrong_type", fields={field: message})
    if detected in (DOCX, XLSX):
        try:
            zip_check(upload, expect=detected)
        except Invalid as exc:
            raise Invalid(exc.message, code=exc.code, fields={field: exc.message}) from exc
    return detected


def stored_name(file_type: FileType) -> str:
    """A random stored file name: nothing the uploader typed reaches the file system."""
    return f"{uuid.uuid4().hex}.{file_type.extension}"


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def download_name(title: str, extension: str) -> str:
    """A file name for the download, from the document's title (Vietnamese kept)."""
    base = _UNSAFE.sub(" ", normalize_text(title, multiline=False)).strip(" .")[:150]
    return f"{base or 'tai-lieu'}.{extension}"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266 header value: an ASCII fallback for old clients, the UTF-8 name for the rest."""
    stem, _dot, ext = filename.rpartition(".")
    # Strip the diacritics but keep the case: "Tờ trình Đồng Tháp" → "To trinh Dong Thap".
    decomposed = unicodedata.normalize("NFD", stem.replace("đ", "d").replace("Đ", "D"))
    ascii_stem = decomposed.encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._ -]+", "", ascii_stem).strip() or "tai-lieu"
    fallback = f"{ascii_stem}.{ext}" if ext else ascii_stem
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
