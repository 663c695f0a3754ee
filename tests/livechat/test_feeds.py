"""The RSS and Atom feeds of announced and live dialogues: what a feed reader or a portal gets."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.utils import timezone

from livechat.models import Dialogue
from tests.conftest import make_dialogue

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _parse(content: bytes) -> ET.Element:
    # The feed this test just had Django generate, not untrusted input.
    return ET.fromstring(content)  # noqa: S314


@pytest.fixture
def dialogues(chair: Any) -> dict[str, Dialogue]:
    now = timezone.now()
    return {
        "live": make_dialogue(chair, topic="Cải cách thủ tục hành chính về đất đai"),
        "announced": make_dialogue(
            chair,
            status=Dialogue.Status.ANNOUNCED,
            topic="Tuyển sinh đầu cấp năm học mới & <học phí>",
            starts_at=now + dt.timedelta(days=3),
            ends_at=now + dt.timedelta(days=3, hours=2),
            how_to_take_part="Gửi câu hỏi trên trang đối thoại.",
        ),
        "draft": make_dialogue(chair, status=Dialogue.Status.DRAFT, topic="Chưa công bố"),
        "ended": make_dialogue(
            chair,
            status=Dialogue.Status.ENDED,
            topic="Đã kết thúc từ tuần trước",
            starts_at=now - dt.timedelta(days=7),
            ends_at=now - dt.timedelta(days=7) + dt.timedelta(hours=2),
        ),
    }


def test_anyone_can_read_the_rss_feed_of_announced_and_live_dialogues(client, dialogues):
    response = client.get("/dialogues/rss.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = _parse(response.content).find("channel")
    assert channel is not None
    titles = [item.findtext("title") for item in channel.findall("item")]
    # Soonest first: the live one started half an hour ago, the announced one is in 3 days.
    assert titles == [
        "[Đang trực tiếp] Cải cách thủ tục hành chính về đất đai",
        "Tuyển sinh đầu cấp năm học mới & <học phí>",
    ]
    announced = channel.findall("item")[1]
    assert announced.findtext("link") == (
        f"http://testserver/dialogues/{dialogues['announced'].slug}/"
    )
    description = announced.findtext("description") or ""
    assert "Chủ trì: Nguyễn Văn Hùng, Chủ tịch UBND tỉnh" in description
    assert "Cách thức tham gia: Gửi câu hỏi trên trang đối thoại." in description
    # The time is Vietnam's local time, as the page shows it.
    local_start = timezone.localtime(dialogues["announced"].starts_at).strftime("%H:%M %d/%m/%Y")
    assert local_start in description


def test_feeds_never_list_unannounced_or_finished_dialogues(client, dialogues):
    for path in ("/dialogues/rss.xml", "/dialogues/atom.xml"):
        body = client.get(path).content.decode()
        assert "Chưa công bố" not in body
        assert "Đã kết thúc từ tuần trước" not in body
        assert dialogues["draft"].slug not in body


def test_topic_markup_is_escaped_in_the_feed(client, dialogues):
    body = client.get("/dialogues/rss.xml").content.decode()
    assert "&lt;học phí&gt;" in body
    assert "<học phí>" not in body


def test_anyone_can_read_the_atom_feed(client, dialogues):
    response = client.get("/dialogues/atom.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = _parse(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[1].findtext(f"{ATOM}title") == "Tuyển sinh đầu cấp năm học mới & <học phí>"
    link = entries[1].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith(f"/dialogues/{dialogues['announced'].slug}/")
    assert entries[1].find(f"{ATOM}updated") is not None


def test_an_empty_feed_is_still_a_valid_feed(client, db):
    response = client.get("/dialogues/rss.xml")
    assert response.status_code == 200
    channel = _parse(response.content).find("channel")
    assert channel is not None and channel.findall("item") == []


def test_the_dialogue_list_links_its_feeds(client, dialogues):
    html = client.get("/dialogues/").content.decode()
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    # Visible links too, not only for browsers that read <link rel="alternate">.
    assert 'href="/dialogues/rss.xml" type="application/rss+xml">RSS</a>' in html
    assert 'href="/dialogues/atom.xml" type="application/atom+xml">Atom</a>' in html
