"""Security headers on every response, framing of the embeddable pages, and error pages that
never show a trace (consult/security.py, CONTENT_SECURITY_POLICY in consult/settings/base.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from consult import urls as consult_urls
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
PORTAL = "https://congthongtin.binhan.gov.vn"
TRACE_MARKER = "bí-mật-trong-ngoại-lệ-42"


def csp_of(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_common_headers(response: Any) -> None:
    csp = csp_of(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "no inline or foreign scripts"
    assert csp["style-src"] == ["'self'"], "no inline styles"
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["connect-src"] == ["'self'"], "the socket and fetches go to this site only"
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "https://www.youtube-nocookie.com" in csp["frame-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def dataset(dialogue, agency) -> dict[str, Any]:
    from tests.drafts.conftest import make_draft

    return {"dialogue": dialogue, "draft": make_draft(agency)}


def test_anyone_gets_the_security_headers_on_public_staff_api_and_error_responses(
    client: Client, dataset, moderator
):
    d, dr = dataset["dialogue"], dataset["draft"]
    urls = [
        "/",
        f"/dialogues/{d.slug}/",
        f"/drafts/{dr.slug}/",
        "/accounts/login/",
        "/staff/",  # a redirect to the login page
        "/api/v1/dialogues",
        "/khong-co-trang-nay/",  # 404
    ]
    for url in urls:
        assert_common_headers(client.get(url))
    client.force_login(moderator)
    for url in ["/staff/", f"/dialogues/{d.slug}/moderate/", "/moderation/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_common_headers(response)


def test_nobody_can_frame_a_staff_page(client: Client, dataset, moderator):
    client.force_login(moderator)
    for url in ["/staff/", f"/dialogues/{dataset['dialogue'].slug}/moderate/", "/admin/"]:
        response = client.get(url, follow=True)
        assert response["X-Frame-Options"] == "DENY", url
        assert csp_of(response)["frame-ancestors"] == ["'none'"], url


def test_the_site_itself_may_frame_the_public_pages_by_default(client: Client, dataset):
    d, dr = dataset["dialogue"], dataset["draft"]
    for url in [f"/dialogues/{d.slug}/", f"/drafts/{dr.slug}/", "/questions/track/"]:
        response = client.get(url)
        assert response["X-Frame-Options"] == "SAMEORIGIN", url
        assert csp_of(response)["frame-ancestors"] == ["'self'"], url


@override_settings(CONSULT_FRAME_ANCESTORS=["'self'", PORTAL])
def test_a_configured_portal_can_frame_the_live_page_and_the_draft_comment_form(
    client: Client, dataset
):
    d, dr = dataset["dialogue"], dataset["draft"]
    urls = [
        f"/dialogues/{d.slug}/",
        f"/drafts/{dr.slug}/",
        "/dialogues/",
        "/drafts/",
        f"/drafts/{dr.slug}/comments/published/",  # the draft page's links to its comments
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        # X-Frame-Options cannot name an origin; leaving it out lets CSP decide, not DENY.
        assert "X-Frame-Options" not in response, url
        assert csp_of(response)["frame-ancestors"] == ["'self'", PORTAL], url
    # A comment refused by the form (no consent) is shown inside the frame too.
    response = client.post(f"/drafts/{dr.slug}/comments/", {"body": "x"})
    assert response.status_code == 400
    assert csp_of(response)["frame-ancestors"] == ["'self'", PORTAL]


@override_settings(CONSULT_FRAME_ANCESTORS=["'self'", PORTAL])
def test_a_configured_portal_still_cannot_frame_the_staff_screens(
    client: Client, dataset, moderator, leader_user
):
    d = dataset["dialogue"]
    client.force_login(moderator)
    for url in [f"/dialogues/{d.slug}/moderate/", "/staff/", "/moderation/"]:
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert csp_of(response)["frame-ancestors"] == ["'none'"], url
    client.force_login(leader_user)
    response = client.get(f"/dialogues/{d.slug}/present/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


@override_settings(CONSULT_FRAME_ANCESTORS=["'none'"])
def test_nobody_can_frame_the_public_pages_when_embedding_is_switched_off(client, dataset):
    response = client.get(f"/dialogues/{dataset['dialogue'].slug}/")
    assert response["X-Frame-Options"] == "DENY"
    assert csp_of(response)["frame-ancestors"] == ["'none'"]


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_browsers_are_told_to_use_https_only_over_https(client: Client):
    # The production values (consult/settings/production.py); SecurityMiddleware sends HSTS
    # on secure responses only, as the standard asks.
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/")


# --- the templates keep the strict policy working ---------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_no_template_needs_inline_script_or_style():
    """The CSP has no 'unsafe-inline': an inline <script>, an on* handler, a style="" or a
    <style> element in a template would silently stop working in the browser."""
    offenders = []
    for template in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", "", text)  # template comments are never sent
        text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.DOTALL)
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("on* handler", EVENT_HANDLER),
            ("style attribute", STYLE_ATTRIBUTE),
            ("<style> element", STYLE_ELEMENT),
            ("javascript: URL", JS_URL),
        ]:
            if pattern.search(text):
                offenders.append(f"{template.relative_to(TEMPLATES_DIR)}: {name}")
    assert offenders == []


# --- no trace ever reaches a client -------------------------------------------------------------


def _explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"database password is hunter2 {TRACE_MARKER}")


def _explode_with_debug_context(request: HttpRequest) -> HttpResponse:
    raise KeyError(TRACE_MARKER)


# The handlers consult.urls declares, so this test urlconf behaves like the real one.
handler404 = consult_urls.handler404
handler500 = consult_urls.handler500

urlpatterns = [
    path("boom/", _explode),
    path("api/v1/boom/", _explode_with_debug_context),
    path("", include("consult.urls")),
]


def assert_no_trace(response: Any) -> None:
    body = response.content.decode()
    for leak in ("Traceback", TRACE_MARKER, "hunter2", "RuntimeError", "KeyError", 'File "/'):
        assert leak not in body


@override_settings(ROOT_URLCONF=__name__)
def test_a_crashing_page_shows_a_plain_vietnamese_error_page_without_trace():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert_no_trace(response)
    body = response.content.decode()
    assert "Hệ thống đang gặp sự cố" in body
    assert_common_headers(response)


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_under_the_api_prefix_answers_json_without_trace():
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert_no_trace(response)


def test_a_crashing_api_endpoint_answers_json_without_trace(monkeypatch, dialogue):
    from livechat import selectors

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError(f"connection string postgres://hunter2 {TRACE_MARKER}")

    monkeypatch.setattr(selectors, "dialogue_get", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/api/v1/dialogues/{dialogue.slug}")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "Hệ thống đang gặp sự cố. Vui lòng thử lại sau.",
        }
    }
    assert_no_trace(response)


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_the_error_page_needs_no_database(monkeypatch):
    """The 500 page is rendered without the request, so a context processor that queries
    the database (or a broken session) cannot turn the error page itself into a crash."""
    import consult.context_processors

    def broken_processor(request: Any) -> dict[str, Any]:
        raise RuntimeError("context processors must not run for the 500 page")

    monkeypatch.setattr(consult.context_processors, "site", broken_processor)
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in response.content.decode()


def test_a_missing_page_gets_the_sites_own_404_page(client: Client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Không tìm thấy trang" in body
    assert 'href="/dialogues/"' in body  # the navigation to carry on from
    api = client.get("/api/v1/khong-co")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_a_form_posted_from_another_site_gets_a_vietnamese_403_page(dialogue):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/dialogues/{dialogue.slug}/", {"body": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Biểu mẫu đã hết hạn" in body
    assert "CSRF" not in body  # no English jargon, no reason string


def test_staff_cannot_see_a_trace_either(monkeypatch, dialogue):
    from livechat import selectors

    staff = make_user("moderator")

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError(TRACE_MARKER)

    monkeypatch.setattr(selectors, "dialogue_get", broken)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    response = client.get(f"/dialogues/{dialogue.slug}/moderate/")
    assert response.status_code == 500
    assert_no_trace(response)
