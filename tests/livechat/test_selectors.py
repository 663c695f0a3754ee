"""Reads of the live dialogues: who sees what (public never sees pending items or contact
details), tracking by code, the snapshot and the replay of the event log."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from consult.errors import NotAllowed, NotAuthenticated, NotFound
from livechat import selectors, services
from livechat.models import Dialogue, Question
from moderation.models import RejectionReason
from tests.conftest import make_dialogue
from tests.livechat.test_services import assert_public_clean, keys_deep, publish, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def reason(db: Any) -> RejectionReason:
    return RejectionReason.objects.filter(is_active=True).first() or RejectionReason.objects.create(
        code="spam", title="Trùng lặp", explanation="Nội dung trùng lặp."
    )


def test_public_dict_has_no_contact_and_hides_name_unless_opted_in(dialogue, moderator):
    named = publish(dialogue, moderator, phone="0912345678")
    anonymous = publish(dialogue, moderator, publish_name=False, asker_name="Hoàng Ẩn")
    public_named = selectors.question_public_dict(selectors.question_get(question_id=named.pk))
    public_anon = selectors.question_public_dict(selectors.question_get(question_id=anonymous.pk))
    assert public_named["display_name"] == "Nguyễn Văn An"
    assert public_anon["display_name"] == "Người gửi ẩn danh"
    assert "Hoàng Ẩn" not in str(public_anon)
    assert_public_clean([public_named, public_anon])


def test_staff_dict_says_whether_contact_exists_but_not_what_it_is(dialogue):
    question = submit(dialogue, email="", phone="0912345678")
    staff = selectors.question_staff_dict(selectors.question_get(question_id=question.pk))
    assert (staff["has_email"], staff["has_phone"]) == (False, True)
    assert not keys_deep(staff) & {"email", "phone"}
    assert "0912345678" not in str(staff)
    assert staff["asker_name"] == "Nguyễn Văn An" and staff["version"] == 1


def test_public_list_skips_drafts(chair, dialogue):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    slugs = set(selectors.dialogue_list_public().values_list("slug", flat=True))
    assert dialogue.slug in slugs and draft.slug not in slugs


def test_draft_dialogue_exists_only_for_staff(chair, moderator, leader_user, agency_staff):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    assert selectors.dialogue_get(slug=draft.slug, viewer=moderator) == draft
    assert selectors.dialogue_get(slug=draft.slug, viewer=leader_user) == draft
    for viewer in (AnonymousUser(), agency_staff):
        with pytest.raises(NotFound):
            selectors.dialogue_get(slug=draft.slug, viewer=viewer)
    with pytest.raises(NotFound):
        selectors.dialogue_get(slug="khong-co", viewer=moderator)


def test_public_questions_are_published_only(dialogue, moderator, reason):
    shown = publish(dialogue, moderator)
    submit(dialogue)
    rejected = submit(dialogue)
    services.question_reject(actor=moderator, question_id=rejected.pk, reason_id=reason.pk)
    merged = publish(dialogue, moderator)
    services.question_merge(actor=moderator, target_id=shown.pk, source_ids=[merged.pk])
    assert [q.pk for q in selectors.question_list_public(dialogue=dialogue)] == [shown.pk]
    staff = selectors.question_list_staff(dialogue=dialogue, viewer=moderator)
    assert {q.status for q in staff} == {"published", "pending", "rejected"}


def test_staff_list_refuses_public_and_agency_staff(dialogue, agency_staff):
    with pytest.raises(NotAuthenticated):
        selectors.question_list_staff(dialogue=dialogue, viewer=AnonymousUser())
    with pytest.raises(NotAllowed):
        selectors.question_list_staff(dialogue=dialogue, viewer=agency_staff)


def test_leader_queue_lists_forwarded_unanswered_in_order(
    dialogue, moderator, leader_user, chair, vice_chair
):
    first = publish(dialogue, moderator)
    second = publish(dialogue, moderator)
    answered = publish(dialogue, moderator)
    publish(dialogue, moderator)  # not forwarded
    for question in (first, second, answered):
        services.question_forward(actor=moderator, question_id=question.pk, leader_id=chair.pk)
    services.answer_post(actor=leader_user, question_id=answered.pk, body="Xong.")
    services.question_reorder(
        actor=moderator, dialogue_id=dialogue.pk, ordered_ids=[second.pk, first.pk]
    )
    queue = selectors.question_list_forwarded(dialogue=dialogue, viewer=leader_user)
    assert [q.pk for q in queue] == [second.pk, first.pk]


def test_awaiting_written_list_is_by_due_date(dialogue, moderator):
    question = publish(dialogue, moderator)
    services.question_mark_written(actor=moderator, question_id=question.pk)
    listed = selectors.question_list_awaiting_written(dialogue=dialogue, viewer=moderator)
    assert [q.pk for q in listed] == [question.pk]


def test_tracking_code_is_forgiving_about_case_and_spaces(dialogue):
    question = submit(dialogue)
    found = selectors.question_get_by_tracking_code(code=f"  {question.tracking_code.lower()} ")
    assert found.pk == question.pk
    with pytest.raises(NotFound):
        selectors.question_get_by_tracking_code(code="KHONGCO123")


def test_tracking_of_pending_question_shows_no_answers_and_no_contact(dialogue):
    question = submit(dialogue, phone="0912345678")
    tracking = selectors.question_tracking_dict(question)
    assert tracking["status"] == "pending" and tracking["answers"] == []
    assert tracking["merged_into"] is None and tracking["rejection_reason"] is None
    assert not keys_deep(tracking) & {"email", "phone", "has_email", "has_phone"}


def test_public_snapshot_and_staff_snapshot_differ(dialogue, moderator):
    shown = publish(dialogue, moderator)
    pending = submit(dialogue)
    public = selectors.snapshot_build(dialogue=dialogue, audience=selectors.PUBLIC)
    staff = selectors.snapshot_build(dialogue=dialogue, audience=selectors.STAFF)
    assert [q["id"] for q in public["questions"]] == [shown.pk]
    assert {q["id"] for q in staff["questions"]} == {shown.pk, pending.pk}
    counters = Dialogue.objects.get(pk=dialogue.pk)
    assert (public["seq"], staff["seq"]) == (counters.last_public_seq, counters.last_seq)
    assert_public_clean(public["questions"])


def test_audience_for_roles(dialogue, moderator, leader_user, agency_staff, admin_user):
    assert selectors.audience_for(AnonymousUser(), dialogue) == selectors.PUBLIC
    assert selectors.audience_for(agency_staff, dialogue) == selectors.PUBLIC
    for user in (moderator, leader_user, admin_user):
        assert selectors.audience_for(user, dialogue) == selectors.STAFF


def test_event_replay_per_audience(dialogue, moderator):
    publish(dialogue, moderator)  # submitted (staff) + published (both)
    submit(dialogue)  # staff only
    staff = selectors.event_list_after(dialogue_id=dialogue.pk, audience=selectors.STAFF, after=1)
    assert [e.seq for e in staff] == [2, 3]
    public = selectors.event_list_after(dialogue_id=dialogue.pk, audience=selectors.PUBLIC, after=0)
    assert [(e.public_seq, e.type) for e in public] == [(1, "question.published")]
    assert (
        selectors.event_list_after(dialogue_id=dialogue.pk, audience=selectors.PUBLIC, after=1)
        == []
    )


@pytest.mark.parametrize("after", [-1, 99])
def test_event_replay_needs_snapshot_when_out_of_range(dialogue, moderator, after):
    publish(dialogue, moderator)
    assert (
        selectors.event_list_after(dialogue_id=dialogue.pk, audience=selectors.STAFF, after=after)
        is None
    )


def test_event_replay_needs_snapshot_when_too_far_behind(dialogue, moderator):
    for _ in range(3):
        publish(dialogue, moderator)
    with override_settings(CONSULT={**settings.CONSULT, "REPLAY_LIMIT": 2}):
        assert (
            selectors.event_list_after(dialogue_id=dialogue.pk, audience=selectors.STAFF, after=0)
            is None
        )
        recent = selectors.event_list_after(
            dialogue_id=dialogue.pk, audience=selectors.STAFF, after=4
        )
    assert [e.seq for e in recent] == [5, 6]


def test_question_get_by_dialogue_refuses_foreign_question(chair, dialogue):
    foreign = submit(make_dialogue(chair))
    with pytest.raises(NotFound):
        selectors.question_get(question_id=foreign.pk, dialogue_id=dialogue.pk)
    assert Question.objects.filter(pk=foreign.pk).exists()


def _varied_dialogue(dialogue: Dialogue, moderator: Any, chair: Any, reason: Any) -> None:
    """Published, answered, forwarded, tagged, anonymous, pending, rejected and merged
    questions: every branch of the two question shapes."""
    answered = publish(dialogue, moderator, phone="0912345678")
    services.answer_post(actor=moderator, question_id=answered.pk, body="Trả lời thứ nhất.",
                         leader_id=chair.pk)  # fmt: skip
    services.answer_post(actor=moderator, question_id=answered.pk, body="Trả lời bổ sung.",
                         leader_id=chair.pk)  # fmt: skip
    forwarded = publish(dialogue, moderator, publish_name=False, asker_name="Hoàng Ẩn")
    services.question_forward(actor=moderator, question_id=forwarded.pk, leader_id=chair.pk)
    tagged = publish(dialogue, moderator, email="", phone="0987654321")
    services.question_tag(actor=moderator, question_id=tagged.pk, topic="Đất đai")
    submit(dialogue)
    rejected = submit(dialogue)
    services.question_reject(actor=moderator, question_id=rejected.pk, reason_id=reason.pk)
    source = publish(dialogue, moderator)
    services.question_merge(actor=moderator, target_id=tagged.pk, source_ids=[source.pk])


@pytest.mark.parametrize("audience", [selectors.PUBLIC, selectors.STAFF])
def test_snapshot_questions_equal_the_per_question_shapes(
    dialogue, moderator, chair, reason, audience
):
    _varied_dialogue(dialogue, moderator, chair, reason)
    bulk = selectors.question_dicts_for_audience(dialogue_id=dialogue.pk, audience=audience)
    if audience == selectors.STAFF:
        expected_questions = (
            selectors.question_queryset()
            .filter(dialogue=dialogue)
            .exclude(status=Question.Status.MERGED)
        )
        to_dict = selectors.question_staff_dict
    else:
        expected_questions = selectors.question_list_public(dialogue=dialogue)
        to_dict = selectors.question_public_dict
    expected = [to_dict(q) for q in expected_questions]
    assert bulk == expected
    assert [list(q) for q in bulk] == [list(q) for q in expected]  # the same key order
    assert any(q["answers"] for q in bulk)
    if audience == selectors.PUBLIC:
        assert_public_clean(bulk)
    else:
        assert {q["status"] for q in bulk} == {"published", "pending", "rejected"}
        assert any(q["forwarded_to"] for q in bulk) and any(q["rejection_reason"] for q in bulk)
        assert {q["has_email"] for q in bulk} == {True, False}


@pytest.mark.parametrize("audience", [selectors.PUBLIC, selectors.STAFF])
def test_snapshot_queries_do_not_grow_with_questions(
    dialogue, moderator, chair, audience, django_assert_max_num_queries
):
    for _ in range(12):
        question = publish(dialogue, moderator)
        services.answer_post(actor=moderator, question_id=question.pk, body="Đã trả lời.",
                             leader_id=chair.pk)  # fmt: skip
    # The counters, the dialogue and its participants, the questions, the answers.
    with django_assert_max_num_queries(5):
        snapshot = selectors.snapshot_build(dialogue=dialogue, audience=audience)
    assert len(snapshot["questions"]) == 12
    assert all(len(q["answers"]) == 1 for q in snapshot["questions"])


def test_snapshot_of_a_dialogue_without_questions_is_empty(dialogue):
    snapshot = selectors.snapshot_build(dialogue=dialogue, audience=selectors.PUBLIC)
    assert snapshot["questions"] == [] and snapshot["seq"] == 0
