"""End to end, in a real browser: a citizen reads a draft on a phone-sized screen, follows the
"Góp ý Điều 2" link under an article and sends a comment, without any JavaScript of ours."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drafts.models import Comment, DraftNode
from tests.drafts.conftest import make_draft

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CONSULT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and CONSULT_REQUIRE_BROWSER=1")
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install chromium); set CONSULT_REQUIRE_BROWSER=1 to fail instead"
    )


@pytest.mark.e2e
def test_citizen_comments_on_an_article_from_a_phone(
    live_server, transactional_db, agency, monkeypatch
):
    _require_browser()
    from playwright.sync_api import sync_playwright

    draft = make_draft(agency, title="Quy định quản lý trật tự xây dựng trên địa bàn tỉnh")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls below are plain
    # synchronous test code, not code running inside that loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740}, java_script_enabled=False
            )
            page = context.new_page()
            page.goto(f"{live_server.url}{draft.get_absolute_url()}")
            assert page.locator("h1").inner_text().startswith("Quy định quản lý trật tự")
            # Phone width: nothing makes the page scroll sideways.
            assert page.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
            page.screenshot(path=str(ARTIFACTS / "draft_page_360.png"), full_page=True)

            # The outline jumps to the article; the link under it leads to the form.
            page.get_by_role("link", name="Góp ý Điều 2").click()
            assert "article=dieu-2" in page.url
            assert page.locator("#id_article").input_value() == "dieu-2"
            assert not page.locator("#id_consent").is_checked()

            page.get_by_label("Họ và tên").fill("Trần Thị Bình")
            page.get_by_label("Thư điện tử").fill("binh.tran@example.vn")
            page.get_by_label("Nội dung góp ý").fill(
                "Đề nghị quy định rõ thời hạn cấp giấy phép xây dựng là 15 ngày."
            )
            page.locator("#id_consent").check()
            page.get_by_role("button", name="Gửi góp ý").click()
            page.wait_for_load_state()
            assert "Cảm ơn bạn đã góp ý" in page.locator(".messages").inner_text()
            page.screenshot(path=str(ARTIFACTS / "draft_comment_sent_360.png"), full_page=True)
            context.close()

            # With a desktop browser and JavaScript on, the page works the same.
            wide = browser.new_page(viewport={"width": 1280, "height": 900})
            wide.goto(f"{live_server.url}{draft.get_absolute_url()}#dieu-3")
            assert wide.locator("nav.outline").is_visible()
            overflow = wide.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            assert not overflow
            wide.screenshot(path=str(ARTIFACTS / "draft_page_desktop.png"), full_page=True)
        finally:
            browser.close()

    comment = Comment.objects.get()
    assert comment.article == DraftNode.objects.get(draft=draft, anchor="dieu-2")
    assert comment.status == Comment.Status.PENDING
    assert comment.name == "Trần Thị Bình"
