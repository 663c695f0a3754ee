"""The JSON API of the consultation on drafts (mounted at /api/v1/ by consult/api.py).

Thin: each endpoint parses its input with a schema, calls one service or selector and shapes
the output. Public output comes from the public selectors (published comments only, never a
contact detail), and the declared response schemas are a second fence: ninja drops every key a
schema does not list. Domain errors become the JSON error shape in consult/api.py — a comment
outside the period is 409 `period_closed`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from consult.errors import NotFound
from drafts import selectors, services

try:
    from ninja import Status
except ImportError:  # django-ninja before 1.7 takes a plain (status, body) tuple instead

    def Status(status_code: int, value: Any) -> Any:  # type: ignore[no-redef]  # same name as ninja's class
        return status_code, value


router = Router(tags=["drafts"])
STAFF_TAGS = ["drafts (staff)"]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None
    current: dict[str, Any] | None = None
    opens_at: str | None = None
    closes_at: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


PUBLIC_ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut}
STAFF_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


class ReceivingUnitOut(Schema):
    name: str
    address: str
    email: str


class DraftSummaryOut(Schema):
    slug: str
    title: str
    kind: str
    agency: str
    sector: str
    summary: str
    phase: str = Field(description="upcoming | open | closed | reported")
    opens_at: dt.datetime
    closes_at: dt.datetime
    shortened_procedure: bool
    receiving_unit: ReceivingUnitOut
    report_published_at: dt.datetime | None


class NodeOut(Schema):
    kind: str = Field(
        description="preamble | part | chapter | section | article | clause | point | text"
    )
    number: str
    heading: str
    title: str
    body: str
    anchor: str
    citation: str
    depth: int
    comment_count: int = Field(description="Published comments on this article.")


class CommentPublicOut(Schema):
    id: int
    article: str = Field(description="Article number, empty for the draft as a whole.")
    citation: str
    commenter_type: str
    author: str
    body: str
    published_at: dt.datetime | None
    disposition: str
    response: str = Field(description="The agency's response, once its report is published.")


class AttachmentOut(Schema):
    id: int
    kind: str
    title: str
    content_type: str
    size: int


class DraftDetailOut(DraftSummaryOut):
    response_summary: str
    nodes: list[NodeOut]
    comments: list[CommentPublicOut]
    attachments: list[AttachmentOut]


class CommentIn(StrictIn):
    name: StrictStr
    commenter_type: StrictStr = Field(description="individual | organization | agency")
    organization: StrictStr | None = ""
    email: StrictStr | None = ""
    phone: StrictStr | None = ""
    article: StrictStr | StrictInt | None = Field(
        "", description='Article number ("5" = Điều 5), or empty for the whole draft.'
    )
    body: StrictStr
    consent: StrictBool
    publish_name: StrictBool = False
    request_id: StrictStr | None = ""


class SubmittedOut(Schema):
    id: int
    status: str


class CommentStaffOut(Schema):
    id: int
    draft: int
    article: str
    citation: str
    commenter_type: str
    name: str
    organization: str
    publish_name: bool
    body: str
    status: str
    rejection_reason: int | None
    channel: str
    received_on: str | None
    disposition: str
    response: str
    version: int
    submitted_at: str | None
    email: str | None = None
    phone: str | None = None


class VersionIn(StrictIn):
    version: StrictInt | None = None


class RejectIn(StrictIn):
    reason_id: StrictInt
    note: StrictStr = ""
    version: StrictInt | None = None


class DispositionIn(StrictIn):
    disposition: StrictStr = Field(description="accepted | partly | explained")
    response: StrictStr = ""
    version: StrictInt | None = None


# --- public ----------------------------------------------------------------------------------


@router.get(
    "/drafts",
    response=list[DraftSummaryOut],
    summary="Danh sách dự thảo / Drafts open for comment and past ones",
    description="Lọc theo `phase` (open, upcoming, closed, reported), `agency`, `sector`, `kind` "
    "(mã) và `q` (không phân biệt dấu). — Published drafts; filters by phase, agency, sector, "
    "kind codes and a diacritic-insensitive search.",
)
@paginate(PageNumberPagination, page_size=20, max_page_size=100)
def draft_list(
    request: HttpRequest,
    phase: str = "",
    agency: str = "",
    sector: str = "",
    kind: str = "",
    q: str = "",
) -> Any:
    drafts = selectors.draft_list_public(
        viewer=request.user, phase=phase, agency=agency, sector=sector, kind=kind, query=q[:200]
    )
    return [selectors.draft_public_dict(d) for d in drafts]


@router.get(
    "/drafts/{slug}",
    response={200: DraftDetailOut, **PUBLIC_ERRORS},
    summary="Dự thảo: cấu trúc và góp ý đã đăng / A draft with its structure and comments",
    description="Toàn văn theo cấu trúc (Phần, Chương, Mục, Điều, Khoản, Điểm) với số góp ý "
    "đã đăng của mỗi điều, và các góp ý đã đăng; không bao giờ có góp ý chờ duyệt hay thông tin "
    "liên hệ. — The structured text with per-article counts and published comments only.",
)
def draft_detail(request: HttpRequest, slug: str) -> Any:
    # The public view, whoever asks: an unpublished draft does not exist here.
    draft = selectors.draft_get(slug=slug, viewer=None)
    return selectors.draft_public_detail(draft=draft, viewer=None)


@router.post(
    "/drafts/{slug}/comments",
    response={201: SubmittedOut, 200: SubmittedOut, 409: ErrorOut, 429: ErrorOut, **PUBLIC_ERRORS},
    summary="Gửi góp ý / Send a comment",
    description='Góp ý cho một điều (`article`: "5") hoặc cả dự thảo (để trống). Cần '
    "`consent: true` và `email` hoặc `phone`; `organization` bắt buộc với tổ chức, cơ quan. "
    "Ngoài thời gian lấy ý kiến (giờ Việt Nam): 409 `period_closed`. Gửi lại cùng `request_id` "
    "trả về 200 với cùng góp ý. — 201 {id, status: pending}; 409 period_closed outside the "
    "period; a retry with the same request_id returns 200 and creates nothing.",
)
def comment_submit(request: HttpRequest, slug: str, payload: CommentIn) -> Any:
    draft = selectors.draft_get(slug=slug, viewer=None)
    comment, created = services.comment_submit(
        draft_id=draft.pk,
        name=payload.name,
        commenter_type=payload.commenter_type,
        organization=payload.organization or "",
        email=payload.email or "",
        phone=payload.phone or "",
        article="" if payload.article is None else payload.article,
        body=payload.body,
        consent=payload.consent,
        publish_name=payload.publish_name,
        request_id=payload.request_id or "",
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(201 if created else 200, {"id": comment.pk, "status": comment.status})


# --- staff -----------------------------------------------------------------------------------


@router.get(
    "/drafts/{slug}/comments",
    auth=django_auth,
    response={200: list[CommentStaffOut], **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Mọi góp ý của dự thảo (cán bộ) / Every comment (staff)",
    description="Cán bộ cơ quan soạn thảo, biên tập viên, quản trị: mọi góp ý kể cả chờ duyệt, "
    "với `version`; thông tin liên hệ chỉ cho người được phép. `status` lọc theo trạng thái.",
)
def comment_list(request: HttpRequest, slug: str, status: str = "") -> Any:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    comments = selectors.comment_list_for_staff(draft=draft, viewer=request.user, status=status)
    return [selectors.comment_staff_dict(c, viewer=request.user) for c in comments[:5000]]


def _comment_of(request: HttpRequest, slug: str, comment_id: int) -> Any:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    comment = selectors.comment_get_for_staff(comment_id=comment_id, viewer=request.user)
    if comment.draft_id != draft.pk:
        raise NotFound(_("Không tìm thấy góp ý."))
    return comment


def _fresh(request: HttpRequest, comment_id: int) -> dict[str, Any]:
    comment = selectors.comment_get_for_staff(comment_id=comment_id, viewer=request.user)
    return selectors.comment_staff_dict(comment, viewer=request.user)


@router.post(
    "/drafts/{slug}/comments/{comment_id}/approve",
    auth=django_auth,
    response={200: CommentStaffOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Duyệt góp ý / Approve a comment",
    description="Biên tập viên. 409 kèm `current` nếu người khác vừa xử lý (`version` cũ).",
)
def comment_approve(request: HttpRequest, slug: str, comment_id: int, payload: VersionIn) -> Any:
    comment = _comment_of(request, slug, comment_id)
    services.comment_approve(
        actor=request.user, comment_id=comment.pk, expected_version=payload.version
    )
    return _fresh(request, comment.pk)


@router.post(
    "/drafts/{slug}/comments/{comment_id}/reject",
    auth=django_auth,
    response={200: CommentStaffOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Từ chối góp ý / Reject a comment",
    description="Biên tập viên; `reason_id` từ danh mục lý do (GET /api/v1/reasons).",
)
def comment_reject(request: HttpRequest, slug: str, comment_id: int, payload: RejectIn) -> Any:
    comment = _comment_of(request, slug, comment_id)
    services.comment_reject(
        actor=request.user,
        comment_id=comment.pk,
        reason_id=payload.reason_id,
        note=payload.note,
        expected_version=payload.version,
    )
    return _fresh(request, comment.pk)


@router.post(
    "/drafts/{slug}/comments/{comment_id}/disposition",
    auth=django_auth,
    response={200: CommentStaffOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Tiếp thu, giải trình góp ý / Set a comment's disposition",
    description="Cán bộ cơ quan soạn thảo, biên tập viên: accepted | partly | explained và ý "
    "kiến tiếp thu, giải trình (bắt buộc với partly, explained).",
)
def comment_disposition(
    request: HttpRequest, slug: str, comment_id: int, payload: DispositionIn
) -> Any:
    comment = _comment_of(request, slug, comment_id)
    services.comment_set_disposition(
        actor=request.user,
        comment_id=comment.pk,
        disposition=payload.disposition,
        response=payload.response,
        expected_version=payload.version,
    )
    return _fresh(request, comment.pk)
