"""Pages of the prepared downloads (drafts/export_jobs.py): ask for a file, watch its progress,
download it. HTTP in and out only.

Without JavaScript the progress page is a plain page with a link to look again (no automatic
refresh, which would move a screen reader back to the top every few seconds); with JavaScript,
static/js/export_job.js asks `?format=json` every two seconds, moves the progress bar, and loads
the page once more when the file is ready or failed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consult import rules
from consult.errors import Invalid, NotFound
from drafts import export_jobs, exports, selectors
from drafts.models import Draft, ExportJob
from drafts.rules import EXPORT_COMMENTS


def _draft(request: HttpRequest, slug: str) -> Draft:
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    rules.require(request.user, EXPORT_COMMENTS, draft)
    return draft


def _choices() -> list[dict[str, str]]:
    """The files that can be prepared, as (fmt, layout, label)."""
    return [
        {
            "fmt": exports.FORMAT_DOCX,
            "layout": exports.LAYOUT_STANDARD,
            "label": _("Bản tổng hợp ý kiến (Word, mẫu chuẩn)"),
        },
        {
            "fmt": exports.FORMAT_DOCX,
            "layout": exports.LAYOUT_FIVE_COLUMN,
            "label": _("Bản tổng hợp ý kiến (Word, mẫu 5 cột)"),
        },
        {"fmt": exports.FORMAT_XLSX, "layout": "", "label": _("Danh sách góp ý (Excel)")},
    ]


def _label(job: ExportJob) -> str:
    for choice in _choices():
        if choice["fmt"] == job.fmt and (
            job.fmt != exports.FORMAT_DOCX or choice["layout"] == job.layout
        ):
            return choice["label"]
    return job.fmt


@require_http_methods(["GET", "HEAD", "POST"])
def export_job_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The person's prepared files of this draft and the form to ask for one (GET
    `?fmt=&layout=` preselects, as the download links of a large draft do)."""
    draft = _draft(request, slug)
    error = ""
    status = 200
    if request.method == "POST":
        fmt = request.POST.get("file", "")
        fmt, _sep, layout = fmt.partition(":")
        try:
            job = export_jobs.export_job_request(
                actor=request.user, draft_id=draft.pk, fmt=fmt, layout=layout
            )
        except Invalid as exc:
            error, status = exc.message, 400
        else:
            messages.success(
                request,
                _("Đã nhận yêu cầu. Tệp đang được chuẩn bị; bạn có thể theo dõi tiến độ ở đây."),
            )
            return redirect("drafts:staff-export-job", slug=draft.slug, pk=job.pk)
    wanted = f"{request.GET.get('fmt', '')}:{request.GET.get('layout', '')}"
    choices = [{**c, "value": f"{c['fmt']}:{c['layout']}"} for c in _choices()]
    values = [c["value"] for c in choices]
    if wanted not in values:
        # `?fmt=docx` alone means the standard layout; nothing valid preselects the first.
        standard = f"{request.GET.get('fmt', '')}:{exports.LAYOUT_STANDARD}"
        wanted = standard if standard in values else values[0]
    jobs = export_jobs.export_job_list(draft=draft, viewer=request.user)
    return render(
        request,
        "drafts/export_jobs.html",
        {
            "draft": draft,
            "choices": choices,
            "wanted": wanted,
            "jobs": [{"job": j, "label": _label(j)} for j in jobs],
            "comment_count": draft.comments.count(),
            "threshold": export_jobs.background_min_comments(),
            "error": error,
            "tab": "workspace",
        },
        status=status,
    )


def _job_state(job: ExportJob) -> dict[str, object]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "percent": job.percent,
        "progress": job.progress,
        "total": job.total,
        "finished": job.status not in export_jobs.UNFINISHED,
        "download_url": reverse(
            "drafts:staff-export-job-download", kwargs={"slug": job.draft.slug, "pk": job.pk}
        )
        if job.status == ExportJob.Status.DONE
        else None,
    }


@require_GET
def export_job_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One prepared file: its progress while it is built, then the download (or why not)."""
    export_jobs.export_jobs_expire()
    job = export_jobs.export_job_get(job_id=pk, slug=slug, viewer=request.user)
    state = _job_state(job)
    if request.GET.get("format") == "json":
        response: HttpResponse = JsonResponse(state)
    else:
        response = render(
            request,
            "drafts/export_job.html",
            {
                "draft": job.draft,
                "job": job,
                "state": state,
                "label": _label(job),
                "tab": "workspace",
                # What export_job.js writes as the numbers change (it holds no Vietnamese).
                "job_labels": {
                    "detail": _("%(status)s — đã xử lý %(done)s/%(total)s góp ý"),
                    "failed": _("Không cập nhật được tiến độ. Hãy tải lại trang."),
                },
            },
        )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_job_download(request: HttpRequest, slug: str, pk: int) -> HttpResponseBase:
    """The prepared file, to its owner only; each download is in the audit log."""
    job = export_jobs.export_job_get(job_id=pk, slug=slug, viewer=request.user)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise NotFound(_("Tệp chưa sẵn sàng hoặc đã bị xóa."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise NotFound(_("Tệp chưa sẵn sàng hoặc đã bị xóa.")) from exc
    export_jobs.export_job_record_download(actor=request.user, job=job)
    response = FileResponse(handle, content_type=exports.CONTENT_TYPES[job.fmt])
    response["Content-Disposition"] = exports.content_disposition(
        job.draft, job.fmt, layout=job.layout or exports.LAYOUT_STANDARD
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
