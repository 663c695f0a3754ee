"""Hostile text in a real browser: every BLNS string and XSS payload (see test_hostile_input.py)
stored through the services, then each page that shows it opened in Chromium against a real
daphne process — the public live page (which also receives a hostile question and answer over
its WebSocket and writes them with live.js), the tracking page, the moderator console, the
presenter screen, the draft page, the agency workspace and the moderators' inbox.

On every page: nothing ran (a trap replaces alert/confirm/prompt before any page script and
records calls; dialogs are recorded too; the title is the server's), the DOM holds no script
but ours, no event-handler attribute, no javascript: URL and none of the elements the payloads
try to inject, and the hostile text is on the page as text — which it cannot be if the browser
had parsed it as markup. The site's CSP is bypassed so that escaping alone is what is tested.

Skips with the reason when /usr/bin/chromium is absent, unless CONSULT_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import time
import uuid
from typing import Any

import pytest
from django.utils import timezone

from consult.errors import Invalid
from consult.models import User
from consult.text import normalize_text
from drafts import services as draft_services
from drafts.models import Comment, Draft, DraftNode
from livechat import services
from livechat.models import Dialogue, Question
from livechat.page_selectors import CONSOLE_COLUMNS, console_columns
from livechat.views import CONSOLE_PAGE_SIZE
from tests.conftest import QUESTION_DEFAULTS, make_dialogue
from tests.e2e.conftest import DESKTOP, browser_require
from tests.e2e.conftest import browser as chromium  # noqa: F401 -- the e2e fixture, as "chromium"
from tests.security.test_hostile_input import HOSTILE, XSS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000

# Runs before any script of the page: every way a payload could announce itself is recorded.
TRAP = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__xss.push(name + ":" + Array.from(arguments).join(",")); };
}
"""

# The DOM after the page settled: everything that should not be there.
DOM_CHECK = """
() => {
  const bad = [];
  for (const s of document.querySelectorAll("script")) {
    const src = s.getAttribute("src");
    if (src) {
      const url = new URL(src, location.href);
      if (url.origin !== location.origin || !url.pathname.startsWith("/static/")) {
        bad.push("script src=" + src);
      }
    } else if (s.type !== "application/json") {
      bad.push("inline script: " + s.textContent.slice(0, 80));
    }
  }
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith("on")) bad.push(el.tagName + " " + a.name);
      if (urlAttrs.includes(a.name.toLowerCase()) &&
          /^\\s*(javascript|vbscript|data):/i.test(a.value)) {
        bad.push(el.tagName + " " + a.name + "=" + a.value.slice(0, 60));
      }
      if (a.name === "style" && /expression\\(|url\\(/i.test(a.value)) {
        bad.push(el.tagName + " style=" + a.value.slice(0, 60));
      }
    }
  }
  const forbidden = "img, svg, math, object, embed, base, meta[http-equiv], marquee, video, " +
    "audio, source, style, link:not([rel=stylesheet]):not([rel=icon]), iframe, frame, " +
    "frameset, applet, x\\\\:script";
  for (const el of document.querySelectorAll(forbidden)) {
    bad.push("element " + el.outerHTML.slice(0, 80));
  }
  return bad;
}
"""

TITLE = '"><script>alert(1)</script><img src=x onerror=alert(1)> {{7*7}} Dự thảo quy định'


def squash(text: str) -> str:
    """Text without whitespace: templates turn line breaks into <br> and wrap lines."""
    return re.sub(r"\s+", "", text)


class World:
    dialogue: Dialogue
    answered: Question
    pending: list[Question]
    late: Question
    draft: Draft
    texts: dict[str, list[str]]


def _submit_question(dialogue: Dialogue, value: str) -> Question | None:
    for fields in (
        {"asker_name": value, "locality": value, "body": value},
        {"body": value},
    ):
        try:
            question, _created = services.question_submit(
                dialogue_id=dialogue.pk,
                **{**QUESTION_DEFAULTS, **fields},
                request_id=uuid.uuid4().hex,
            )
            return question
        except Invalid:
            continue
    return None


def _submit_comment(draft: Draft, value: str) -> Comment | None:
    for fields in (
        {"name": value, "organization": value, "body": value},
        {"name": "Trần Thị Bình", "organization": "Hội Luật gia", "body": value},
    ):
        try:
            comment, _created = draft_services.comment_submit(
                draft_id=draft.pk,
                commenter_type=Comment.CommenterType.ORGANIZATION,
                email="gop.y@example.vn",
                consent=True,
                publish_name=True,
                request_id=uuid.uuid4().hex,
                **fields,
            )
            return comment
        except Invalid:
            continue
    return None


def chunks(size: int) -> list[str]:
    """Every BLNS string and extra oddity, joined by line breaks into bodies of at most `size`
    characters once normalised: one page then shows all of them without hundreds of items."""
    out: list[str] = []
    current: list[str] = []
    for value in HOSTILE:
        if value in XSS or not normalize_text(value):
            continue
        if len(normalize_text("\n".join([*current, value]))) > size:
            out.append("\n".join(current))
            current = []
        current.append(value)
    out.append("\n".join(current))
    return out


def _names(n: int) -> str:
    """A BLNS string short enough for a name field, a different one for each `n`."""
    names = [
        v for v in HOSTILE if v not in XSS and 0 < len(normalize_text(v, multiline=False)) <= 120
    ]
    return names[(n * 37) % len(names)]


def _blns_question(dialogue: Dialogue, n: int, body: str) -> Question:
    question, _created = services.question_submit(
        dialogue_id=dialogue.pk,
        **{**QUESTION_DEFAULTS, "asker_name": _names(n), "locality": _names(n + 1), "body": body},
    )
    return question


def _blns_comment(draft: Draft, n: int, body: str) -> Comment:
    comment, _created = draft_services.comment_submit(
        draft_id=draft.pk,
        commenter_type=Comment.CommenterType.ORGANIZATION,
        name=_names(n),
        organization=_names(n + 2),
        email="gop.y@example.vn",
        consent=True,
        publish_name=True,
        body=body,
    )
    return comment


@pytest.fixture
def world(
    chair: Any, vice_chair: Any, agency: Any, moderator: User, leader_user: User, agency_staff: User
) -> World:
    """Everything hostile, stored through the services (before the browser starts)."""
    from tests.drafts.conftest import kind_get

    w = World()
    w.dialogue = make_dialogue(chair, topic="Đối thoại <script>alert(1)</script> {{7*7}}")
    w.dialogue.participants.add(vice_chair)
    published = [q for q in (_submit_question(w.dialogue, v) for v in XSS) if q]
    published += [_blns_question(w.dialogue, n, chunk) for n, chunk in enumerate(chunks(2000))]
    for question in published:
        services.question_approve(actor=moderator, question_id=question.pk)
    w.answered = published[0]
    for value in XSS:
        with contextlib.suppress(Invalid):
            services.answer_post(actor=leader_user, question_id=w.answered.pk, body=value)
    services.question_forward(actor=moderator, question_id=w.answered.pk, leader_id=chair.pk)
    services.question_put_on_air(actor=moderator, question_id=w.answered.pk)
    w.pending = [q for q in (_submit_question(w.dialogue, v) for v in XSS) if q]
    w.late = w.pending.pop()  # approved while the live page is open

    opens = timezone.now() - dt.timedelta(days=1)
    w.draft = draft_services.draft_create(
        actor=agency_staff,
        agency=agency,
        kind=kind_get(days=30),
        title=TITLE,
        summary="\n".join(XSS),
        opens_at=opens,
        closes_at=opens + dt.timedelta(days=30),
        receiving_unit_address="Số 1 <b>Trần Hưng Đạo</b>",
        receiving_unit_email="gopy@binhan.gov.vn",
    )
    DraftNode.objects.create(
        draft=w.draft,
        kind=DraftNode.Kind.ARTICLE,
        number="1",
        heading="Điều 1.",
        title="Phạm vi <script>alert(1)</script>",
        body="Nội dung.",
        anchor="dieu-1",
        citation="Điều 1",
        position=1,
    )
    draft_services.draft_publish(actor=agency_staff, draft_id=w.draft.pk)
    comments = [c for c in (_submit_comment(w.draft, v) for v in XSS) if c]
    comments += [_blns_comment(w.draft, n, chunk) for n, chunk in enumerate(chunks(10000))]
    for comment in comments:
        draft_services.comment_approve(actor=moderator, comment_id=comment.pk)
    pending_comments = [c for c in (_submit_comment(w.draft, v) for v in XSS) if c]

    questions = list(Question.objects.filter(dialogue=w.dialogue))
    public = [q for q in questions if q.status == Question.Status.PUBLISHED]
    comments = list(Comment.objects.filter(draft=w.draft))
    w.texts = {
        "live": [t for q in public for t in (q.body, q.asker_name, q.locality)]
        + [a.body for a in w.answered.answers.all()],
        "console": [q.body for q in questions if q.pk != w.late.pk],
        "draft": [w.draft.title, *w.draft.summary.split("\n")],
        "published": [c.body for c in comments if c.status == Comment.Status.PUBLISHED],
        "pending": [c.body for c in pending_comments] + [q.body for q in w.pending],
    }
    return w


def page_new(browser: Any, base_url: str, user: User | None) -> tuple[Any, Any, dict[str, list]]:
    from tests.e2e.test_accessibility import session_cookie

    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", bypass_csp=True)
    if user is not None:
        context.add_cookies([session_cookie(user, base_url)])
    context.add_init_script(TRAP)
    page = context.new_page()
    seen: dict[str, list] = {"dialogs": [], "errors": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    return context, page, seen


def page_check(page: Any, seen: dict[str, list], texts: list[str], *, where: str) -> None:
    """Nothing ran, nothing was injected, and every text in `texts` is on the page as text."""
    assert page.evaluate("window.__xss") == [], where
    assert seen["dialogs"] == [], where
    assert seen["errors"] == [], where
    title = page.title()
    assert title and "XSS" not in title, (where, title)
    assert page.evaluate(DOM_CHECK) == [], where
    shown = squash(page.evaluate("document.body.textContent"))
    missing = [t for t in texts if t and squash(t) not in shown]
    assert not missing, (where, missing[:5], len(missing))


def pages_walk(page: Any, url: str, seen: dict[str, list], *, where: str) -> str:
    """Opens `url` and its following pages (?page=2, …) while they exist; checks each and
    returns all their text."""
    text = ""
    for number in range(1, 30):
        response = page.goto(f"{url}{'&' if '?' in url else '?'}page={number}")
        assert response is not None and response.status == 200, (where, number)
        page_check(page, seen, [], where=f"{where} page {number}")
        text += squash(page.evaluate("document.body.textContent"))
        if not page.locator(f'a[href*="page={number + 1}"]').count():
            break
    return text


def console_walk(page: Any, url: str, seen: dict[str, list]) -> str:
    """Opens the moderator console and every further page of each of its columns; checks each
    and returns all their text."""
    page.goto(url)
    page_check(page, seen, [], where="moderator console")
    text = squash(page.evaluate("document.body.textContent"))
    for key in CONSOLE_COLUMNS:
        number = 1
        while page.locator(f'#col-{key} a[rel="next"]').count() and number < 100:
            number += 1
            page.goto(f"{url}?page_{key}={number}")
            page_check(page, seen, [], where=f"moderator console, {key} page {number}")
            text += squash(page.evaluate("document.body.textContent"))
    return text


def _approve_over_http(page: Any, base_url: str, question_id: int, leader_id: int) -> None:
    """The moderator (this page's session) approves a question and posts an answer through the
    JSON API of the server, so the server rings its own channel layer for the live page."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {
        "X-CSRFToken": token,
        "Origin": base_url,
        "Referer": base_url + "/",
        "Content-Type": "application/json",
    }
    for path, payload in [
        (f"/api/v1/questions/{question_id}/approve", {}),
        (
            f"/api/v1/questions/{question_id}/answers",
            {"body": XSS[0] + "\n" + XSS[7], "leader_id": leader_id},
        ),
    ]:
        response = page.request.post(base_url + path, data=json.dumps(payload), headers=headers)
        assert response.status in (200, 201), (path, response.status, response.text()[:300])


def test_visitor_and_staff_pages_render_hostile_text_escaped_and_run_nothing(
    world: World,
    asgi_server: Any,
    request: pytest.FixtureRequest,
    moderator: User,
    leader_user: User,
    agency_staff: User,
) -> None:
    browser_require()
    browser = request.getfixturevalue("chromium")  # after `world`: see tests/e2e/conftest.py
    started = time.monotonic()
    server = asgi_server()
    base = server.url
    w = world

    # The public live page, then a hostile question and answer arriving over the socket.
    viewer_ctx, viewer, viewer_seen = page_new(browser, base, None)
    viewer.goto(f"{base}/dialogues/{w.dialogue.slug}/")
    page_check(viewer, viewer_seen, w.texts["live"], where="live page")
    mod_ctx, mod, mod_seen = page_new(browser, base, moderator)
    console_url = f"{base}/dialogues/{w.dialogue.slug}/moderate/"
    shown = console_walk(mod, console_url, mod_seen)
    assert [t for t in w.texts["console"] if squash(t) not in shown] == []
    # The console stays open on the page of the published column where the late question will
    # land once approved (the last place in the queue).
    published = console_columns(dialogue=w.dialogue, viewer=moderator)["published"]
    mod.goto(f"{console_url}?page_published={len(published) // CONSOLE_PAGE_SIZE + 1}")
    page_check(mod, mod_seen, [], where="moderator console, published")
    viewer.wait_for_timeout(500)  # the socket is open and resumed
    _approve_over_http(mod, base, w.late.pk, w.dialogue.chair_id)
    late = viewer.locator(f"#q-{w.late.pk}")
    late.wait_for(timeout=WAIT_MS)
    late.locator(".answer").first.wait_for(timeout=WAIT_MS)
    viewer.wait_for_timeout(300)
    fresh = Question.objects.get(pk=w.late.pk)
    answer = fresh.answers.get()
    page_check(viewer, viewer_seen, [fresh.body, *answer.body.split("\n")], where="live page, live")
    viewer.wait_for_timeout(300)  # the console updates too; nothing runs there either
    page_check(mod, mod_seen, [fresh.body], where="moderator console, live")

    # The asker's tracking page.
    viewer.goto(f"{base}/questions/track/{w.answered.tracking_code}/")
    texts = [w.answered.body, *[a.body for a in w.answered.answers.all()]]
    page_check(viewer, viewer_seen, texts, where="tracking page")

    # The leader's presenter screen (the hostile question is on air).
    leader_ctx, leader, leader_seen = page_new(browser, base, leader_user)
    leader.goto(f"{base}/dialogues/{w.dialogue.slug}/present/")
    page_check(leader, leader_seen, [w.answered.body], where="presenter")

    # The draft page (its comment previews are the latest few, cut short) and the full list of
    # published comments, every page of it.
    viewer.goto(f"{base}/drafts/{w.draft.slug}/")
    page_check(viewer, viewer_seen, w.texts["draft"], where="draft page")
    shown = pages_walk(
        viewer, f"{base}/drafts/{w.draft.slug}/comments/published/", viewer_seen, where="comments"
    )
    assert [t for t in w.texts["published"] if squash(t) not in shown] == []

    # The agency's workspace and the moderators' inbox, every page of pending items.
    staff_ctx, staff, staff_seen = page_new(browser, base, agency_staff)
    shown = pages_walk(
        staff, f"{base}/staff/drafts/{w.draft.slug}/?status=pending", staff_seen, where="workspace"
    )
    pending_comments = [t for t in w.texts["pending"] if t not in {q.body for q in w.pending}]
    assert [t for t in pending_comments if squash(t) not in shown] == []
    shown = pages_walk(mod, f"{base}/moderation/?status=pending", mod_seen, where="inbox")
    # The inbox shows an excerpt of each text (500 characters).
    assert [t for t in w.texts["pending"] if squash(t[:200]) not in shown] == []
    mod.goto(f"{base}/moderation/audit/")
    page_check(mod, mod_seen, [], where="audit log")

    for context in (viewer_ctx, mod_ctx, leader_ctx, staff_ctx):
        context.close()
    assert time.monotonic() - started < 120, "the browser part should stay well under a minute"


def test_the_checks_catch_a_payload_that_did_run(request: pytest.FixtureRequest) -> None:
    """The detectors are not vacuous: markup parsed as markup trips every one of them."""
    browser_require()
    browser = request.getfixturevalue("chromium")
    context, page, seen = page_new(browser, "http://127.0.0.1", None)
    try:
        page.set_content(
            "<title>Trang</title><p>x</p><img src=x onerror=alert(1)>"
            "<a href='javascript:alert(2)'>a</a><script>confirm(3)</script>"
        )
        page.wait_for_timeout(200)
        assert set(page.evaluate("window.__xss")) == {"alert:1", "confirm:3"}
        problems = page.evaluate(DOM_CHECK)
        assert any("onerror" in p for p in problems)
        assert any("javascript:" in p for p in problems)
        assert any("inline script" in p for p in problems)
        with pytest.raises(AssertionError):
            page_check(page, seen, ["<img src=x onerror=alert(1)>"], where="self-test")
    finally:
        context.close()
