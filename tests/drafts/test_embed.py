"""The embed page of a draft (those who manage it): the iframe opens on the comment form."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from drafts.models import Draft
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_agency_staff_gets_the_iframe_code_of_the_comment_form(
    client: Client, agency_staff: Any, draft: Draft, settings: Any
) -> None:
    settings.CONSULT_FRAME_ANCESTORS = ["'self'", "https://binhan.gov.vn"]
    client.force_login(agency_staff)
    page = client.get(f"/staff/drafts/{draft.slug}/embed/").content.decode()
    start = page.index('<textarea id="embed-iframe"')
    code = html.unescape(page[page.index(">", start) + 1 : page.index("</textarea>", start)])
    assert code.startswith(f'<iframe src="http://testserver/drafts/{draft.slug}/#gop-y"')
    assert "<code>https://binhan.gov.vn</code>" in page
    assert 'aria-current="page">Nhúng vào cổng</a>' in page


def test_embed_page_warns_that_an_unpublished_draft_shows_nothing_yet(
    client: Client, agency_staff: Any, agency: Any
) -> None:
    from tests.drafts.conftest import make_draft

    draft = make_draft(agency, status=Draft.Status.DRAFT)
    client.force_login(agency_staff)
    page = client.get(f"/staff/drafts/{draft.slug}/embed/").content.decode()
    assert "Trang này chưa công khai" in page


def test_staff_of_another_agency_cannot_open_the_embed_page(
    client: Client, draft: Draft, other_agency: Any
) -> None:
    client.force_login(make_user("agency_staff", agency=other_agency))
    assert client.get(f"/staff/drafts/{draft.slug}/embed/").status_code == 404


def test_the_draft_page_may_be_framed_by_the_configured_portal_only(
    client: Client, draft: Draft, settings: Any
) -> None:
    settings.CONSULT_FRAME_ANCESTORS = ["'self'", "https://binhan.gov.vn"]
    response = client.get(f"/drafts/{draft.slug}/")
    assert "frame-ancestors 'self' https://binhan.gov.vn" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
