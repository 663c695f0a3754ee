"""The JSON API: public reads without pending comments or contacts, submission with 201 / 409,
staff actions behind a session."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

from drafts.models import Comment, Draft
from moderation.models import RejectionReason
from tests.drafts.conftest import COMMENT_INPUT, make_comment, make_draft


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def comment_url(draft):
    return f"/api/v1/drafts/{draft.slug}/comments"


def test_list_returns_published_drafts_with_phase(client, draft, agency):
    make_draft(agency, status=Draft.Status.DRAFT, title="Bí mật")
    body = client.get("/api/v1/drafts").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["slug"] == draft.slug and item["phase"] == "open"
    assert item["receiving_unit"]["email"] == draft.receiving_unit_email


def test_list_search_ignores_diacritics(client, agency):
    make_draft(agency, title="Kế hoạch phát triển du lịch Đồng Tháp")
    assert client.get("/api/v1/drafts", {"q": "dong thap"}).json()["count"] == 1
    assert client.get("/api/v1/drafts", {"q": "ha noi"}).json()["count"] == 0


def test_detail_has_structure_counts_and_only_published_comments(client, draft):
    make_comment(draft, number="2", status=Comment.Status.PUBLISHED, body="Đã đăng")
    make_comment(draft, number="2", body="Chờ duyệt")
    response = client.get(f"/api/v1/drafts/{draft.slug}")
    assert response.status_code == 200
    data = response.json()
    by_anchor = {n["anchor"]: n for n in data["nodes"]}
    assert by_anchor["dieu-2"]["comment_count"] == 1
    assert [c["body"] for c in data["comments"]] == ["Đã đăng"]
    assert data["comments"][0]["citation"] == "Điều 2"
    raw = response.content.decode()
    assert "an.nguyen@example.vn" not in raw and "0912345678" not in raw
    assert "Chờ duyệt" not in raw


def test_unpublished_draft_is_404_even_for_its_agency(client, agency, agency_staff):
    hidden = make_draft(agency, status=Draft.Status.DRAFT)
    client.force_login(agency_staff)
    response = client.get(f"/api/v1/drafts/{hidden.slug}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_citizen_can_submit_a_comment_on_an_article(client, draft):
    response = post(
        client, comment_url(draft), {**COMMENT_INPUT, "article": "3", "request_id": "a-1"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert Comment.objects.get(pk=body["id"]).article.number == "3"


def test_retry_with_the_same_request_id_returns_the_same_comment(client, draft):
    payload = {**COMMENT_INPUT, "request_id": "retry-7"}
    first = post(client, comment_url(draft), payload)
    second = post(client, comment_url(draft), payload)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Comment.objects.count() == 1


def test_comment_outside_the_period_is_409_period_closed(client, agency):
    closes = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    target = make_draft(agency, opens_at=closes - dt.timedelta(days=30), closes_at=closes)
    at_close = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=at_close):
        response = post(client, comment_url(target), COMMENT_INPUT)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "period_closed"
    just_before = at_close - dt.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=just_before):
        assert post(client, comment_url(target), COMMENT_INPUT).status_code == 201


def test_comment_without_consent_is_400_with_field(client, draft):
    response = post(client, comment_url(draft), {**COMMENT_INPUT, "consent": False})
    assert response.status_code == 400
    assert "consent" in response.json()["error"]["fields"]


def test_consent_must_be_a_real_boolean(client, draft):
    response = post(client, comment_url(draft), {**COMMENT_INPUT, "consent": "true"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_staff_list_needs_login_and_the_right_agency(client, draft, agency_staff, other_staff):
    make_comment(draft, body="Chờ duyệt")
    url = f"/api/v1/drafts/{draft.slug}/comments"
    assert client.get(url).status_code == 401
    client.force_login(other_staff)
    response = client.get(url)
    assert response.status_code == 404
    assert "Chờ duyệt" not in response.content.decode()
    client.force_login(agency_staff)
    data = client.get(url).json()
    assert data[0]["body"] == "Chờ duyệt" and data[0]["email"] == "an.nguyen@example.vn"


def test_moderator_can_approve_and_reject_over_the_api(client, draft, moderator):
    first = make_comment(draft)
    second = make_comment(draft)
    client.force_login(moderator)
    base = f"/api/v1/drafts/{draft.slug}/comments"
    response = post(client, f"{base}/{first.pk}/approve", {"version": 1})
    assert response.status_code == 200 and response.json()["status"] == "published"
    stale = post(client, f"{base}/{first.pk}/approve", {"version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["current"]["status"] == "published"
    reason = RejectionReason.objects.first()
    response = post(client, f"{base}/{second.pk}/reject", {"reason_id": reason.pk})
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_agency_staff_cannot_approve_over_the_api(client, draft, agency_staff):
    comment = make_comment(draft)
    client.force_login(agency_staff)
    response = post(client, f"/api/v1/drafts/{draft.slug}/comments/{comment.pk}/approve", {})
    assert response.status_code == 403


def test_agency_staff_can_set_a_disposition_over_the_api(client, draft, agency_staff):
    comment = make_comment(draft, status=Comment.Status.PUBLISHED)
    client.force_login(agency_staff)
    url = f"/api/v1/drafts/{draft.slug}/comments/{comment.pk}/disposition"
    response = post(client, url, {"disposition": "explained", "response": ""})
    assert response.status_code == 400 and "response" in response.json()["error"]["fields"]
    response = post(client, url, {"disposition": "explained", "response": "Giữ như dự thảo vì..."})
    assert response.status_code == 200 and response.json()["disposition"] == "explained"


def test_unknown_draft_is_404(client, db):
    assert post(client, "/api/v1/drafts/khong-co/comments", COMMENT_INPUT).status_code == 404


def test_openapi_lists_the_draft_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/drafts/{slug}/comments" in paths
    assert "/api/v1/drafts/{slug}/comments/{comment_id}/disposition" in paths


def test_comment_submitted_is_not_in_the_public_detail_until_approved(client, draft, moderator):
    body = post(client, comment_url(draft), {**COMMENT_INPUT, "article": "1"}).json()
    detail = client.get(f"/api/v1/drafts/{draft.slug}").json()
    assert detail["comments"] == []
    from drafts import services

    services.comment_approve(actor=moderator, comment_id=body["id"])
    detail = client.get(f"/api/v1/drafts/{draft.slug}").json()
    assert [c["id"] for c in detail["comments"]] == [body["id"]]
    # The name stays private: the commenter did not opt in to publishing it.
    assert detail["comments"][0]["author"] == "Người góp ý ẩn danh"
