"""End to end, in a real browser against a real daphne process: a live dialogue from a
citizen's question to the leader's answer, each person in their own browser.

A viewer keeps the public live page open the whole time and never reloads it: the approved
question, the question on air and the answer must reach it over the WebSocket. The same pages
without JavaScript still show the current state and take a question.

Runs on SQLite with the in-memory channel layer by default (one server process), and on
PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set. CONSULT_UPDATE_SCREENSHOTS=1 copies
the screenshots the README shows into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from consult.models import User
from livechat import services
from livechat.models import Answer, Dialogue, Question
from tests.conftest import QUESTION_DEFAULTS, make_dialogue
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "pw-secret-123"  # make_user's password
WAIT_MS = 15_000  # the longest any one step may take to show up on another screen (a busy CI)

QUESTION = (
    "Gia đình tôi có 300 m² đất nông nghiệp bị thu hồi làm đường vành đai 4. "
    "Khi nào chúng tôi được nhận tiền bồi thường và hỗ trợ chuyển đổi nghề?"
)
ANSWER = (
    "Tỉnh đã phê duyệt phương án bồi thường cho xã Tân Phong; tiền bồi thường và hỗ trợ "
    "chuyển đổi nghề được chi trả trước ngày 30/6. Trung tâm Phát triển quỹ đất sẽ mời "
    "từng hộ đến nhận."
)

SECOND_QUESTION = "Khu tái định cư cho các hộ ở xã Tân Phong được bố trí ở đâu, khi nào giao đất?"

EARLIER = [
    {
        "asker_name": "Trần Thị Bình",
        "locality": "Xã Hòa Lạc, huyện Thạch Bình",
        "body": "Nhà tôi nằm ngoài chỉ giới nhưng đường đi bị cắt ngang. "
        "Tỉnh có làm đường gom cho các hộ dân hai bên không?",
        "answer": "Dự án có hạng mục đường gom hai bên tuyến, thi công cùng đường chính; "
        "không hộ nào bị mất lối đi.",
    },
    {
        "asker_name": "Lê Văn Cường",
        "locality": "Phường Đông Hải, thành phố Bình An",
        "body": "Giá đất tính bồi thường được xác định theo bảng giá năm nào?",
        "answer": None,
    },
]


@pytest.fixture
def live_dialogue(chair: Any, vice_chair: Any, moderator: User, leader_user: User) -> Dialogue:
    """A live dialogue with two questions published earlier (one answered), built through the
    services exactly as the pages would. Tests list it before `browser`: a service called while
    Playwright's loop runs in this thread cannot ring the channel layer's doorbell."""
    dialogue = make_dialogue(
        chair,
        topic="Giải phóng mặt bằng dự án đường vành đai 4 qua địa bàn tỉnh",
        how_to_take_part="Gửi câu hỏi bằng biểu mẫu trên trang này từ khi thông báo đến khi "
        "kết thúc buổi đối thoại.",
    )
    dialogue.participants.add(vice_chair)
    for n, earlier in enumerate(EARLIER):
        question, _created = services.question_submit(
            dialogue_id=dialogue.pk,
            **{
                **QUESTION_DEFAULTS,
                "asker_name": earlier["asker_name"],
                "locality": earlier["locality"],
                "body": earlier["body"],
                "email": f"earlier{n}@example.vn",
                "request_id": f"earlier-{n}",
            },
        )
        services.question_approve(actor=moderator, question_id=question.pk)
        if earlier["answer"]:
            services.answer_post(actor=leader_user, question_id=question.pk, body=earlier["answer"])
    return dialogue


def _login(browser: Any, server: Any, user: User, path: str) -> Any:
    """A new browser context for one staff member, logged in through the login page."""
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next={path}")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server.url}{path}")
    return page


def _connected(page: Any) -> None:
    """Waits until the page's script says its socket is open."""
    page.wait_for_selector('#live-status[data-state="connected"]', timeout=WAIT_MS)


def _announced(page: Any, message: str) -> None:
    """Waits until the page's polite live region says `message` (what a screen reader reads)."""
    page.wait_for_function(
        "m => document.getElementById('live-announcer').textContent === m",
        arg=message,
        timeout=WAIT_MS,
    )


def _no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_citizen_asks_moderator_approves_leader_answers_and_viewer_sees_it_live(
    live_dialogue, chair, moderator, leader_user, asgi_server, artifacts, browser
):
    dialogue = live_dialogue
    server = asgi_server()
    live_path = dialogue.get_absolute_url()
    moderate_path = f"{live_path}moderate/"
    present_path = f"{live_path}present/"

    # (1) A viewer opens the public live page and keeps it open without ever reloading it.
    viewer_context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    viewer = viewer_context.new_page()
    viewer.goto(f"{server.url}{live_path}")
    _connected(viewer)
    viewer.evaluate("window.__sameDocument = true")  # a reload would lose this
    assert viewer.locator("#question-list > li.question").count() == 2
    announcer = viewer.locator("#live-announcer")
    assert announcer.get_attribute("aria-live") == "polite"

    # (3, first half) The moderator has the console open before the question arrives.
    console = _login(browser, server, moderator, moderate_path)
    _connected(console)
    console.evaluate("window.__sameDocument = true")

    # (2) A citizen, in a browser of their own, asks through the form.
    citizen_context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    citizen = citizen_context.new_page()
    citizen.goto(f"{server.url}{live_path}")
    ask = citizen.locator("#ask")
    ask.get_by_label("Họ và tên").fill("Phạm Thị Dung")
    ask.get_by_label("Địa phương").fill("Xã Tân Phong, huyện Thạch Bình")
    ask.get_by_label("Thư điện tử").fill("dung.pham@example.vn")
    ask.get_by_label("Nội dung câu hỏi").fill(QUESTION)
    consent = ask.get_by_label("Tôi đã đọc thông báo trên")
    assert not consent.is_checked()  # consent is never ticked in advance
    consent.check()
    ask.get_by_label("Tôi đồng ý công khai họ tên").check()
    ask.get_by_role("button", name="Gửi câu hỏi").click()
    citizen.wait_for_url("**/questions/track/**")
    code = citizen.locator("#tracking-code").inner_text().strip()
    assert "đang chờ Ban Biên tập xem xét" in citizen.locator("#tracking-status").inner_text()
    question = Question.objects.get(tracking_code=code)
    assert question.status == Question.Status.PENDING
    # Nothing public before a moderator approves it.
    viewer.wait_for_timeout(300)
    assert QUESTION not in viewer.locator("#question-list").inner_text()

    # (3) The new question appears in the console by itself; the moderator approves it.
    card = console.locator(f"#col-pending #q-{question.pk}")
    card.wait_for(timeout=WAIT_MS)
    assert QUESTION in card.inner_text()
    assert "dung.pham@example.vn" in card.inner_text()  # staff see the contact, the public not
    card.get_by_role("button", name="Duyệt đăng").click()

    # The viewer's page shows it without reloading, and the live region announces it.
    viewer_item = viewer.locator(f"#q-{question.pk}")
    viewer_item.wait_for(timeout=WAIT_MS)
    assert QUESTION in viewer_item.locator(".q-body").inner_text()
    assert "Phạm Thị Dung" in viewer_item.locator(".q-name").inner_text()
    assert "dung.pham@example.vn" not in viewer.content()
    _announced(viewer, "Câu hỏi mới được đăng: Phạm Thị Dung")
    assert viewer.locator("#question-count").inner_text() == "3"

    # The leader's presenter screen is open before the question goes on air.
    presenter = _login(browser, server, leader_user, present_path)
    _connected(presenter)
    presenter.evaluate("window.__sameDocument = true")

    # The moderator puts it on air: the viewer's "on air" box and the presenter follow.
    published = console.locator(f"#col-published #q-{question.pk}")
    published.wait_for(timeout=WAIT_MS)
    published.get_by_role("button", name="Đưa lên sóng").click()
    on_air = viewer.locator("#on-air")
    on_air.wait_for(state="visible", timeout=WAIT_MS)
    assert QUESTION in on_air.locator(".on-air-body").inner_text()
    presenter_on_air = presenter.locator("#region-on-air")
    presenter_on_air.get_by_text(QUESTION).wait_for(timeout=WAIT_MS)
    assert presenter.evaluate("window.__sameDocument === true"), "the presenter reloaded"

    # The leader (or a secretary on the leader's behalf) types the answer.
    presenter_on_air.get_by_label("Nội dung trả lời").fill(ANSWER)
    presenter_on_air.get_by_role("button", name="Đăng câu trả lời").click()
    presenter.wait_for_url(f"{server.url}{present_path}")

    # The viewer's page shows the answer, attributed to the chair, without reloading.
    answer = viewer_item.locator(".q-answers .answer")
    answer.wait_for(timeout=WAIT_MS)
    assert ANSWER in answer.locator(".answer-body").inner_text()
    assert chair.name in answer.locator(".answer-leader").inner_text()
    assert "Đã trả lời trực tiếp" in viewer_item.locator(".q-state").inner_text()
    _announced(viewer, "Có câu trả lời mới cho câu hỏi của Phạm Thị Dung")
    assert viewer.evaluate("window.__sameDocument === true"), "the viewer's page reloaded"
    assert console.evaluate("window.__sameDocument === true"), "the console reloaded"
    # The feed never moved the viewer's focus.
    assert viewer.evaluate("document.activeElement === document.body")

    stored = Answer.objects.get(question=question)
    assert (stored.leader_id, stored.author_id) == (chair.pk, leader_user.pk)

    # The citizen's tracking page shows the answer.
    citizen.reload()
    assert "đã được trả lời trực tiếp" in citizen.locator("#tracking-status").inner_text()
    assert ANSWER in citizen.locator(".answer-body").inner_text()

    # The citizen asks a second question: it waits in the console, and only there.
    citizen.goto(f"{server.url}{live_path}")
    ask = citizen.locator("#ask")
    ask.get_by_label("Họ và tên").fill("Phạm Thị Dung")
    ask.get_by_label("Địa phương").fill("Xã Tân Phong, huyện Thạch Bình")
    ask.get_by_label("Thư điện tử").fill("dung.pham@example.vn")
    ask.get_by_label("Nội dung câu hỏi").fill(SECOND_QUESTION)
    ask.get_by_label("Tôi đã đọc thông báo trên").check()
    ask.get_by_role("button", name="Gửi câu hỏi").click()
    citizen.wait_for_url("**/questions/track/**")
    console.locator("#col-pending .q-body", has_text=SECOND_QUESTION).wait_for(timeout=WAIT_MS)
    assert console.evaluate("window.__sameDocument === true"), "the console reloaded"
    assert SECOND_QUESTION not in viewer.locator("#question-list").inner_text()
    # The column the moderator last acted in holds its update back (their focus is there) and
    # offers it instead; taking it shows the answer in the console too.
    stale = console.locator("#stale-note")
    if stale.is_visible():
        stale.get_by_role("button", name="Cập nhật ngay").click()
    console.locator(f"#q-{question.pk}", has_text="Đã trả lời trực tiếp").wait_for(timeout=WAIT_MS)
    assert ANSWER in console.locator(f"#q-{question.pk} .answer-body").inner_text()
    citizen.goto(f"{server.url}/questions/track/{code}/")

    # Screenshots of every screen at desktop width, and the live page on a phone.
    shots = {
        "live-page.png": viewer,
        "moderator-console.png": console,
        "presenter.png": presenter,
        "tracking.png": citizen,
    }
    for name, page in shots.items():
        assert _no_sideways_scroll(page), f"{name}: the page scrolls sideways at 1280 px"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / name))  # the first screen, as the README shows
        page.screenshot(path=str(artifacts / name.replace(".png", "-full.png")), full_page=True)

    phone_context = browser.new_context(viewport=PHONE, locale="vi-VN", device_scale_factor=2)
    phone = phone_context.new_page()
    phone.goto(f"{server.url}{live_path}")
    _connected(phone)
    assert _no_sideways_scroll(phone), "the live page scrolls sideways at 360 px"
    phone.screenshot(path=str(artifacts / "live-page-360.png"))  # the first screen
    phone.screenshot(path=str(artifacts / "live-page-360-full.png"), full_page=True)

    if os.environ.get("CONSULT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in [*shots, "live-page-360.png"]:
            shutil.copyfile(artifacts / name, DOCS_SCREENSHOTS / name)


@pytest.fixture
def on_air_dialogue(live_dialogue: Dialogue, moderator: User) -> Dialogue:
    """The live dialogue with its unanswered question on air."""
    unanswered = Question.objects.get(dialogue=live_dialogue, asker_name="Lê Văn Cường")
    services.question_put_on_air(actor=moderator, question_id=unanswered.pk)
    return live_dialogue


def test_without_javascript_the_live_page_shows_the_current_state_and_takes_a_question(
    on_air_dialogue, asgi_server, artifacts, browser
):
    dialogue = on_air_dialogue
    server = asgi_server()

    context = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}{dialogue.get_absolute_url()}")

    # Everything published so far, with its answer, and the question on air.
    items = page.locator("#question-list > li.question")
    assert items.count() == 2
    listed = page.locator("#question-list").inner_text()
    for earlier in EARLIER:
        assert earlier["body"] in listed
    assert EARLIER[0]["answer"] in listed
    on_air = page.locator("#on-air")
    assert on_air.is_visible()
    assert EARLIER[1]["body"] in on_air.inner_text()
    assert page.locator("#live-status").is_hidden()  # no promise of live updates without JS
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "live-page-nojs-360.png"), full_page=True)

    # The form is a plain form: it posts and lands on the tracking page.
    ask = page.locator("#ask")
    ask.get_by_label("Họ và tên").fill("Võ Minh Đức")
    ask.get_by_label("Địa phương").fill("Xã Hòa Lạc, huyện Thạch Bình")
    ask.get_by_label("Số điện thoại").fill("0912 345 678")
    ask.get_by_label("Nội dung câu hỏi").fill("Khu tái định cư cho các hộ ở xã Hòa Lạc ở đâu?")
    ask.get_by_label("Tôi đã đọc thông báo trên").check()
    ask.get_by_role("button", name="Gửi câu hỏi").click()
    page.wait_for_url("**/questions/track/**")
    code = page.locator("#tracking-code").inner_text().strip()
    assert "đang chờ Ban Biên tập xem xét" in page.locator("#tracking-status").inner_text()
    question = Question.objects.get(tracking_code=code)
    assert (question.status, question.phone, question.publish_name) == (
        Question.Status.PENDING,
        "0912345678",
        False,
    )
    page.screenshot(path=str(artifacts / "tracking-nojs-360.png"), full_page=True)
    context.close()
