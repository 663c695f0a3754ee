"""Hostile uploads and downloads: only what tests/drafts/test_attachments.py,
test_exports.py, test_importer.py and tests/livechat/test_exports.py do not already prove.

- The draft text import (not only attachments) refuses a zip bomb, an oversized file, a zip
  whose headers lie about its sizes, and a .docx whose XML tries entity expansion — and leaves
  the draft's text as it was.
- Through the staff pages (HTTP, multipart): a zip bomb is a clear error and stores nothing.
- The real download responses (not only the header builder) carry no header injected through a
  title with CR/LF, for the drafts' exports and the dialogue transcript alike.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document

from consult.errors import Invalid
from drafts import services
from drafts.models import Draft, DraftAttachment, DraftNode
from livechat.models import Dialogue

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
INJECTED = 'Quyết định "về" phí\r\nSet-Cookie: pwned=1\r\nX-Injected: yes\nLocation: //evil.example'


def docx_bytes(text: str = "Điều 1. Phạm vi điều chỉnh\nQuy định này áp dụng.") -> bytes:
    document = Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with(replace: dict[str, bytes]) -> bytes:
    """A genuine .docx with some of its parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info, source.read(info.filename))
        for name, data in replace.items():
            target.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    return docx_with({"word/media/padding.bin": b"\0" * (60 * MB)})


def lying_zip() -> bytes:
    """A .docx whose padding entry claims 1 KB in the central directory but inflates to 60 MB:
    a check that trusts the declared sizes alone lets it through."""
    data = bytearray(zip_bomb())
    end = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[end + 16 : end + 20])
    pos = cd_offset
    while data[pos : pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        name = bytes(data[pos + 46 : pos + 46 + name_len])
        if name == b"word/media/padding.bin":
            data[pos + 24 : pos + 28] = struct.pack("<I", 1024)  # uncompressed size
            (local,) = struct.unpack("<I", data[pos + 42 : pos + 46])
            data[local + 22 : local + 26] = struct.pack("<I", 1024)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(data)


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body>
</w:document>"""


@pytest.fixture
def draft(agency: Any) -> Draft:
    from tests.drafts.conftest import make_draft

    return make_draft(agency, status=Draft.Status.DRAFT)


def text_of(draft: Draft) -> list[tuple[str, str]]:
    return list(DraftNode.objects.filter(draft=draft).values_list("anchor", "body"))


def import_file(actor: Any, draft: Draft, name: str, data: bytes) -> Draft:
    return services.draft_import_text(
        actor=actor, draft_id=draft.pk, upload=SimpleUploadedFile(name, data), filename=name
    )


# --- the draft text import ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("du-thao.docx", zip_bomb, "zip_bomb"),
        ("du-thao.docx", lying_zip, None),
        ("du-thao.docx", lambda: b"PK\x03\x04" + b"\0" * 100, None),
        ("du-thao.docx", lambda: b"MZ\x90\x00" + b"\0" * 200, None),
        ("du-thao.docx", lambda: "Điều 1. Văn bản thuần".encode(), None),
    ],
    ids=["zip-bomb", "lying-sizes", "broken-zip", "executable", "plain-text"],
)
def test_agency_staff_cannot_import_a_hostile_docx_and_the_text_stays(
    draft: Draft, agency_staff: Any, name: str, make: Any, code: str | None
) -> None:
    before = text_of(draft)
    started = time.monotonic()
    try:
        import_file(agency_staff, draft, name, make())
    except Invalid as refused:
        assert refused.message
        assert code is None or refused.code == code
        assert text_of(draft) == before
    else:
        # Only the archive whose headers lie may be read: zipfile stops at the declared size
        # (and checks the CRC), so the 60 MB are never inflated; the real text is imported.
        assert name == "du-thao.docx" and code is None and make is lying_zip
        assert "Quy định này áp dụng." in " ".join(body for _a, body in text_of(draft))
    assert time.monotonic() - started < 5, "handled without inflating the archive"


def test_agency_staff_cannot_import_a_text_file_over_the_limit(
    draft: Draft, agency_staff: Any, settings: Any
) -> None:
    settings.CONSULT = {**settings.CONSULT, "DRAFT_IMPORT_MAX_BYTES": 10 * 1024}
    before = text_of(draft)
    with pytest.raises(Invalid) as refused:
        import_file(agency_staff, draft, "du-thao.txt", "Điều 1. Nội dung.\n".encode() * 2000)
    assert "file" in refused.value.fields
    assert text_of(draft) == before


def test_docx_entities_are_never_expanded_nor_external_files_read(
    draft: Draft, agency_staff: Any
) -> None:
    """Billion laughs and an external entity (file:///etc/passwd) in word/document.xml: refused,
    or imported with neither expanded — quickly, and /etc/passwd never shows up."""
    data = docx_with({"word/document.xml": BILLION_LAUGHS})
    started = time.monotonic()
    try:
        import_file(agency_staff, draft, "du-thao.docx", data)
    except Invalid as refused:
        assert refused.message
    assert time.monotonic() - started < 5
    stored = " ".join(body for _anchor, body in text_of(draft))
    assert "lollol" not in stored
    assert "root:" not in stored


# --- through the staff pages -------------------------------------------------------------------


def test_agency_staff_uploading_a_zip_bomb_on_the_pages_sees_a_clear_error_and_nothing_is_kept(
    draft: Draft, agency_staff: Any
) -> None:
    client = Client()
    client.force_login(agency_staff)
    before = text_of(draft)
    response = client.post(
        f"/staff/drafts/{draft.slug}/import/",
        {"file": SimpleUploadedFile("du-thao.docx", zip_bomb())},
    )
    assert response.status_code == 400
    assert "error" in response.content.decode() or "lỗi" in response.content.decode().lower()
    assert text_of(draft) == before
    response = client.post(
        f"/staff/drafts/{draft.slug}/attachments/",
        {
            "kind": DraftAttachment.Kind.FULL_TEXT,
            "title": "Toàn văn",
            "file": SimpleUploadedFile("toan-van.docx", zip_bomb()),
        },
    )
    assert response.status_code == 400
    assert not DraftAttachment.objects.filter(draft=draft).exists()


# --- no header injection through a title, in the real responses ---------------------------------


def _headers_clean(response: Any) -> None:
    assert response.status_code == 200
    for name, value in response.items():
        assert "\r" not in value and "\n" not in value, (name, value)
    assert "Set-Cookie" not in response or "pwned" not in str(response.cookies)
    assert "X-Injected" not in response and "Location" not in response
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    disposition.encode("ascii")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx"])
def test_draft_export_download_has_no_header_injected_through_its_title(
    agency: Any, moderator: Any, fmt: str
) -> None:
    from tests.drafts.conftest import make_draft

    # A title written before titles were normalised (or by the admin): stored with CR/LF.
    draft = make_draft(agency)
    Draft.objects.filter(pk=draft.pk).update(title=INJECTED)
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/drafts/{draft.slug}/export.{fmt}")
    _headers_clean(response)
    assert "pwned" not in "".join(k for k in response.headers)


def test_transcript_download_has_no_header_injected_through_the_topic(
    dialogue: Dialogue, moderator: Any
) -> None:
    Dialogue.objects.filter(pk=dialogue.pk).update(topic=INJECTED)
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/dialogues/{dialogue.slug}/transcript.docx")
    _headers_clean(response)
    document = Document(io.BytesIO(response.content))
    assert any("Set-Cookie: pwned=1" in p.text for p in document.paragraphs)
