"""The unified inbox: the Item index kept by the features' services, the /moderation/ page
(filters, counts, overdue written answers, permissions), and decisions from it (one item, bulk)
going through the features' own services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from drafts import services as draft_services
from drafts.models import Comment
from livechat import services as live_services
from livechat.models import DialogueEvent, Question
from moderation.models import AuditEntry, Item, RejectionReason
from tests.conftest import QUESTION_DEFAULTS, make_dialogue, make_user
from tests.drafts.conftest import COMMENT_INPUT, make_draft

INBOX = "/moderation/"
_n = itertools.count(1)


def ask(dialogue: Any, **overrides: Any) -> Question:
    values = {**QUESTION_DEFAULTS, "email": f"asker{next(_n)}@example.vn", **overrides}
    question, _created = live_services.question_submit(dialogue_id=dialogue.pk, **values)
    return question


def comment_on(draft: Any, **overrides: Any) -> Comment:
    values = {**COMMENT_INPUT, "email": f"commenter{next(_n)}@example.vn", **overrides}
    comment, _created = draft_services.comment_submit(draft_id=draft.pk, **values)
    return comment


def item_of(obj: Any) -> Item:
    kind = "question" if isinstance(obj, Question) else "comment"
    return Item.objects.get(kind=kind, object_id=obj.pk)


def reason(code: str = "spam") -> RejectionReason:
    return RejectionReason.objects.get(code=code)


@pytest.fixture
def draft(agency: Any) -> Any:
    return make_draft(agency, title="Quy định về quản lý chợ trên địa bàn tỉnh")


def decide_url(kind: str, object_id: int, action: str) -> str:
    return reverse("moderation:item-decide", args=[kind, object_id, action])


# --- the index -------------------------------------------------------------------------------


def test_question_submit_indexes_it_pending_with_its_context(dialogue):
    question = ask(dialogue, body="Khi nào hoà thành đường vành đai?")
    item = item_of(question)
    assert (item.status, item.version, item.context_kind) == ("pending", 1, "dialogue")
    assert item.context_id == dialogue.pk and item.context_label == dialogue.topic
    assert item.context_url == f"/dialogues/{dialogue.slug}/moderate/#q-{question.pk}"
    assert item.excerpt == "Khi nào hoà thành đường vành đai?"
    assert item.search_text == "khi nao hoa thanh duong vanh dai?"
    assert item.author_label == "Nguyễn Văn An — Phường Tân Phong, thành phố Bình An"
    assert item.submitted_at == question.submitted_at
    assert item.decided_at is None and item.decided_by is None


def test_comment_submit_indexes_it_with_its_article_as_topic(draft):
    comment = comment_on(draft, article="2", organization="")
    item = item_of(comment)
    assert (item.status, item.context_kind, item.context_id) == ("pending", "draft", draft.pk)
    assert item.topic == "Điều 2" and item.context_label == draft.title
    assert item.context_url == f"/staff/drafts/{draft.slug}/moderate/"
    assert item.author_label == "Trần Thị Bình"


def test_offline_comment_enters_the_inbox_pending(draft, moderator):
    comment = draft_services.comment_enter_offline(
        actor=moderator,
        draft_id=draft.pk,
        channel="paper",
        received_on=timezone.localdate().isoformat(),
        name="Hợp tác xã Bình Minh",
        commenter_type="organization",
        organization="Hợp tác xã Bình Minh",
        body="Đề nghị giữ nguyên phí chợ.",
    )
    item = item_of(comment)
    assert item.status == "pending" and item.author_label.endswith("— Hợp tác xã Bình Minh")


def test_each_question_decision_is_mirrored_in_the_index(dialogue, moderator, chair):
    question = ask(dialogue)
    live_services.question_approve(actor=moderator, question_id=question.pk, expected_version=1)
    item = item_of(question)
    assert (item.status, item.version, item.decided_by) == ("published", 2, moderator)
    first_decision = item.decided_at
    assert first_decision is not None

    live_services.question_edit(actor=moderator, question_id=question.pk, body="Hỏi về đền bù?")
    live_services.question_tag(actor=moderator, question_id=question.pk, topic="Bồi thường")
    item = item_of(question)
    assert (item.excerpt, item.topic, item.version) == ("Hỏi về đền bù?", "Bồi thường", 4)

    live_services.question_mark_written(actor=moderator, question_id=question.pk)
    assert item_of(question).due_on == Question.objects.get(pk=question.pk).written_due_on
    live_services.answer_post(
        actor=moderator, question_id=question.pk, body="Đã chi trả.", leader_id=chair.pk
    )
    item = item_of(question)
    assert item.due_on is None and item.decided_at == first_decision

    other = ask(dialogue)
    live_services.question_reject(actor=moderator, question_id=other.pk, reason_id=reason().pk)
    assert item_of(other).status == "rejected"
    dup = ask(dialogue)
    live_services.question_merge(actor=moderator, target_id=question.pk, source_ids=[dup.pk])
    assert item_of(dup).status == "merged" and item_of(dup).decided_by == moderator


def test_each_comment_decision_is_mirrored_in_the_index(draft, moderator):
    first, second = comment_on(draft), comment_on(draft)
    draft_services.comment_approve(actor=moderator, comment_id=first.pk, expected_version=1)
    draft_services.comment_reject(actor=moderator, comment_id=second.pk, reason_id=reason().pk)
    assert (item_of(first).status, item_of(first).version) == ("published", 2)
    assert item_of(second).status == "rejected" and item_of(second).decided_by == moderator
    draft_services.comment_set_disposition(
        actor=moderator, comment_id=first.pk, disposition="accepted"
    )
    assert item_of(first).version == 3


def test_a_refused_decision_leaves_the_index_unchanged(dialogue, moderator):
    question = ask(dialogue)
    live_services.question_edit(actor=moderator, question_id=question.pk, body="Sửa lỗi chính tả.")
    with pytest.raises(Exception, match="biên tập viên khác"):
        live_services.question_approve(actor=moderator, question_id=question.pk, expected_version=1)
    item = item_of(question)
    assert (item.status, item.version, item.decided_at) == ("pending", 2, None)


def test_flags_are_stored_on_the_item_for_a_phone_number_in_a_question(dialogue):
    question = ask(dialogue, body="Gọi cho tôi theo số 0912 345 678 để trao đổi về đền bù.")
    item = item_of(question)
    codes = {flag["code"] for flag in item.flags}
    assert "personal_data" in codes
    assert " personal_data " in item.flag_codes
    assert all(flag["label"] for flag in item.flags)


def test_reindex_command_restores_existing_questions_and_comments(dialogue, draft, moderator):
    question, comment = ask(dialogue), comment_on(draft)
    live_services.question_approve(actor=moderator, question_id=question.pk)
    Item.objects.all().delete()
    call_command("moderation_reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert item_of(question).status == "published" and item_of(question).version == 2
    assert item_of(comment).status == "pending"
    call_command("moderation_reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Item.objects.count() == 2


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agency_staff", "leader"])
def test_non_moderator_staff_cannot_open_the_inbox(client, agency, role):
    client.force_login(make_user(role, agency=agency))
    assert client.get(INBOX).status_code == 403
    assert client.get(INBOX + "?fragment=1").status_code == 403
    assert client.get(reverse("moderation:stats")).status_code == 403


def test_anonymous_is_sent_to_login_from_the_inbox(client, db):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(decide_url("question", 1, "approve"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_moderator_sees_questions_and_comments_of_every_dialogue_and_draft(
    client, moderator, dialogue, draft, chair
):
    other_dialogue = make_dialogue(chair, topic="Cải cách thủ tục hành chính")
    q1 = ask(dialogue, body="Câu hỏi về đường vành đai")
    q2 = ask(other_dialogue, body="Câu hỏi về thủ tục một cửa")
    c1 = comment_on(draft, body="Góp ý về phí chợ")
    client.force_login(moderator)
    page = client.get(INBOX).content.decode()
    for obj, kind in ((q1, "question"), (q2, "question"), (c1, "comment")):
        assert f'id="item-{kind}-{obj.pk}"' in page
        assert f'data-version="{obj.version}"' in page
    assert "Cải cách thủ tục hành chính" in page and draft.title in page
    assert 'id="inbox-live" data-ws-path="/ws/moderation/"' in page
    assert 'data-fragment-url="/moderation/?fragment=1"' in page or "fragment=1" in page
    assert "js/inbox.js" in page
    # Counts per state in the tabs.
    assert 'aria-current="page">Chờ duyệt <span class="count">3</span>' in page


def test_admin_can_open_the_inbox(client, admin_user, dialogue):
    ask(dialogue)
    client.force_login(admin_user)
    assert client.get(INBOX).status_code == 200


def test_fragment_returns_only_the_list(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    body = client.get(INBOX + "?fragment=1").content.decode()
    assert f'id="item-question-{question.pk}"' in body
    assert "<html" not in body and 'id="inbox-list"' not in body


def test_inbox_filters_by_source_status_topic_age_and_words(client, moderator, dialogue, draft):
    old = ask(dialogue, body="Hòa giải ở cơ sở thế nào?")
    fresh = ask(dialogue, body="Đường vành đai bao giờ xong?")
    comment = comment_on(draft, body="Góp ý về phí chợ", article="3")
    published = ask(dialogue, body="Đã đăng rồi")
    live_services.question_approve(actor=moderator, question_id=published.pk)
    live_services.question_tag(actor=moderator, question_id=fresh.pk, topic="Giao thông")
    Item.objects.filter(kind="question", object_id=old.pk).update(
        submitted_at=timezone.now() - dt.timedelta(hours=5)
    )
    client.force_login(moderator)

    def ids(query: str) -> set[str]:
        page = client.get(INBOX + "?fragment=1&" + query).content.decode()
        return {
            f"{k}-{o.pk}"
            for k, o in (
                ("question", old),
                ("question", fresh),
                ("comment", comment),
                ("question", published),
            )
            if f'id="item-{k}-{o.pk}"' in page
        }

    assert ids("") == {f"question-{old.pk}", f"question-{fresh.pk}", f"comment-{comment.pk}"}
    assert ids("source=comment") == {f"comment-{comment.pk}"}
    assert ids("status=published") == {f"question-{published.pk}"}
    assert ids("status=") == {
        f"question-{old.pk}",
        f"question-{fresh.pk}",
        f"comment-{comment.pk}",
        f"question-{published.pk}",
    }
    assert ids("topic=Giao+thông") == {f"question-{fresh.pk}"}
    assert ids("topic=Điều+3") == {f"comment-{comment.pk}"}
    assert ids("age=240") == {f"question-{old.pk}"}
    assert ids("q=hoa+giai") == {f"question-{old.pk}"}
    assert ids("source=nonsense&status=nonsense&age=7") == ids("")


def test_inbox_filters_by_flag(client, moderator, dialogue):
    flagged, clean = ask(dialogue), ask(dialogue)
    Item.objects.filter(kind="question", object_id=flagged.pk).update(
        flags=[{"code": "caps", "label": "Viết hoa toàn bộ", "detail": "", "severity": "low"}],
        flag_codes=" caps ",
    )
    Item.objects.filter(kind="question", object_id=clean.pk).update(flags=[], flag_codes="")
    client.force_login(moderator)
    page = client.get(INBOX + "?flag=caps").content.decode()
    assert f'id="item-question-{flagged.pk}"' in page
    assert f'id="item-question-{clean.pk}"' not in page
    assert '<option value="caps" selected>Viết hoa toàn bộ</option>' in page
    assert "is-flagged" in page


def test_empty_inbox_says_nothing_is_waiting(client, moderator):
    client.force_login(moderator)
    page = client.get(INBOX).content.decode()
    assert "Không có nội dung nào chờ duyệt" in page
    page = client.get(INBOX + "?source=comment&q=xyz").content.decode()
    assert "Không có nội dung nào phù hợp với bộ lọc" in page


def test_overdue_written_answers_are_counted_and_highlighted(client, moderator, dialogue):
    late, on_time = ask(dialogue), ask(dialogue)
    for question in (late, on_time):
        live_services.question_approve(actor=moderator, question_id=question.pk)
        live_services.question_mark_written(actor=moderator, question_id=question.pk)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Question.objects.filter(pk=late.pk).update(written_due_on=yesterday)
    Item.objects.filter(kind="question", object_id=late.pk).update(due_on=yesterday)
    client.force_login(moderator)
    page = client.get(INBOX).content.decode()
    assert "1 câu hỏi quá hạn trả lời bằng văn bản" in page
    assert f'href="/dialogues/{dialogue.slug}/written/"' in page
    assert 'Quá hạn trả lời <span class="count">1</span>' in page
    listed = client.get(INBOX + "?overdue=1&status=&fragment=1").content.decode()
    assert f'id="item-question-{late.pk}"' in listed and "is-overdue" in listed
    assert f'id="item-question-{on_time.pk}"' not in listed


def test_inbox_dates_read_as_everywhere_else_in_vietnam_time(client, moderator, dialogue):
    question = ask(dialogue)
    # 07:00 UTC is 14:00 in Hồ Chí Minh City.
    Item.objects.filter(kind="question", object_id=question.pk).update(
        submitted_at=dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC), due_on=dt.date(2099, 12, 1)
    )
    client.force_login(moderator)
    listed = client.get(INBOX + "?fragment=1").content.decode()
    assert '<time datetime="2026-11-26T14:00:00+07:00">14:00, 26/11/2026</time>' in listed
    assert 'Hạn trả lời: <time datetime="2099-12-01">01/12/2099</time>' in listed


def test_inbox_paginates(client, moderator, dialogue, monkeypatch):
    monkeypatch.setattr("moderation.inbox_views.PAGE_SIZE", 2)
    questions = [ask(dialogue) for _ in range(3)]
    client.force_login(moderator)
    first = client.get(INBOX + "?fragment=1").content.decode()
    second = client.get(INBOX + "?fragment=1&page=2").content.decode()
    assert f"item-question-{questions[0].pk}" in first and "Trang 1/2" in first
    assert f"item-question-{questions[2].pk}" in second
    assert f"item-question-{questions[0].pk}" not in second


# --- decisions from the inbox ----------------------------------------------------------------


def test_moderator_can_approve_a_question_from_the_inbox(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    response = client.post(
        decide_url("question", question.pk, "approve"),
        {"version": "1", "next": "/moderation/?status=pending"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/?status=pending#item-question-{question.pk}"
    question.refresh_from_db()
    assert question.status == "published"
    event = DialogueEvent.objects.filter(dialogue=dialogue).order_by("-seq").first()
    assert event.type == "question.published" and event.public_seq is not None
    assert AuditEntry.objects.filter(action="approve", item_id=question.pk).count() == 1
    assert item_of(question).status == "published"


def test_moderator_can_reject_a_comment_with_a_reason_from_the_inbox(client, moderator, draft):
    comment = comment_on(draft)
    client.force_login(moderator)
    response = client.post(
        decide_url("comment", comment.pk, "reject"),
        {"version": "1", "reason": reason("ngoai-chu-de").pk, "note": "Không liên quan"},
        follow=True,
    )
    comment.refresh_from_db()
    assert comment.status == "rejected" and comment.rejection_reason.code == "ngoai-chu-de"
    entry = AuditEntry.objects.get(action="reject", item_id=comment.pk)
    assert entry.note == "Không liên quan" and entry.actor == moderator
    assert "Đã từ chối" in response.content.decode()


def test_moderator_cannot_reject_without_a_reason(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    response = client.post(
        decide_url("question", question.pk, "reject"), {"version": "1"}, follow=True
    )
    assert "Vui lòng chọn lý do từ chối" in response.content.decode()
    assert Question.objects.get(pk=question.pk).status == "pending"


def test_moderator_cannot_approve_with_a_stale_version_and_sees_the_fresh_state(
    client, moderator, moderator2, dialogue
):
    question = ask(dialogue)
    live_services.question_reject(actor=moderator2, question_id=question.pk, reason_id=reason().pk)
    client.force_login(moderator)
    response = client.post(
        decide_url("question", question.pk, "approve"), {"version": "1"}, follow=True
    )
    page = response.content.decode()
    assert "Một biên tập viên khác vừa xử lý nội dung này" in page
    assert "trạng thái mới nhất" in page
    assert Question.objects.get(pk=question.pk).status == "rejected"
    assert not AuditEntry.objects.filter(action="approve").exists()
    # The refreshed pending list no longer offers the decided question.
    assert f'id="item-question-{question.pk}"' not in page


def test_agency_staff_cannot_decide_from_the_inbox(client, agency_staff, draft):
    comment = comment_on(draft)
    client.force_login(agency_staff)
    response = client.post(decide_url("comment", comment.pk, "approve"), {"version": "1"})
    assert response.status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_unknown_kind_or_action_is_not_found(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    assert client.post(decide_url("draft", 1, "approve")).status_code == 404
    assert client.post(decide_url("question", question.pk, "publish")).status_code == 404
    assert client.get(decide_url("question", question.pk, "approve")).status_code == 405


def test_next_pointing_elsewhere_is_ignored(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    response = client.post(
        decide_url("question", question.pk, "approve"),
        {"version": "1", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith("/moderation/#item-question-")


def test_decision_on_an_item_claimed_by_another_moderator_needs_confirmation(
    client, moderator, moderator2, dialogue
):
    from moderation import claims

    question = ask(dialogue)
    claims.claim_acquire(actor=moderator2, kind="question", object_id=question.pk)
    client.force_login(moderator)
    page = client.get(INBOX).content.decode()
    assert "Đang được Phạm Biên Tập xử lý" in page
    assert 'name="confirm_claimed"' in page
    response = client.post(
        decide_url("question", question.pk, "approve"), {"version": "1"}, follow=True
    )
    assert "Phạm Biên Tập" in response.content.decode()
    assert Question.objects.get(pk=question.pk).status == "pending"
    client.post(
        decide_url("question", question.pk, "approve"), {"version": "1", "confirm_claimed": "1"}
    )
    assert Question.objects.get(pk=question.pk).status == "published"


def test_bulk_reject_as_spam_reports_the_stale_item_and_rejects_the_others(
    client, moderator, moderator2, dialogue, draft
):
    q1, q2 = ask(dialogue), ask(dialogue)
    c1 = comment_on(draft)
    live_services.question_edit(actor=moderator2, question_id=q2.pk, body="Đã sửa nội dung.")
    client.force_login(moderator)
    page = client.get(INBOX).content.decode()
    spam = reason("spam")
    assert f'<option value="{spam.pk}" selected>{spam.title}</option>' in page
    response = client.post(
        reverse("moderation:bulk-reject"),
        {
            "items": [f"question:{q1.pk}:1", f"question:{q2.pk}:1", f"comment:{c1.pk}:1"],
            "reason": spam.pk,
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Đã từ chối 2 nội dung" in body
    assert f"#{q2.pk} chưa bị từ chối" in body
    assert Question.objects.get(pk=q1.pk).status == "rejected"
    assert Question.objects.get(pk=q2.pk).status == "pending"
    assert Comment.objects.get(pk=c1.pk).status == "rejected"
    rejected = AuditEntry.objects.filter(action="reject", reason=spam)
    assert sorted(rejected.values_list("item_kind", "item_id")) == sorted(
        [("question", q1.pk), ("comment", c1.pk)]
    )
    assert DialogueEvent.objects.filter(type="question.rejected").count() == 1


def test_bulk_reject_needs_items_and_a_reason(client, moderator, dialogue):
    question = ask(dialogue)
    client.force_login(moderator)
    body = client.post(
        reverse("moderation:bulk-reject"), {"reason": reason().pk}, follow=True
    ).content.decode()
    assert "Chưa chọn nội dung nào" in body
    body = client.post(
        reverse("moderation:bulk-reject"), {"items": [f"question:{question.pk}:1"]}, follow=True
    ).content.decode()
    assert "Vui lòng chọn lý do từ chối" in body
    assert Question.objects.get(pk=question.pk).status == "pending"


def test_agency_staff_cannot_bulk_reject(client, agency_staff, draft):
    comment = comment_on(draft)
    client.force_login(agency_staff)
    response = client.post(
        reverse("moderation:bulk-reject"),
        {"items": [f"comment:{comment.pk}:1"], "reason": reason().pk},
    )
    assert response.status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_staff_home_links_to_the_inbox_and_statistics_for_moderators(client, moderator):
    client.force_login(moderator)
    page = client.get("/staff/").content.decode()
    assert 'href="/moderation/"' in page and 'href="/moderation/stats/"' in page
