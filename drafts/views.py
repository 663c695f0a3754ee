"""The web pages of the consultation on drafts: HTTP in and out only.

Every change goes through `drafts.services`, every read through `drafts.selectors`. Domain
errors become form messages here; those that escape (not found, not allowed) are rendered by
`consult.middleware.DomainErrorMiddleware`. Every form works without JavaScript.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consult import rules
from consult.errors import Conflict, DomainError, Invalid, NotFound, PeriodClosed, TooLarge
from consult.models import Agency, User
from consult.templatetags.consult_tags import vn_time
from drafts import attachments as files
from drafts import selectors, services
from drafts.forms import (
    DATETIME_FORMAT,
    AttachmentForm,
    CommentForm,
    DraftForm,
    ImportForm,
    OfflineCommentForm,
    ReportForm,
)
from drafts.models import Comment, DocumentKind, Draft, DraftAttachment, DraftNode, Sector
from drafts.rules import MANAGE_DRAFT, VIEW_CONTACTS
from moderation.selectors import reason_list_active

PAGE_SIZE = 20


def _client_ip(request: HttpRequest) -> str:
    # The reverse proxy in front of the app is expected to set REMOTE_ADDR to the client.
    return str(request.META.get("REMOTE_ADDR", ""))


def _error_text(error: DomainError) -> str:
    details = [str(m) for m in error.fields.values() if str(m) != error.message]
    return " ".join([error.message, *details])


def _staff_url(draft: Draft, name: str = "staff-workspace", **kwargs: Any) -> str:
    return reverse(f"drafts:{name}", kwargs={"slug": draft.slug, **kwargs})


# --- public pages ----------------------------------------------------------------------------

PHASE_TABS = [
    ("", "Tất cả"),
    ("open", "Đang lấy ý kiến"),
    ("upcoming", "Sắp lấy ý kiến"),
    ("closed", "Đã hết hạn góp ý"),
    ("reported", "Đã công bố kết quả"),
]


def draft_list(request: HttpRequest) -> HttpResponse:
    """Drafts open for comment, upcoming, closed and with their report published; filters by
    agency, field and kind; search that ignores diacritics."""
    params = {
        "phase": request.GET.get("phase", ""),
        "agency": request.GET.get("agency", "")[:40],
        "sector": request.GET.get("sector", "")[:40],
        "kind": request.GET.get("kind", "")[:40],
        "q": request.GET.get("q", "").strip()[:200],
    }
    if params["phase"] not in selectors.PHASES:
        params["phase"] = ""
    drafts = selectors.draft_list_public(
        viewer=request.user,
        phase=params["phase"],
        agency=params["agency"],
        sector=params["sector"],
        kind=params["kind"],
        query=params["q"],
    )
    page = Paginator(drafts, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = urlencode({k: v for k, v in params.items() if v})
    return render(
        request,
        "drafts/draft_list.html",
        {
            "page": page,
            "params": params,
            "keep": keep,
            "phase_tabs": [(value, _(label)) for value, label in PHASE_TABS],
            "agencies": Agency.objects.filter(drafts__status=Draft.Status.PUBLISHED).distinct(),
            "sectors": Sector.objects.all(),
            "kinds": DocumentKind.objects.all(),
            "filtered": any(params[k] for k in ("agency", "sector", "kind", "q")),
        },
    )


TEXT_CACHE_SECONDS = 24 * 3600
# What the key cannot see (an edit in the Django admin, which bypasses `version`) shows within
# this time.
SECTION_CACHE_SECONDS = 10 * 60
_NODE_TEMPLATE = "drafts/_text_node.html"
_LABEL_TEMPLATE = "drafts/_outline_label.html"


def _text_digest(draft: Draft, text: list[selectors.TextNode]) -> str:
    """A digest of what a draft's text shows (its nodes), for cache keys: a draft's text changes
    only when it is imported again."""
    digest = hashlib.blake2b(f"{draft.pk}\x1f{draft.slug}\x1e".encode(), digest_size=16)
    for item in text:
        n = item.node
        for value in (n.pk, n.kind, n.depth, n.number, n.heading, n.title, n.citation, n.anchor):
            digest.update(f"{value}\x1f".encode())
        digest.update(n.body.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _text_fragments(
    draft: Draft, text: list[selectors.TextNode], digest: str
) -> list[tuple[str, str]]:
    """The rendered HTML and outline link of every node of a draft's text, cached under the
    text's digest: rendering 500 articles through the template engine cost most of the page's
    time. The fragments depend on nothing else (no request, language or comment)."""
    key = f"drafts:text:{draft.pk}:{digest}"
    fragments: list[tuple[str, str]] | None = cache.get(key)
    if fragments is None or len(fragments) != len(text):
        node_template = get_template(_NODE_TEMPLATE)
        label_template = get_template(_LABEL_TEMPLATE)
        fragments = [
            (
                node_template.render({"node": item.node}).strip(),
                label_template.render({"node": item.node}).strip(),
            )
            for item in text
        ]
        cache.set(key, fragments, TEXT_CACHE_SECONDS)
    # Rendered here from escaped templates: safe to output as they are.
    return [(mark_safe(html), mark_safe(label)) for html, label in fragments]  # noqa: S308  # nosec B308 B703


def _previews_html(previews: list[dict[str, Any]], list_url: str, read_more: str) -> SafeString:
    """The <li> of each comment preview (drafts.selectors._latest_per_article), built here with
    format_html rather than a template: 1,000 previews on a 500-article draft cost half of the
    page's time through the template engine. `list_url` + "<id>/" is a comment's permalink."""
    return format_html_join(
        "\n",
        '<li class="comment" id="gy-{}"><p class="comment-meta"><strong>{}</strong> '
        '<span class="muted">· {} · {}</span></p><div class="comment-body">{}{}</div></li>',
        (
            (
                str(p["id"]),
                p["author"],
                p["type_label"],
                vn_time(p["published_at"]),
                linebreaksbr(p["preview"], autoescape=True),
                format_html(' <a href="{}{}/">{}</a>', list_url, p["id"], read_more)
                if p["truncated"]
                else "",
            )
            for p in previews
        ),
    )


def _text_section(draft: Draft, context: dict[str, Any]) -> SafeString:
    """The outline, the text with each article's count and comment previews, and the general
    comments (templates/drafts/_draft_text.html), cached under everything they show: the
    text's digest, the published comments' fingerprint (any publication, take-down or edit
    changes it), the phase and the language. A popular draft is read far more often than it
    is commented on; a miss costs one more query and the rendering."""
    digest = _text_digest(draft, context["text"])
    key = ":".join(
        (
            "drafts:section",
            str(draft.pk),
            digest,
            context["comments_fingerprint"],
            context["phase"],
            "open" if context["is_open"] else "shut",
            translation.get_language() or "",
        )
    )
    html: str | None = cache.get(key)
    if html is None:
        selectors.draft_page_previews(draft=draft, page=context)
        list_url = reverse("drafts:comment-list", args=[draft.slug])
        read_more = _("Đọc toàn văn")
        for item, (node_html, label) in zip(
            context["text"], _text_fragments(draft, context["text"], digest), strict=True
        ):
            item.html = node_html
            item.label = label
            if item.comments:
                item.previews_html = _previews_html(item.comments, list_url, read_more)
        html = render_to_string(
            "drafts/_draft_text.html",
            {
                **context,
                "list_url": list_url,
                "general_html": _previews_html(context["general_comments"], list_url, read_more),
            },
        )
        cache.set(key, html, SECTION_CACHE_SECONDS)
    # Rendered above from an escaped template: safe to output as it is.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


def _detail_render(
    request: HttpRequest,
    draft: Draft,
    *,
    form: CommentForm | None = None,
    form_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = selectors.draft_page(draft=draft, viewer=request.user, previews=False)
    context["text_section"] = _text_section(draft, context)
    if form is None:
        initial = {}
        article = request.GET.get("article", "")
        if any(a.anchor == article for a in context["articles"]):
            initial["article"] = article
        form = CommentForm(initial=initial, articles=context["articles"])
    context.update({"form": form, "form_error": form_error})
    return render(request, "drafts/draft_detail.html", context, status=status)


def draft_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A draft's page: summary, deadline and time left, receiving unit, attachments, outline,
    the structured text with comment counts, published comments, and the comment form."""
    draft = selectors.draft_get(slug=slug, viewer=request.user)
    return _detail_render(request, draft)


@require_http_methods(["GET", "HEAD"])
def comment_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The published comments of one article (?article=<anchor>), of the draft as a whole
    (?article=general) or all of them, COMMENTS_PER_PAGE a page, oldest first."""
    draft = selectors.draft_get(slug=slug, viewer=request.user)
    article = request.GET.get("article", "")[:100]
    listing = selectors.comment_list_public(draft=draft, article=article)
    page = Paginator(listing["comments"], selectors.COMMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "drafts/comment_list.html",
        {
            "draft": draft,
            "article": listing["article"],
            "scope": listing["scope"],
            "page": page,
            "keep": urlencode({"article": article}) if article else "",
            "is_open": draft.status == Draft.Status.PUBLISHED
            and draft.phase_at() == Draft.Phase.OPEN,
        },
    )


@require_http_methods(["GET", "HEAD"])
def comment_permalink(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A published comment's lasting address (the author's e-mail links to it): a redirect to
    the page of its article's list that shows it."""
    draft = selectors.draft_get(slug=slug, viewer=request.user)
    article, number = selectors.comment_public_locate(draft=draft, comment_id=pk)
    query = urlencode({"article": article, "page": number})
    return redirect(f"{reverse('drafts:comment-list', args=[draft.slug])}?{query}#gy-{pk}")


@require_POST
def comment_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """The comment form's target. The period is checked by the service, whatever the page
    showed when it was loaded."""
    draft = selectors.draft_get(slug=slug, viewer=request.user)
    articles = list(
        DraftNode.objects.filter(draft=draft, kind=DraftNode.Kind.ARTICLE).order_by("position")
    )
    form = CommentForm(request.POST, articles=articles)
    try:
        _comment, _created = services.comment_submit(
            draft_id=draft.pk, client_ip=_client_ip(request), **form.service_kwargs()
        )
    except PeriodClosed as exc:
        return _detail_render(request, draft, form=form, form_error=exc.message, status=409)
    except Invalid as exc:
        others = form.errors_attach(exc)
        message = " ".join([exc.message, *others])
        return _detail_render(request, draft, form=form, form_error=message, status=400)
    messages.success(
        request,
        _(
            "Cảm ơn bạn đã góp ý. Góp ý sẽ được đăng sau khi Ban Biên tập xem xét và được "
            "chuyển tới cơ quan soạn thảo."
        ),
    )
    return redirect(f"{draft.get_absolute_url()}#gop-y")


def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """Download a draft's file under its Vietnamese title (RFC 6266 header with an ASCII
    fallback). Published drafts: anyone; others: those who manage them."""
    draft = selectors.draft_get(slug=slug, viewer=request.user)
    attachment = DraftAttachment.objects.filter(draft=draft, pk=pk).first()
    if attachment is None:
        raise NotFound(_("Không tìm thấy tài liệu."))
    extension = attachment.file.name.rsplit(".", 1)[-1]
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = files.content_disposition(
        files.download_name(attachment.title, extension)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff: drafts ---------------------------------------------------------------------------


@login_required
def staff_draft_list(request: HttpRequest) -> HttpResponse:
    """The drafts the user may manage, with their pending comments."""
    rules.require(request.user, MANAGE_DRAFT)
    query = request.GET.get("q", "").strip()[:200]
    drafts = selectors.draft_list_manageable(viewer=request.user, query=query)
    page = Paginator(drafts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "drafts/staff_draft_list.html",
        {"page": page, "query": query, "keep": urlencode({"q": query}) if query else ""},
    )


def _agency_choices(user: Any) -> Any:
    if rules.is_moderator(user):
        return Agency.objects.all()
    return Agency.objects.filter(pk=user.agency_id)


@login_required
@require_http_methods(["GET", "POST"])
def staff_draft_create(request: HttpRequest) -> HttpResponse:
    rules.require(request.user, MANAGE_DRAFT)
    agencies = _agency_choices(request.user)
    form_error = ""
    if request.method == "POST":
        form = DraftForm(request.POST, agencies=agencies)
        try:
            draft = services.draft_create(actor=request.user, **form.service_kwargs())
        except Invalid as exc:
            form_error = " ".join([exc.message, *form.errors_attach(exc)])
        else:
            messages.success(
                request,
                _(
                    "Đã tạo dự thảo. Bước tiếp theo: nhập toàn văn hoặc đính kèm tệp, rồi công khai."
                ),
            )
            return redirect(_staff_url(draft, "staff-import"))
    else:
        user = request.user  # a staff account: login_required and MANAGE_DRAFT above
        agency_id = user.agency_id if isinstance(user, User) else None
        initial = {"agency": agency_id} if agency_id else {}
        form = DraftForm(initial=initial, agencies=agencies)
    return render(
        request,
        "drafts/staff_draft_form.html",
        {"form": form, "form_error": form_error, "draft": None},
        status=400 if form_error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_draft_edit(request: HttpRequest, slug: str) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    agencies = _agency_choices(request.user)
    form_error = ""
    if request.method == "POST":
        form = DraftForm(request.POST, agencies=agencies)
        try:
            services.draft_update(actor=request.user, draft_id=draft.pk, **form.service_kwargs())
        except Invalid as exc:
            form_error = " ".join([exc.message, *form.errors_attach(exc)])
        else:
            messages.success(request, _("Đã lưu thay đổi."))
            return redirect(_staff_url(draft))
    else:
        initial = {name: getattr(draft, name) for name in DraftForm.FIELDS}
        initial["opens_at"] = services.local(draft.opens_at).strftime(DATETIME_FORMAT)
        initial["closes_at"] = services.local(draft.closes_at).strftime(DATETIME_FORMAT)
        form = DraftForm(initial=initial, agencies=agencies)
    return render(
        request,
        "drafts/staff_draft_form.html",
        {"form": form, "form_error": form_error, "draft": draft},
        status=400 if form_error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_draft_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload the text to import; shows the importer's warnings afterwards."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    form_error = ""
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                draft = services.draft_import_text(
                    actor=request.user, draft_id=draft.pk, upload=upload, filename=upload.name
                )
            except (Invalid, Conflict, TooLarge) as exc:
                form_error, status = _error_text(exc), exc.status
            else:
                articles = draft.nodes.filter(kind=DraftNode.Kind.ARTICLE).count()
                messages.success(
                    request,
                    _("Đã nhập toàn văn: %(articles)s điều, %(warnings)s điểm cần kiểm tra.")
                    % {"articles": articles, "warnings": len(draft.import_warnings)},
                )
                return redirect(_staff_url(draft, "staff-import"))
        else:
            form_error, status = _("Vui lòng chọn tệp để tải lên."), 400
    else:
        form = ImportForm()
    nodes = list(draft.nodes.only("kind", "citation", "anchor", "title", "depth", "number"))
    return render(
        request,
        "drafts/staff_import.html",
        {
            "draft": draft,
            "form": form,
            "form_error": form_error,
            "nodes": [n for n in nodes if n.kind in selectors.OUTLINE_KINDS],
            "article_count": sum(1 for n in nodes if n.kind == DraftNode.Kind.ARTICLE),
            "node_count": len(nodes),
            "has_article_comments": draft.comments.filter(article__isnull=False).exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_attachments(request: HttpRequest, slug: str) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    form_error = ""
    status = 200
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        upload = request.FILES.get("file")
        try:
            services.attachment_add(
                actor=request.user,
                draft_id=draft.pk,
                kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""),
                upload=upload,
            )
        except (Invalid, TooLarge) as exc:
            form_error, status = " ".join([exc.message, *form.errors_attach(exc)]), exc.status
        else:
            messages.success(request, _("Đã đính kèm tài liệu."))
            return redirect(_staff_url(draft, "staff-attachments"))
    else:
        form = AttachmentForm()
    return render(
        request,
        "drafts/staff_attachments.html",
        {
            "draft": draft,
            "form": form,
            "form_error": form_error,
            "attachments": draft.attachments.all(),
            "max_mb": files.max_upload_bytes() // files.MB,
        },
        status=status,
    )


@login_required
@require_POST
def staff_attachment_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    if not draft.attachments.filter(pk=pk).exists():
        raise NotFound(_("Không tìm thấy tài liệu."))
    services.attachment_remove(actor=request.user, attachment_id=pk)
    messages.success(request, _("Đã gỡ tài liệu."))
    return redirect(_staff_url(draft, "staff-attachments"))


@login_required
@require_POST
def staff_draft_publish(request: HttpRequest, slug: str) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    action = request.POST.get("action", "publish")
    try:
        if action == "withdraw":
            services.draft_withdraw(actor=request.user, draft_id=draft.pk)
            messages.success(request, _("Đã rút dự thảo khỏi trang công khai."))
        else:
            services.draft_publish(actor=request.user, draft_id=draft.pk)
            messages.success(request, _("Đã công khai dự thảo."))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect(_staff_url(draft))


# --- staff: the agency's workspace -----------------------------------------------------------


@login_required
def staff_workspace(request: HttpRequest, slug: str) -> HttpResponse:
    """The drafting agency's workspace: counts, every comment with its status, disposition
    forms, links to the downloads."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    context = selectors.draft_workspace(draft=draft, viewer=request.user)
    status_filter = request.GET.get("status", "")
    article_filter = request.GET.get("article", "")[:120]
    comments = selectors.comment_list_for_staff(
        draft=draft, viewer=request.user, status=status_filter, article=article_filter
    )
    page = Paginator(comments, 50).get_page(request.GET.get("page"))
    context.update(
        {
            "page": page,
            "status_filter": status_filter,
            "article_filter": article_filter,
            "statuses": Comment.Status.choices,
            "dispositions": [c for c in Comment.Disposition.choices if c[0]],
            "keep": urlencode(
                {k: v for k, v in (("status", status_filter), ("article", article_filter)) if v}
            ),
        }
    )
    return render(request, "drafts/staff_workspace.html", context)


@login_required
@require_POST
def staff_comment_disposition(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    if not draft.comments.filter(pk=pk).exists():
        raise NotFound(_("Không tìm thấy góp ý."))
    try:
        services.comment_set_disposition(
            actor=request.user,
            comment_id=pk,
            disposition=request.POST.get("disposition", ""),
            response=request.POST.get("response", ""),
            expected_version=request.POST.get("version") or None,
        )
    except (Invalid, Conflict) as exc:
        messages.error(
            request, _("Góp ý #%(id)s: %(error)s") % {"id": pk, "error": _error_text(exc)}
        )
    else:
        messages.success(
            request, _("Đã lưu kết quả tiếp thu, giải trình góp ý #%(id)s.") % {"id": pk}
        )
    return redirect(f"{_staff_url(draft)}#c{pk}")


@login_required
@require_http_methods(["GET", "POST"])
def staff_comment_offline(request: HttpRequest, slug: str) -> HttpResponse:
    """Enter a comment received on paper, by e-mail or at a meeting."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    articles = list(draft.nodes.filter(kind=DraftNode.Kind.ARTICLE).order_by("position"))
    form_error = ""
    status = 200
    if request.method == "POST":
        form = OfflineCommentForm(request.POST, request.FILES, articles=articles)
        try:
            comment = services.comment_enter_offline(
                actor=request.user,
                draft_id=draft.pk,
                scan=request.FILES.get("scan"),
                **form.raw(
                    "channel",
                    "received_on",
                    "article",
                    "commenter_type",
                    "name",
                    "organization",
                    "email",
                    "phone",
                    "body",
                ),
            )
        except (Invalid, TooLarge) as exc:
            form_error, status = " ".join([exc.message, *form.errors_attach(exc)]), exc.status
        else:
            messages.success(
                request,
                _("Đã nhập góp ý #%(id)s; góp ý chờ Ban Biên tập duyệt trước khi đăng công khai.")
                % {"id": comment.pk},
            )
            return redirect(_staff_url(draft))
    else:
        form = OfflineCommentForm(
            initial={"commenter_type": Comment.CommenterType.AGENCY}, articles=articles
        )
    return render(
        request,
        "drafts/staff_offline_form.html",
        {"draft": draft, "form": form, "form_error": form_error},
        status=status,
    )


@login_required
def staff_comment_scan(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """The scan of an offline comment: it may show contact details, so only staff allowed to
    see contacts."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    rules.require(request.user, VIEW_CONTACTS, draft)
    comment = draft.comments.filter(pk=pk).exclude(scan="").first()
    if comment is None:
        raise NotFound(_("Không tìm thấy bản scan."))
    extension = comment.scan.name.rsplit(".", 1)[-1]
    response = FileResponse(comment.scan.open("rb"))
    response["Content-Disposition"] = files.content_disposition(
        files.download_name(f"Góp ý {comment.pk} - {comment.name}", extension)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- moderators ------------------------------------------------------------------------------


@login_required
def staff_moderate(request: HttpRequest, slug: str) -> HttpResponse:
    """The moderation queue of a draft's comments (moderators)."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    pending = selectors.comment_list_pending(draft=draft, viewer=request.user)
    page = Paginator(pending, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "drafts/staff_moderate.html",
        {"draft": draft, "page": page, "reasons": reason_list_active()},
    )


@login_required
@require_POST
def staff_comment_decide(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    if action not in ("approve", "reject") or not draft.comments.filter(pk=pk).exists():
        raise NotFound(_("Không tìm thấy góp ý."))
    version = request.POST.get("version") or None
    try:
        if action == "approve":
            services.comment_approve(actor=request.user, comment_id=pk, expected_version=version)
            messages.success(request, _("Đã duyệt và đăng góp ý #%(id)s.") % {"id": pk})
        else:
            services.comment_reject(
                actor=request.user,
                comment_id=pk,
                reason_id=request.POST.get("reason"),
                note=request.POST.get("note", ""),
                expected_version=version,
            )
            messages.success(request, _("Đã từ chối góp ý #%(id)s.") % {"id": pk})
    except Conflict as exc:
        messages.error(
            request,
            _("Góp ý #%(id)s: %(error)s Hãy xem lại danh sách bên dưới.")
            % {"id": pk, "error": exc.message},
        )
    except Invalid as exc:
        messages.error(
            request, _("Góp ý #%(id)s: %(error)s") % {"id": pk, "error": _error_text(exc)}
        )
    return redirect(_staff_url(draft, "staff-moderate"))


# --- publishing the outcome ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff_report(request: HttpRequest, slug: str) -> HttpResponse:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    form_error = ""
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        try:
            services.draft_publish_report(
                actor=request.user,
                draft_id=draft.pk,
                response_summary=request.POST.get("response_summary", ""),
                report=request.FILES.get("report"),
                revised_draft=request.FILES.get("revised_draft"),
            )
        except (Invalid, TooLarge, Conflict) as exc:
            form_error, status = " ".join([exc.message, *form.errors_attach(exc)]), exc.status
        else:
            messages.success(request, _("Đã công bố kết quả tiếp thu, giải trình."))
            return redirect(draft.get_absolute_url())
    else:
        form = ReportForm(initial={"response_summary": draft.response_summary})
    return render(
        request,
        "drafts/staff_report.html",
        {
            "draft": draft,
            "form": form,
            "form_error": form_error,
            "report_files": draft.attachments.filter(
                kind__in=[DraftAttachment.Kind.SYNTHESIS_REPORT, DraftAttachment.Kind.REVISED_DRAFT]
            ),
        },
        status=status,
    )
