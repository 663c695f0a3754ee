"""The RSS and Atom feeds of drafts open for comment."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.utils import timezone, translation

from consult.templatetags.consult_tags import vn_datetime
from drafts.models import Draft
from tests.drafts.conftest import make_draft

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _parse(content: bytes) -> ET.Element:
    # The feed this test just had Django generate, not untrusted input.
    return ET.fromstring(content)  # noqa: S314


@pytest.fixture
def drafts(agency: Any) -> dict[str, Draft]:
    now = timezone.now()
    return {
        "soon": make_draft(
            agency,
            title="Quy định về phí tham quan & <di tích>",
            closes_at=now + dt.timedelta(days=3),
        ),
        "later": make_draft(
            agency, title="Quy chế quản lý chợ", closes_at=now + dt.timedelta(days=20)
        ),
        "upcoming": make_draft(
            agency,
            title="Chưa đến hạn lấy ý kiến",
            opens_at=now + dt.timedelta(days=2),
            closes_at=now + dt.timedelta(days=32),
        ),
        "closed": make_draft(
            agency,
            title="Đã hết hạn góp ý",
            opens_at=now - dt.timedelta(days=40),
            closes_at=now - dt.timedelta(days=1),
        ),
        "unpublished": make_draft(agency, title="Đang soạn nội bộ", status=Draft.Status.DRAFT),
    }


def test_anyone_can_read_the_rss_feed_of_drafts_open_for_comment(client, drafts):
    response = client.get("/drafts/rss.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = _parse(response.content).find("channel")
    assert channel is not None
    items = channel.findall("item")
    # Nearest deadline first.
    assert [i.findtext("title") for i in items] == [
        "Quy định về phí tham quan & <di tích>",
        "Quy chế quản lý chợ",
    ]
    assert items[0].findtext("link") == f"http://testserver/drafts/{drafts['soon'].slug}/"
    description = items[0].findtext("description") or ""
    with translation.override("vi"):
        deadline = vn_datetime(drafts["soon"].closes_at)
    assert f"Hạn góp ý: {deadline}" in description
    # Decree 43/2011: the unit that receives comments, with its address and e-mail.
    assert "gopy@binhan.gov.vn" in description
    assert channel.findtext("link", "").endswith("/drafts/?phase=open")


def test_feeds_list_only_published_drafts_in_their_comment_period(client, drafts):
    for path in ("/drafts/rss.xml", "/drafts/atom.xml"):
        body = client.get(path).content.decode()
        for hidden in ("Chưa đến hạn lấy ý kiến", "Đã hết hạn góp ý", "Đang soạn nội bộ"):
            assert hidden not in body, (path, hidden)


def test_draft_title_markup_is_escaped_in_the_feed(client, drafts):
    body = client.get("/drafts/rss.xml").content.decode()
    assert "&lt;di tích&gt;" in body
    assert "<di tích>" not in body


def test_anyone_can_read_the_atom_feed_of_open_drafts(client, drafts):
    response = client.get("/drafts/atom.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    entries = _parse(response.content).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Quy định về phí tham quan & <di tích>",
        "Quy chế quản lý chợ",
    ]
    author = entries[0].find(f"{ATOM}author")
    assert author is not None and author.findtext(f"{ATOM}name") == drafts["soon"].agency.name


def test_the_draft_list_links_its_feeds(client, drafts):
    html = client.get("/drafts/").content.decode()
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert 'href="/drafts/rss.xml" type="application/rss+xml">RSS</a>' in html


@pytest.mark.django_db
def test_feed_deadline_reads_as_on_the_draft_page_in_vietnam_time(client, agency):
    # 10:00 UTC is 17:00 in Hồ Chí Minh City; the draft page writes the same deadline this way.
    make_draft(
        agency, title="Quy chế chợ đêm", closes_at=dt.datetime(2099, 12, 1, 10, 0, tzinfo=dt.UTC)
    )
    description = _parse(client.get("/drafts/rss.xml").content).findtext("channel/item/description")
    assert "Hạn góp ý: 17:00, thứ Ba, 01/12/2099" in (description or "")
    with translation.override("vi"):  # the test client's request must not leave English on
        english = _parse(client.get("/drafts/rss.xml?lang=en").content)
    assert "Comment deadline: Tuesday 1 December 2099, 17:00" in (
        english.findtext("channel/item/description") or ""
    )
