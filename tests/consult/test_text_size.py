"""The text-size control (consult/preferences.py): a POST form in every page's header that
works without JavaScript; the chosen size is a class on <html>."""

from __future__ import annotations

import pytest

from consult.preferences import TEXT_SIZE_COOKIE

pytestmark = pytest.mark.django_db


def _html_tag(response) -> str:
    text = response.content.decode()
    start = text.index("<html")
    return text[start : text.index(">", start) + 1]


def test_citizen_sees_the_text_size_control_on_every_page(client):
    for path in ("/", "/dialogues/", "/drafts/", "/questions/track/", "/accounts/login/"):
        body = client.get(path).content.decode()
        assert 'action="/preferences/text-size/"' in body, path
        assert 'value="up"' in body and 'value="down"' in body and 'value="reset"' in body


def test_citizen_can_enlarge_text_and_goes_back_to_the_page(client):
    response = client.post("/preferences/text-size/", {"change": "up", "next": "/drafts/?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/drafts/?q=x"
    assert response.cookies[TEXT_SIZE_COOKIE].value == "lg"
    assert 'class="text-size-lg"' in _html_tag(client.get("/drafts/"))

    client.post("/preferences/text-size/", {"change": "up", "next": "/"})
    assert 'class="text-size-xl"' in _html_tag(client.get("/"))
    # The largest size is the last: "A+" is disabled there and another step changes nothing.
    client.post("/preferences/text-size/", {"change": "up", "next": "/"})
    page = client.get("/").content.decode()
    assert 'class="text-size-xl"' in _html_tag(client.get("/"))
    assert 'value="up" class="text-size-button text-size-up" disabled' in page


def test_citizen_can_reset_text_size_to_the_browser_default(client):
    client.post("/preferences/text-size/", {"change": "down", "next": "/"})
    assert 'class="text-size-sm"' in _html_tag(client.get("/"))
    response = client.post("/preferences/text-size/", {"change": "reset", "next": "/"})
    assert response.cookies[TEXT_SIZE_COOKIE].value == ""  # deleted
    assert "class=" not in _html_tag(client.get("/"))


def test_tampered_text_size_cookie_is_ignored(client):
    client.cookies[TEXT_SIZE_COOKIE] = '"><script>alert(1)</script>'
    html = _html_tag(client.get("/"))
    assert "script" not in html and "class=" not in html


def test_text_size_control_never_redirects_to_another_site(client):
    response = client.post(
        "/preferences/text-size/", {"change": "up", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    response = client.post(
        "/preferences/text-size/", {"change": "up"}, HTTP_REFERER="https://evil.example/x"
    )
    assert response["Location"] == "/"


def test_text_size_change_needs_a_post(client):
    assert client.get("/preferences/text-size/?change=up").status_code == 405


def test_language_switcher_goes_back_without_the_lang_parameter(client):
    """Otherwise switching back to Vietnamese from a page opened with ?lang=en would land on
    ?lang=en again and stay in English."""
    body = client.get("/drafts/?lang=en&q=nha").content.decode()
    assert 'name="next" type="hidden" value="/drafts/?q=nha"' in body
    assert "lang=en" not in body.split('class="lang-switch"')[1].split("</form>")[0]
