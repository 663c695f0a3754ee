"""The download of a draft's comments: `/drafts/<slug>/export.<docx|xlsx|csv>`.

Only the draft's own agency staff, moderators and administrators (EXPORT_COMMENTS); contact
details only for those who may see them (VIEW_CONTACTS). Every download is in the audit log.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from functools import partial
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consult import rules
from consult.errors import Invalid, NotAuthenticated, NotFound
from drafts import export_jobs, exports
from drafts.models import Draft
from drafts.rules import EXPORT_COMMENTS, VIEW_CONTACTS


def _draft_for_export(request: HttpRequest, slug: str) -> Draft:
    if not request.user.is_authenticated:
        # Before the lookup, so an anonymous visitor cannot probe which slugs exist.
        raise NotAuthenticated(_("Vui lòng đăng nhập bằng tài khoản cán bộ."))
    draft = Draft.objects.select_related("agency", "kind").filter(slug=slug).first()
    if draft is None:
        raise NotFound(_("Không tìm thấy dự thảo."))
    rules.require(request.user, EXPORT_COMMENTS, draft)
    return draft


def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Serve a synchronous generator that reads the database from an ASGI server without
    Django first collecting it into a list (what it does with a sync iterator under ASGI):
    each chunk is produced in the request's own sync thread."""
    pull = sync_to_async(partial(next, chunks, None), thread_sensitive=True)

    async def generate() -> AsyncIterator[bytes]:
        while (chunk := await pull()) is not None:
            yield chunk

    return generate()


@require_GET
def draft_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponseBase:
    """Download the comments of a draft as the DOCX synthesis table
    (`?layout=standard|five-column`), an XLSX workbook or a CSV file."""
    if fmt not in exports.FORMATS:
        raise Http404
    layout = request.GET.get("layout") or exports.LAYOUT_STANDARD
    if fmt == exports.FORMAT_DOCX and layout not in exports.LAYOUTS:
        raise Invalid(_("Mẫu bảng tổng hợp không hợp lệ."), fields={"layout": layout[:40]})
    draft = _draft_for_export(request, slug)
    if export_jobs.export_needs_job(draft=draft, fmt=fmt):
        # A large draft's Word or Excel file is prepared in the background (drafts/export_jobs.py).
        query = urlencode({"fmt": fmt, "layout": layout if fmt == exports.FORMAT_DOCX else ""})
        return redirect(reverse("drafts:staff-export-jobs", kwargs={"slug": slug}) + "?" + query)
    user = request.user
    with_contacts = fmt != exports.FORMAT_DOCX and rules.has_perm(user, VIEW_CONTACTS, draft)
    disposition = exports.content_disposition(draft, fmt, layout=layout)

    if fmt == exports.FORMAT_CSV:
        chunks = exports.csv_stream(draft=draft, viewer=user, with_contacts=with_contacts)
        exports.record_download(
            actor=user,
            draft=draft,
            fmt=fmt,
            layout=None,
            with_contacts=with_contacts,
            count=draft.comments.count(),
        )
        streaming = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
        response: HttpResponseBase = StreamingHttpResponse(
            streaming, content_type=exports.CONTENT_TYPES[fmt]
        )
    else:
        # Built in a temporary file that is deleted when the response closes it.
        out = tempfile.TemporaryFile()  # noqa: SIM115  -- FileResponse closes it
        try:
            if fmt == exports.FORMAT_DOCX:
                summary = exports.write_docx(draft=draft, viewer=user, out=out, layout=layout)
                count = summary.comments
            else:
                count = exports.write_xlsx(
                    draft=draft, viewer=user, out=out, with_contacts=with_contacts
                )
            out.seek(0)
        except BaseException:
            out.close()
            raise
        exports.record_download(
            actor=user,
            draft=draft,
            fmt=fmt,
            layout=layout if fmt == exports.FORMAT_DOCX else None,
            with_contacts=with_contacts,
            count=count,
        )
        response = FileResponse(out, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = disposition
    # Personal data: never stored by a shared cache or proxy.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
