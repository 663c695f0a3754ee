"""The embed page of a dialogue (moderators) and what it hands the portal."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from livechat.models import Dialogue
from tests.conftest import make_dialogue

pytestmark = pytest.mark.django_db


def _textarea(page: str, element_id: str) -> str:
    start = page.index(f'<textarea id="{element_id}"')
    start = page.index(">", start) + 1
    return html.unescape(page[start : page.index("</textarea>", start)])


def test_moderator_gets_the_iframe_code_of_the_live_page(
    client: Client, moderator: Any, chair: Any, settings: Any
) -> None:
    settings.CONSULT_FRAME_ANCESTORS = ["'self'", "https://binhan.gov.vn"]
    dialogue = make_dialogue(chair, topic='Đường "vành đai 4" & <giải phóng mặt bằng>')
    client.force_login(moderator)
    page = client.get(f"/dialogues/{dialogue.slug}/embed/").content.decode()
    code = _textarea(page, "embed-iframe")
    url = f"http://testserver/dialogues/{dialogue.slug}/"
    assert code.startswith(f'<iframe src="{url}" title="Đối thoại trực tuyến: Đường &quot;vành')
    # The topic is escaped inside the code the portal pastes, so it cannot break its page.
    assert "&lt;giải phóng mặt bằng&gt;" in code
    assert 'width="100%"' in code
    assert _textarea(page, "embed-link").startswith(f'<a href="{url}">')
    assert "<code>https://binhan.gov.vn</code>" in page


def test_embed_page_says_when_no_portal_may_frame_the_page(
    client: Client, moderator: Any, dialogue: Dialogue, settings: Any
) -> None:
    settings.CONSULT_FRAME_ANCESTORS = ["'self'"]
    client.force_login(moderator)
    page = client.get(f"/dialogues/{dialogue.slug}/embed/").content.decode()
    assert "Chưa có cổng thông tin nào được phép nhúng" in page
    assert "CSP_FRAME_ANCESTORS" in page


def test_leader_cannot_open_the_embed_page(
    client: Client, leader_user: Any, dialogue: Dialogue
) -> None:
    client.force_login(leader_user)
    assert client.get(f"/dialogues/{dialogue.slug}/embed/").status_code == 403


def test_anonymous_cannot_open_the_embed_page(client: Client, dialogue: Dialogue) -> None:
    response = client.get(f"/dialogues/{dialogue.slug}/embed/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_dialogue_list_links_the_embed_page(
    client: Client, moderator: Any, dialogue: Dialogue
) -> None:
    client.force_login(moderator)
    assert (
        f'href="/dialogues/{dialogue.slug}/embed/"'
        in client.get("/staff/dialogues/").content.decode()
    )


def test_embed_page_itself_may_not_be_framed(
    client: Client, moderator: Any, dialogue: Dialogue, settings: Any
) -> None:
    settings.CONSULT_FRAME_ANCESTORS = ["'self'", "https://binhan.gov.vn"]
    client.force_login(moderator)
    response = client.get(f"/dialogues/{dialogue.slug}/embed/")
    assert response["X-Frame-Options"] == "DENY"
    # While the public live page it describes may be.
    public = client.get(f"/dialogues/{dialogue.slug}/")
    assert "frame-ancestors 'self' https://binhan.gov.vn" in public["Content-Security-Policy"]
