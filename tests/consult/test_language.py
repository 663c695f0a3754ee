"""Vietnamese by default; English only when chosen (INTERFACES.md)."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_anonymous_gets_vietnamese_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "vi"
    assert '<html lang="vi">' in response.content.decode()


def test_lang_query_switches_to_english_and_is_remembered(client):
    response = client.get("/?lang=en")
    assert response.headers["Content-Language"] == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    again = client.get("/")
    assert again.headers["Content-Language"] == "en"


def test_switcher_form_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.get("/").headers["Content-Language"] == "en"
