"""Uploads are judged by their content: size, type, fake Office files, zip bombs; downloads get
a safe RFC 6266 name."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from consult.errors import Invalid, NotAllowed, TooLarge
from drafts import attachments, services
from drafts.models import DraftAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def docx_bytes(text: str = "Dự thảo") -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("name", "data", "extension"),
    [
        ("toan-van.pdf", PDF, "pdf"),
        ("scan.png", PNG, "png"),
        ("du-thao.docx", docx_bytes(), "docx"),
    ],
)
def test_genuine_files_are_accepted(name, data, extension):
    assert attachments.file_validate(upload(name, data)).extension == extension


def test_too_large_file_is_refused(settings):
    settings.CONSULT = {**settings.CONSULT, "DRAFT_ATTACHMENT_MAX_BYTES": 1024}
    with pytest.raises(TooLarge) as excinfo:
        attachments.file_validate(upload("lon.pdf", PDF + b"0" * 2000))
    assert excinfo.value.status == 413


def test_wrong_type_by_content_is_refused_whatever_the_name():
    # An executable renamed to .pdf, and plain text claiming to be a PDF.
    for data in (b"MZ\x90\x00" + b"\0" * 200, b"Xin chao, day khong phai PDF"):
        with pytest.raises(Invalid) as excinfo:
            attachments.file_validate(upload("toan-van.pdf", data))
        assert excinfo.value.code == "wrong_type"


def test_pdf_named_docx_is_refused():
    with pytest.raises(Invalid) as excinfo:
        attachments.file_validate(upload("du-thao.docx", PDF))
    assert ".docx" in excinfo.value.message


def test_fake_docx_zip_without_a_word_document_is_refused():
    fake = zip_bytes({"[Content_Types].xml": b"<Types/>", "readme.txt": b"not word"})
    with pytest.raises(Invalid) as excinfo:
        attachments.file_validate(upload("du-thao.docx", fake))
    assert excinfo.value.code == "wrong_type"


def test_zip_bomb_is_refused(settings):
    settings.CONSULT = {**settings.CONSULT, "DRAFT_ATTACHMENT_MAX_UNZIPPED_BYTES": 50 * 1024 * 1024}
    bomb = zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document/>",
            "word/media/padding.bin": b"\0" * (60 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200 * 1024  # tiny on the wire
    with pytest.raises(Invalid) as excinfo:
        attachments.file_validate(upload("du-thao.docx", bomb))
    assert excinfo.value.code == "zip_bomb"


def test_zip_with_absurd_entry_count_is_refused(settings):
    settings.CONSULT = {**settings.CONSULT, "DRAFT_ATTACHMENT_MAX_ZIP_ENTRIES": 100}
    entries = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    entries.update({f"word/x{n}.xml": b"x" for n in range(150)})
    with pytest.raises(Invalid) as excinfo:
        attachments.file_validate(upload("du-thao.docx", zip_bytes(entries)))
    assert excinfo.value.code == "zip_bomb"


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = attachments.content_disposition("Tờ trình dự thảo Quyết định.pdf")
    assert header.startswith('attachment; filename="To trinh du thao Quyet dinh.pdf"; ')
    assert "filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh" in header
    assert "\n" not in header and '"' not in header.split("filename*=")[1]


def test_download_name_strips_path_and_quote_characters():
    name = attachments.download_name('../../etc/"passwd"; x', "pdf")
    assert "/" not in name and '"' not in name and ";" not in name
    assert name.endswith(".pdf")


def test_attachment_is_stored_under_a_random_name(draft, agency_staff):
    stored = services.attachment_add(
        actor=agency_staff,
        draft_id=draft.pk,
        kind=DraftAttachment.Kind.SUBMISSION,
        title="Tờ trình",
        upload=upload("../../to trinh.pdf", PDF),
    )
    assert stored.content_type == "application/pdf" and stored.size == len(PDF)
    assert ".." not in stored.file.name and "trinh" not in stored.file.name
    assert stored.file.name.endswith(".pdf")


def test_other_agency_staff_cannot_attach_or_remove(draft, agency_staff, other_staff):
    with pytest.raises(NotAllowed):
        services.attachment_add(
            actor=other_staff,
            draft_id=draft.pk,
            kind="annex",
            title="x",
            upload=upload("a.pdf", PDF),
        )
    stored = services.attachment_add(
        actor=agency_staff,
        draft_id=draft.pk,
        kind="annex",
        title="Phụ lục",
        upload=upload("a.pdf", PDF),
    )
    with pytest.raises(NotAllowed):
        services.attachment_remove(actor=other_staff, attachment_id=stored.pk)


def test_attachment_remove_deletes_the_file_after_commit(
    draft, agency_staff, django_capture_on_commit_callbacks
):
    stored = services.attachment_add(
        actor=agency_staff,
        draft_id=draft.pk,
        kind="annex",
        title="Phụ lục",
        upload=upload("a.pdf", PDF),
    )
    storage, name = stored.file.storage, stored.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(actor=agency_staff, attachment_id=stored.pk)
    assert not DraftAttachment.objects.filter(pk=stored.pk).exists()
    assert not storage.exists(name)
