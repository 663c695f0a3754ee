"""The JSON API of the live dialogues (mounted at /api/v1/ by consult/api.py).

Thin by design: each endpoint parses its input with a schema, calls one service or selector
and shapes the output. Visibility is decided by the selectors (public dicts never carry
contact details or pending items); the declared response schemas are a second fence, since
ninja drops every key a schema does not list. Domain errors become the JSON error shape in
consult/api.py.

Input schemas are strict on purpose: a JSON string where a boolean or a number is expected
("true", "3") is refused with 400 rather than silently coerced, so `consent` is only ever a
real `true`, and unknown keys are refused so a misspelt field never passes unnoticed. Text
lengths are checked by the services after NFC normalisation, not here, so a decomposed (NFD)
input is counted the way it is stored.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from consult import rules
from livechat import intake, selectors, services
from livechat.consumers import VOTER_COOKIE
from livechat.models import Dialogue
from livechat.rules import VIEW_STAFF_QUEUE
from moderation.selectors import reason_list_active

try:
    from ninja import Status
except ImportError:  # django-ninja before 1.7 takes a plain (status, body) tuple instead

    def Status(status_code: int, value: Any) -> Any:  # type: ignore[no-redef]  # same name as ninja's class
        return status_code, value


router = Router(tags=["dialogues"])

STAFF_TAGS = ["dialogues (staff)"]
# The browser token that makes a support count once per browser; nothing personal in it.
VOTER_COOKIE_MAX_AGE = 365 * 24 * 3600


# --- schemas ---------------------------------------------------------------------------------


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None
    current: dict[str, Any] | None = Field(
        None, description="409 only: the item's fresh state (staff view)."
    )


class ErrorOut(Schema):
    error: ErrorBody


class LeaderOut(Schema):
    id: int
    name: str
    title: str


class AnswerOut(Schema):
    id: int
    question_id: int
    leader: LeaderOut
    kind: str = Field(description="live | written")
    body: str
    created_at: dt.datetime


class QuestionPublicOut(Schema):
    id: int
    display_name: str
    locality: str
    body: str
    topic: str
    answer_state: str = Field(
        description="unanswered | answered_live | awaiting_written | answered_written"
    )
    upvote_count: int
    published_at: dt.datetime | None
    answers: list[AnswerOut]


class ReasonRef(Schema):
    id: int
    title: str


class QuestionStaffOut(QuestionPublicOut):
    asker_name: str
    publish_name: bool
    has_email: bool
    has_phone: bool
    status: str = Field(description="pending | published | rejected | merged")
    version: int = Field(description="Send it back as `version` for optimistic concurrency.")
    original_body: str
    position: int
    forwarded_to: LeaderOut | None
    rejection_reason: ReasonRef | None
    merged_into: int | None
    submitted_at: dt.datetime
    written_due_on: dt.date | None


class DialogueOut(Schema):
    id: int
    slug: str
    topic: str
    status: str = Field(description="announced | live | ended | archived (draft: staff only)")
    starts_at: dt.datetime
    ends_at: dt.datetime
    stream_url: str
    chair: LeaderOut
    participants: list[LeaderOut]
    on_air: int | None = Field(description="Id of the question being answered now.")
    accepts_questions: bool
    description: str = ""
    how_to_take_part: str = ""
    host_agency: str = ""
    url: str = ""


class DialogueSummaryOut(Schema):
    id: int
    slug: str
    topic: str
    description: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    chair: LeaderOut
    host_agency: str
    accepts_questions: bool
    url: str

    @staticmethod
    def resolve_host_agency(obj: Dialogue) -> str:
        return obj.host_agency.name

    @staticmethod
    def resolve_url(obj: Dialogue) -> str:
        return obj.get_absolute_url()


class DialoguePublicOut(Schema):
    seq: int = Field(
        description="Public event sequence number; open the WebSocket with ?after=<seq>."
    )
    dialogue: DialogueOut
    questions: list[QuestionPublicOut]


class DialogueStaffOut(Schema):
    seq: int = Field(description="Staff event sequence number for ?after=<seq>.")
    dialogue: DialogueOut
    questions: list[QuestionStaffOut]


class QuestionIn(StrictIn):
    asker_name: StrictStr
    locality: StrictStr
    email: StrictStr | None = Field(None, description="E-mail or phone (at least one).")
    phone: StrictStr | None = Field(None, description="E-mail or phone (at least one).")
    body: StrictStr
    consent: StrictBool = Field(
        description="Must be JSON true: consent to the processing of personal data."
    )
    publish_name: StrictBool = Field(False, description="Show the name publicly (opt-in).")
    request_id: StrictStr = Field(
        min_length=1,
        description="Chosen by the client (a UUID); a retry with the same value never creates "
        "a second question.",
    )


class SubmittedOut(Schema):
    id: int
    status: str
    tracking_code: str


class TrackingAnswerDialogue(Schema):
    slug: str
    topic: str


class TrackingReason(Schema):
    title: str
    explanation: str


class TrackingOut(Schema):
    tracking_code: str
    dialogue: TrackingAnswerDialogue
    status: str
    body: str
    submitted_at: dt.datetime
    answer_state: str
    written_due_on: dt.date | None
    answers: list[AnswerOut]
    merged_into: int | None
    rejection_reason: TrackingReason | None


class UpvoteOut(Schema):
    counted: bool = Field(description="False when this browser had already supported it.")
    upvote_count: int


class VersionIn(StrictIn):
    version: StrictInt | None = Field(
        None, description="The `version` the moderator saw; a stale one gives 409 + current."
    )


class RejectIn(VersionIn):
    reason_id: StrictInt = Field(description="An active rejection reason (GET /reasons).")
    note: StrictStr = ""


class EditIn(VersionIn):
    body: StrictStr


class MergeIn(VersionIn):
    source_ids: list[StrictInt] = Field(
        min_length=1, description="Duplicates merged into this question."
    )


class TagIn(VersionIn):
    topic: StrictStr = Field(description="Topic group; empty clears it.")


class ForwardIn(VersionIn):
    leader_id: StrictInt | None = Field(description="A leader of the dialogue; null withdraws.")


class ReorderIn(StrictIn):
    ordered_ids: list[StrictInt] = Field(min_length=1)


class ReorderOut(Schema):
    ordered_ids: list[int]


class OffAirOut(Schema):
    on_air: int | None


class AnswerIn(StrictIn):
    body: StrictStr
    leader_id: StrictInt | None = Field(
        None,
        description="Moderators must name the answering leader; a leader's (or secretary's) "
        "account answers for its own leader.",
    )
    request_id: StrictStr = Field("", description="Makes a retry return the first answer.")


class AnswerPostedOut(Schema):
    answer: AnswerOut
    question: QuestionStaffOut


class StatusIn(StrictIn):
    status: StrictStr = Field(description="draft | announced | live | ended | archived")


class ReasonOut(Schema):
    id: int
    code: str
    title: str
    explanation: str
    legal_basis: str


PUBLIC_ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut}
STAFF_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


def _dialogue_dict(dialogue: Dialogue) -> dict[str, Any]:
    return {
        **selectors.dialogue_to_dict(dialogue),
        "description": dialogue.description,
        "how_to_take_part": dialogue.how_to_take_part,
        "host_agency": dialogue.host_agency.name,
        "url": dialogue.get_absolute_url(),
    }


def _snapshot(dialogue: Dialogue, audience: str) -> dict[str, Any]:
    snapshot = selectors.snapshot_build(dialogue=dialogue, audience=audience)
    return {
        "seq": snapshot["seq"],
        "dialogue": {**_dialogue_dict(dialogue), **snapshot["dialogue"]},
        "questions": snapshot["questions"],
    }


def _version(payload: VersionIn | None) -> int | None:
    # Actions whose only input is the version accept an empty body too (e.g. `curl -X POST`).
    return payload.version if payload is not None else None


def _staff(question: Any) -> dict[str, Any]:
    return selectors.question_staff_dict(question)


# --- public ----------------------------------------------------------------------------------


@router.get(
    "/dialogues",
    response=list[DialogueSummaryOut],
    summary="Danh sách đối thoại trực tuyến / List of dialogues",
    description="Các cuộc đối thoại đã thông báo, đang diễn ra và đã kết thúc, mới nhất trước "
    "(`?page=`, `?page_size=` tối đa 100). — Announced, live and past dialogues, newest first.",
)
@paginate(PageNumberPagination, page_size=20, max_page_size=100)
def dialogue_list(request: HttpRequest) -> Any:
    return selectors.dialogue_list_public()


@router.get(
    "/dialogues/{slug}",
    response={200: DialoguePublicOut, **PUBLIC_ERRORS},
    summary="Chi tiết đối thoại và câu hỏi đã đăng / A dialogue with its published questions",
    description="Cuộc đối thoại, các câu hỏi đã được duyệt và câu trả lời; không bao giờ có câu "
    "hỏi chờ duyệt hay thông tin liên hệ. `seq` dùng để mở WebSocket với `?after=`. — The "
    "dialogue with its published questions and answers; never pending items or contact details.",
)
def dialogue_detail(request: HttpRequest, slug: str) -> Any:
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    return _snapshot(dialogue, selectors.PUBLIC)


@router.post(
    "/dialogues/{slug}/questions",
    response={
        201: SubmittedOut,
        200: SubmittedOut,
        409: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
        **PUBLIC_ERRORS,
    },
    summary="Gửi câu hỏi / Send a question",
    description="Công dân gửi câu hỏi khi cuộc đối thoại đã thông báo hoặc đang diễn ra; câu hỏi "
    "chờ Ban Biên tập duyệt. Cần `consent: true` và một `email` hoặc `phone`. Trả về 201 với mã "
    "theo dõi. Gửi lại cùng `request_id` (khi mạng chập chờn) trả về 200 với cùng câu hỏi, không "
    "tạo câu hỏi thứ hai. 409 `not_accepting` khi không nhận câu hỏi; 429 kèm `Retry-After`; 503 "
    "`busy` kèm `Retry-After` khi máy chủ đang nhận quá nhiều câu hỏi cùng lúc (chưa làm gì; gửi "
    "lại với cùng `request_id`). — "
    "A citizen's question (pending until a moderator approves it). A retry with the same "
    "`request_id` returns 200 with the same body (its current `status`) and creates nothing. "
    "503 `busy` with `Retry-After`: more questions are waiting than the server can commit now; "
    "nothing was done, send it again with the same `request_id`.",
)
async def question_submit(request: HttpRequest, slug: str, payload: QuestionIn) -> Any:
    # Asynchronous so that the questions arriving together commit as one batch (livechat.intake;
    # docs/performance.md); the fields are checked first, so an invalid one never waits.
    fields = services.question_fields_clean(
        asker_name=payload.asker_name,
        locality=payload.locality,
        email=payload.email or "",
        phone=payload.phone or "",
        body=payload.body,
        consent=payload.consent,
        publish_name=payload.publish_name,
        request_id=payload.request_id,
    )
    submission = services.QuestionSubmission(
        fields=fields,
        slug=slug,
        viewer=request.user,
        client_ip=request.META.get("REMOTE_ADDR", ""),
        language=translation.get_language(),
    )
    question, created = await intake.question_submit(submission)
    body = {"id": question.pk, "status": question.status, "tracking_code": question.tracking_code}
    return Status(201 if created else 200, body)


@router.get(
    "/questions/track/{tracking_code}",
    response={200: TrackingOut, **PUBLIC_ERRORS},
    summary="Theo dõi câu hỏi / Track a question",
    description="Người hỏi xem trạng thái câu hỏi của mình, lý do nếu bị từ chối, hạn trả lời "
    "bằng văn bản và câu trả lời (câu hỏi đã gộp hiển thị câu trả lời của câu hỏi được gộp vào). "
    "— The asker's own view: status, rejection reason, written-answer due date and answers.",
)
def question_track(request: HttpRequest, tracking_code: str) -> Any:
    question = selectors.question_get_by_tracking_code(code=tracking_code)
    return selectors.question_tracking_dict(question)


@router.post(
    "/questions/{question_id}/upvote",
    response={200: UpvoteOut, **PUBLIC_ERRORS},
    summary="Ủng hộ câu hỏi / Support a question",
    description="Mỗi trình duyệt được tính một lần (cookie `consult_voter`, được đặt nếu chưa "
    "có). — Counts once per browser (the `consult_voter` cookie, set when absent).",
)
def question_upvote(request: HttpRequest, question_id: int, response: HttpResponse) -> Any:
    token = request.COOKIES.get(VOTER_COOKIE, "")
    if not token:
        token = secrets.token_urlsafe(24)
        response.set_cookie(
            VOTER_COOKIE,
            token,
            max_age=VOTER_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    question, counted = services.question_upvote(
        question_id=question_id, voter_token=token, client_ip=request.META.get("REMOTE_ADDR", "")
    )
    return {"counted": counted, "upvote_count": question.upvote_count}


# --- staff -----------------------------------------------------------------------------------


@router.get(
    "/reasons",
    auth=django_auth,
    response={200: list[ReasonOut], 401: ErrorOut},
    tags=STAFF_TAGS,
    summary="Danh mục lý do từ chối / Rejection reasons",
    description="Các lý do từ chối đang dùng (theo quy định về nội dung bị cấm). — Active "
    "rejection reasons, for `reason_id`.",
)
def reason_list(request: HttpRequest) -> Any:
    return list(reason_list_active())


@router.get(
    "/dialogues/{slug}/queue",
    auth=django_auth,
    response={200: DialogueStaffOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Hàng đợi câu hỏi (cán bộ) / The staff queue",
    description="Mọi câu hỏi (chờ duyệt, đã đăng, bị từ chối; không gồm câu đã gộp) với "
    "`version` — Biên tập viên và lãnh đạo. — Every question with its `version`; moderators "
    "and leaders.",
)
def dialogue_queue(request: HttpRequest, slug: str) -> Any:
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, VIEW_STAFF_QUEUE, dialogue)
    return _snapshot(dialogue, selectors.STAFF)


@router.post(
    "/dialogues/{slug}/status",
    auth=django_auth,
    response={200: DialogueOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Chuyển trạng thái đối thoại / Change a dialogue's status",
    description="nháp → đã thông báo → đang diễn ra → đã kết thúc → lưu trữ (409 nếu không "
    "được phép). Biên tập viên. — Lifecycle transition; moderators.",
)
def dialogue_status(request: HttpRequest, slug: str, payload: StatusIn) -> Any:
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    services.dialogue_set_status(actor=request.user, dialogue_id=dialogue.pk, status=payload.status)
    return _dialogue_dict(selectors.dialogue_get(slug=slug, viewer=request.user))


@router.post(
    "/dialogues/{slug}/reorder",
    auth=django_auth,
    response={200: ReorderOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Sắp xếp hàng đợi / Reorder the queue",
    description="Các câu hỏi trong `ordered_ids` lên đầu theo thứ tự đó. Biên tập viên. — The "
    "given questions first, in that order; moderators.",
)
def dialogue_reorder(request: HttpRequest, slug: str, payload: ReorderIn) -> Any:
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    ids = services.question_reorder(
        actor=request.user, dialogue_id=dialogue.pk, ordered_ids=payload.ordered_ids
    )
    return {"ordered_ids": ids}


@router.post(
    "/dialogues/{slug}/off-air",
    auth=django_auth,
    response={200: OffAirOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Hạ câu hỏi khỏi sóng / Take the question off air",
    description="Biên tập viên. — Clears the question on air; moderators.",
)
def dialogue_off_air(request: HttpRequest, slug: str) -> Any:
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    services.question_take_off_air(actor=request.user, dialogue_id=dialogue.pk)
    return {"on_air": None}


def _question_action(path: str, *, summary: str, description: str) -> Any:
    return router.post(
        path,
        auth=django_auth,
        response={200: QuestionStaffOut, **STAFF_ERRORS},
        tags=STAFF_TAGS,
        summary=summary,
        description=description
        + " Gửi `version` đã thấy; 409 kèm `current` nếu người khác vừa xử lý. — Send the "
        "`version` you saw; 409 carries `current` when someone acted first.",
    )


@_question_action(
    "/questions/{question_id}/approve",
    summary="Duyệt câu hỏi / Approve",
    description="Đăng câu hỏi chờ duyệt. Biên tập viên.",
)
def question_approve(
    request: HttpRequest, question_id: int, payload: VersionIn | None = None
) -> Any:
    return _staff(
        services.question_approve(
            actor=request.user, question_id=question_id, expected_version=_version(payload)
        )
    )


@_question_action(
    "/questions/{question_id}/reject",
    summary="Từ chối câu hỏi / Reject",
    description="Từ chối (hoặc gỡ) câu hỏi với một lý do trong danh mục; người hỏi thấy lý do "
    "trên trang theo dõi. Biên tập viên.",
)
def question_reject(request: HttpRequest, question_id: int, payload: RejectIn) -> Any:
    return _staff(
        services.question_reject(
            actor=request.user,
            question_id=question_id,
            reason_id=payload.reason_id,
            note=payload.note,
            expected_version=payload.version,
        )
    )


@_question_action(
    "/questions/{question_id}/edit",
    summary="Sửa câu chữ / Edit the wording",
    description="Sửa lỗi chính tả hoặc bỏ thông tin cá nhân; bản gốc được giữ cho cán bộ. "
    "Biên tập viên.",
)
def question_edit(request: HttpRequest, question_id: int, payload: EditIn) -> Any:
    return _staff(
        services.question_edit(
            actor=request.user,
            question_id=question_id,
            body=payload.body,
            expected_version=payload.version,
        )
    )


@_question_action(
    "/questions/{question_id}/merge",
    summary="Gộp câu hỏi trùng / Merge duplicates",
    description="Gộp `source_ids` vào câu hỏi này: người hỏi vẫn theo dõi được, lượt ủng hộ "
    "được cộng (mỗi trình duyệt một lần). Biên tập viên.",
)
def question_merge(request: HttpRequest, question_id: int, payload: MergeIn) -> Any:
    return _staff(
        services.question_merge(
            actor=request.user,
            target_id=question_id,
            source_ids=payload.source_ids,
            expected_version=payload.version,
        )
    )


@_question_action(
    "/questions/{question_id}/tag",
    summary="Gắn nhóm chủ đề / Tag with a topic",
    description="Biên tập viên.",
)
def question_tag(request: HttpRequest, question_id: int, payload: TagIn) -> Any:
    return _staff(
        services.question_tag(
            actor=request.user,
            question_id=question_id,
            topic=payload.topic,
            expected_version=payload.version,
        )
    )


@_question_action(
    "/questions/{question_id}/forward",
    summary="Chuyển lãnh đạo / Forward to a leader",
    description="Chuyển câu hỏi đã đăng tới một lãnh đạo tham gia đối thoại (`leader_id: null` "
    "để rút lại). Biên tập viên.",
)
def question_forward(request: HttpRequest, question_id: int, payload: ForwardIn) -> Any:
    return _staff(
        services.question_forward(
            actor=request.user,
            question_id=question_id,
            leader_id=payload.leader_id,
            expected_version=payload.version,
        )
    )


@_question_action(
    "/questions/{question_id}/on-air",
    summary="Đưa lên sóng / Put on air",
    description="Câu hỏi đã đăng được lãnh đạo trả lời ngay bây giờ; chỉ khi đang diễn ra. "
    "Biên tập viên.",
)
def question_on_air(
    request: HttpRequest, question_id: int, payload: VersionIn | None = None
) -> Any:
    return _staff(
        services.question_put_on_air(
            actor=request.user, question_id=question_id, expected_version=_version(payload)
        )
    )


@_question_action(
    "/questions/{question_id}/mark-answered-live",
    summary="Đánh dấu đã trả lời trực tiếp / Mark answered live",
    description="Biên tập viên.",
)
def question_mark_answered_live(
    request: HttpRequest, question_id: int, payload: VersionIn | None = None
) -> Any:
    return _staff(
        services.question_mark_answered_live(
            actor=request.user, question_id=question_id, expected_version=_version(payload)
        )
    )


@_question_action(
    "/questions/{question_id}/mark-written",
    summary="Chuyển trả lời bằng văn bản / Mark for a written answer",
    description="Hạn trả lời: 15 ngày làm việc sau khi đối thoại kết thúc. Biên tập viên.",
)
def question_mark_written(
    request: HttpRequest, question_id: int, payload: VersionIn | None = None
) -> Any:
    return _staff(
        services.question_mark_written(
            actor=request.user, question_id=question_id, expected_version=_version(payload)
        )
    )


@router.post(
    "/questions/{question_id}/answers",
    auth=django_auth,
    response={201: AnswerPostedOut, **STAFF_ERRORS},
    tags=STAFF_TAGS,
    summary="Đăng câu trả lời / Post an answer",
    description="Lãnh đạo (hoặc thư ký, ghi nhận cho lãnh đạo) hay biên tập viên (phải chọn "
    "lãnh đạo) trả lời câu hỏi đã đăng: trực tiếp khi đang diễn ra, bằng văn bản sau đó. Gửi lại "
    "cùng `request_id` trả về câu trả lời đầu tiên (cùng `id`). — A leader's answer, live while "
    "the dialogue is live and written afterwards; a retry with the same `request_id` returns "
    "the first answer.",
)
def answer_post(request: HttpRequest, question_id: int, payload: AnswerIn) -> Any:
    answer = services.answer_post(
        actor=request.user,
        question_id=question_id,
        body=payload.body,
        leader_id=payload.leader_id,
        request_id=payload.request_id,
    )
    question = selectors.question_get(question_id=answer.question_id)
    return Status(201, {"answer": selectors.answer_to_dict(answer), "question": _staff(question)})
