"""The dialogue web pages, through the Django test client: who may open them, the citizen's
question form, the public page's visibility rules, every console action, answering, upvotes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consult.models import Leader
from livechat import services, views
from livechat.consumers import VOTER_COOKIE
from livechat.models import Answer, Dialogue, Question
from moderation.models import AuditEntry, RejectionReason
from tests.conftest import QUESTION_DEFAULTS, make_dialogue

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _submit(dialogue: Dialogue, **overrides: Any) -> Question:
    data = {**QUESTION_DEFAULTS, **overrides}
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **data)
    return question


def _published(dialogue: Dialogue, moderator: Any, **overrides: Any) -> Question:
    question = _submit(dialogue, **overrides)
    return services.question_approve(actor=moderator, question_id=question.pk)


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "asker_name": "Trần Thị Bình",
        "locality": "Xã Phú Lộc, huyện Hòa Vang",
        "email": "binh.tran@example.vn",
        "phone": "",
        "body": "Dự án đường vành đai có đi qua thôn Phú Lộc không?",
        "consent": "on",
        "publish_name": "on",
        "request_id": "a1b2c3d4e5f6",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _reason() -> RejectionReason:
    return RejectionReason.objects.filter(is_active=True).first()


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- who may open which page -----------------------------------------------------------------

STAFF_PAGES = ["moderate", "present", "written", "transcript-docx"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_anonymous_cannot_open_staff_page(dialogue, name):
    url = reverse(f"livechat:{name}", kwargs={"slug": dialogue.slug})
    response = _client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_cannot_open_staff_dialogue_list(dialogue):
    response = _client().get(reverse("livechat:staff-dialogues"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*STAFF_PAGES])
def test_agency_staff_cannot_open_staff_page(dialogue, agency_staff, name):
    url = reverse(f"livechat:{name}", kwargs={"slug": dialogue.slug})
    response = _client(agency_staff).get(url)
    assert response.status_code == 403


def test_agency_staff_cannot_open_staff_dialogue_list(agency_staff):
    assert _client(agency_staff).get(reverse("livechat:staff-dialogues")).status_code == 403


@pytest.mark.parametrize("who", ["moderator", "leader_user", "admin_user"])
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_can_open_staff_page(request, dialogue, who, name):
    user = request.getfixturevalue(who)
    url = reverse(f"livechat:{name}", kwargs={"slug": dialogue.slug})
    assert _client(user).get(url).status_code == 200


@pytest.mark.parametrize("who", ["moderator", "leader_user", "admin_user"])
def test_staff_can_open_staff_dialogue_list(request, dialogue, who):
    response = _client(request.getfixturevalue(who)).get(reverse("livechat:staff-dialogues"))
    assert response.status_code == 200
    assert dialogue.topic in response.content.decode()


def test_anyone_can_open_public_pages(dialogue):
    client = _client()
    assert client.get(reverse("livechat:dialogue-list")).status_code == 200
    assert client.get(dialogue.get_absolute_url()).status_code == 200
    assert client.get(reverse("livechat:track-form")).status_code == 200


def test_anonymous_cannot_see_draft_dialogue(chair):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    assert _client().get(draft.get_absolute_url()).status_code == 404
    page = _client().get(reverse("livechat:dialogue-list")).content.decode()
    assert draft.topic not in page


def test_moderator_can_preview_draft_dialogue(chair, moderator):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    response = _client(moderator).get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Bản nháp" in response.content.decode()


def test_leader_cannot_post_console_action(dialogue, moderator, leader_user):
    question = _submit(dialogue)
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    page = _client(leader_user).get(url).content.decode()
    assert "Duyệt đăng" not in page  # the queue is read-only for leaders
    assert QUESTION_DEFAULTS["email"] not in page  # contacts are for moderators only
    response = _client(leader_user).post(
        url, {"action": "approve", "question_id": question.pk, "version": 1}
    )
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING


# --- the public list -------------------------------------------------------------------------


def test_dialogue_list_groups_live_announced_and_past(chair):
    now = timezone.now()
    live = make_dialogue(chair, topic="Chủ đề đang trực tiếp")
    soon = make_dialogue(
        chair,
        status=Dialogue.Status.ANNOUNCED,
        topic="Chủ đề sắp diễn ra",
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=2),
        how_to_take_part="Gửi câu hỏi qua biểu mẫu trên trang.",
    )
    old = make_dialogue(
        chair,
        status=Dialogue.Status.ARCHIVED,
        topic="Chủ đề đã lưu trữ",
        starts_at=now - dt.timedelta(days=30),
        ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=2),
    )
    page = _client().get(reverse("livechat:dialogue-list")).content.decode()
    assert page.index(live.topic) < page.index(soon.topic) < page.index(old.topic)
    assert "Đang trực tiếp" in page
    assert "Gửi câu hỏi qua biểu mẫu trên trang." in page


def test_dialogue_list_shows_empty_state(db):
    page = _client().get(reverse("livechat:dialogue-list")).content.decode()
    assert "Hiện không có cuộc đối thoại nào đang diễn ra." in page
    assert "Chưa có cuộc đối thoại nào được thông báo." in page


def test_dialogue_list_paginates_past_dialogues(chair):
    now = timezone.now()
    for i in range(12):
        make_dialogue(
            chair,
            status=Dialogue.Status.ENDED,
            topic=f"Buổi cũ số {i:02d}",
            starts_at=now - dt.timedelta(days=10 + i),
            ends_at=now - dt.timedelta(days=10 + i) + dt.timedelta(hours=2),
        )
    first = _client().get(reverse("livechat:dialogue-list")).content.decode()
    second = _client().get(reverse("livechat:dialogue-list") + "?page=2").content.decode()
    assert "Buổi cũ số 00" in first and "Buổi cũ số 11" not in first
    assert "Buổi cũ số 11" in second
    assert "Trang 1/2" in first


# --- the public live page --------------------------------------------------------------------


def test_public_page_shows_schedule_in_vietnamese_style(chair):
    start = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)  # 14:00 in Hà Nội time
    d = make_dialogue(chair, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    page = _client().get(d.get_absolute_url()).content.decode()
    assert "14:00, thứ Năm, 26/11/2026" in page
    assert chair.name in page and chair.title in page


def test_public_page_embeds_youtube_stream_with_title(chair):
    d = make_dialogue(chair, stream_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page = _client().get(d.get_absolute_url()).content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert re.search(r"<iframe[^>]+title=\"Phát trực tiếp: ", page)


def test_public_page_has_no_iframe_without_stream(dialogue):
    assert "<iframe" not in _client().get(dialogue.get_absolute_url()).content.decode()


def test_public_page_never_shows_pending_rejected_or_contacts(dialogue, moderator):
    shown = _published(dialogue, moderator, body="Câu hỏi đã được đăng công khai.")
    _submit(dialogue, body="Câu hỏi còn chờ duyệt bí mật.", phone="0912345678")
    rejected = _submit(dialogue, body="Câu hỏi bị từ chối bí mật.")
    services.question_reject(actor=moderator, question_id=rejected.pk, reason_id=_reason().pk)
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    assert shown.body in page
    assert "chờ duyệt bí mật" not in page
    assert "bị từ chối bí mật" not in page
    assert QUESTION_DEFAULTS["email"] not in page
    assert "0912345678" not in page


def test_public_page_question_markup_is_formatted_once_per_question(
    dialogue, moderator, leader_user
):
    """The page formats times, states and the support form's address in the view (not with
    filters per question): each question still gets its own, and the script's template the
    id 0 it rewrites."""
    first = _published(dialogue, moderator)
    second = _published(dialogue, moderator)
    services.question_mark_written(actor=moderator, question_id=second.pk)
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    for question in (first, second):
        url = reverse(
            "livechat:question-upvote",
            kwargs={"slug": dialogue.slug, "question_id": question.pk},
        )
        assert f'action="{url}"' in page
    second.refresh_from_db()
    local = timezone.localtime(second.published_at)
    assert f'datetime="{local.isoformat()}">{local:%H:%M}, {local:%d/%m/%Y}</time>' in page
    assert 'class="badge q-state badge-warn" data-state="awaiting_written"' in page
    assert (
        f'class="badge q-state " data-state="unanswered">{Question.AnswerState.UNANSWERED.label}'
        in page
    )
    template = page[page.index('id="question-template"') :]
    assert (
        'action="'
        + reverse("livechat:question-upvote", kwargs={"slug": dialogue.slug, "question_id": 0})
        in template
    )


def test_public_page_hides_name_without_opt_in(dialogue, moderator):
    _published(dialogue, moderator, asker_name="Hoàng Văn Kín", publish_name=False)
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    assert "Hoàng Văn Kín" not in page
    assert "Người gửi ẩn danh" in page


def test_public_page_shows_on_air_question_and_answers(dialogue, moderator, leader_user):
    question = _published(dialogue, moderator, body="Câu hỏi đang lên sóng.")
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    services.answer_post(actor=leader_user, question_id=question.pk, body="Câu trả lời rõ ràng.")
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    on_air = page[page.index('id="on-air"') : page.index('id="questions-h"')]
    assert "Câu hỏi đang lên sóng." in on_air and "hidden" not in on_air.split(">")[0]
    assert "Câu trả lời rõ ràng." in page
    assert leader_user.leader.name in page
    assert 'data-seq="' in page and "/ws/dialogues/" in page


def test_public_page_is_a_transcript_when_ended(dialogue, moderator, leader_user):
    question = _published(dialogue, moderator, body="Câu hỏi trong biên bản.")
    services.question_mark_written(actor=moderator, question_id=question.pk)
    services.dialogue_set_status(
        actor=moderator, dialogue_id=dialogue.pk, status=Dialogue.Status.ENDED
    )
    services.answer_post(actor=leader_user, question_id=question.pk, body="Trả lời sau buổi.")
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    assert "Nội dung hỏi đáp:" in page
    assert "Trả lời sau buổi." in page and "Trả lời bằng văn bản" in page
    assert 'name="asker_name"' not in page  # no question form
    assert "live.js" not in page


# --- the question form -----------------------------------------------------------------------


def test_form_shows_unticked_consent_and_what_is_collected(dialogue):
    page = _client().get(dialogue.get_absolute_url()).content.decode()
    consent = re.search(r"<input[^>]+id=\"id_consent\"[^>]*>", page).group(0)
    assert "checked" not in consent
    notice = page[page.index('id="consent-notice"') : page.index('id="id_consent"')]
    assert "thu thập" in notice and "không bao giờ được công khai" in notice
    assert "365 ngày" in notice
    assert re.search(r'name="request_id" value="[0-9a-f]{32}"', page)


def test_citizen_can_submit_question_and_is_sent_to_tracking(dialogue):
    response = _client().post(dialogue.get_absolute_url(), _form())
    question = Question.objects.get(dialogue=dialogue)
    assert question.status == Question.Status.PENDING
    assert question.asker_name == "Trần Thị Bình" and question.publish_name
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "livechat:track-detail", kwargs={"code": question.tracking_code}
    )
    tracking = _client().get(response["Location"]).content.decode()
    assert question.tracking_code in tracking
    assert "đang chờ Ban Biên tập xem xét" in tracking


def test_citizen_cannot_submit_without_consent(dialogue):
    response = _client().post(dialogue.get_absolute_url(), _form(consent=None))
    assert response.status_code == 400
    assert not Question.objects.exists()
    page = response.content.decode()
    assert 'id="id_consent-error"' in page
    assert re.search(
        r'id="id_consent"[^>]+aria-describedby="consent-notice id_consent-error"', page
    )
    # What was typed is kept.
    assert "Dự án đường vành đai có đi qua thôn Phú Lộc không?" in page


def test_citizen_cannot_submit_without_contact(dialogue):
    response = _client().post(dialogue.get_absolute_url(), _form(email="", phone=""))
    assert response.status_code == 400
    assert not Question.objects.exists()
    page = response.content.decode()
    assert re.search(r'id="id_email"[^>]+aria-describedby="contact-help id_email-error"', page)
    assert "thư điện tử hoặc số điện thoại" in page


def test_citizen_cannot_submit_too_long_question(dialogue, settings):
    limit = settings.CONSULT["QUESTION_MAX_LENGTH"]
    response = _client().post(dialogue.get_absolute_url(), _form(body="a" * (limit + 1)))
    assert response.status_code == 400
    assert not Question.objects.exists()
    assert f"Tối đa {limit} ký tự" in response.content.decode()


def test_double_submit_with_same_request_id_creates_one_question(dialogue):
    client = _client()
    first = client.post(dialogue.get_absolute_url(), _form(request_id="same-id-123"))
    second = client.post(dialogue.get_absolute_url(), _form(request_id="same-id-123"))
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert first["Location"] == second["Location"]


def test_citizen_cannot_submit_when_dialogue_ended(dialogue):
    dialogue.status = Dialogue.Status.ENDED
    dialogue.save()
    response = _client().post(dialogue.get_absolute_url(), _form())
    assert response.status_code == 409
    assert not Question.objects.exists()
    assert "không nhận câu hỏi" in response.content.decode()


def test_citizen_is_told_to_wait_when_sending_too_many(dialogue, settings):
    settings.CONSULT = {**settings.CONSULT, "SUBMISSIONS_PER_IP_PER_HOUR": 1}
    from django.core.cache import cache

    cache.clear()
    client = _client()
    assert client.post(dialogue.get_absolute_url(), _form(request_id="r1")).status_code == 302
    response = client.post(dialogue.get_absolute_url(), _form(request_id="r2"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "quá nhiều lần" in response.content.decode()
    assert Question.objects.count() == 1
    cache.clear()


# --- upvotes ---------------------------------------------------------------------------------


def test_browser_can_upvote_once(dialogue, moderator):
    question = _published(dialogue, moderator)
    url = reverse(
        "livechat:question-upvote", kwargs={"slug": dialogue.slug, "question_id": question.pk}
    )
    client = _client()
    first = client.post(url)
    assert first.status_code == 302 and first["Location"].endswith(f"#q-{question.pk}")
    cookie = first.cookies[VOTER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 3e7
    client.post(url)
    question.refresh_from_db()
    assert question.upvote_count == 1
    _client().post(url)  # another browser
    question.refresh_from_db()
    assert question.upvote_count == 2


def test_upvote_answers_json_for_the_script(dialogue, moderator):
    question = _published(dialogue, moderator)
    url = reverse(
        "livechat:question-upvote", kwargs={"slug": dialogue.slug, "question_id": question.pk}
    )
    response = _client().post(url, HTTP_ACCEPT="application/json")
    assert response.json()["upvote_count"] == 1 and response.json()["counted"] is True


def test_citizen_cannot_upvote_pending_question(dialogue):
    question = _submit(dialogue)
    url = reverse(
        "livechat:question-upvote", kwargs={"slug": dialogue.slug, "question_id": question.pk}
    )
    assert _client().post(url).status_code == 404


# --- tracking --------------------------------------------------------------------------------


def test_tracking_form_redirects_to_the_code(dialogue):
    question = _submit(dialogue)
    response = _client().get(
        reverse("livechat:track-form"), {"code": question.tracking_code.lower()}
    )
    assert response.status_code == 302
    assert question.tracking_code in response["Location"]


def test_tracking_unknown_code_says_so(db):
    response = _client().get(reverse("livechat:track-detail", kwargs={"code": "NOPE123456"}))
    assert response.status_code == 404
    assert "Không tìm thấy câu hỏi" in response.content.decode()


def test_asker_sees_rejection_reason_without_contacts(dialogue, moderator):
    question = _submit(dialogue, phone="0987654321")
    reason = _reason()
    services.question_reject(actor=moderator, question_id=question.pk, reason_id=reason.pk)
    page = (
        _client()
        .get(reverse("livechat:track-detail", kwargs={"code": question.tracking_code}))
        .content.decode()
    )
    assert "không được đăng" in page
    assert reason.title in page and reason.explanation[:40] in page
    assert QUESTION_DEFAULTS["email"] not in page and "0987654321" not in page


def test_asker_of_merged_question_follows_the_target(dialogue, moderator, leader_user):
    target = _published(dialogue, moderator, body="Câu hỏi chung về bồi thường.")
    duplicate = _submit(dialogue, body="Câu hỏi trùng.")
    services.question_merge(actor=moderator, target_id=target.pk, source_ids=[duplicate.pk])
    services.answer_post(actor=leader_user, question_id=target.pk, body="Trả lời chung.")
    page = (
        _client()
        .get(reverse("livechat:track-detail", kwargs={"code": duplicate.tracking_code}))
        .content.decode()
    )
    assert "đã được gộp" in page
    assert "Trả lời chung." in page


def test_asker_sees_written_due_date(dialogue, moderator):
    question = _published(dialogue, moderator)
    question = services.question_mark_written(actor=moderator, question_id=question.pk)
    page = (
        _client()
        .get(reverse("livechat:track-detail", kwargs={"code": question.tracking_code}))
        .content.decode()
    )
    assert "trả lời bằng văn bản" in page
    assert question.written_due_on.strftime("%d/%m/%Y") in page


# --- staff overview and lifecycle ------------------------------------------------------------


def test_staff_list_shows_counts(dialogue, moderator):
    _submit(dialogue)
    _published(dialogue, moderator)
    response = _client(moderator).get(reverse("livechat:staff-dialogues"))
    row = response.context["rows"][0]["dialogue"]
    assert (row.n_pending, row.n_published, row.n_answered, row.n_awaiting_written) == (1, 1, 0, 0)
    page = response.content.decode()
    assert reverse("livechat:moderate", kwargs={"slug": dialogue.slug}) in page
    assert reverse("livechat:transcript-docx", kwargs={"slug": dialogue.slug}) in page


def test_moderator_can_announce_dialogue(chair, moderator):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    response = _client(moderator).post(
        reverse("livechat:dialogue-status", kwargs={"slug": draft.slug}),
        {"status": "announced"},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.status == Dialogue.Status.ANNOUNCED
    assert any("Đã thông báo" in m for m in _messages(response))


def test_moderator_cannot_end_dialogue_without_confirmation(dialogue, moderator):
    url = reverse("livechat:dialogue-status", kwargs={"slug": dialogue.slug})
    response = _client(moderator).post(url, {"status": "ended"}, follow=True)
    dialogue.refresh_from_db()
    assert dialogue.status == Dialogue.Status.LIVE
    assert any("xác nhận" in m for m in _messages(response))
    _client(moderator).post(url, {"status": "ended", "confirm": "yes"})
    dialogue.refresh_from_db()
    assert dialogue.status == Dialogue.Status.ENDED


def test_moderator_sees_error_on_impossible_transition(dialogue, moderator):
    url = reverse("livechat:dialogue-status", kwargs={"slug": dialogue.slug})
    response = _client(moderator).post(url, {"status": "archived"}, follow=True)
    dialogue.refresh_from_db()
    assert dialogue.status == Dialogue.Status.LIVE
    assert any("Không thể chuyển" in m for m in _messages(response))


def test_leader_cannot_change_dialogue_status(dialogue, leader_user):
    url = reverse("livechat:dialogue-status", kwargs={"slug": dialogue.slug})
    response = _client(leader_user).post(url, {"status": "ended", "confirm": "yes"})
    assert response.status_code == 403
    dialogue.refresh_from_db()
    assert dialogue.status == Dialogue.Status.LIVE


# --- the moderator console -------------------------------------------------------------------


def _act(client: Client, dialogue: Dialogue, question: Question, action: str, **extra: Any):
    question.refresh_from_db()
    data = {"action": action, "question_id": question.pk, "version": question.version, **extra}
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    return client.post(url, data, follow=True)


def test_moderator_console_shows_columns_and_contacts(dialogue, moderator):
    pending = _submit(dialogue, body="Câu hỏi chờ duyệt trong bàn điều hành.")
    response = _client(moderator).get(reverse("livechat:moderate", kwargs={"slug": dialogue.slug}))
    page = response.content.decode()
    for title in [
        "Chờ duyệt",
        "Đã đăng",
        "Đã chuyển lãnh đạo",
        "Sẽ trả lời bằng văn bản",
        "Từ chối",
    ]:
        assert title in page
    assert pending.body in page
    assert QUESTION_DEFAULTS["email"] in page  # staff see how to reach the asker
    assert f'name="version" value="{pending.version}"' in page
    assert "kind=question" in page  # the audit log link


def _pending_many(dialogue: Dialogue, n: int) -> list[Question]:
    submissions = [
        services.QuestionSubmission(
            fields=services.question_fields_clean(
                **{**QUESTION_DEFAULTS, "body": f"Câu hỏi chờ duyệt số {i} về cấp điện?"}
            ),
            dialogue_id=dialogue.pk,
        )
        for i in range(n)
    ]
    return [outcome[0] for outcome in services.questions_submit(submissions)]


def _console_cards(page: str, column: str) -> list[int]:
    section = page[page.index(f'id="col-{column}"') :]
    section = section[: section.index("</section>")]
    return [int(n) for n in re.findall(r'<li class="card console-card[^"]*" id="q-(\d+)"', section)]


def test_console_columns_show_a_page_of_cards_and_count_them_all(dialogue, moderator):
    # A burst leaves thousands pending: one page of cards per column, the heading counts all.
    questions = _pending_many(dialogue, views.CONSOLE_PAGE_SIZE * 2 + 20)
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    client = _client(moderator)
    page = client.get(url).content.decode()
    total = len(questions)
    assert _console_cards(page, "pending") == [q.pk for q in questions[: views.CONSOLE_PAGE_SIZE]]
    assert f"Chờ duyệt ({total})" in page
    assert f"Câu 1–{views.CONSOLE_PAGE_SIZE} trong {total}" in page
    assert 'href="?page_pending=2#col-pending" rel="next"' in page
    last = client.get(url, {"page_pending": 3}).content.decode()
    assert _console_cards(last, "pending") == [
        q.pk for q in questions[views.CONSOLE_PAGE_SIZE * 2 :]
    ]
    assert f"Chờ duyệt ({total})" in last
    assert 'rel="next"' not in last[last.index('id="col-pending"') :][:5000]


def test_a_console_action_returns_to_the_same_page_of_the_column(dialogue, moderator):
    questions = _pending_many(dialogue, views.CONSOLE_PAGE_SIZE + 5)
    target = questions[-1]  # on the second page
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    response = _client(moderator).post(
        f"{url}?page_pending=2",
        {"action": "approve", "question_id": target.pk, "version": target.version},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?page_pending=2#q-{target.pk}"
    target.refresh_from_db()
    assert target.status == Question.Status.PUBLISHED


def test_moderator_can_approve_through_the_form(dialogue, moderator):
    question = _submit(dialogue)
    response = _act(_client(moderator), dialogue, question, "approve")
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED
    assert any("Đã duyệt đăng" in m for m in _messages(response))


def test_moderator_can_reject_with_reason(dialogue, moderator):
    question = _submit(dialogue)
    reason = _reason()
    _act(_client(moderator), dialogue, question, "reject", reason=reason.pk, note="Trùng lặp")
    question.refresh_from_db()
    assert question.status == Question.Status.REJECTED
    assert question.rejection_reason_id == reason.pk
    assert AuditEntry.objects.filter(
        action="reject", item_id=question.pk, note="Trùng lặp"
    ).exists()


def test_moderator_cannot_reject_without_reason(dialogue, moderator):
    question = _submit(dialogue)
    response = _act(_client(moderator), dialogue, question, "reject", reason="")
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING
    assert any("lý do" in m for m in _messages(response))


def test_moderator_can_edit_and_original_is_kept(dialogue, moderator):
    question = _submit(dialogue, body="Cau hoi co loi chinh ta.")
    _act(_client(moderator), dialogue, question, "edit", body="Câu hỏi đã sửa chính tả.")
    question.refresh_from_db()
    assert question.body == "Câu hỏi đã sửa chính tả."
    assert question.original_body == "Cau hoi co loi chinh ta."
    page = _client(moderator).get(reverse("livechat:moderate", kwargs={"slug": dialogue.slug}))
    assert "Cau hoi co loi chinh ta." in page.content.decode()


def test_moderator_can_merge_duplicates(dialogue, moderator):
    target = _submit(dialogue, body="Câu gốc.")
    one = _submit(dialogue, body="Bản trùng một.")
    two = _submit(dialogue, body="Bản trùng hai.")
    _act(_client(moderator), dialogue, target, "merge", source_ids=f"{one.pk}, #{two.pk}")
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == two.status == Question.Status.MERGED
    assert one.merged_into_id == two.merged_into_id == target.pk


def test_moderator_cannot_merge_with_garbage_ids(dialogue, moderator):
    target = _submit(dialogue)
    response = _act(_client(moderator), dialogue, target, "merge", source_ids="abc")
    assert any("Nhập số" in m for m in _messages(response))
    assert not Question.objects.filter(status=Question.Status.MERGED).exists()


def test_moderator_can_tag_topic(dialogue, moderator):
    question = _submit(dialogue)
    _act(_client(moderator), dialogue, question, "tag", topic="Bồi thường, tái định cư")
    question.refresh_from_db()
    assert question.topic == "Bồi thường, tái định cư"


def test_moderator_can_forward_to_a_leader(dialogue, moderator, vice_chair):
    question = _published(dialogue, moderator)
    _act(_client(moderator), dialogue, question, "forward", leader=vice_chair.pk)
    question.refresh_from_db()
    assert question.forwarded_to_id == vice_chair.pk


def test_moderator_cannot_forward_to_outside_leader(dialogue, moderator, other_agency):
    outsider = Leader.objects.create(name="Người ngoài", title="Giám đốc", agency=other_agency)
    question = _published(dialogue, moderator)
    response = _act(_client(moderator), dialogue, question, "forward", leader=outsider.pk)
    question.refresh_from_db()
    assert question.forwarded_to_id is None
    assert any("không tham gia" in m for m in _messages(response))


def test_moderator_can_move_questions_in_the_queue(dialogue, moderator):
    first = _published(dialogue, moderator, body="Thứ nhất.")
    second = _published(dialogue, moderator, body="Thứ hai.")
    client = _client(moderator)
    _act(client, dialogue, second, "move_up")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.position < first.position
    response = _act(client, dialogue, second, "move_up")
    assert any("đầu hàng đợi" in m for m in _messages(response))
    _act(client, dialogue, second, "move_down")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.position < second.position


def test_moderator_can_put_on_air_and_take_off(dialogue, moderator):
    question = _published(dialogue, moderator)
    client = _client(moderator)
    _act(client, dialogue, question, "on_air")
    dialogue.refresh_from_db()
    assert dialogue.on_air_id == question.pk
    _act(client, dialogue, question, "off_air")
    dialogue.refresh_from_db()
    assert dialogue.on_air_id is None


def test_moderator_can_mark_answered_live(dialogue, moderator):
    question = _published(dialogue, moderator)
    _act(_client(moderator), dialogue, question, "mark_answered_live")
    question.refresh_from_db()
    assert question.answer_state == Question.AnswerState.ANSWERED_LIVE


def test_moderator_can_mark_to_answer_in_writing(dialogue, moderator):
    question = _published(dialogue, moderator)
    _act(_client(moderator), dialogue, question, "mark_written")
    question.refresh_from_db()
    assert question.answer_state == Question.AnswerState.AWAITING_WRITTEN
    assert question.written_due_on is not None


@pytest.mark.parametrize(
    "action,extra",
    [
        ("approve", {}),
        ("edit", {"body": "Sửa từ một biểu mẫu cũ."}),
        ("tag", {"topic": "Chủ đề cũ"}),
        ("mark_written", {}),
        ("move_up", {}),
    ],
)
def test_moderator_cannot_act_on_stale_version(dialogue, moderator, moderator2, action, extra):
    _published(dialogue, moderator, body="Câu đứng trước.")
    question = _submit(dialogue, body="Câu hỏi gốc.")
    if action == "move_up":
        question = services.question_approve(actor=moderator, question_id=question.pk)
    stale_version = question.version
    # Another moderator acts first.
    services.question_tag(actor=moderator2, question_id=question.pk, topic="Mới")
    question.refresh_from_db()
    before = (
        question.status,
        question.body,
        question.topic,
        question.answer_state,
        question.position,
    )
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    data = {"action": action, "question_id": question.pk, "version": stale_version, **extra}
    response = _client(moderator).post(url, data, follow=True)
    question.refresh_from_db()
    after = (
        question.status,
        question.body,
        question.topic,
        question.answer_state,
        question.position,
    )
    assert after == before
    assert any("Một biên tập viên khác vừa xử lý" in m for m in _messages(response))
    # The page shows the fresh state: the other moderator's topic and the new version.
    assert f'name="version" value="{question.version}"' in response.content.decode()


def test_console_action_on_other_dialogues_question_is_refused(dialogue, moderator, chair):
    other = make_dialogue(chair)
    question = _submit(other)
    response = _act(_client(moderator), dialogue, question, "approve")
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING
    assert any("Không tìm thấy" in m for m in _messages(response))


# --- answering -------------------------------------------------------------------------------


def test_presenter_shows_on_air_and_forwarded_queue(dialogue, moderator, vice_chair):
    on_air = _published(dialogue, moderator, body="Đang trên sóng ở phòng họp.")
    services.question_put_on_air(actor=moderator, question_id=on_air.pk)
    queued = _published(dialogue, moderator, body="Đã chuyển cho Phó Chủ tịch.")
    services.question_forward(actor=moderator, question_id=queued.pk, leader_id=vice_chair.pk)
    _published(dialogue, moderator, body="Chưa chuyển ai.")
    page = (
        _client(moderator)
        .get(reverse("livechat:present", kwargs={"slug": dialogue.slug}))
        .content.decode()
    )
    assert "Đang trên sóng ở phòng họp." in page
    assert "Đã chuyển cho Phó Chủ tịch." in page
    assert "Chưa chuyển ai." not in page


def test_leader_can_answer_for_own_leader(dialogue, moderator, leader_user):
    question = _published(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    client = _client(leader_user)
    url = reverse("livechat:present", kwargs={"slug": dialogue.slug})
    page = client.get(url).content.decode()
    assert "Trả lời thay mặt:" in page and leader_user.leader.name in page
    response = client.post(
        url,
        {"question_id": question.pk, "body": "Tỉnh sẽ chi trả trong tháng 12.", "request_id": "x1"},
    )
    assert response.status_code == 302
    answer = Answer.objects.get(question=question)
    assert answer.leader_id == leader_user.leader_id and answer.author_id == leader_user.pk
    assert answer.kind == Answer.Kind.LIVE


def test_moderator_can_answer_naming_the_leader(dialogue, moderator, vice_chair):
    question = _published(dialogue, moderator)
    url = reverse("livechat:present", kwargs={"slug": dialogue.slug})
    client = _client(moderator)
    missing = client.post(url, {"question_id": question.pk, "body": "Nội dung giữ lại."})
    assert missing.status_code == 400
    assert not Answer.objects.exists()
    client.post(url, {"question_id": question.pk, "body": "Trả lời thay.", "leader": vice_chair.pk})
    assert Answer.objects.get(question=question).leader_id == vice_chair.pk


def test_presenter_keeps_typed_answer_on_error(dialogue, moderator):
    question = _published(dialogue, moderator)
    services.question_put_on_air(actor=moderator, question_id=question.pk)
    response = _client(moderator).post(
        reverse("livechat:present", kwargs={"slug": dialogue.slug}),
        {"question_id": question.pk, "body": "Nội dung rất dài đã gõ."},
    )
    assert response.status_code == 400
    assert "Nội dung rất dài đã gõ." in response.content.decode()


def test_answer_retry_with_same_request_id_posts_once(dialogue, moderator, leader_user):
    question = _published(dialogue, moderator)
    url = reverse("livechat:present", kwargs={"slug": dialogue.slug})
    data = {"question_id": question.pk, "body": "Một lần thôi.", "request_id": "same-answer"}
    client = _client(leader_user)
    client.post(url, data)
    client.post(url, data)
    assert Answer.objects.filter(question=question).count() == 1


def test_written_page_lists_due_dates_and_records_written_answer(dialogue, moderator, leader_user):
    question = _published(dialogue, moderator, body="Cần trả lời bằng văn bản.")
    services.question_mark_written(actor=moderator, question_id=question.pk)
    services.dialogue_set_status(
        actor=moderator, dialogue_id=dialogue.pk, status=Dialogue.Status.ENDED
    )
    question.refresh_from_db()
    url = reverse("livechat:written", kwargs={"slug": dialogue.slug})
    page = _client(leader_user).get(url).content.decode()
    assert "Cần trả lời bằng văn bản." in page
    assert question.written_due_on.strftime("%d/%m/%Y") in page
    _client(leader_user).post(url, {"question_id": question.pk, "body": "Văn bản trả lời."})
    question.refresh_from_db()
    assert question.answer_state == Question.AnswerState.ANSWERED_WRITTEN
    assert Answer.objects.get(question=question).kind == Answer.Kind.WRITTEN
    assert "Cần trả lời bằng văn bản." not in _client(leader_user).get(url).content.decode()


def test_written_page_highlights_overdue(dialogue, moderator):
    question = _published(dialogue, moderator)
    services.question_mark_written(actor=moderator, question_id=question.pk)
    Question.objects.filter(pk=question.pk).update(
        written_due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    page = (
        _client(moderator)
        .get(reverse("livechat:written", kwargs={"slug": dialogue.slug}))
        .content.decode()
    )
    assert "Quá hạn" in page and 'class="card overdue"' in page
