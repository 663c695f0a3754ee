"""The web pages of the live dialogues: HTTP in and out only.

Every change goes through `livechat.services` (the same functions the JSON API and the socket
call); every read through `livechat.selectors` / `livechat.page_selectors`. Domain errors become
form messages here; the ones that escape (not found, not allowed) are rendered by
`consult.middleware.DomainErrorMiddleware`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from consult import rules
from consult.errors import Busy, Conflict, DomainError, Invalid, NotFound, TooMany
from consult.templatetags.consult_tags import iso, vn_time
from consult.text import fold
from livechat import exports, intake, page_selectors, selectors, services
from livechat.consumers import VOTER_COOKIE
from livechat.forms import QuestionForm, TrackForm
from livechat.models import Dialogue, Question
from livechat.rules import (
    EXPORT_TRANSCRIPT,
    MANAGE_DIALOGUE,
    MODERATE_QUESTION,
    PRESENT,
    VIEW_STAFF_QUEUE,
)
from livechat.templatetags.livechat_tags import answer_state_badge
from moderation.selectors import reason_list_active

VOTER_COOKIE_MAX_AGE = 365 * 24 * 3600
WS_PATH = "/ws/dialogues/{slug}/"


def _client_ip(request: HttpRequest) -> str:
    # The reverse proxy in front of daphne is expected to set REMOTE_ADDR to the client.
    return str(request.META.get("REMOTE_ADDR", ""))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_text(error: DomainError) -> str:
    """One message for a form-less action: the summary and each field's detail."""
    details = [str(m) for m in error.fields.values() if str(m) != error.message]
    return " ".join([error.message, *details])


def _answer_state_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Question.AnswerState.choices}


def _console_labels() -> dict[str, str]:
    """Texts the staff pages' script shows (it holds no Vietnamese of its own)."""
    return {
        "connecting": _("Đang kết nối để cập nhật trực tiếp…"),
        "connected": _("Đang cập nhật trực tiếp"),
        "retrying": _("Mất kết nối, đang thử kết nối lại…"),
        "submitted": _("Có câu hỏi mới chờ duyệt: %s"),
        "submitted_more": _("và %s câu hỏi khác"),
        "on_air": _("Câu hỏi %s vừa được đưa lên sóng"),
        "forwarded": _("Câu hỏi %s vừa được chuyển lãnh đạo"),
        "done": _("Đã thực hiện thao tác với câu hỏi %s."),
        "failed": _("Không thực hiện được thao tác. Vui lòng thử lại."),
    }


# --- public pages ----------------------------------------------------------------------------


def dialogue_list(request: HttpRequest) -> HttpResponse:
    """Live now, announced (how and when to take part), and past dialogues with transcripts."""
    groups = page_selectors.dialogue_list_public_grouped()
    past = Paginator(groups["past"], 10).get_page(request.GET.get("page"))
    return render(
        request,
        "livechat/dialogue_list.html",
        {"live": groups["live"], "announced": groups["announced"], "past": past},
    )


def _page_questions(questions: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    """The snapshot's questions with what the page shows of them already formatted (times,
    answer-state label and badge, the support form's address): done here once per question,
    the template engine spent most of a 2,000-question page on these filters and tags."""
    # One reverse() for the page; every question's address differs only by its id.
    upvote = reverse("livechat:question-upvote", args=[slug, 0])
    prefix, suffix = upvote.rsplit("/0/", 1)
    labels = _answer_state_labels()
    for q in questions:
        q["time_iso"], q["time_text"] = iso(q["published_at"]), vn_time(q["published_at"])
        q["state_label"] = labels.get(q["answer_state"], "")
        q["state_badge"] = answer_state_badge(q["answer_state"])
        q["upvote_url"] = f"{prefix}/{q['id']}/{suffix}"
    return questions


def _detail_context(dialogue: Dialogue) -> dict[str, Any]:
    snapshot = selectors.snapshot_build(dialogue=dialogue, audience=selectors.PUBLIC)
    questions = _page_questions(snapshot["questions"], dialogue.slug)
    on_air_id = snapshot["dialogue"]["on_air"]
    on_air = next((q for q in questions if q["id"] == on_air_id), None)
    return {
        "dialogue": dialogue,
        "seq": snapshot["seq"],
        "questions": questions,
        "on_air": on_air,
        "leaders": page_selectors.dialogue_leaders(dialogue),
        # Looked up once, not once per question (templates/livechat/_question.html).
        "question_text": {"support": _("Ủng hộ câu hỏi này"), "votes": _("lượt ủng hộ")},
        "ws_path": WS_PATH.format(slug=dialogue.slug),
        "retention_days": settings.CONSULT["CONTACT_RETENTION_DAYS"],
        "max_length": settings.CONSULT["QUESTION_MAX_LENGTH"],
        "live_labels": {
            "answer_state": _answer_state_labels(),
            "status": {value: str(label) for value, label in Dialogue.Status.choices},
            "text": {
                "live": _("Đang trực tiếp"),
                "connecting": _("Đang kết nối để cập nhật trực tiếp…"),
                "connected": _("Đang cập nhật trực tiếp"),
                "retrying": _("Mất kết nối, đang thử kết nối lại…"),
                "published": _("Câu hỏi mới được đăng: %s"),
                "answered": _("Có câu trả lời mới cho câu hỏi của %s"),
                "on_air": _("Câu hỏi đang được trả lời: %s"),
                "ended": _("Cuộc đối thoại đã kết thúc."),
                "kind_live": _("Trả lời trực tiếp"),
                "kind_written": _("Trả lời bằng văn bản"),
            },
        },
        # Empty shapes rendered into <template> elements, which the page's script fills in.
        "template_question": _page_questions(
            [
                {
                    "id": 0,
                    "display_name": "",
                    "locality": "",
                    "body": "",
                    "topic": "",
                    "answer_state": Question.AnswerState.UNANSWERED,
                    "upvote_count": 0,
                    "published_at": None,
                    "answers": [],
                }
            ],
            dialogue.slug,
        )[0],
        "template_answer": {
            "id": "",
            "leader": {"name": "", "title": ""},
            "kind": "live",
            "body": "",
            "created_at": None,
        },
    }


@require_http_methods(["GET", "HEAD", "POST"])
def dialogue_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public live page (the transcript once the dialogue is over) and its question form.

    A question POST is committed through the process's question queue (livechat.intake, as the
    API's) and redirects to the tracking page (PRG); the same
    `request_id` twice finds the first question, so a double submit creates nothing more.
    """
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    form = QuestionForm()
    form_error = ""
    status = 200
    retry_after: int | None = None
    if request.method == "POST":
        form = QuestionForm(request.POST)
        form.is_valid()  # only to set up the bound form; the service validates
        try:
            # Through the process's queue, so the questions sent together through the page and
            # the API commit together (livechat.intake).
            question, _created = intake.question_submit_blocking(
                services.QuestionSubmission(
                    fields=services.question_fields_clean(**form.service_kwargs()),
                    dialogue=dialogue,
                    client_ip=_client_ip(request),
                    language=translation.get_language(),
                )
            )
        except Invalid as exc:
            others = form.errors_attach(exc)
            form_error = " ".join([exc.message, *others])
            status = 400
        except (TooMany, Busy) as exc:
            form_error, status, retry_after = exc.message, exc.status, exc.retry_after
        except Conflict as exc:
            form_error, status = exc.message, 409
        else:
            messages.success(
                request,
                _("Câu hỏi của bạn đã được gửi và đang chờ Ban Biên tập xem xét."),
            )
            return redirect("livechat:track-detail", code=question.tracking_code)
    context = _detail_context(dialogue)
    context.update({"form": form, "form_error": form_error})
    response = render(request, "livechat/dialogue_detail.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def question_upvote(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    """Support a published question, once per browser (the `consult_voter` cookie).

    Works as a plain form (redirect back with a message) and for the page's script (JSON)."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    token = request.COOKIES.get(VOTER_COOKIE, "")
    new_token = not token
    if new_token:
        token = secrets.token_urlsafe(24)
    as_json = _wants_json(request)
    try:
        selectors.question_get(question_id=question_id, dialogue_id=dialogue.pk)
        question, counted = services.question_upvote(
            question_id=question_id, voter_token=token, client_ip=_client_ip(request)
        )
    except DomainError as exc:
        if not as_json:
            raise
        refused = JsonResponse(exc.as_dict(), status=exc.status)
        if getattr(exc, "retry_after", None):
            refused["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]  # TooMany
        return refused
    message = (
        _("Cảm ơn bạn đã ủng hộ câu hỏi này.")
        if counted
        else _("Bạn đã ủng hộ câu hỏi này trước đó; mỗi trình duyệt chỉ được tính một lần.")
    )
    if as_json:
        response: HttpResponse = JsonResponse(
            {"counted": counted, "upvote_count": question.upvote_count, "message": message}
        )
    else:
        messages.success(request, message)
        response = redirect(f"{dialogue.get_absolute_url()}#q-{question.pk}")
    if new_token:
        response.set_cookie(
            VOTER_COOKIE,
            token,
            max_age=VOTER_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def track_form(request: HttpRequest) -> HttpResponse:
    """Enter a tracking code (GET form, so it works from a bookmark too)."""
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = re.sub(r"[^A-Za-z0-9]", "", form.cleaned_data["code"]).upper()
        if code:
            return redirect("livechat:track-detail", code=code)
    return render(request, "livechat/track_form.html", {"form": form})


def _tracking_summary(data: dict[str, Any]) -> str:
    state = data["answer_state"]
    status = data["status"]
    if status == Question.Status.REJECTED:
        return _("Câu hỏi của bạn không được đăng.")
    if state == Question.AnswerState.AWAITING_WRITTEN:
        return _("Câu hỏi của bạn sẽ được trả lời bằng văn bản.")
    if state == Question.AnswerState.ANSWERED_LIVE:
        return _("Câu hỏi của bạn đã được trả lời trực tiếp trong buổi đối thoại.")
    if state == Question.AnswerState.ANSWERED_WRITTEN:
        return _("Câu hỏi của bạn đã được trả lời bằng văn bản.")
    if status == Question.Status.PENDING:
        return _("Câu hỏi của bạn đang chờ Ban Biên tập xem xét.")
    if status == Question.Status.MERGED:
        return _("Câu hỏi của bạn đã được gộp với một câu hỏi cùng nội dung, đang chờ trả lời.")
    return _("Câu hỏi của bạn đã được đăng công khai và đang chờ lãnh đạo trả lời.")


def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The asker's own view of their question: status, reason, answers. No contact details."""
    try:
        question = selectors.question_get_by_tracking_code(code=code)
    except NotFound as exc:
        form = TrackForm(initial={"code": code})
        return render(
            request,
            "livechat/track_form.html",
            {"form": form, "not_found": exc.message},
            status=404,
        )
    data = selectors.question_tracking_dict(question)
    response = render(
        request,
        "livechat/track_detail.html",
        {"t": data, "summary": _tracking_summary(data), "dialogue": question.dialogue},
    )
    # The code in the address is the asker's key: no shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


# --- staff: the overview and the lifecycle ---------------------------------------------------

# gettext_noop: marked for makemessages here, translated by _(label) in the view.
_LIFECYCLE_BUTTONS = {
    Dialogue.Status.DRAFT: [(Dialogue.Status.ANNOUNCED, gettext_noop("Thông báo"))],
    Dialogue.Status.ANNOUNCED: [
        (Dialogue.Status.LIVE, gettext_noop("Bắt đầu")),
        (Dialogue.Status.ENDED, gettext_noop("Kết thúc")),
    ],
    Dialogue.Status.LIVE: [(Dialogue.Status.ENDED, gettext_noop("Kết thúc"))],
    Dialogue.Status.ENDED: [(Dialogue.Status.ARCHIVED, gettext_noop("Lưu trữ"))],
    Dialogue.Status.ARCHIVED: [],
}


@login_required
def staff_dialogues(request: HttpRequest) -> HttpResponse:
    """Every dialogue with its counts, the staff links and the lifecycle buttons."""
    dialogues = page_selectors.dialogue_list_with_counts(viewer=request.user)
    can_manage = rules.has_perm(request.user, MANAGE_DIALOGUE)
    rows = [
        {
            "dialogue": d,
            "buttons": [
                {"status": s, "label": _(label), "ends": s == Dialogue.Status.ENDED}
                for s, label in _LIFECYCLE_BUTTONS[Dialogue.Status(d.status)]
            ]
            if can_manage
            else [],
        }
        for d in dialogues
    ]
    return render(
        request,
        "livechat/staff_dialogues.html",
        {
            "rows": rows,
            "can_manage": can_manage,
            "can_moderate": rules.has_perm(request.user, MODERATE_QUESTION),
            "can_export": rules.has_perm(request.user, EXPORT_TRANSCRIPT),
            "is_admin": request.user.is_staff,  # Django admin needs is_staff
        },
    )


@login_required
@require_POST
def dialogue_status(request: HttpRequest, slug: str) -> HttpResponse:
    """A lifecycle button; ending needs the confirmation box ticked."""
    rules.require(request.user, MANAGE_DIALOGUE)
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    status = request.POST.get("status", "")
    if status == Dialogue.Status.ENDED and request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Để kết thúc “%(topic)s”, hãy đánh dấu ô xác nhận rồi bấm “Kết thúc”.")
            % {"topic": dialogue.topic},
        )
        return redirect("livechat:staff-dialogues")
    try:
        dialogue = services.dialogue_set_status(
            actor=request.user, dialogue_id=dialogue.pk, status=status
        )
    except (Conflict, Invalid) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("“%(topic)s” đã chuyển sang trạng thái: %(status)s.")
            % {"topic": dialogue.topic, "status": dialogue.get_status_display()},
        )
    return redirect("livechat:staff-dialogues")


# --- staff: the moderator console ------------------------------------------------------------

_ACTION_DONE = {
    "approve": gettext_noop("Đã duyệt đăng câu hỏi #%(id)s."),
    "reject": gettext_noop("Đã từ chối câu hỏi #%(id)s."),
    "edit": gettext_noop("Đã sửa nội dung câu hỏi #%(id)s (bản gốc được lưu lại)."),
    "merge": gettext_noop("Đã gộp các câu hỏi trùng vào câu hỏi #%(id)s."),
    "tag": gettext_noop("Đã cập nhật nhóm chủ đề của câu hỏi #%(id)s."),
    "forward": gettext_noop("Đã cập nhật việc chuyển lãnh đạo cho câu hỏi #%(id)s."),
    "move_up": gettext_noop("Đã đưa câu hỏi #%(id)s lên trên."),
    "move_down": gettext_noop("Đã đưa câu hỏi #%(id)s xuống dưới."),
    "on_air": gettext_noop("Câu hỏi #%(id)s đang được trả lời trên sóng."),
    "off_air": gettext_noop("Đã đưa câu hỏi #%(id)s ra khỏi sóng."),
    "mark_answered_live": gettext_noop("Đã đánh dấu câu hỏi #%(id)s là đã trả lời trực tiếp."),
    "mark_written": gettext_noop("Câu hỏi #%(id)s sẽ được trả lời bằng văn bản."),
}


def _source_ids(raw: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;#]+", raw or "") if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise Invalid(
            _("Nhập số của các câu hỏi trùng, cách nhau bởi dấu phẩy (ví dụ: 12, 15)."),
            fields={"source_ids": _("Không hợp lệ.")},
        )
    return [int(p) for p in parts]


def _reorder(actor: Any, question: Question, direction: str, version: int | None) -> None:
    # question_reorder takes no expected version, so the console's stale-form guard is here.
    if version is not None and version != question.version:
        raise Conflict(
            _("Một biên tập viên khác vừa xử lý nội dung này. Trạng thái mới nhất đã được tải lại.")
        )
    neighbour = page_selectors.queue_neighbour(question=question, direction=direction)
    if neighbour is None:
        raise Conflict(
            _("Câu hỏi đã ở đầu hàng đợi.")
            if direction == "up"
            else _("Câu hỏi đã ở cuối hàng đợi.")
        )
    order = [question.pk, neighbour.pk] if direction == "up" else [neighbour.pk, question.pk]
    services.question_reorder(actor=actor, dialogue_id=question.dialogue_id, ordered_ids=order)


def _console_action(request: HttpRequest, dialogue: Dialogue) -> int:
    """Run one console form through its service; returns the question id acted on."""
    post = request.POST
    user = request.user
    action = post.get("action", "")
    if action not in _ACTION_DONE:
        raise Invalid(_("Thao tác không được hỗ trợ."))
    question = selectors.question_get(
        question_id=_int_or_none(post.get("question_id")) or 0, dialogue_id=dialogue.pk
    )
    qid = question.pk
    version = _int_or_none(post.get("version"))
    if action == "approve":
        services.question_approve(actor=user, question_id=qid, expected_version=version)
    elif action == "reject":
        services.question_reject(
            actor=user,
            question_id=qid,
            reason_id=post.get("reason") or None,
            note=post.get("note", "")[:1000],
            expected_version=version,
        )
    elif action == "edit":
        services.question_edit(
            actor=user, question_id=qid, body=post.get("body", ""), expected_version=version
        )
    elif action == "merge":
        services.question_merge(
            actor=user,
            target_id=qid,
            source_ids=_source_ids(post.get("source_ids", "")),
            expected_version=version,
        )
    elif action == "tag":
        services.question_tag(
            actor=user, question_id=qid, topic=post.get("topic", ""), expected_version=version
        )
    elif action == "forward":
        services.question_forward(
            actor=user, question_id=qid, leader_id=post.get("leader", ""), expected_version=version
        )
    elif action in ("move_up", "move_down"):
        rules.require(user, MODERATE_QUESTION, question)
        _reorder(user, question, "up" if action == "move_up" else "down", version)
    elif action == "on_air":
        services.question_put_on_air(actor=user, question_id=qid, expected_version=version)
    elif action == "off_air":
        services.question_take_off_air(actor=user, dialogue_id=dialogue.pk)
    elif action == "mark_answered_live":
        services.question_mark_answered_live(actor=user, question_id=qid, expected_version=version)
    elif action == "mark_written":
        services.question_mark_written(actor=user, question_id=qid, expected_version=version)
    messages.success(request, _(_ACTION_DONE[action]) % {"id": qid})
    return qid


# Cards per console column and page. A burst leaves thousands of questions pending; every card
# on one page made the console 12 MB and 2 s to render with 2,000, and the page's script fetches
# it again as questions arrive. The column's heading counts them all.
CONSOLE_PAGE_SIZE = 50


def _console_column(
    request: HttpRequest, key: str, title: str, questions: list[Question]
) -> dict[str, Any]:
    param = f"page_{key}"
    page = Paginator(questions, CONSOLE_PAGE_SIZE).get_page(request.GET.get(param))
    return {
        "key": key,
        "title": title,
        "total": len(questions),
        "questions": page.object_list,
        "page": page,
        "param": param,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def moderate(request: HttpRequest, slug: str) -> HttpResponse:
    """The moderator console: every question by column (CONSOLE_PAGE_SIZE cards per page), each action a real form carrying the
    question's version, so a stale form meets a conflict instead of undoing someone's work."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, VIEW_STAFF_QUEUE, dialogue)
    url = reverse("livechat:moderate", kwargs={"slug": dialogue.slug})
    if request.method == "POST":
        rules.require(request.user, MODERATE_QUESTION, dialogue)
        anchor = ""
        try:
            anchor = f"#q-{_console_action(request, dialogue)}"
        except (Conflict, Invalid) as exc:
            messages.error(request, _error_text(exc))
            qid = _int_or_none(request.POST.get("question_id"))
            anchor = f"#q-{qid}" if qid else ""
        except NotFound as exc:
            messages.error(request, exc.message)
        # Back to the same pages of the columns (the forms post to the page's own address).
        return redirect(url + (f"?{request.GET.urlencode()}" if request.GET else "") + anchor)
    seq = page_selectors.dialogue_staff_seq(dialogue_id=dialogue.pk)
    columns = page_selectors.console_columns(dialogue=dialogue, viewer=request.user)
    column_titles = {
        "pending": _("Chờ duyệt"),
        "published": _("Đã đăng"),
        "forwarded": _("Đã chuyển lãnh đạo"),
        "written": _("Sẽ trả lời bằng văn bản"),
        "rejected": _("Từ chối"),
    }
    return render(
        request,
        "livechat/moderate.html",
        {
            "dialogue": dialogue,
            "seq": seq,
            "columns": [
                _console_column(request, key, column_titles[key], columns[key])
                for key in page_selectors.CONSOLE_COLUMNS
            ],
            "can_moderate": rules.has_perm(request.user, MODERATE_QUESTION, dialogue),
            "reasons": list(reason_list_active()),
            "leaders": page_selectors.dialogue_leaders(dialogue),
            "topics": page_selectors.topic_list(dialogue=dialogue, viewer=request.user),
            "ws_path": WS_PATH.format(slug=dialogue.slug),
            "console_labels": _console_labels(),
            "audit_url": reverse("moderation:audit-log")
            + f"?kind=question&q={quote(dialogue.topic)}",
        },
    )


# --- staff: answering (presenter screen and written answers) ---------------------------------


def _answer_from_post(request: HttpRequest) -> dict[str, Any] | None:
    """Post an answer from a presenter or written-answer form. Returns None on success, or the
    error state to re-render with — it keeps what was typed, so nothing is lost."""
    post = request.POST
    qid = _int_or_none(post.get("question_id"))
    try:
        if qid is None:
            raise NotFound(_("Không tìm thấy câu hỏi."))
        services.answer_post(
            actor=request.user,
            question_id=qid,
            body=post.get("body", ""),
            leader_id=None if rules.is_leader(request.user) else post.get("leader", ""),
            request_id=post.get("request_id", ""),
        )
    except (Invalid, Conflict, NotFound) as exc:
        return {
            "question_id": qid,
            "message": _error_text(exc),
            "body": post.get("body", ""),
            "leader": post.get("leader", ""),
            "status": exc.status,
        }
    messages.success(request, _("Đã đăng câu trả lời cho câu hỏi #%(id)s.") % {"id": qid})
    return None


def _answering_context(request: HttpRequest, dialogue: Dialogue) -> dict[str, Any]:
    user = request.user
    is_leader = rules.is_leader(user)
    return {
        "dialogue": dialogue,
        "answering_as": getattr(user, "leader", None) if is_leader else None,
        "is_leader": is_leader,
        "leaders": page_selectors.dialogue_leaders(dialogue),
        "new_request_id": uuid.uuid4().hex,
        "console_labels": _console_labels(),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def present(request: HttpRequest, slug: str) -> HttpResponse:
    """The presenter screen for the room: the question on air, the leaders' queue, and the
    answer box (a leader's account answers for its leader; a moderator names the leader)."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, PRESENT, dialogue)
    failed = None
    if request.method == "POST":
        failed = _answer_from_post(request)
        if failed is None:
            return redirect(reverse("livechat:present", kwargs={"slug": dialogue.slug}))
    seq = page_selectors.dialogue_staff_seq(dialogue_id=dialogue.pk)
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    on_air = (
        selectors.question_get(question_id=dialogue.on_air_id, dialogue_id=dialogue.pk)
        if dialogue.on_air_id
        else None
    )
    queue = [
        q
        for q in selectors.question_list_forwarded(dialogue=dialogue, viewer=request.user)
        if on_air is None or q.pk != on_air.pk
    ]
    context = _answering_context(request, dialogue)
    context.update(
        {
            "seq": seq,
            "on_air": on_air,
            "queue": queue,
            "failed": failed,
            "ws_path": WS_PATH.format(slug=dialogue.slug),
        }
    )
    return render(
        request,
        "livechat/present.html",
        context,
        status=failed["status"] if failed else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def written(request: HttpRequest, slug: str) -> HttpResponse:
    """Questions to be answered in writing, with their due dates (overdue ones stand out),
    and an answer form each; after the dialogue ended the answer is recorded as written."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, VIEW_STAFF_QUEUE, dialogue)
    failed = None
    if request.method == "POST":
        failed = _answer_from_post(request)
        if failed is None:
            return redirect(reverse("livechat:written", kwargs={"slug": dialogue.slug}))
    today = timezone.localdate()
    questions = list(
        selectors.question_list_awaiting_written(dialogue=dialogue, viewer=request.user)
    )
    context = _answering_context(request, dialogue)
    context.update(
        {
            "items": [
                {
                    "question": q,
                    "overdue": bool(q.written_due_on and q.written_due_on < today),
                }
                for q in questions
            ],
            "failed": failed,
            "today": today,
        }
    )
    return render(
        request, "livechat/written.html", context, status=failed["status"] if failed else 200
    )


# --- staff: the transcript -------------------------------------------------------------------


def _content_disposition(title: str, fallback: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and a UTF-8 `filename*` for the rest."""
    clean = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", title).strip()[:120] or fallback
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", fold(fallback)).strip("-") or "bien-ban"
    return (
        f'attachment; filename="{ascii_name}.docx"; '
        f"filename*=UTF-8''{quote(clean + '.docx', safe='')}"
    )


@login_required
def transcript_docx(request: HttpRequest, slug: str) -> HttpResponse:
    """The dialogue's transcript as a Word document (staff)."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, EXPORT_TRANSCRIPT, dialogue)
    content = exports.transcript_docx(dialogue=dialogue)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = _content_disposition(
        _("Biên bản đối thoại - %(topic)s") % {"topic": dialogue.topic},
        f"bien-ban-{dialogue.slug}",
    )
    return response
