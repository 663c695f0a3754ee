"""Authors are e-mailed what became of what they wrote: published, rejected (with the reason),
answered (with merged askers). Only after commit, only to an address they gave, and a failing
mail server never undoes the decision."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from drafts import services as draft_services
from livechat import services as live_services
from livechat.models import Question
from moderation import notifications
from moderation.models import RejectionReason
from tests.conftest import QUESTION_DEFAULTS
from tests.drafts.conftest import COMMENT_INPUT, make_draft

_n = itertools.count(1)


def ask(dialogue: Any, **overrides: Any) -> Question:
    values = {**QUESTION_DEFAULTS, "email": f"asker{next(_n)}@example.vn", **overrides}
    question, _created = live_services.question_submit(dialogue_id=dialogue.pk, **values)
    return question


@pytest.fixture
def draft(agency: Any) -> Any:
    return make_draft(agency, title="Quy định về quản lý chợ trên địa bàn tỉnh")


@pytest.fixture
def site_url(settings: Any) -> str:
    settings.CONSULT = {**settings.CONSULT, "SITE_URL": "https://congdichvu.binhan.gov.vn"}
    return "https://congdichvu.binhan.gov.vn"


def test_asker_is_told_after_commit_that_the_question_was_published(
    dialogue, moderator, site_url, django_capture_on_commit_callbacks
):
    question = ask(dialogue, body="Khi nào có tiền bồi thường?")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        live_services.question_approve(actor=moderator, question_id=question.pk)
    assert mail.outbox == []  # nothing leaves before the decision commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [question.email]
    assert message.from_email == "consult@localhost"
    assert message.subject == "Câu hỏi của bạn đã được đăng"
    assert dialogue.topic in message.body and "Khi nào có tiền bồi thường?" in message.body
    assert f"{site_url}/questions/track/{question.tracking_code}/" in message.body


def test_asker_is_told_the_rejection_reason_and_its_explanation(
    dialogue, moderator, django_capture_on_commit_callbacks
):
    question = ask(dialogue)
    reason = RejectionReason.objects.get(code="ngoai-chu-de")
    with django_capture_on_commit_callbacks(execute=True):
        live_services.question_reject(
            actor=moderator, question_id=question.pk, reason_id=reason.pk, note="nội bộ"
        )
    (message,) = mail.outbox
    assert message.subject == "Câu hỏi của bạn không được đăng"
    assert f"Lý do: {reason.title}" in message.body
    assert reason.explanation.strip() in message.body
    assert "nội bộ" not in message.body  # the moderator's note stays internal


def test_asker_without_an_email_is_never_mailed(
    dialogue, moderator, django_capture_on_commit_callbacks
):
    question = ask(dialogue, email="", phone="0912345678")
    with django_capture_on_commit_callbacks(execute=True):
        live_services.question_approve(actor=moderator, question_id=question.pk)
    assert mail.outbox == []


def test_answer_is_mailed_to_the_asker_and_to_askers_merged_into_the_question(
    dialogue, moderator, chair, django_capture_on_commit_callbacks
):
    target = ask(dialogue, body="Bao giờ làm xong đường vành đai 4?")
    merged = ask(dialogue, body="Đường vành đai 4 khi nào xong?")
    silent = ask(dialogue, email="", phone="0987654321")
    live_services.question_approve(actor=moderator, question_id=target.pk)
    live_services.question_merge(
        actor=moderator, target_id=target.pk, source_ids=[merged.pk, silent.pk]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        live_services.answer_post(
            actor=moderator,
            question_id=target.pk,
            body="Dự kiến hoàn thành vào quý IV năm 2027.",
            leader_id=chair.pk,
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([target.email, merged.email])
    for message in mail.outbox:
        assert message.subject == "Câu hỏi của bạn đã được trả lời"
        assert "Dự kiến hoàn thành vào quý IV năm 2027." in message.body
        assert "Chủ tịch UBND tỉnh Nguyễn Văn Hùng" in message.body
        assert "Bao giờ làm xong đường vành đai 4?" in message.body
    by_address = {m.to[0]: m.body for m in mail.outbox}
    # Each asker gets the link to their own tracking page.
    assert f"/questions/track/{merged.tracking_code}/" in by_address[merged.email]
    assert f"/questions/track/{target.tracking_code}/" in by_address[target.email]


def test_commenter_is_told_about_publication_and_rejection(
    draft, moderator, django_capture_on_commit_callbacks
):
    published, _ = draft_services.comment_submit(
        draft_id=draft.pk, **{**COMMENT_INPUT, "email": "mot@example.vn"}
    )
    rejected, _ = draft_services.comment_submit(
        draft_id=draft.pk, **{**COMMENT_INPUT, "email": "hai@example.vn", "body": "Quảng cáo"}
    )
    spam = RejectionReason.objects.get(code="spam")
    with django_capture_on_commit_callbacks(execute=True):
        draft_services.comment_approve(actor=moderator, comment_id=published.pk)
        draft_services.comment_reject(actor=moderator, comment_id=rejected.pk, reason_id=spam.pk)
    first, second = mail.outbox
    assert first.to == ["mot@example.vn"] and first.subject == "Góp ý của bạn đã được đăng"
    assert (
        draft.title in first.body
        and f"/drafts/{draft.slug}/comments/published/{published.pk}/" in first.body
    )
    assert second.to == ["hai@example.vn"] and second.subject == "Góp ý của bạn không được đăng"
    assert f"Lý do: {spam.title}" in second.body


def test_commenter_without_an_email_is_never_mailed(
    draft, moderator, django_capture_on_commit_callbacks
):
    comment, _ = draft_services.comment_submit(
        draft_id=draft.pk, **{**COMMENT_INPUT, "email": "", "phone": "0912345678"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        draft_services.comment_approve(actor=moderator, comment_id=comment.pk)
    assert mail.outbox == []


def test_a_rolled_back_decision_sends_nothing(
    dialogue, moderator, django_capture_on_commit_callbacks
):
    question = ask(dialogue)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        live_services.question_approve(actor=moderator, question_id=question.pk)
        raise RuntimeError("something later in the same transaction failed")
    assert mail.outbox == []
    assert Question.objects.get(pk=question.pk).status == "pending"


def test_a_failing_mail_server_is_logged_and_the_decision_stands(
    dialogue, moderator, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    question = ask(dialogue)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    with (
        caplog.at_level(logging.ERROR, logger="moderation.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        live_services.question_approve(actor=moderator, question_id=question.pk)
    assert Question.objects.get(pk=question.pk).status == "published"
    assert "notification e-mail to the author failed" in caplog.text


def test_mails_are_in_vietnamese_whatever_the_moderators_language(
    dialogue, moderator, django_capture_on_commit_callbacks
):
    from django.utils import translation

    question = ask(dialogue)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        live_services.question_approve(actor=moderator, question_id=question.pk)
    assert mail.outbox[0].subject == "Câu hỏi của bạn đã được đăng"


def test_links_fall_back_to_the_first_allowed_host_without_site_url(settings):
    settings.CONSULT = {k: v for k, v in settings.CONSULT.items() if k != "SITE_URL"}
    settings.ALLOWED_HOSTS = [".binhan.gov.vn", "consult.binhan.gov.vn"]
    assert notifications.absolute_url("/x/") == "http://consult.binhan.gov.vn/x/"
