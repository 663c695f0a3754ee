"""Every submission is committed before it is acknowledged, and a retry with the same
`request_id` never creates a second item: over the JSON API, the HTML forms and the WebSocket,
one after the other and at the same moment (threads and concurrent sockets on PostgreSQL).

"Acknowledged" means the 201/200/302 or the `ack` frame; each test reads the database after
the acknowledgement from another connection's point of view (committed rows only), and counts
the rows, the audit entries and the event-log rows, so a duplicate anywhere shows.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.test import Client

from drafts.models import Comment
from livechat import services
from livechat.models import Answer, DialogueEvent, Question, Upvote
from moderation.models import AuditEntry
from tests.conftest import QUESTION_DEFAULTS
from tests.drafts.conftest import COMMENT_INPUT, make_draft
from tests.livechat.test_consumers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so two requests "
    "can never meet inside the database at the same moment",
)


def post_json(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def events_of(dialogue: Any, event_type: str) -> int:
    return DialogueEvent.objects.filter(dialogue=dialogue, type=event_type).count()


def published(dialogue: Any, moderator: Any) -> Question:
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    return services.question_approve(actor=moderator, question_id=question.pk)


def at_the_same_moment(call: Callable[[], Any], times: int = 2) -> list[Any]:
    """Run `call` in `times` threads released together; returns each result or exception."""
    barrier = threading.Barrier(times)
    results: list[Any] = [None] * times

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[n] = call()
        except Exception as error:  # collected and asserted by the test
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# --- questions -------------------------------------------------------------------------------


def test_citizen_question_retried_over_the_api_is_created_once(dialogue):
    client = Client()
    payload = {**QUESTION_DEFAULTS, "request_id": "retry-api-1"}
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    first = post_json(client, url, payload)
    assert first.status_code == 201
    # Acknowledged means committed: the row is there for anyone.
    assert Question.objects.filter(pk=first.json()["id"]).exists()
    second = post_json(Client(), url, payload)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert events_of(dialogue, "question.submitted") == 1


def test_citizen_question_retried_through_the_form_is_created_once(dialogue):
    form = {
        **{k: str(v) for k, v in QUESTION_DEFAULTS.items() if k not in ("consent", "publish_name")},
        "consent": "on",
        "publish_name": "on",
        "request_id": uuid.uuid4().hex,
    }
    url = f"/dialogues/{dialogue.slug}/"
    first = Client().post(url, form)
    second = Client().post(url, form)  # the browser re-sent the form (back button, refresh)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert events_of(dialogue, "question.submitted") == 1


@needs_postgresql
def test_two_identical_questions_at_the_same_moment_create_one(dialogue):
    payload = {**QUESTION_DEFAULTS, "request_id": "same-moment-q"}
    results = at_the_same_moment(
        lambda: services.question_submit(dialogue_id=dialogue.pk, **payload)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({question.pk for question, _created in results}) == 1
    assert sorted(created for _question, created in results) == [False, True]
    assert Question.objects.filter(dialogue=dialogue).count() == 1
    assert events_of(dialogue, "question.submitted") == 1


@needs_postgresql
def test_two_identical_api_requests_at_the_same_moment_create_one_question(dialogue):
    payload = {**QUESTION_DEFAULTS, "request_id": "same-moment-api"}
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    replies = at_the_same_moment(lambda: post_json(Client(), url, payload), times=4)
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in replies}) == 1
    assert Question.objects.filter(dialogue=dialogue).count() == 1


# --- comments on a draft ---------------------------------------------------------------------


def test_citizen_comment_retried_over_the_api_and_the_form_is_created_once(agency):
    draft = make_draft(agency)
    url = f"/api/v1/drafts/{draft.slug}/comments"
    payload = {**COMMENT_INPUT, "request_id": "comment-retry-1"}
    first = post_json(Client(), url, payload)
    second = post_json(Client(), url, payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    form = {**COMMENT_INPUT, "consent": "on", "request_id": "comment-form-1"}
    page = f"/drafts/{draft.slug}/comments/"
    assert Client().post(page, form).status_code == 302
    assert Client().post(page, form).status_code == 302
    assert Comment.objects.filter(draft=draft).count() == 2


@needs_postgresql
def test_two_identical_comments_at_the_same_moment_create_one(agency):
    draft = make_draft(agency)
    url = f"/api/v1/drafts/{draft.slug}/comments"
    payload = {**COMMENT_INPUT, "request_id": "comment-same-moment"}
    replies = at_the_same_moment(lambda: post_json(Client(), url, payload), times=4)
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 201]
    assert Comment.objects.filter(draft=draft).count() == 1


# --- upvotes ---------------------------------------------------------------------------------


def test_upvote_retried_counts_once(dialogue, moderator):
    question = published(dialogue, moderator)
    client = Client()
    url = f"/api/v1/questions/{question.pk}/upvote"
    first = client.post(url, "", content_type="application/json")
    second = client.post(
        url, "", content_type="application/json"
    )  # the same browser (its consult_voter cookie) again
    assert first.json() == {"counted": True, "upvote_count": 1}
    assert second.json() == {"counted": False, "upvote_count": 1}
    assert Upvote.objects.filter(question=question).count() == 1
    assert events_of(dialogue, "question.upvoted") == 1


@needs_postgresql
def test_two_identical_upvotes_at_the_same_moment_count_once(dialogue, moderator):
    question = published(dialogue, moderator)
    results = at_the_same_moment(
        lambda: services.question_upvote(question_id=question.pk, voter_token="same-browser"),
        times=4,
    )
    assert sorted(counted for _q, counted in results) == [False, False, False, True]
    question.refresh_from_db()
    assert question.upvote_count == 1
    assert events_of(dialogue, "question.upvoted") == 1


# --- moderation actions ----------------------------------------------------------------------


def test_moderator_approval_retried_is_applied_once(client, dialogue, moderator):
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    client.force_login(moderator)
    url = f"/api/v1/questions/{question.pk}/approve"
    payload = {"version": question.version}
    first = post_json(client, url, payload)
    assert first.status_code == 200
    retry = post_json(client, url, payload)  # the same click, sent again
    assert retry.status_code == 409
    assert retry.json()["error"]["current"]["status"] == "published"
    assert AuditEntry.objects.filter(item_id=question.pk, action="approve").count() == 1
    assert events_of(dialogue, "question.published") == 1


@needs_postgresql
def test_two_moderators_approving_at_the_same_moment_publish_once(dialogue, moderator, moderator2):
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    actors = iter([moderator, moderator2])
    lock = threading.Lock()

    def approve() -> Any:
        with lock:
            actor = next(actors)
        return services.question_approve(actor=actor, question_id=question.pk)

    results = at_the_same_moment(approve)
    assert sum(isinstance(r, Question) for r in results) == 1
    assert sum(getattr(r, "code", "") == "conflict" for r in results) == 1
    assert AuditEntry.objects.filter(item_id=question.pk, action="approve").count() == 1
    assert events_of(dialogue, "question.published") == 1


# --- answers ---------------------------------------------------------------------------------


def test_leader_answer_retried_over_the_api_and_the_form_is_posted_once(
    client, dialogue, moderator, leader_user
):
    question = published(dialogue, moderator)
    client.force_login(leader_user)
    url = f"/api/v1/questions/{question.pk}/answers"
    payload = {"body": "Tỉnh sẽ chi trả trong quý này.", "request_id": "answer-retry-1"}
    first = post_json(client, url, payload)
    second = post_json(client, url, payload)
    assert first.status_code == second.status_code == 201
    assert first.json()["answer"]["id"] == second.json()["answer"]["id"]
    form = {"question_id": str(question.pk), "body": "Bổ sung.", "request_id": "answer-form-1"}
    present = f"/dialogues/{dialogue.slug}/present/"
    assert client.post(present, form).status_code == 302
    assert client.post(present, form).status_code == 302
    assert Answer.objects.filter(question=question).count() == 2
    assert events_of(dialogue, "answer.posted") == 2


@needs_postgresql
def test_two_identical_answers_at_the_same_moment_post_once(dialogue, moderator, leader_user):
    question = published(dialogue, moderator)
    results = at_the_same_moment(
        lambda: services.answer_post(
            actor=leader_user, question_id=question.pk, body="Trả lời.", request_id="same-a"
        ),
        times=3,
    )
    assert len({answer.pk for answer in results}) == 1, results
    assert Answer.objects.filter(question=question).count() == 1
    assert events_of(dialogue, "answer.posted") == 1


async def _acks(communicator: Any, request_id: str, count: int) -> list[dict[str, Any]]:
    acks = []
    for _ in range(40):
        frame = await communicator.receive_json_from(timeout=5)
        if frame.get("request_id") == request_id:
            acks.append(frame)
            if len(acks) == count:
                break
    return acks


async def test_leader_answer_sent_twice_on_a_socket_is_posted_once(
    dialogue, moderator, leader_user
):
    question = await database_sync_to_async(published)(dialogue, moderator)
    communicator, _first = await ws_open(dialogue.slug, user=leader_user)
    try:
        frame = {
            "type": "answer",
            "request_id": "ws-answer-1",
            "question_id": question.pk,
            "body": "Tỉnh sẽ chi trả trong quý này.",
        }
        await communicator.send_json_to(frame)
        await communicator.send_json_to(frame)  # the page re-sent it after a hiccup
        acks = await _acks(communicator, "ws-answer-1", 2)
        assert [a["type"] for a in acks] == ["ack", "ack"]
        assert acks[0]["answer"]["id"] == acks[1]["answer"]["id"]
    finally:
        await communicator.disconnect()
    assert await database_sync_to_async(Answer.objects.filter(question=question).count)() == 1
    assert await database_sync_to_async(events_of)(dialogue, "answer.posted") == 1


async def test_identical_answer_frames_on_two_sockets_at_once_post_once(
    dialogue, moderator, leader_user
):
    question = await database_sync_to_async(published)(dialogue, moderator)
    a, _ = await ws_open(dialogue.slug, user=leader_user)
    b, _ = await ws_open(dialogue.slug, user=leader_user)
    try:
        frame = {
            "type": "answer",
            "request_id": "two-sockets-1",
            "question_id": question.pk,
            "body": "Một câu trả lời, hai màn hình.",
        }
        await asyncio.gather(a.send_json_to(frame), b.send_json_to(frame))
        ack_a, ack_b = await asyncio.gather(
            _acks(a, "two-sockets-1", 1), _acks(b, "two-sockets-1", 1)
        )
        assert ack_a[0]["type"] == ack_b[0]["type"] == "ack"
        assert ack_a[0]["answer"]["id"] == ack_b[0]["answer"]["id"]
    finally:
        await a.disconnect()
        await b.disconnect()
    assert await database_sync_to_async(Answer.objects.filter(question=question).count)() == 1
    assert await database_sync_to_async(events_of)(dialogue, "answer.posted") == 1


async def test_moderator_approval_sent_on_two_sockets_at_once_publishes_once(
    dialogue, moderator, moderator2
):
    question, _created = await database_sync_to_async(services.question_submit)(
        dialogue_id=dialogue.pk, **QUESTION_DEFAULTS
    )
    a, _ = await ws_open(dialogue.slug, user=moderator)
    b, _ = await ws_open(dialogue.slug, user=moderator2)
    try:
        frame = {"type": "approve", "request_id": "approve-1", "question_id": question.pk}
        await asyncio.gather(a.send_json_to(frame), b.send_json_to(frame))
        replies = [
            r[0] for r in await asyncio.gather(_acks(a, "approve-1", 1), _acks(b, "approve-1", 1))
        ]
        assert sorted(r["type"] for r in replies) == ["ack", "error"]
        assert next(r for r in replies if r["type"] == "error")["code"] == "conflict"
    finally:
        await a.disconnect()
        await b.disconnect()
    assert await database_sync_to_async(events_of)(dialogue, "question.published") == 1
