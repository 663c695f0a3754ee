"""The JSON API of the live dialogues over HTTP: status codes, the error shape, sessions and
CSRF for staff, and what public responses may never contain."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from livechat import services
from livechat.models import Answer, Dialogue, Question
from moderation.models import AuditEntry, RejectionReason
from tests.conftest import QUESTION_DEFAULTS, make_dialogue, make_user
from tests.livechat.test_services import (
    assert_public_clean,
    keys_deep,
    publish,
    submit,
    unique_email,
    unique_ip,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def payload(**overrides: Any) -> dict[str, Any]:
    return {**QUESTION_DEFAULTS, "request_id": "req-" + unique_email()[3:13], **overrides}


def post(client: Client, path: str, data: Any = None, **extra: Any) -> Any:
    body = "" if data is None else json.dumps(data)
    return client.post(API + path, body, content_type="application/json", **extra)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.fixture
def reason(db: Any) -> RejectionReason:
    return RejectionReason.objects.filter(is_active=True).first() or RejectionReason.objects.create(
        code="spam", title="Trùng lặp", explanation="Nội dung trùng lặp."
    )


@pytest.fixture
def staff_client(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def leader_client(leader_user) -> Client:
    client = Client()
    client.force_login(leader_user)
    return client


# --- public: dialogues --------------------------------------------------------------------------


def test_anyone_can_list_public_dialogues_paginated(chair, dialogue):
    make_dialogue(chair, status=Dialogue.Status.DRAFT, topic="Bản nháp bí mật")
    for _ in range(3):
        make_dialogue(chair, status=Dialogue.Status.ENDED)
    response = Client().get(f"{API}/dialogues", {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4  # the draft is not counted
    assert len(body["items"]) == 2
    item = body["items"][0]
    assert {"slug", "topic", "status", "chair", "host_agency", "accepts_questions", "url"} <= set(
        item
    )
    page2 = Client().get(f"{API}/dialogues", {"page_size": 2, "page": 2}).json()
    all_topics = [i["topic"] for i in body["items"] + page2["items"]]
    assert "Bản nháp bí mật" not in all_topics and len(all_topics) == 4


@pytest.mark.parametrize("query", [{"page": 0}, {"page": "abc"}, {"page_size": -1}])
def test_list_with_bad_page_is_400(dialogue, query):
    response = Client().get(f"{API}/dialogues", query)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_anyone_can_read_dialogue_with_published_questions_only(dialogue, moderator, leader_user):
    shown = publish(dialogue, moderator, phone="0912345678", publish_name=False)
    services.answer_post(actor=leader_user, question_id=shown.pk, body="Đã có phương án.")
    submit(dialogue, body="Câu hỏi chờ duyệt không được lộ.")
    response = Client().get(f"{API}/dialogues/{dialogue.slug}")
    assert response.status_code == 200
    body = response.json()
    assert body["dialogue"]["slug"] == dialogue.slug
    assert body["dialogue"]["host_agency"] == dialogue.host_agency.name
    assert [q["id"] for q in body["questions"]] == [shown.pk]
    assert body["questions"][0]["display_name"] == "Người gửi ẩn danh"
    assert body["questions"][0]["answers"][0]["body"] == "Đã có phương án."
    assert body["seq"] == Dialogue.objects.get(pk=dialogue.pk).last_public_seq
    assert "chờ duyệt" not in response.content.decode()
    assert_public_clean(body["questions"])
    assert not keys_deep(body) & {"email", "phone", "has_email", "has_phone"}


def test_draft_dialogue_is_404_for_public(chair):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    response = Client().get(f"{API}/dialogues/{draft.slug}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert Client().get(f"{API}/dialogues/khong-co").status_code == 404


# --- public: submitting -------------------------------------------------------------------------


def test_citizen_can_submit_question(dialogue):
    response = post(Client(), f"/dialogues/{dialogue.slug}/questions", payload())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "status", "tracking_code"}
    assert body["status"] == "pending"
    question = Question.objects.get(pk=body["id"])
    assert question.tracking_code == body["tracking_code"]


def test_question_over_the_api_reads_its_dialogue_once_and_appends_in_one_update(dialogue):
    # The hot path of question intake (docs/performance.md): the API reads the dialogue by
    # slug and hands it to the service; the event log's counters rise in one UPDATE.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first question of a process also reads the prohibited terms (then kept).
    assert post(Client(), f"/dialogues/{dialogue.slug}/questions", payload()).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = post(Client(), f"/dialogues/{dialogue.slug}/questions", payload())
    assert response.status_code == 201
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
    ]
    dialogue_reads = [s for s in sql if s.startswith("SELECT") and '"livechat_dialogue"' in s]
    assert len(dialogue_reads) == 1, sql
    assert not [s for s in sql if "FOR UPDATE" in s], sql
    assert len(sql) == 8, sql
    dialogue.refresh_from_db()
    assert dialogue.last_seq == 2


def test_retry_with_same_request_id_returns_200_with_same_body(dialogue):
    data = payload(request_id="retry-123")
    first = post(Client(), f"/dialogues/{dialogue.slug}/questions", data)
    again = post(Client(), f"/dialogues/{dialogue.slug}/questions", data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Question.objects.count() == 1


def test_submission_client_ip_is_rate_limited_with_retry_after(dialogue):
    ip = unique_ip()
    with override_settings(CONSULT={**settings.CONSULT, "SUBMISSIONS_PER_IP_PER_HOUR": 1}):
        ok = post(Client(), f"/dialogues/{dialogue.slug}/questions", payload(), REMOTE_ADDR=ip)
        refused = post(
            Client(),
            f"/dialogues/{dialogue.slug}/questions",
            payload(email=unique_email()),
            REMOTE_ADDR=ip,
        )
    assert ok.status_code == 201
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert Question.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": "true"}, "consent"),  # a JSON string is not consent: only true counts
        ({"consent": 1}, "consent"),
        ({"consent": False}, "consent"),
        ({"publish_name": "yes"}, "publish_name"),
        ({"body": 42}, "body"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "an@"}, "email"),
        ({"email": None, "phone": "123"}, "phone"),
        ({"request_id": ""}, "request_id"),
        ({"request_id": "has spaces"}, "request_id"),
        ({"body": "a" * (settings.CONSULT["QUESTION_MAX_LENGTH"] + 1)}, "body"),
        ({"unexpected": "x"}, "unexpected"),
    ],
)
def test_invalid_submission_is_400_with_fields(dialogue, overrides, field):
    response = post(Client(), f"/dialogues/{dialogue.slug}/questions", payload(**overrides))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Question.objects.count() == 0


def test_missing_fields_are_each_reported(dialogue):
    response = post(Client(), f"/dialogues/{dialogue.slug}/questions", {})
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert {"asker_name", "locality", "body", "consent", "request_id"} <= set(fields)


def test_unparseable_body_is_400(dialogue):
    response = Client().post(
        f"{API}/dialogues/{dialogue.slug}/questions", "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_decomposed_submission_is_stored_composed(dialogue):
    data = payload(asker_name=unicodedata.normalize("NFD", "Lê Thị Hoà\u200b"))
    response = post(Client(), f"/dialogues/{dialogue.slug}/questions", data)
    assert response.status_code == 201
    assert Question.objects.get().asker_name == "Lê Thị Hoà"


@pytest.mark.parametrize("status", ["ended", "archived"])
def test_submission_to_closed_dialogue_is_409_not_accepting(chair, status):
    closed = make_dialogue(chair, status=status)
    response = post(Client(), f"/dialogues/{closed.slug}/questions", payload())
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_accepting"


def test_submission_to_unknown_or_draft_dialogue_is_404(chair):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    for slug in ("khong-co", draft.slug):
        assert post(Client(), f"/dialogues/{slug}/questions", payload()).status_code == 404


# --- public: tracking and upvotes -------------------------------------------------------------------


def test_asker_can_track_question_and_see_rejection_reason(dialogue, moderator, reason):
    question = submit(dialogue, phone="0912345678")
    response = Client().get(f"{API}/questions/track/{question.tracking_code.lower()}")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    services.question_reject(actor=moderator, question_id=question.pk, reason_id=reason.pk)
    body = Client().get(f"{API}/questions/track/{question.tracking_code}").json()
    assert body["status"] == "rejected"
    assert body["rejection_reason"]["explanation"] == reason.explanation
    assert not keys_deep(body) & {"email", "phone", "has_email", "has_phone"}
    assert "0912345678" not in json.dumps(body)


def test_unknown_tracking_code_is_404():
    response = Client().get(f"{API}/questions/track/ZZZZZZZZZZ")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_citizen_can_upvote_once_per_browser_cookie(dialogue, moderator):
    question = publish(dialogue, moderator)
    browser = Client()
    first = post(browser, f"/questions/{question.pk}/upvote")
    assert first.status_code == 200
    assert first.json() == {"counted": True, "upvote_count": 1}
    cookie = first.cookies["consult_voter"]
    assert cookie.value and cookie["httponly"] and cookie["samesite"] == "Lax"
    again = post(browser, f"/questions/{question.pk}/upvote")
    assert again.json() == {"counted": False, "upvote_count": 1}
    assert "consult_voter" not in again.cookies  # kept, not replaced
    other = post(Client(), f"/questions/{question.pk}/upvote")
    assert other.json() == {"counted": True, "upvote_count": 2}


def test_upvote_of_pending_or_unknown_question_is_404(dialogue):
    pending = submit(dialogue)
    assert post(Client(), f"/questions/{pending.pk}/upvote").status_code == 404
    assert post(Client(), "/questions/999999/upvote").status_code == 404
    assert post(Client(), "/questions/abc/upvote").status_code in (400, 404)


# --- staff actions ------------------------------------------------------------------------------


def test_moderator_can_approve_via_api(dialogue, staff_client):
    question = submit(dialogue)
    response = post(staff_client, f"/questions/{question.pk}/approve", {"version": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published" and body["version"] == 2
    assert body["has_email"] is True and "email" not in body


def test_approve_without_body_is_accepted(dialogue, staff_client):
    question = submit(dialogue)
    assert post(staff_client, f"/questions/{question.pk}/approve").status_code == 200


def test_stale_version_is_409_with_current(dialogue, staff_client, moderator2):
    question = submit(dialogue)
    services.question_approve(actor=moderator2, question_id=question.pk)
    response = post(staff_client, f"/questions/{question.pk}/tag", {"topic": "x", "version": 1})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict"
    assert error["current"]["status"] == "published" and error["current"]["version"] == 2
    assert Question.objects.get().topic == ""


@pytest.mark.parametrize("version", ["2", 2.5, True])
def test_version_of_wrong_type_is_400(dialogue, staff_client, version):
    question = submit(dialogue)
    response = post(staff_client, f"/questions/{question.pk}/approve", {"version": version})
    assert response.status_code == 400
    assert "version" in error_of(response)["fields"]
    assert Question.objects.get().status == "pending"


def test_moderator_can_run_every_question_action(
    dialogue,
    staff_client,
    reason,
    vice_chair,
):
    q1 = submit(dialogue)
    q2 = submit(dialogue)
    q3 = submit(dialogue)
    q4 = submit(dialogue)
    ok = 200

    def act(qid: int, action: str, data: dict[str, Any]) -> dict[str, Any]:
        response = post(staff_client, f"/questions/{qid}/{action}", data)
        assert response.status_code == ok, (action, response.content)
        return response.json()

    assert act(q1.pk, "approve", {"version": 1})["status"] == "published"
    assert act(q1.pk, "edit", {"body": "Đã sửa.", "version": 2})["original_body"]
    assert act(q1.pk, "tag", {"topic": "Đất đai", "version": 3})["topic"] == "Đất đai"
    forwarded = act(q1.pk, "forward", {"leader_id": vice_chair.pk, "version": 4})
    assert forwarded["forwarded_to"]["id"] == vice_chair.pk
    assert act(q1.pk, "forward", {"leader_id": None})["forwarded_to"] is None
    act(q2.pk, "approve", {})
    merged = act(q1.pk, "merge", {"source_ids": [q2.pk]})
    assert merged["id"] == q1.pk
    assert Question.objects.get(pk=q2.pk).status == "merged"
    on_air = act(q1.pk, "on-air", {})
    assert on_air["id"] == q1.pk
    assert Dialogue.objects.get(pk=dialogue.pk).on_air_id == q1.pk
    response = post(staff_client, f"/dialogues/{dialogue.slug}/off-air")
    assert response.status_code == 200 and response.json() == {"on_air": None}
    assert act(q1.pk, "mark-answered-live", {})["answer_state"] == "answered_live"
    rejected = act(q3.pk, "reject", {"reason_id": reason.pk, "note": "trùng"})
    assert rejected["rejection_reason"]["id"] == reason.pk
    written = act(q4.pk, "mark-written", {"version": 1})
    assert written["answer_state"] == "awaiting_written" and written["written_due_on"]
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "approve",
        "edit",
        "tag",
        "forward",
        "forward",
        "approve",
        "merge",
        "on_air",
        "off_air",
        "mark_answered_live",
        "reject",
        "mark_written",
    ]


def test_reject_without_reason_is_400(dialogue, staff_client):
    question = submit(dialogue)
    response = post(staff_client, f"/questions/{question.pk}/reject", {"note": "x"})
    assert response.status_code == 400
    assert "reason_id" in error_of(response)["fields"]
    response = post(staff_client, f"/questions/{question.pk}/reject", {"reason_id": 999999})
    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    assert Question.objects.get().status == "pending"


def test_moderator_can_reorder_and_read_queue(dialogue, staff_client, moderator):
    q1 = publish(dialogue, moderator)
    q2 = submit(dialogue)
    response = post(
        staff_client, f"/dialogues/{dialogue.slug}/reorder", {"ordered_ids": [q2.pk, q1.pk]}
    )
    assert response.status_code == 200 and response.json() == {"ordered_ids": [q2.pk, q1.pk]}
    queue = staff_client.get(f"{API}/dialogues/{dialogue.slug}/queue")
    assert queue.status_code == 200
    body = queue.json()
    assert [q["id"] for q in body["questions"]] == [q2.pk, q1.pk]
    assert body["questions"][0]["status"] == "pending"
    assert body["seq"] == Dialogue.objects.get(pk=dialogue.pk).last_seq
    assert not keys_deep(body) & {"email", "phone"}


def test_moderator_can_change_dialogue_status(chair, staff_client):
    draft = make_dialogue(chair, status=Dialogue.Status.DRAFT)
    response = post(staff_client, f"/dialogues/{draft.slug}/status", {"status": "announced"})
    assert response.status_code == 200 and response.json()["status"] == "announced"
    refused = post(staff_client, f"/dialogues/{draft.slug}/status", {"status": "archived"})
    assert refused.status_code == 409
    bogus = post(staff_client, f"/dialogues/{draft.slug}/status", {"status": "paused"})
    assert bogus.status_code == 400
    assert Dialogue.objects.get(pk=draft.pk).status == "announced"


def test_leader_can_answer_via_api(dialogue, moderator, leader_client, chair):
    question = publish(dialogue, moderator)
    data = {"body": "Sẽ chi trả trong tháng 12.", "request_id": "ans-1"}
    response = post(leader_client, f"/questions/{question.pk}/answers", data)
    assert response.status_code == 201
    body = response.json()
    assert body["answer"]["leader"]["id"] == chair.pk and body["answer"]["kind"] == "live"
    assert body["question"]["answer_state"] == "answered_live"
    again = post(leader_client, f"/questions/{question.pk}/answers", data)
    assert again.json()["answer"]["id"] == body["answer"]["id"]
    assert Answer.objects.count() == 1


def test_moderator_answer_must_name_leader(dialogue, moderator, staff_client, vice_chair):
    question = publish(dialogue, moderator)
    response = post(staff_client, f"/questions/{question.pk}/answers", {"body": "x"})
    assert response.status_code == 400 and "leader" in error_of(response)["fields"]
    response = post(
        staff_client, f"/questions/{question.pk}/answers", {"body": "x", "leader_id": vice_chair.pk}
    )
    assert response.status_code == 201


def test_staff_can_list_rejection_reasons(staff_client, reason):
    response = staff_client.get(f"{API}/reasons")
    assert response.status_code == 200
    assert reason.pk in [r["id"] for r in response.json()]


# --- staff endpoints: who may call them -------------------------------------------------------


def _staff_requests(dialogue: Dialogue, question: Question) -> list[tuple[str, str, Any]]:
    q, s = question.pk, dialogue.slug
    other = submit(dialogue).pk
    return [
        ("get", "/reasons", None),
        ("get", f"/dialogues/{s}/queue", None),
        ("post", f"/dialogues/{s}/status", {"status": "ended"}),
        ("post", f"/dialogues/{s}/reorder", {"ordered_ids": [q]}),
        ("post", f"/dialogues/{s}/off-air", None),
        ("post", f"/questions/{q}/approve", {}),
        ("post", f"/questions/{q}/reject", {"reason_id": 1}),
        ("post", f"/questions/{q}/edit", {"body": "x"}),
        ("post", f"/questions/{q}/merge", {"source_ids": [other]}),
        ("post", f"/questions/{q}/tag", {"topic": "x"}),
        ("post", f"/questions/{q}/forward", {"leader_id": None}),
        ("post", f"/questions/{q}/on-air", {}),
        ("post", f"/questions/{q}/mark-answered-live", {}),
        ("post", f"/questions/{q}/mark-written", {}),
        ("post", f"/questions/{q}/answers", {"body": "x"}),
    ]


def _call(client: Client, method: str, path: str, data: Any) -> Any:
    if method == "get":
        return client.get(API + path)
    return post(client, path, data)


def test_staff_endpoints_are_401_without_login(dialogue):
    question = submit(dialogue)
    for method, path, data in _staff_requests(dialogue, question):
        response = _call(Client(), method, path, data)
        assert response.status_code == 401, path
        assert error_of(response)["code"] == "not_authenticated"
    assert set(Question.objects.values_list("status", flat=True)) == {"pending"}
    assert not AuditEntry.objects.exists()


def test_disabled_account_is_401(dialogue):
    question = submit(dialogue)
    disabled = make_user("moderator", is_active=False)
    client = Client()
    client.force_login(disabled)
    assert post(client, f"/questions/{question.pk}/approve", {}).status_code == 401


def test_moderation_endpoints_are_403_for_leader(dialogue, leader_client, leader_user):
    question = submit(dialogue)
    for method, path, data in _staff_requests(dialogue, question):
        if path.endswith(("/queue", "/reasons", "/answers")):
            continue  # leaders may read the queue and answer
        response = _call(leader_client, method, path, data)
        assert response.status_code == 403, path
        assert error_of(response)["code"] == "forbidden"
    assert set(Question.objects.values_list("status", flat=True)) == {"pending"}
    # No decision recorded; only the refusals themselves (issue 4: failed checks are audited).
    assert not AuditEntry.objects.exclude(action="permission_denied").exists()
    assert AuditEntry.objects.filter(action="permission_denied", actor=leader_user).exists()


def test_agency_staff_cannot_read_queue_or_answer(dialogue, moderator, agency_staff):
    question = publish(dialogue, moderator)
    client = Client()
    client.force_login(agency_staff)
    assert client.get(f"{API}/dialogues/{dialogue.slug}/queue").status_code == 403
    assert post(client, f"/questions/{question.pk}/answers", {"body": "x"}).status_code == 403


def test_unknown_question_is_404_for_staff(staff_client):
    response = post(staff_client, "/questions/999999/approve", {})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_staff_post_without_csrf_token_is_refused(dialogue, moderator):
    question = submit(dialogue)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    response = post(client, f"/questions/{question.pk}/approve", {})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert Question.objects.get().status == "pending"
    # Reads are safe methods and need no token.
    assert client.get(f"{API}/dialogues/{dialogue.slug}/queue").status_code == 200


def test_staff_post_with_csrf_token_is_accepted(dialogue, moderator):
    question = submit(dialogue)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    token = "A" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = post(client, f"/questions/{question.pk}/approve", {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert Question.objects.get().status == "published"


def test_public_submission_needs_no_csrf_token(dialogue):
    client = Client(enforce_csrf_checks=True)
    assert post(client, f"/dialogues/{dialogue.slug}/questions", payload()).status_code == 201


# --- OpenAPI --------------------------------------------------------------------------------------


def test_openapi_lists_every_endpoint_with_summary():
    schema = Client().get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("get", "/api/v1/dialogues"),
        ("get", "/api/v1/dialogues/{slug}"),
        ("post", "/api/v1/dialogues/{slug}/questions"),
        ("get", "/api/v1/questions/track/{tracking_code}"),
        ("post", "/api/v1/questions/{question_id}/upvote"),
        ("get", "/api/v1/reasons"),
        ("get", "/api/v1/dialogues/{slug}/queue"),
        ("post", "/api/v1/dialogues/{slug}/status"),
        ("post", "/api/v1/dialogues/{slug}/reorder"),
        ("post", "/api/v1/dialogues/{slug}/off-air"),
        ("post", "/api/v1/questions/{question_id}/approve"),
        ("post", "/api/v1/questions/{question_id}/reject"),
        ("post", "/api/v1/questions/{question_id}/edit"),
        ("post", "/api/v1/questions/{question_id}/merge"),
        ("post", "/api/v1/questions/{question_id}/tag"),
        ("post", "/api/v1/questions/{question_id}/forward"),
        ("post", "/api/v1/questions/{question_id}/on-air"),
        ("post", "/api/v1/questions/{question_id}/mark-answered-live"),
        ("post", "/api/v1/questions/{question_id}/mark-written"),
        ("post", "/api/v1/questions/{question_id}/answers"),
    }
    present = {(m, p) for p, ops in paths.items() for m in ops}
    assert expected <= present
    for method, path in expected:
        operation = paths[path][method]
        assert operation.get("summary") and " / " in operation["summary"], path
        assert operation.get("description"), path
    staff = paths["/api/v1/questions/{question_id}/approve"]["post"]
    assert staff.get("security"), "staff endpoints declare the session cookie"
    assert "security" not in paths["/api/v1/dialogues/{slug}/questions"]["post"]
