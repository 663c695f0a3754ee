"""Prepared downloads: the DOCX synthesis table or the XLSX list of a large draft built in the
background while the agency's page shows progress.

A draft with tens of thousands of comments takes tens of seconds to write (bench/: about 30 s
for the DOCX table of 10,000), longer than a browser or a reverse proxy likes to wait on one
request, with nothing to show meanwhile. So above `background_min_comments()` the download
links lead to a page that asks for the file (`export_job_request`), which a thread of the same
server process builds (`export_job_run`), saving its progress on the job row; the page shows it
and then offers the file, which only the person who asked may download, each download recorded
in the audit log like a direct one. CSV always streams (it needs no waiting).

A thread is enough at this product's size (a few large exports a day) and needs no other
service. If the process stops mid-way the job's heartbeat stops too: after `STALE_SECONDS` it
counts as failed and can simply be asked for again. At most `MAX_PARALLEL` files are built at
once per process (a DOCX of 10,000 rows holds ~150 MB while it is written); later ones wait in
the queue, still beating.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import rules
from consult.errors import Conflict, DomainError, Invalid, NotFound
from drafts import exports
from drafts.models import Draft, ExportJob
from drafts.rules import EXPORT_COMMENTS, VIEW_CONTACTS

logger = logging.getLogger(__name__)

FORMATS = (exports.FORMAT_DOCX, exports.FORMAT_XLSX)
DEFAULT_BACKGROUND_MIN_COMMENTS = 5000
# A queued or running job whose row was not touched for this long lost its process.
STALE_SECONDS = 90
HEARTBEAT_SECONDS = 10.0
# Finished files are kept this long, then deleted with their job.
KEEP_HOURS = 24
MAX_PARALLEL = 2

_slots = threading.BoundedSemaphore(MAX_PARALLEL)
UNFINISHED = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
FINISHED = (ExportJob.Status.DONE, ExportJob.Status.FAILED)


def background_min_comments() -> int:
    """From this many comments on, DOCX and XLSX downloads are prepared in the background
    (settings.CONSULT["EXPORT_BACKGROUND_MIN_COMMENTS"], 5,000 by default)."""
    value: Any = settings.CONSULT.get(
        "EXPORT_BACKGROUND_MIN_COMMENTS", DEFAULT_BACKGROUND_MIN_COMMENTS
    )
    return int(value)


def export_needs_job(*, draft: Draft, fmt: str) -> bool:
    """Whether a download of `draft` in `fmt` goes through a prepared download."""
    return fmt in FORMATS and draft.comments.count() >= background_min_comments()


def _check_choice(fmt: str, layout: str) -> str:
    if fmt not in FORMATS:
        raise Invalid(_("Định dạng tệp không hợp lệ."), fields={"fmt": _("Chọn Word hoặc Excel.")})
    if fmt == exports.FORMAT_XLSX:
        return ""
    layout = layout or exports.LAYOUT_STANDARD
    if layout not in exports.LAYOUTS:
        raise Invalid(_("Mẫu bảng tổng hợp không hợp lệ."), fields={"layout": layout[:40]})
    return layout


def export_jobs_expire(*, now: dt.datetime | None = None) -> int:
    """Mark unfinished jobs that stopped beating as failed, and delete finished jobs (with their
    files) older than KEEP_HOURS. Returns how many rows changed. Called with every request."""
    now = now or timezone.now()
    stale = ExportJob.objects.filter(
        status__in=UNFINISHED, updated_at__lt=now - dt.timedelta(seconds=STALE_SECONDS)
    ).update(
        status=ExportJob.Status.FAILED,
        error=_("Quá trình tạo tệp bị gián đoạn (máy chủ khởi động lại). Vui lòng yêu cầu lại."),
        finished_at=now,
    )
    old = list(ExportJob.objects.filter(created_at__lt=now - dt.timedelta(hours=KEEP_HOURS)))
    for job in old:
        if job.status in FINISHED:
            export_job_delete(job=job)
    return stale + len(old)


def export_job_delete(*, job: ExportJob) -> None:
    """Delete a finished (done or failed) job with its file: the file lives in private storage,
    which deleting the row alone would leave behind. Called by export_jobs_expire and by the
    Django admin (administrators only, who check the job's status first). Refuses a queued or
    running job, whose thread would still write a file no row points to: Conflict, nothing
    deleted. Emits nothing (the admin keeps its own log of deletions)."""
    if job.status not in FINISHED:
        raise Conflict(_("Tệp đang được chuẩn bị: chỉ xoá được khi đã xong hoặc không tạo được."))
    if job.file:
        job.file.delete(save=False)
    job.delete()


def export_job_request(*, actor: Any, draft_id: int, fmt: str, layout: str = "") -> ExportJob:
    """Ask for a prepared download of `draft_id`'s comments in `fmt` (docx or xlsx; `layout`
    standard or five-column for docx). Who: EXPORT_COMMENTS on the draft (its own agency's staff,
    moderators, administrators). The same person asking again for the same file while one is
    still being built gets that job back (a double click or a reload starts nothing more).
    Contact details go into an XLSX only for those with VIEW_CONTACTS. Emits no event; the
    build starts after commit in a background thread."""
    layout = _check_choice(fmt, layout)
    export_jobs_expire()
    with transaction.atomic():
        # Locks the draft row: two requests at once cannot both miss the other's job.
        draft = Draft.objects.select_for_update().filter(pk=draft_id).first()
        if draft is None:
            raise NotFound(_("Không tìm thấy dự thảo."))
        rules.require(actor, EXPORT_COMMENTS, draft)
        existing = ExportJob.objects.filter(
            draft=draft, requested_by=actor, fmt=fmt, layout=layout, status__in=UNFINISHED
        ).first()
        if existing is not None:
            return existing
        job = ExportJob.objects.create(
            draft=draft,
            fmt=fmt,
            layout=layout,
            requested_by=actor,
            with_contacts=fmt == exports.FORMAT_XLSX
            and rules.has_perm(actor, VIEW_CONTACTS, draft),
            total=draft.comments.count(),
        )
        job_id = job.pk
        transaction.on_commit(lambda: export_job_start(job_id))
    return job


def export_job_get(*, job_id: int, slug: str, viewer: Any) -> ExportJob:
    """A job of the draft `slug` that `viewer` asked for and may still export; NotFound for
    anybody else (the file may hold contact details only its owner was shown)."""
    job = (
        ExportJob.objects.select_related("draft", "draft__agency", "draft__kind")
        .filter(pk=job_id, draft__slug=slug, requested_by_id=getattr(viewer, "pk", None))
        .first()
    )
    if job is None:
        raise NotFound(_("Không tìm thấy tệp đã yêu cầu."))
    rules.require(viewer, EXPORT_COMMENTS, job.draft)
    return job


def export_job_list(*, draft: Draft, viewer: Any) -> list[ExportJob]:
    """`viewer`'s jobs of `draft`, newest first."""
    rules.require(viewer, EXPORT_COMMENTS, draft)
    export_jobs_expire()
    return list(ExportJob.objects.filter(draft=draft, requested_by_id=viewer.pk)[:20])


def export_job_record_download(*, actor: Any, job: ExportJob) -> None:
    """Record a download of a prepared file in the audit log, exactly as a direct download.
    Who: the job's owner (checked by export_job_get)."""
    exports.record_download(
        actor=actor,
        draft=job.draft,
        fmt=job.fmt,
        layout=job.layout or None,
        with_contacts=job.with_contacts,
        count=job.count,
    )


# --- building the file ------------------------------------------------------------------------


def export_job_start(job_id: int) -> threading.Thread:
    """Build the job's file in a daemon thread of this process."""
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"export-job-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_thread(job_id: int) -> None:
    try:
        export_job_run(job_id)
    finally:
        # This thread's own database connection must not outlive it.
        connections.close_all()


def _touch(job_id: int, **fields: Any) -> None:
    ExportJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)


class _Heartbeat:
    """Touches the job row every HEARTBEAT_SECONDS from a thread of its own, so a long step with
    no progress to report (python-docx saving 100,000 rows) does not look like a dead job."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"{job_id}-beat")

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                try:
                    _touch(self.job_id)
                except Exception:  # the next beat tries again
                    logger.warning("export job %s: heartbeat failed", self.job_id, exc_info=True)
                    close_old_connections()
        finally:
            connections.close_all()

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=HEARTBEAT_SECONDS + 5)


def export_job_run(job_id: int) -> ExportJob | None:
    """Build the file of a queued job: writes it with the owner's permissions (checked again
    now), saves progress every few hundred comments, and ends DONE with the file or FAILED with
    a message the owner can act on. Runs in the background thread (or a test); a job already
    taken by someone else is left alone. Emits nothing."""
    with _Heartbeat(job_id), _slots:
        taken = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.RUNNING, updated_at=timezone.now()
        )
        if not taken:
            return None
        job = ExportJob.objects.select_related("draft", "draft__agency", "requested_by").get(
            pk=job_id
        )
        try:
            total = job.draft.comments.count()
            _touch(job_id, total=total, progress=0)
            with tempfile.TemporaryFile() as out:
                if job.fmt == exports.FORMAT_DOCX:
                    count = exports.write_docx(
                        draft=job.draft,
                        viewer=job.requested_by,
                        out=out,
                        layout=job.layout or exports.LAYOUT_STANDARD,
                        progress=lambda n: _touch(job_id, progress=n),
                    ).comments
                else:
                    count = exports.write_xlsx(
                        draft=job.draft,
                        viewer=job.requested_by,
                        out=out,
                        with_contacts=job.with_contacts,
                        progress=lambda n: _touch(job_id, progress=n),
                    )
                out.seek(0)
                job.file.save(f"export.{job.fmt}", File(out), save=False)
        except Exception as exc:
            logger.exception("export job %s failed", job_id)
            message = (
                exc.message
                if isinstance(exc, DomainError)
                else _("Không tạo được tệp do lỗi hệ thống. Vui lòng yêu cầu lại.")
            )
            _touch(
                job_id,
                status=ExportJob.Status.FAILED,
                error=message,
                finished_at=timezone.now(),
            )
        else:
            _touch(
                job_id,
                status=ExportJob.Status.DONE,
                file=job.file.name,
                count=count,
                progress=total,
                finished_at=timezone.now(),
            )
    return ExportJob.objects.get(pk=job_id)
