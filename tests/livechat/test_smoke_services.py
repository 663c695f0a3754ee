"""A first walk through the live path: submit, approve, answer, with the events it leaves."""

from __future__ import annotations

import pytest

from livechat import services
from livechat.models import DialogueEvent, Question
from tests.conftest import QUESTION_DEFAULTS

pytestmark = pytest.mark.django_db


def test_moderator_can_approve_and_leader_can_answer(dialogue, moderator, leader_user):
    question, created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    assert created and question.status == Question.Status.PENDING
    services.question_approve(actor=moderator, question_id=question.pk, expected_version=1)
    answer = services.answer_post(
        actor=leader_user, question_id=question.pk, body="Trong tháng 12."
    )
    assert answer.leader_id == leader_user.leader_id
    events = list(DialogueEvent.objects.filter(dialogue=dialogue).order_by("seq"))
    assert [e.type for e in events] == ["question.submitted", "question.published", "answer.posted"]
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.public_seq for e in events] == [None, 1, 2]
    assert "email" not in str(events[1].public_data)
