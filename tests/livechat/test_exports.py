"""The transcript DOCX, opened back with python-docx as an agency's Word would."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from livechat import services
from livechat.models import Dialogue
from tests.conftest import QUESTION_DEFAULTS

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    return "\n".join(p.text for p in document.paragraphs)


def _transcript_response(user, dialogue):
    client = Client()
    client.force_login(user)
    return client.get(reverse("livechat:transcript-docx", kwargs={"slug": dialogue.slug}))


def test_moderator_can_download_transcript_with_questions_and_answers(
    dialogue, moderator, leader_user, vice_chair
):
    question, _ = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    services.question_approve(actor=moderator, question_id=question.pk)
    services.answer_post(
        actor=leader_user, question_id=question.pk, body="Tỉnh chi trả trước ngày 15/12."
    )
    anonymous, _ = services.question_submit(
        dialogue_id=dialogue.pk,
        **{
            **QUESTION_DEFAULTS,
            "asker_name": "Lý Thị Ẩn",
            "publish_name": False,
            "body": "Hỏi ẩn danh.",
        },
    )
    services.question_approve(actor=moderator, question_id=anonymous.pk)
    services.question_submit(
        dialogue_id=dialogue.pk,
        **{**QUESTION_DEFAULTS, "body": "Chưa duyệt, không có trong biên bản."},
    )
    services.dialogue_set_status(
        actor=moderator, dialogue_id=dialogue.pk, status=Dialogue.Status.ENDED
    )
    services.answer_post(
        actor=moderator,
        question_id=anonymous.pk,
        body="Trả lời bằng văn bản.",
        leader_id=vice_chair.pk,
    )

    response = _transcript_response(moderator, dialogue)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    text = _text(response.content)
    assert dialogue.topic in text
    assert "Nguyễn Văn Hùng, Chủ tịch UBND tỉnh" in text  # the chair
    assert "Trần Thị Mai, Phó Chủ tịch UBND tỉnh" in text  # a participant
    assert QUESTION_DEFAULTS["body"] in text and QUESTION_DEFAULTS["asker_name"] in text
    assert QUESTION_DEFAULTS["locality"] in text
    assert "Tỉnh chi trả trước ngày 15/12." in text
    assert "Trả lời bằng văn bản: Trần Thị Mai, Phó Chủ tịch UBND tỉnh" in text
    assert "Lý Thị Ẩn" not in text and "Người gửi ẩn danh" in text
    assert "Chưa duyệt" not in text
    assert QUESTION_DEFAULTS["email"] not in text
    assert text.index(QUESTION_DEFAULTS["body"]) < text.index("Hỏi ẩn danh.")


def test_transcript_filename_has_ascii_fallback_and_utf8_title(dialogue, moderator):
    disposition = _transcript_response(moderator, dialogue)["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    ascii_part = disposition.split("filename=")[1].split(";")[0]
    assert ascii_part == f'"bien-ban-{dialogue.slug}.docx"'
    assert ascii_part.isascii()
    utf8 = disposition.split("filename*=UTF-8''")[1]
    assert unquote(utf8) == f"Biên bản đối thoại - {dialogue.topic}.docx"


def test_transcript_of_dialogue_without_questions_says_so(dialogue, leader_user):
    response = _transcript_response(leader_user, dialogue)
    assert "Không có câu hỏi nào được đăng." in _text(response.content)


def test_agency_staff_cannot_download_transcript(dialogue, agency_staff):
    assert _transcript_response(agency_staff, dialogue).status_code == 403
