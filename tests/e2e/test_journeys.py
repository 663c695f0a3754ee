"""End to end, in Chromium against a real daphne process: the main journey of each kind of user,
each with a screenshot of the page it ends on (tests/e2e/artifacts/; with
CONSULT_UPDATE_SCREENSHOTS=1 also docs/screenshots/, which the README shows), each of those
pages checked by axe-core at WCAG 2.1 AA; then embedding in a portal on another origin, and the
weight of the public pages on a slow phone connection.

- a citizen asks on the live page and follows the question with its tracking code (360 px);
- a citizen comments on one article of a draft (360 px);
- a moderator screens the unified inbox, then watches the live console's counts, viewers
  online included, follow a viewer who opens the live page;
- a leader answers the question on air on the presenter screen;
- drafting-agency staff set a disposition in the workspace and download the DOCX, XLSX and
  CSV, opened back with python-docx, openpyxl and csv; a large draft's file is prepared with a
  progress page;
- an administrator reads the audit log, where the above left its entries.

Data is built through the services before the browser starts (a service called while
Playwright's loop runs in this thread cannot ring the channel layer's doorbell).
"""

from __future__ import annotations

import csv
import http.server
import io
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document

from consult.models import User
from drafts import services as draft_services
from drafts.models import Comment
from livechat import services
from livechat.models import Answer, Dialogue, Question
from moderation.models import AuditEntry
from tests.conftest import QUESTION_DEFAULTS, make_dialogue
from tests.drafts.conftest import make_comment, make_draft
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE_JS = Path(__file__).resolve().parents[1] / "data" / "axe.min.js"
PASSWORD = "pw-secret-123"  # make_user's password
WAIT_MS = 15_000
# Public pages: at most this much JavaScript, all of it from the site itself.
JS_BUDGET_BYTES = 30 * 1024

ANSWER = (
    "Sở Tài nguyên và Môi trường đã trình phương án bồi thường; tiền được chi trả trong quý III."
)
COMMENT = "Đề nghị quy định thời hạn cấp giấy phép xây dựng là 15 ngày làm việc."
RESPONSE = "Tiếp thu: Điều 2 được sửa theo hướng quy định rõ thời hạn 15 ngày làm việc."


# --- helpers -----------------------------------------------------------------------------------


def _login(browser: Any, server: Any, user: User, path: str, viewport: Any = DESKTOP) -> Any:
    context = browser.new_context(viewport=viewport, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next={path}")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server.url}{path}")
    return page


def _axe_clean(page: Any) -> None:
    """No WCAG 2.1 A/AA violation on the page as it is now."""
    # Evaluated by the browser's debugging protocol, which the site's CSP (no inline script)
    # does not apply to, so the page is checked with its real headers.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    problems = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]
    assert not problems, "\n".join(problems)


def _shot(page: Any, artifacts: Path, name: str, *, docs: bool = False) -> None:
    """The first screen (what the README shows) and the full page; `docs` ones are copied to
    docs/screenshots/ when CONSULT_UPDATE_SCREENSHOTS=1."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / name))
    page.screenshot(path=str(artifacts / name.replace(".png", "-full.png")), full_page=True)
    if docs and os.environ.get("CONSULT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifacts / name, DOCS_SCREENSHOTS / name)


def _no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def _question(dialogue: Dialogue, **extra: Any) -> Question:
    data = {**QUESTION_DEFAULTS, "request_id": uuid.uuid4().hex, **extra}
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **data)
    return question


# --- data --------------------------------------------------------------------------------------


@pytest.fixture
def world(chair: Any, vice_chair: Any, moderator: User, leader_user: User, agency: Any) -> Any:
    dialogue = make_dialogue(
        chair,
        topic="Giải phóng mặt bằng dự án đường vành đai 4 qua địa bàn tỉnh",
        how_to_take_part="Gửi câu hỏi bằng biểu mẫu trên trang này.",
    )
    dialogue.participants.add(vice_chair)
    published = _question(
        dialogue,
        asker_name="Trần Thị Bình",
        body="Giá đất tính bồi thường được xác định theo bảng giá năm nào?",
    )
    services.question_approve(actor=moderator, question_id=published.pk)
    on_air = _question(
        dialogue,
        asker_name="Lê Văn Cường",
        body="Khi nào các hộ ở xã Tân Phong nhận được tiền bồi thường?",
    )
    services.question_approve(actor=moderator, question_id=on_air.pk)
    services.question_forward(actor=moderator, question_id=on_air.pk, leader_id=chair.pk)
    services.question_put_on_air(actor=moderator, question_id=on_air.pk)
    _question(dialogue, asker_name="Phạm Văn Đông", body="Khu tái định cư được bố trí ở đâu?")

    draft = make_draft(agency, title="Quy định quản lý trật tự xây dựng trên địa bàn tỉnh")
    pending, _created = draft_services.comment_submit(
        draft_id=draft.pk,
        name="Nguyễn Thị Hoa",
        commenter_type="individual",
        body="Đề nghị bổ sung quy định về xây dựng nhà ở riêng lẻ tại nông thôn.",
        consent=True,
        email="hoa.nguyen@example.vn",
        article="3",
        request_id="e2e-pending",
    )
    accepted = make_comment(
        draft,
        number="2",
        status=Comment.Status.PUBLISHED,
        name="Công ty Xây dựng Bình An",
        commenter_type=Comment.CommenterType.ORGANIZATION,
        organization="Công ty Xây dựng Bình An",
        body=COMMENT,
    )
    big = make_draft(agency, title="Quy định về phân loại chất thải rắn sinh hoạt tại nguồn")
    for n in range(8):
        make_comment(
            big,
            number=str(n % 3 + 1),
            status=Comment.Status.PUBLISHED,
            body=f"Góp ý số {n + 1}: cần lộ trình phân loại rác phù hợp từng địa bàn.",
        )
    return {
        "dialogue": dialogue,
        "on_air": on_air,
        "draft": draft,
        "pending_comment": pending,
        "comment": accepted,
        "big_draft": big,
    }


# --- citizens ----------------------------------------------------------------------------------


def test_citizen_asks_on_a_phone_and_tracks_the_question(world, asgi_server, artifacts, browser):
    server = asgi_server()
    dialogue = world["dialogue"]
    context = browser.new_context(viewport=PHONE, locale="vi-VN", device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{server.url}{dialogue.get_absolute_url()}")
    ask = page.locator("#ask")
    ask.get_by_label("Họ và tên").fill("Võ Thị Thu")
    ask.get_by_label("Địa phương").fill("Xã Hòa Lạc, huyện Thạch Bình")
    ask.get_by_label("Số điện thoại").fill("0912 345 678")
    ask.get_by_label("Nội dung câu hỏi").fill("Hộ tôi thuê đất công ích có được hỗ trợ không?")
    ask.get_by_label("Tôi đã đọc thông báo trên").check()
    ask.get_by_role("button", name="Gửi câu hỏi").click()
    page.wait_for_url("**/questions/track/**")
    code = page.locator("#tracking-code").inner_text().strip()
    assert Question.objects.get(tracking_code=code).status == Question.Status.PENDING

    # Later, from the tracking form (as from a bookmark or another device).
    page.goto(f"{server.url}/questions/track/")
    page.get_by_label("Mã theo dõi").fill(code.lower())
    page.locator("main form").get_by_role("button").click()
    page.wait_for_url(f"**/questions/track/{code}/")
    assert "đang chờ Ban Biên tập xem xét" in page.locator("#tracking-status").inner_text()
    assert "0912" not in page.content()  # the asker's own page shows no contact details either
    assert _no_sideways_scroll(page)
    _axe_clean(page)
    _shot(page, artifacts, "journey-citizen-tracking-360.png")
    context.close()


def test_citizen_comments_on_an_article_of_a_draft(world, asgi_server, artifacts, browser):
    server = asgi_server()
    draft = world["draft"]
    context = browser.new_context(viewport=PHONE, locale="vi-VN", device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{server.url}{draft.get_absolute_url()}")
    page.get_by_role("link", name="Góp ý Điều 2").click()
    assert page.locator("#id_article").input_value() == "dieu-2"
    page.get_by_label("Họ và tên").fill("Đặng Văn Minh")
    page.get_by_label("Thư điện tử").fill("minh.dang@example.vn")
    page.get_by_label("Nội dung góp ý").fill("Đề nghị giảm thời hạn xử lý hồ sơ xuống 10 ngày.")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Gửi góp ý").click()
    page.wait_for_load_state()
    assert "Cảm ơn bạn đã góp ý" in page.locator(".messages").inner_text()
    comment = Comment.objects.get(name="Đặng Văn Minh")
    assert (comment.status, comment.article.number) == (Comment.Status.PENDING, "2")
    assert _no_sideways_scroll(page)
    _axe_clean(page)
    _shot(page, artifacts, "journey-citizen-comment-360.png")
    context.close()


# --- moderators and leaders --------------------------------------------------------------------


def test_moderator_screens_the_inbox_and_watches_the_live_counts(
    world, moderator, asgi_server, artifacts, browser
):
    server = asgi_server()
    pending = world["pending_comment"]
    inbox = _login(browser, server, moderator, "/moderation/")
    item = inbox.locator(f"#item-comment-{pending.pk}")
    item.wait_for()
    assert "Đề nghị bổ sung quy định về xây dựng nhà ở riêng lẻ" in item.inner_text()
    _axe_clean(inbox)
    _shot(inbox, artifacts, "moderation-inbox.png", docs=True)
    item.get_by_role("button", name="Duyệt và đăng").click()
    inbox.wait_for_load_state()
    inbox.locator(".messages").wait_for()
    pending.refresh_from_db()
    assert pending.status == Comment.Status.PUBLISHED

    # The live console: the counts, then a viewer opens the live page and is counted.
    dialogue = world["dialogue"]
    console = _login(browser, server, moderator, f"{dialogue.get_absolute_url()}moderate/")
    counts = console.locator("#region-counts")
    assert counts.locator("#count-pending").inner_text() == "1"
    assert counts.locator("#count-published").inner_text() == "2"
    assert counts.locator("#count-viewers").inner_text() == "0"
    viewer = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    viewer.goto(f"{server.url}{dialogue.get_absolute_url()}")
    viewer.wait_for_selector('#live-status[data-state="connected"]', timeout=WAIT_MS)
    # Read every 5 s by live_counts.js, after the viewer's process published it (within 1 s).
    console.wait_for_function(
        "() => document.getElementById('count-viewers').textContent === '1'",
        timeout=2 * WAIT_MS,
    )
    _axe_clean(console)
    _shot(console, artifacts, "journey-moderator-console.png")


def test_the_inbox_and_the_console_follow_a_burst_of_questions_while_it_lasts(
    world, moderator, asgi_server, browser
):
    # Questions arriving many times a second must show up while they keep coming: a refresh
    # timer restarted by every event would wait for the burst to end (both pages did).
    import json
    import time
    import urllib.request

    server = asgi_server(
        env={"SUBMISSIONS_PER_IP_PER_HOUR": "0", "SUBMISSIONS_PER_CONTACT_PER_HOUR": "0"}
    )
    dialogue = world["dialogue"]
    inbox = _login(browser, server, moderator, "/moderation/")
    inbox.locator("#inbox-list").wait_for()
    console = _login(browser, server, moderator, f"{dialogue.get_absolute_url()}moderate/")
    console.wait_for_selector('#live-status[data-state="connected"]', timeout=WAIT_MS)
    inbox.wait_for_timeout(500)  # the inbox socket is open too
    posted: list[int] = []
    done = threading.Event()

    def burst() -> None:
        try:
            for i in range(80):
                body = {
                    **QUESTION_DEFAULTS,
                    "body": f"Câu hỏi dồn dập số {i}: lịch cắt điện tuần này ở phường nào?",
                    "request_id": uuid.uuid4().hex,
                }
                request = urllib.request.Request(  # noqa: S310 (the test's own server)
                    f"{server.url}/api/v1/dialogues/{dialogue.slug}/questions",
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    posted.append(json.loads(response.read())["id"])
                time.sleep(0.04)
        finally:
            done.set()

    sender = threading.Thread(target=burst)
    sender.start()
    seen_during_burst = {"inbox": False, "console": False}
    announced: set[str] = set()
    lists = {"inbox": (inbox, "#inbox-list .inbox-item"), "console": (console, "#col-pending li")}
    try:
        while not done.is_set():
            ids = set(posted[:])
            for name, (page, selector) in lists.items():
                if seen_during_burst[name]:
                    continue
                shown = page.locator(selector).evaluate_all("nodes => nodes.map(n => n.id)")
                wanted = {f"item-question-{pk}" for pk in ids} | {f"q-{pk}" for pk in ids}
                if wanted & set(shown):
                    seen_during_burst[name] = not done.is_set()
            announced.add(console.locator("#live-announcer").inner_text())
            inbox.wait_for_timeout(100)
    finally:
        sender.join(60)
    assert len(posted) == 80
    assert seen_during_burst == {"inbox": True, "console": True}, seen_during_burst
    # The console's screen-reader announcements come together, not one per question.
    assert any(
        t.startswith("Có câu hỏi mới chờ duyệt: #") and "câu hỏi khác" in t for t in announced
    ), announced
    # More than a page of pending questions: the column pages, and the page stays accessible.
    console.reload()
    pages = console.locator("#col-pending nav.pagination")
    pages.wait_for()
    assert "Câu 1–50 trong" in pages.inner_text()
    assert console.locator("#col-pending li.console-card").count() == 50
    _axe_clean(console)


def test_leader_answers_the_question_on_air(world, leader_user, asgi_server, artifacts, browser):
    server = asgi_server()
    dialogue, on_air = world["dialogue"], world["on_air"]
    path = f"{dialogue.get_absolute_url()}present/"
    presenter = _login(browser, server, leader_user, path)
    region = presenter.locator("#region-on-air")
    assert on_air.body in region.inner_text()
    region.get_by_label("Nội dung trả lời").fill(ANSWER)
    region.get_by_role("button", name="Đăng câu trả lời").click()
    presenter.wait_for_url(f"{server.url}{path}")
    assert "Đã đăng câu trả lời" in presenter.locator(".messages").inner_text()
    assert ANSWER in presenter.locator("#region-on-air").inner_text()
    answer = Answer.objects.get(question=on_air)
    assert (answer.body, answer.author_id) == (ANSWER, leader_user.pk)
    assert presenter.locator("#count-answered").inner_text() == "1"
    _axe_clean(presenter)
    _shot(presenter, artifacts, "journey-presenter-answered.png")


# --- drafting agency and administrator -----------------------------------------------------------


def _download(page: Any, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    path = info.value.path()
    return Path(path).read_bytes()


def test_agency_staff_sets_a_disposition_and_downloads_the_reports(
    world, agency_staff, asgi_server, artifacts, browser
):
    server = asgi_server()
    draft, comment = world["draft"], world["comment"]
    path = f"/staff/drafts/{draft.slug}/"
    page = _login(browser, server, agency_staff, path)
    form = page.locator(f"#c{comment.pk} form.disposition-form")
    form.get_by_label("Tiếp thu", exact=True).check()
    form.get_by_label("Ý kiến tiếp thu, giải trình").fill(RESPONSE)
    form.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state()
    page.locator(".messages").wait_for()
    comment.refresh_from_db()
    assert (comment.disposition, comment.response) == (Comment.Disposition.ACCEPTED, RESPONSE)
    _axe_clean(page)
    _shot(page, artifacts, "agency-workspace.png", docs=True)

    document = Document(io.BytesIO(_download(page, "Bản tổng hợp ý kiến (Word, mẫu chuẩn)")))
    table = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert COMMENT in table and RESPONSE in table

    workbook = openpyxl.load_workbook(io.BytesIO(_download(page, "Danh sách góp ý (Excel)")))
    values = [str(c.value) for row in workbook.active.iter_rows() for c in row]
    assert COMMENT in values and RESPONSE in values

    text = _download(page, "Danh sách góp ý (CSV)").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert any(COMMENT in row and RESPONSE in row for row in rows[1:])
    assert AuditEntry.objects.filter(action="draft.export", actor=agency_staff).count() == 3


def test_agency_staff_gets_a_large_drafts_table_as_a_prepared_download(
    world, agency_staff, asgi_server, artifacts, browser
):
    server = asgi_server(env={"EXPORT_BACKGROUND_MIN_COMMENTS": "5"})
    draft = world["big_draft"]
    page = _login(browser, server, agency_staff, f"/staff/drafts/{draft.slug}/")
    page.get_by_role("link", name="Bản tổng hợp ý kiến (Word, mẫu chuẩn)", exact=True).click()
    page.wait_for_url(f"**/staff/drafts/{draft.slug}/exports/?fmt=docx&layout=standard")
    assert page.get_by_label("Bản tổng hợp ý kiến (Word, mẫu chuẩn)").is_checked()
    page.get_by_role("button", name="Chuẩn bị tệp").click()
    page.wait_for_url(f"**/staff/drafts/{draft.slug}/exports/*/")
    # The page follows the job by itself and offers the file when it is ready.
    ready = page.locator("#export-job a.button")
    ready.wait_for(timeout=WAIT_MS)
    assert "Tệp đã sẵn sàng (8 góp ý)" in page.locator("#export-job").inner_text()
    _axe_clean(page)
    _shot(page, artifacts, "prepared-download.png")
    with page.expect_download() as info:
        ready.click()
    document = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any("Góp ý số 8" in c for c in cells)
    assert AuditEntry.objects.filter(action="draft.export", actor=agency_staff).count() == 1


def test_administrator_reads_the_audit_log(world, admin_user, asgi_server, artifacts, browser):
    server = asgi_server()
    page = _login(browser, server, admin_user, "/moderation/audit/")
    rows = page.locator("main table tbody tr")
    # Who put which question on air, and the approvals before it, are all there.
    on_air = rows.filter(has_text="on_air")
    assert on_air.count() == 1
    assert "Lê Biên Tập" in on_air.inner_text()
    assert world["on_air"].body[:40] in on_air.inner_text()
    assert rows.filter(has_text="approve").count() == 2
    _axe_clean(page)
    _shot(page, artifacts, "audit-log.png", docs=True)


# --- embedding in a portal -----------------------------------------------------------------------


@pytest.fixture
def portal() -> Iterator[Any]:
    """A tiny "provincial portal" on a second local port (another origin): it serves one page
    whose iframe source the test sets."""

    class Portal:
        frame_src = ""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
                "<title>Cổng thông tin điện tử tỉnh Bình An</title></head><body>"
                "<h1>Cổng thông tin điện tử tỉnh Bình An</h1>"
                f'<iframe src="{Portal.frame_src}" title="Đối thoại trực tuyến" '
                'width="100%" height="900"></iframe></body></html>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Portal.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield Portal
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_portal_embeds_the_live_page_and_citizens_ask_inside_it(
    world, portal, asgi_server, artifacts, browser
):
    server = asgi_server(env={"CSP_FRAME_ANCESTORS": f"'self',{portal.url}"})
    dialogue = world["dialogue"]
    portal.frame_src = f"{server.url}{dialogue.get_absolute_url()}"
    page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    page.goto(f"{portal.url}/tin-tuc/doi-thoai")
    frame = page.frame_locator("iframe")
    frame.locator("h1").wait_for(timeout=WAIT_MS)
    assert dialogue.topic in frame.locator("h1").inner_text()
    # Live inside the frame: its socket connects (same origin as the framed page).
    frame.locator('#live-status[data-state="connected"]').wait_for(timeout=WAIT_MS)
    _shot(page, artifacts, "embedded-live-page.png")

    ask = frame.locator("#ask")
    ask.get_by_label("Họ và tên").fill("Hồ Thị Lan")
    ask.get_by_label("Địa phương").fill("Phường Đông Hải")
    ask.get_by_label("Thư điện tử").fill("lan.ho@example.vn")
    ask.get_by_label("Nội dung câu hỏi").fill("Đường gom hai bên tuyến khi nào thi công?")
    ask.get_by_label("Tôi đã đọc thông báo trên").check()
    ask.get_by_role("button", name="Gửi câu hỏi").click()
    frame.locator("#tracking-code").wait_for(timeout=WAIT_MS)  # still inside the frame
    assert page.url.startswith(portal.url)
    assert Question.objects.filter(asker_name="Hồ Thị Lan").exists()

    # A link to a page that may not be framed opens in the whole window instead.
    frame.get_by_role("link", name="Đăng nhập cán bộ").click()
    page.wait_for_url(f"{server.url}/accounts/login/")


def test_a_portal_that_is_not_configured_cannot_embed_the_live_page(
    world, portal, asgi_server, browser
):
    server = asgi_server(env={"CSP_FRAME_ANCESTORS": "'self'"})
    dialogue = world["dialogue"]
    portal.frame_src = f"{server.url}{dialogue.get_absolute_url()}"
    page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(f"{portal.url}/tin-tuc/doi-thoai")
    page.wait_for_timeout(1500)
    frame = page.frames[1]
    assert frame.url.startswith("chrome-error://") or not frame.locator("h1").count()
    assert any("frame-ancestors" in text for text in refusals), refusals


# --- phones and slow connections -----------------------------------------------------------------


def test_public_pages_load_little_javascript_and_none_from_elsewhere(world, asgi_server, browser):
    server = asgi_server()
    dialogue, draft = world["dialogue"], world["draft"]
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    for path in (
        "/",
        "/dialogues/",
        dialogue.get_absolute_url(),
        "/drafts/",
        draft.get_absolute_url(),
        "/questions/track/",
    ):
        scripts: list[Any] = []

        def seen(response: Any, scripts: list[Any] = scripts) -> None:
            scripts.append(response)

        page.on("response", seen)
        page.goto(f"{server.url}{path}", wait_until="load")
        page.remove_listener("response", seen)
        js = [r for r in scripts if r.request.resource_type == "script"]
        foreign = [r.url for r in scripts if not r.url.startswith(server.url)]
        assert not foreign, f"{path} loads from elsewhere: {foreign}"
        weight = sum(len(r.body()) for r in js)
        assert weight <= JS_BUDGET_BYTES, f"{path}: {weight} bytes of JavaScript"
        assert _no_sideways_scroll(page), path
    context.close()


def test_the_live_page_is_useful_before_its_script_arrives(world, asgi_server, browser):
    """On a slow connection the script comes last: the questions, the answer on air and the
    form are already there and work as a plain page."""
    server = asgi_server()
    dialogue = world["dialogue"]
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)  # the script never arrives during this test

    page.route("**/*.js", hold)
    page.goto(f"{server.url}{dialogue.get_absolute_url()}", wait_until="commit")
    page.locator("#question-list").wait_for(timeout=5000)
    listed = page.locator("#question-list").inner_text()
    assert "Giá đất tính bồi thường" in listed
    assert world["on_air"].body in page.locator("#on-air").inner_text()
    assert page.locator("#ask").get_by_role("button", name="Gửi câu hỏi").is_visible()
    assert held, "the page asked for its script"
    for route in held:
        route.abort()
    context.close()


def test_staff_embed_and_prepare_pages_have_no_wcag_violations(
    world, moderator, agency_staff, asgi_server, artifacts, browser
):
    server = asgi_server(env={"CSP_FRAME_ANCESTORS": "'self',https://binhan.gov.vn"})
    dialogue, draft = world["dialogue"], world["draft"]
    page = _login(browser, server, moderator, f"/dialogues/{dialogue.slug}/embed/")
    assert "https://binhan.gov.vn" in page.locator("main").inner_text()
    _axe_clean(page)
    _shot(page, artifacts, "embed-dialogue.png")
    page = _login(browser, server, agency_staff, f"/staff/drafts/{draft.slug}/embed/")
    _axe_clean(page)
    page.goto(f"{server.url}/staff/drafts/{draft.slug}/exports/")
    _axe_clean(page)
    page.set_viewport_size(PHONE)
    assert _no_sideways_scroll(page)
