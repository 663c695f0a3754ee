"""Role × endpoint matrix over EVERY HTTP endpoint (pages and the JSON API), cell by cell.

Each row is one URL name and method (with a variant when the object matters, e.g. a draft
not yet published); each column one kind of visitor. Y = allowed (2xx/3xx, or a 400/409
that the visitor only reaches once permitted: the request passed the permission check and
was then refused on its content or state), N = refused (302 to the login page, 401, 403, or
404 for what this visitor may not know exists). A URL name without a row fails
`test_every_endpoint_has_a_row`, so nobody adds an endpoint without deciding who may use it.
The Django admin (`admin:*`) has its own permission system and is checked once: only the
administrator gets in.

One dataset per role (built once, then every row runs against it): a live dialogue with a
published and a pending question, a draft of agency A (the "own" agency) and one of agency B,
a hidden (unpublished) draft of agency A, a comment on each, an attachment on A's draft.
GETs run first, state changes after them, logging out last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from consult.models import Agency, Leader
from drafts.models import Comment, Draft, DraftAttachment, ExportJob
from livechat.consumers import VOTER_COOKIE
from moderation.models import RejectionReason
from tests.conftest import make_dialogue, make_user
from tests.drafts.conftest import make_comment, make_draft
from tests.livechat.test_services import publish, submit, unique_email, unique_ip

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "citizen",
    "moderator",
    "leader",
    "agency_staff_own",
    "agency_staff_other",
    "administrator",
)
Y, N = True, False
ALL = (Y, Y, Y, Y, Y, Y, Y)
STAFF = (N, N, Y, Y, Y, Y, Y)
MODERATORS = (N, N, Y, N, N, N, Y)  # moderators and administrators
LIVE_STAFF = (N, N, Y, Y, N, N, Y)  # moderators, leaders, administrators
DRAFT_STAFF = (N, N, Y, N, Y, N, Y)  # moderators, the draft's own agency, administrators
AGENCY_STAFF = (N, N, Y, N, Y, Y, Y)  # moderators, any agency's staff, administrators

# Columns in the order of ROLES:
#   anon  citizen  moderator  leader  staff-own-agency  staff-other-agency  administrator
MATRIX: dict[str, tuple[bool, ...]] = {
    # --- the site ---
    "home GET": ALL,
    "staff-home GET": STAFF,
    "login GET": ALL,
    "login POST": ALL,  # a wrong password is still an answer (the form again)
    "set_language POST": ALL,
    "text-size POST": ALL,
    "logout POST": ALL,  # logging out when logged out just lands on the home page
    # --- JSON API, public ---
    # ninja's bare root answers 404 to everyone: there is nothing at /api/v1/ itself.
    "api:api-root GET": (N, N, N, N, N, N, N),
    "api:openapi-json GET": ALL,
    "api:openapi-view GET": ALL,
    "api:dialogue_list GET": ALL,
    "api:dialogue_detail GET": ALL,
    "api:question_submit POST": ALL,
    "api:question_track GET": ALL,
    "api:question_upvote POST": ALL,
    "api:draft_list GET": ALL,
    "api:draft_detail GET": ALL,
    # The API is the public view, whoever asks: an unpublished draft does not exist there.
    "api:draft_detail GET [hidden draft]": (N, N, N, N, N, N, N),
    "api:comment_submit POST": ALL,
    # --- JSON API, staff ---
    "api:reason_list GET": STAFF,  # the legal list of grounds, for any staff account
    "api:dialogue_queue GET": LIVE_STAFF,
    "api:dialogue_status POST": MODERATORS,
    "api:dialogue_reorder POST": MODERATORS,
    "api:dialogue_off_air POST": MODERATORS,
    "api:question_approve POST": MODERATORS,
    "api:question_reject POST": MODERATORS,
    "api:question_edit POST": MODERATORS,
    "api:question_merge POST": MODERATORS,
    "api:question_tag POST": MODERATORS,
    "api:question_forward POST": MODERATORS,
    "api:question_on_air POST": MODERATORS,
    "api:question_mark_answered_live POST": MODERATORS,
    "api:question_mark_written POST": MODERATORS,
    "api:answer_post POST": LIVE_STAFF,
    "api:comment_list GET": DRAFT_STAFF,
    "api:comment_approve POST": MODERATORS,
    "api:comment_reject POST": MODERATORS,
    "api:comment_disposition POST": DRAFT_STAFF,
    # --- live dialogues ---
    "livechat:dialogue-list GET": ALL,
    "livechat:dialogue-feed-rss GET": ALL,
    "livechat:dialogue-feed-atom GET": ALL,
    "livechat:dialogue-detail GET": ALL,
    "livechat:dialogue-detail POST": ALL,  # a citizen's question
    "livechat:question-upvote POST": ALL,
    "livechat:moderate GET": LIVE_STAFF,  # leaders may follow the queue, read-only
    "livechat:moderate POST": MODERATORS,
    "livechat:present GET": LIVE_STAFF,
    "livechat:written GET": LIVE_STAFF,
    "livechat:written POST": LIVE_STAFF,
    "livechat:dialogue-status POST": MODERATORS,
    "livechat:transcript-docx GET": LIVE_STAFF,
    "livechat:track-form GET": ALL,
    "livechat:track-detail GET": ALL,
    "livechat:staff-dialogues GET": LIVE_STAFF,
    "livechat:live-counts GET": LIVE_STAFF,  # the console's and presenter's counters
    "livechat:dialogue-embed GET": MODERATORS,  # the <iframe> code for the portal
    # --- moderation ---
    "moderation:inbox GET": MODERATORS,
    "moderation:bulk-reject POST": MODERATORS,
    "moderation:item-decide POST": MODERATORS,
    "moderation:stats GET": MODERATORS,
    "moderation:audit-log GET": STAFF,
    "moderation:audit-export GET": (N, N, N, N, N, N, Y),
    # --- drafts ---
    "drafts:draft-list GET": ALL,
    "drafts:draft-feed-rss GET": ALL,
    "drafts:draft-feed-atom GET": ALL,
    "drafts:draft-detail GET": ALL,
    "drafts:draft-detail GET [hidden draft]": DRAFT_STAFF,
    "drafts:comment-submit POST": ALL,
    "drafts:comment-list GET": ALL,
    "drafts:comment-list GET [hidden draft]": DRAFT_STAFF,
    # The dataset's comment is pending: it has no public address, for anybody.
    "drafts:comment-permalink GET": (N, N, N, N, N, N, N),
    "drafts:attachment-download GET": ALL,
    "drafts:draft-export GET": DRAFT_STAFF,
    "drafts:draft-export GET [other agency's draft]": (N, N, Y, N, N, Y, Y),
    # Any agency's staff: each lists and creates its own agency's drafts.
    "drafts:staff-draft-list GET": AGENCY_STAFF,
    "drafts:staff-draft-create GET": AGENCY_STAFF,
    "drafts:staff-draft-create POST": AGENCY_STAFF,
    "drafts:staff-workspace GET": DRAFT_STAFF,
    "drafts:staff-workspace GET [other agency's draft]": (N, N, Y, N, N, Y, Y),
    "drafts:staff-draft-edit GET": DRAFT_STAFF,
    "drafts:staff-draft-edit POST": DRAFT_STAFF,
    "drafts:staff-import GET": DRAFT_STAFF,
    "drafts:staff-import POST": DRAFT_STAFF,
    "drafts:staff-attachments GET": DRAFT_STAFF,
    "drafts:staff-attachments POST": DRAFT_STAFF,
    "drafts:staff-attachment-remove POST": DRAFT_STAFF,
    "drafts:staff-publish POST": DRAFT_STAFF,
    "drafts:staff-comment-offline GET": DRAFT_STAFF,
    "drafts:staff-comment-offline POST": DRAFT_STAFF,
    "drafts:staff-comment-disposition POST": DRAFT_STAFF,
    "drafts:staff-comment-scan POST": DRAFT_STAFF,
    "drafts:staff-moderate GET": MODERATORS,
    "drafts:staff-comment-decide POST": MODERATORS,
    "drafts:staff-report GET": DRAFT_STAFF,
    "drafts:staff-embed GET": DRAFT_STAFF,
    "drafts:staff-export-jobs GET": DRAFT_STAFF,
    "drafts:staff-export-jobs POST": DRAFT_STAFF,
    # A prepared file belongs to whoever asked for it (here the own agency's staff member).
    "drafts:staff-export-job GET": (N, N, N, N, Y, N, N),
    "drafts:staff-export-job-download GET": (N, N, N, N, Y, N, N),
    # --- the Django admin, once (its own permissions cover the rest) ---
    "admin:index GET": (N, N, N, N, N, N, Y),
}


@dataclass
class Dataset:
    dialogue: Any
    published: Any
    pending: Any
    duplicate: Any
    draft: Draft
    other_draft: Draft
    hidden_draft: Draft
    comment: Comment
    other_comment: Comment
    attachment: DraftAttachment
    export_job: ExportJob
    reason: RejectionReason
    chair: Leader
    users: dict[str, Any]


def dataset_build() -> Dataset:
    agency = Agency.objects.create(code="ubnd", name="Ủy ban nhân dân tỉnh Bình An")
    other = Agency.objects.create(code="sxd", name="Sở Xây dựng tỉnh Bình An")
    chair = Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch", agency=agency)
    moderator = make_user("moderator")
    dialogue = make_dialogue(chair)
    published = publish(dialogue, moderator, email=unique_email(), client_ip=unique_ip())
    pending = submit(dialogue, email=unique_email(), client_ip=unique_ip())
    duplicate = submit(dialogue, email=unique_email(), client_ip=unique_ip())
    draft = make_draft(agency)
    other_draft = make_draft(other)
    hidden = make_draft(agency, status=Draft.Status.DRAFT)
    attachment = DraftAttachment(
        draft=draft,
        kind=DraftAttachment.Kind.ANNEX,
        title="Phụ lục",
        original_name="phu-luc.txt",
        content_type="text/plain",
        size=5,
    )
    attachment.file.save("phu-luc.txt", ContentFile(b"Phu luc"), save=True)
    # An offline comment with its scan (staff-comment-scan serves it).
    comment = make_comment(draft, number="1")
    comment.scan.save("gop-y.pdf", ContentFile(b"%PDF-1.4 scan"), save=True)
    users = {
        "moderator": moderator,
        "leader": make_user("leader", leader=chair),
        "agency_staff_own": make_user("agency_staff", agency=agency),
        "agency_staff_other": make_user("agency_staff", agency=other),
        "administrator": make_user("", is_superuser=True, is_staff=True),
    }
    export_job = ExportJob.objects.create(
        draft=draft,
        fmt="csv",
        requested_by=users["agency_staff_own"],
        status=ExportJob.Status.DONE,
    )
    export_job.file.save("gop-y.csv", ContentFile(b"STT,Noi dung\r\n"), save=True)
    return Dataset(
        dialogue=dialogue,
        published=published,
        pending=pending,
        duplicate=duplicate,
        draft=draft,
        other_draft=other_draft,
        hidden_draft=hidden,
        comment=comment,
        other_comment=make_comment(other_draft, number="1"),
        attachment=attachment,
        export_job=export_job,
        reason=RejectionReason.objects.filter(is_active=True).first(),
        chair=chair,
        users=users,
    )


# --- how each row is requested ------------------------------------------------------------------


def _kwargs(name: str, variant: str, ds: Dataset) -> dict[str, Any]:
    """Path parameters for a URL name, from the dataset."""
    draft = {"[hidden draft]": ds.hidden_draft, "[other agency's draft]": ds.other_draft}.get(
        variant, ds.draft
    )
    live = name.startswith("livechat:") or name.startswith("api:dialogue") or "question" in name
    slug = ds.dialogue.slug if live and "comment" not in name else draft.slug
    values = {
        "slug": slug,
        "question_id": ds.pending.pk if name.startswith("api:question_") else ds.published.pk,
        "tracking_code": ds.published.tracking_code,
        "code": ds.published.tracking_code,
        "comment_id": ds.comment.pk,
        "fmt": "csv",
        "kind": "question",
        "object_id": ds.pending.pk,
        "action": "approve",
    }
    if name in ("livechat:question-upvote", "api:question_upvote"):
        values["question_id"] = ds.published.pk
    if name in ("drafts:attachment-download", "drafts:staff-attachment-remove"):
        values["pk"] = ds.attachment.pk
    elif name in ("drafts:staff-export-job", "drafts:staff-export-job-download"):
        values["pk"] = ds.export_job.pk
    elif name.startswith("drafts:"):
        values["pk"] = ds.comment.pk
    return values


def _api_body(name: str, ds: Dataset) -> dict[str, Any] | None:
    """A valid JSON body, so a refusal can only come from the permission check."""
    return {
        "api:question_submit": {
            "asker_name": "Nguyễn Văn An",
            "locality": "Bình An",
            "email": unique_email(),
            "body": "Khi nào có kết quả bồi thường?",
            "consent": True,
            "request_id": unique_email(),
        },
        "api:comment_submit": {
            "name": "Trần Thị Bình",
            "commenter_type": "individual",
            "email": unique_email(),
            "body": "Đề nghị làm rõ thời hạn.",
            "consent": True,
        },
        "api:dialogue_status": {"status": "live"},
        "api:dialogue_reorder": {"ordered_ids": [ds.published.pk]},
        "api:question_approve": {},
        "api:question_reject": {"reason_id": ds.reason.pk},
        "api:question_edit": {"body": "Khi nào có kết quả bồi thường đất?"},
        "api:question_merge": {"source_ids": [ds.duplicate.pk]},
        "api:question_tag": {"topic": "Đất đai"},
        "api:question_forward": {"leader_id": ds.chair.pk},
        "api:question_on_air": {},
        "api:question_mark_answered_live": {},
        "api:question_mark_written": {},
        "api:answer_post": {"body": "Trả lời: trong tháng này."},
        "api:comment_approve": {},
        "api:comment_reject": {"reason_id": ds.reason.pk},
        "api:comment_disposition": {"disposition": "accepted", "response": "Tiếp thu."},
    }.get(name)


def _form_body(name: str, ds: Dataset) -> dict[str, Any]:
    return {
        "login": {"username": "khong-co", "password": "sai"},
        "set_language": {"language": "vi", "next": "/"},
        "text-size": {"change": "up", "next": "/"},
        "livechat:dialogue-detail": {
            "asker_name": "Nguyễn Văn An",
            "email": unique_email(),
            "body": "Khi nào có kết quả?",
            "consent": "on",
        },
        "livechat:dialogue-status": {"status": "live"},
        "moderation:bulk-reject": {"items": f"question:{ds.pending.pk}"},
        "drafts:comment-submit": {
            "name": "Trần Thị Bình",
            "commenter_type": "individual",
            "email": unique_email(),
            "body": "Đề nghị làm rõ.",
            "consent": "on",
            "article": "",
        },
        "livechat:written": {
            "question_id": ds.published.pk,
            "body": "Trả lời bằng văn bản.",
            "leader": ds.chair.pk,
        },
        # An unknown file type: refused after the permission check, starts no background job.
        "drafts:staff-export-jobs": {"file": "khong-co"},
        "drafts:staff-comment-disposition": {"disposition": "accepted", "response": "Tiếp thu."},
        "drafts:staff-comment-offline": {"name": "Sở Tư pháp", "body": "Góp ý bằng văn bản."},
    }.get(name, {})


def _row(key: str) -> tuple[str, str, str]:
    name, method, *rest = key.split(" ", 2)
    return name, method, rest[0] if rest else ""


def _order(key: str) -> tuple[int, str]:
    name, method, _variant = _row(key)
    if name == "logout":
        return (3, key)
    if name in ("drafts:staff-attachment-remove", "drafts:staff-publish"):
        return (2, key)  # they change what later rows look at
    return (0 if method == "GET" else 1, key)


def request_row(client: Client, key: str, ds: Dataset) -> Any:
    name, method, variant = _row(key)
    wanted = _url_params()[name]
    kwargs = {k: v for k, v in _kwargs(name, variant, ds).items() if k in wanted}
    url = reverse(name, kwargs=kwargs)
    extra = {"REMOTE_ADDR": unique_ip()}
    if method == "GET":
        return client.get(url, **extra)
    if name.startswith("api:"):
        body = _api_body(name, ds)
        data = "" if body is None else json.dumps(body)
        return client.post(url, data, content_type="application/json", **extra)
    return client.post(url, _form_body(name, ds), **extra)


def is_refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    # The login page: ours, or the admin's own for the Django admin.
    return response.status_code == 302 and "/login/" in response["Location"]


def is_allowed(response: Any) -> bool:
    # 400 and 409 come after the permission check: the content or the state was refused.
    return 200 <= response.status_code < 400 or response.status_code in (400, 409)


def client_for(role: str, ds: Dataset) -> Client:
    # A crash is a wrong cell (500), reported with the others rather than stopping the walk.
    client = Client(raise_request_exception=False)
    if role == "citizen":
        client.cookies[VOTER_COOKIE] = "trinh-duyet-cua-cong-dan-0001"
    elif role != "anonymous":
        client.force_login(ds.users[role])
    return client


# --- the tests -------------------------------------------------------------------------------


def _url_params() -> dict[str, set[str]]:
    """Every named URL with the names of its path parameters."""
    found: dict[str, set[str]] = {}

    def walk(patterns: list[Any], namespace: str, params: set[str]) -> None:
        for p in patterns:
            here = params | set(getattr(p.pattern, "converters", {}))
            if isinstance(p, URLResolver):
                ns = p.namespace or ""
                walk(p.url_patterns, f"{namespace}:{ns}".strip(":") if ns else namespace, here)
            elif isinstance(p, URLPattern) and p.name:
                found[f"{namespace}:{p.name}" if namespace else p.name] = here

    walk(get_resolver().url_patterns, "", set())
    return found


def _url_names() -> set[str]:
    return set(_url_params())


def test_every_endpoint_has_a_row():
    covered = {_row(key)[0] for key in MATRIX}
    missing = {n for n in _url_names() if not n.startswith("admin:")} - covered
    assert missing == set(), "add rows to MATRIX for each new endpoint"
    stale = covered - _url_names()
    assert stale == set(), "MATRIX names endpoints that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_the_endpoints_of_the_matrix(role: str, settings: Any) -> None:
    settings.CONSULT = {**settings.CONSULT, "LOGIN_POSTS_PER_IP_PER_HOUR": 10_000}
    ds = dataset_build()
    client = client_for(role, ds)
    column = ROLES.index(role)
    wrong: list[str] = []
    for key in sorted(MATRIX, key=_order):
        response = request_row(client, key, ds)
        expected = MATRIX[key][column]
        if expected and not is_allowed(response):
            wrong.append(f"{key}: expected allowed, got {response.status_code}")
        elif not expected and not is_refused(response):
            wrong.append(f"{key}: expected refused, got {response.status_code}")
    assert wrong == []


def test_refused_state_changes_change_nothing() -> None:
    """A refused moderation action leaves the question as it was (and the anonymous,
    citizen and agency-staff columns above refuse every one of them)."""
    ds = dataset_build()
    before = (ds.pending.status, ds.pending.version, ds.pending.body)
    client = client_for("agency_staff_other", ds)
    for key in MATRIX:
        name, method, _variant = _row(key)
        public = ("api:question_submit", "api:question_upvote", "api:question_track")
        if method == "POST" and name.startswith("api:question_") and name not in public:
            assert is_refused(request_row(client, key, ds)), key
    ds.pending.refresh_from_db()
    assert (ds.pending.status, ds.pending.version, ds.pending.body) == before
