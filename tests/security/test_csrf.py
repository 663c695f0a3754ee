"""CSRF on every state-changing request: every URL pattern of the site (walked from the
resolver, the Django admin included) is posted to without a token, by a logged-in
administrator and by an anonymous visitor, and refused with 403 before the view runs.

The only exemptions are the JSON API's views (django-ninja marks them csrf_exempt): they are
protected instead by consult.security.api_request_refusal (a state-changing request must be
JSON and must not carry a foreign Origin) and, for the staff endpoints, by ninja's session
authentication, which checks the CSRF token itself. The tests below prove each of those.
Exempt nothing silently: a csrf_exempt view outside API_EXEMPT fails the walk.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import make_user
from tests.livechat.test_services import publish, unique_email, unique_ip

pytestmark = pytest.mark.django_db

# Views exempt from Django's CSRF middleware, each with its reason.
API_EXEMPT_PREFIX = "api/v1/"
API_EXEMPT_REASON = (
    "django-ninja views: protected by consult.security.api_request_refusal (JSON only, no "
    "foreign Origin) and, for staff endpoints, ninja's session auth checking the CSRF token"
)

_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _fill(route: str) -> str:
    """A concrete path for a route: every parameter gets a value its converter accepts."""

    def value(match: re.Match[str]) -> str:
        return "1" if match.group("conv") == "int" else "x"

    path = _PARAM.sub(value, route)
    # The admin's regex patterns (e.g. ^(?P<app_label>auth|consult)/$) and anchors.
    path = _REGEX_PARAM.sub(lambda m: "1" if "id" in m.group("name") else "consult", path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


def _patterns() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append((prefix + str(p.pattern), p.callback))

    walk(get_resolver().url_patterns, "")
    return found


def _csrf_exempt(callback: Any) -> bool:
    return bool(getattr(callback, "csrf_exempt", False))


def test_only_the_api_is_exempt_from_the_csrf_middleware():
    exempt = [route for route, cb in _patterns() if _csrf_exempt(cb)]
    assert exempt, "the walk found the API's views"
    outside = [route for route in exempt if not route.startswith(API_EXEMPT_PREFIX)]
    assert outside == [], f"csrf_exempt outside the API: {outside}"


@pytest.mark.parametrize("who", ["administrator", "anonymous"])
def test_nobody_can_post_to_any_page_without_the_csrf_token(who: str) -> None:
    client = Client(enforce_csrf_checks=True)
    if who == "administrator":
        client.force_login(make_user("", is_superuser=True, is_staff=True))
    wrong = []
    walked = 0
    for route, callback in _patterns():
        if _csrf_exempt(callback):
            continue
        path = _fill(route)
        response = client.post(path, {"x": "1"}, REMOTE_ADDR=unique_ip())
        walked += 1
        if response.status_code != 403:
            wrong.append(f"{route} -> {path}: {response.status_code}")
    assert walked > 60, "the walk covered the site (pages and the admin)"
    assert wrong == []


# --- the JSON API ---------------------------------------------------------------------------


@pytest.fixture
def question(dialogue, moderator) -> Any:
    return publish(dialogue, moderator, email=unique_email(), client_ip=unique_ip())


def api_paths(dialogue: Any, question: Any) -> list[str]:
    """Every state-changing API path, with real objects so only the guard can refuse."""
    return [
        f"/api/v1/dialogues/{dialogue.slug}/questions",
        f"/api/v1/questions/{question.pk}/upvote",
        f"/api/v1/questions/{question.pk}/approve",
        f"/api/v1/dialogues/{dialogue.slug}/off-air",
    ]


def test_a_cross_site_form_cannot_post_to_the_api(client: Client, dialogue, question, agency):
    """An HTML form can only send urlencoded, multipart or text/plain bodies: all refused
    with 415, so a hostile page cannot make its visitors ask, comment or support."""
    from tests.drafts.conftest import make_draft

    draft = make_draft(agency)
    paths = [*api_paths(dialogue, question), f"/api/v1/drafts/{draft.slug}/comments"]
    for path in paths:
        for kind in ("urlencoded", "multipart", "text/plain"):
            if kind == "urlencoded":
                response = client.post(
                    path, "body=x", content_type="application/x-www-form-urlencoded"
                )
            elif kind == "multipart":
                response = client.post(path, {"body": "x"})
            else:
                response = client.post(path, '{"body": "x"}', content_type="text/plain")
            assert response.status_code == 415, (path, kind)
            assert response.json()["error"]["code"] == "unsupported_media_type"
    question.refresh_from_db()
    assert question.upvote_count == 0


def test_a_script_on_another_origin_cannot_post_to_the_api(client: Client, dialogue, question):
    """Browsers send Origin on every cross-origin POST, including a body-less one (which a
    script can send without a CORS preflight): refused with 403."""
    for path in api_paths(dialogue, question):
        for body in ("", json.dumps({"x": 1})):
            response = client.post(
                path, body, content_type="application/json", HTTP_ORIGIN="https://evil.example"
            )
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "csrf"
        response = client.generic("POST", path, HTTP_ORIGIN="https://evil.example")  # no body
        assert response.status_code == 403, path
    question.refresh_from_db()
    assert question.upvote_count == 0


def test_citizen_can_still_support_from_this_site_and_from_a_script(dialogue, question):
    # generic(): no body and no Content-Type at all, as fetch(url, {method: "POST"}) sends.
    url = f"/api/v1/questions/{question.pk}/upvote"
    same_site = Client().generic("POST", url, HTTP_ORIGIN="http://testserver")
    assert same_site.status_code == 200
    script = Client().generic("POST", url)  # a script or server: no Origin
    assert script.status_code == 200
    question.refresh_from_db()
    assert question.upvote_count == 2


def test_moderator_cannot_use_the_staff_api_with_only_the_session_cookie(dialogue, moderator):
    """A staff endpoint needs the CSRF token besides the session, even with a JSON body."""
    from livechat.models import Question
    from tests.livechat.test_services import submit

    pending = submit(dialogue, email=unique_email(), client_ip=unique_ip())
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    response = client.post(
        f"/api/v1/questions/{pending.pk}/approve", "{}", content_type="application/json"
    )
    assert response.status_code == 403
    assert Question.objects.get(pk=pending.pk).status == Question.Status.PENDING
    # With the token (as the staff pages send it), the same request goes through.
    client.get("/staff/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/questions/{pending.pk}/approve",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert Question.objects.get(pk=pending.pk).status == Question.Status.PUBLISHED
