"""Limits on what one client may send: submissions per address and per contact, supports per
address (429 with Retry-After on every public path: HTML forms, the page script, the JSON
API), and request sizes (413 for the API, 400 for a form, 413 before reading an announced
oversized body)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.conftest import QUESTION_DEFAULTS
from tests.drafts.conftest import COMMENT_INPUT, make_draft
from tests.livechat.test_services import publish, unique_email, unique_ip

pytestmark = pytest.mark.django_db

TWO = 2  # the limit the tests set, so the third try is refused


def limits(**overrides: int) -> Any:
    return override_settings(CONSULT={**settings.CONSULT, **overrides})


def assert_too_many(response: Any) -> None:
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 3600


def api_post(client: Client, url: str, body: dict[str, Any] | None, ip: str) -> Any:
    if body is not None and url.endswith("/questions"):
        body = {"request_id": str(uuid.uuid4()), **body}
    data = "" if body is None else json.dumps(body)
    return client.post(url, data, content_type="application/json", REMOTE_ADDR=ip)


def question_form(**overrides: Any) -> dict[str, Any]:
    data = {**QUESTION_DEFAULTS, "email": unique_email(), **overrides}
    data["consent"] = "on"
    data["publish_name"] = "on"
    return data


# --- questions ---------------------------------------------------------------------------------


@limits(SUBMISSIONS_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_question_from_one_address_by_the_page_form(dialogue):
    client, ip = Client(), unique_ip()
    url = f"/dialogues/{dialogue.slug}/"
    for _ in range(TWO):
        assert client.post(url, question_form(), REMOTE_ADDR=ip).status_code == 302
    response = client.post(url, question_form(), REMOTE_ADDR=ip)
    assert_too_many(response)
    # The page says so and keeps what was typed.
    body = response.content.decode()
    assert "quá nhiều lần" in body
    assert QUESTION_DEFAULTS["body"] in body
    # Another address is not concerned.
    assert client.post(url, question_form(), REMOTE_ADDR=unique_ip()).status_code == 302


@limits(SUBMISSIONS_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_question_from_one_address_by_the_api(dialogue):
    client, ip = Client(), unique_ip()
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    for _ in range(TWO):
        body = {**QUESTION_DEFAULTS, "email": unique_email()}
        assert api_post(client, url, body, ip).status_code == 201
    response = api_post(client, url, {**QUESTION_DEFAULTS, "email": unique_email()}, ip)
    assert_too_many(response)
    assert response.json()["error"]["code"] == "too_many_requests"


@limits(SUBMISSIONS_PER_CONTACT_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_question_with_one_email_from_several_addresses(dialogue):
    client, email = Client(), unique_email()
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    for _ in range(TWO):
        body = {**QUESTION_DEFAULTS, "email": email}
        assert api_post(client, url, body, unique_ip()).status_code == 201
    assert_too_many(api_post(client, url, {**QUESTION_DEFAULTS, "email": email}, unique_ip()))
    form = question_form(email=email)
    assert_too_many(client.post(f"/dialogues/{dialogue.slug}/", form, REMOTE_ADDR=unique_ip()))


# --- comments on drafts -----------------------------------------------------------------------


def comment_form(**overrides: Any) -> dict[str, Any]:
    data = {**COMMENT_INPUT, "email": unique_email(), "article": "", **overrides}
    data["consent"] = "on"
    return data


@limits(SUBMISSIONS_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_comment_from_one_address_by_the_page_form(agency):
    draft = make_draft(agency)
    client, ip = Client(), unique_ip()
    url = f"/drafts/{draft.slug}/comments/"
    for _ in range(TWO):
        assert client.post(url, comment_form(), REMOTE_ADDR=ip).status_code == 302
    response = client.post(url, comment_form(), REMOTE_ADDR=ip)
    assert_too_many(response)
    assert "quá nhiều lần" in response.content.decode()


@limits(SUBMISSIONS_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_comment_from_one_address_by_the_api(agency):
    draft = make_draft(agency)
    client, ip = Client(), unique_ip()
    url = f"/api/v1/drafts/{draft.slug}/comments"
    for _ in range(TWO):
        body = {**COMMENT_INPUT, "email": unique_email()}
        assert api_post(client, url, body, ip).status_code == 201
    response = api_post(client, url, {**COMMENT_INPUT, "email": unique_email()}, ip)
    assert_too_many(response)
    assert response.json()["error"]["code"] == "too_many_requests"


@limits(SUBMISSIONS_PER_CONTACT_PER_HOUR=TWO)
def test_citizen_cannot_send_a_third_comment_with_one_email_from_several_addresses(agency):
    draft = make_draft(agency)
    client, email = Client(), unique_email()
    url = f"/api/v1/drafts/{draft.slug}/comments"
    for _ in range(TWO):
        assert (
            api_post(client, url, {**COMMENT_INPUT, "email": email}, unique_ip()).status_code == 201
        )
    assert_too_many(api_post(client, url, {**COMMENT_INPUT, "email": email}, unique_ip()))
    form = comment_form(email=email)
    assert_too_many(client.post(f"/drafts/{draft.slug}/comments/", form, REMOTE_ADDR=unique_ip()))


# --- supports (upvotes) ----------------------------------------------------------------------


@pytest.fixture
def questions(dialogue, moderator) -> list[Any]:
    return [publish(dialogue, moderator, email=unique_email()) for _ in range(TWO + 1)]


def test_upvotes_per_address_are_limited_by_default():
    assert settings.CONSULT["UPVOTES_PER_IP_PER_HOUR"] > 0


@limits(UPVOTES_PER_IP_PER_HOUR=TWO)
def test_a_script_dropping_its_cookie_cannot_support_past_the_address_limit_by_the_api(
    questions,
):
    ip = unique_ip()
    for q in questions[:TWO]:
        # A fresh client each time: no voter cookie, as a script would do.
        response = api_post(Client(), f"/api/v1/questions/{q.pk}/upvote", None, ip)
        assert response.status_code == 200
        assert response.json()["counted"] is True
    response = api_post(Client(), f"/api/v1/questions/{questions[TWO].pk}/upvote", None, ip)
    assert_too_many(response)
    questions[TWO].refresh_from_db()
    assert questions[TWO].upvote_count == 0


@limits(UPVOTES_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_support_past_the_address_limit_by_the_page_form(dialogue, questions):
    ip = unique_ip()
    for q in questions[:TWO]:
        url = f"/dialogues/{dialogue.slug}/questions/{q.pk}/upvote/"
        assert Client().post(url, REMOTE_ADDR=ip).status_code == 302
    url = f"/dialogues/{dialogue.slug}/questions/{questions[TWO].pk}/upvote/"
    response = Client().post(url, REMOTE_ADDR=ip)
    assert_too_many(response)
    assert "quá nhiều lần" in response.content.decode()


@limits(UPVOTES_PER_IP_PER_HOUR=TWO)
def test_citizen_cannot_support_past_the_address_limit_by_the_page_script(dialogue, questions):
    ip = unique_ip()
    for q in questions[:TWO]:
        url = f"/dialogues/{dialogue.slug}/questions/{q.pk}/upvote/"
        response = Client().post(url, HTTP_ACCEPT="application/json", REMOTE_ADDR=ip)
        assert response.status_code == 200
    url = f"/dialogues/{dialogue.slug}/questions/{questions[TWO].pk}/upvote/"
    response = Client().post(url, HTTP_ACCEPT="application/json", REMOTE_ADDR=ip)
    assert_too_many(response)
    assert response.json()["error"]["code"] == "too_many_requests"


# --- request sizes ----------------------------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_an_oversized_json_body_gets_413_from_the_api_and_changes_nothing(dialogue):
    from livechat.models import Question

    body = {**QUESTION_DEFAULTS, "body": "Câu hỏi rất dài. " * 2000}
    response = api_post(Client(), f"/api/v1/dialogues/{dialogue.slug}/questions", body, unique_ip())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Question.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_an_oversized_form_gets_a_plain_400_page_and_changes_nothing(dialogue, agency):
    from drafts.models import Comment
    from livechat.models import Question

    client = Client(raise_request_exception=False)
    big = question_form(body="Câu hỏi rất dài. " * 2000)
    response = client.post(f"/dialogues/{dialogue.slug}/", big, REMOTE_ADDR=unique_ip())
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    draft = make_draft(agency)
    big = comment_form(body="Góp ý rất dài. " * 2000)
    response = client.post(f"/drafts/{draft.slug}/comments/", big, REMOTE_ADDR=unique_ip())
    assert response.status_code == 400
    assert Question.objects.count() == 0
    assert Comment.objects.count() == 0


@override_settings(MAX_REQUEST_BYTES=50_000)
def test_a_body_announced_too_large_is_refused_before_it_is_read(dialogue):
    client = Client()
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    response = client.post(url, "{}", content_type="application/json", CONTENT_LENGTH="50001")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    page = client.post(f"/dialogues/{dialogue.slug}/", {}, CONTENT_LENGTH="999999999")
    assert page.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in page.content.decode()


def test_the_request_size_fence_leaves_room_for_the_largest_attachment():
    fence, attachment = settings.MAX_REQUEST_BYTES, settings.CONSULT["DRAFT_ATTACHMENT_MAX_BYTES"]
    assert fence > attachment
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024


def test_a_websocket_frame_limit_is_set_at_the_application_level():
    """daphne refuses messages past --websocket-max-message-size (docs/deployment.md sets it
    to 64 KiB); the consumers refuse frames past MAX_FRAME_CHARS with an error frame. The
    daphne limit must leave room for the largest frame the application accepts."""
    from livechat.protocol import MAX_FRAME_CHARS

    daphne_limit = 65_536  # docs/deployment.md
    largest_frame = MAX_FRAME_CHARS * 4  # four UTF-8 bytes per character at most
    assert largest_frame <= daphne_limit
