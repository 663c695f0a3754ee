"""Prepared downloads of large drafts: the download links lead to a page that asks for the file,
a background thread builds it while the page shows progress, and its owner downloads it (each
download audited like a direct one). Small drafts keep the direct download."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone
from docx import Document

from consult.errors import Conflict
from consult.models import User
from drafts import export_jobs, exports
from drafts.models import Comment, Draft, ExportJob
from moderation.models import AuditEntry
from tests.conftest import make_user
from tests.drafts.conftest import make_comment, make_draft

pytestmark = pytest.mark.django_db

THRESHOLD = 6


@pytest.fixture(autouse=True)
def small_threshold(settings: Any) -> None:
    """A "large" draft has THRESHOLD comments here, not 5,000."""
    settings.CONSULT = {**settings.CONSULT, "EXPORT_BACKGROUND_MIN_COMMENTS": THRESHOLD}


@pytest.fixture
def large_draft(agency: Any) -> Draft:
    draft = make_draft(agency, title="Quy định về quản lý chất thải rắn sinh hoạt")
    for n in range(THRESHOLD):
        make_comment(
            draft,
            number=str(n % 3 + 1),
            status=Comment.Status.PUBLISHED,
            body=f"Góp ý số {n + 1} về phân loại rác tại nguồn.",
            email=f"nguoi{n}@example.vn",
        )
    return draft


def _run_pending(job: ExportJob) -> ExportJob:
    """Builds the job here, as its background thread would."""
    done = export_jobs.export_job_run(job.pk)
    assert done is not None
    return done


def _jobs_url(draft: Draft) -> str:
    return f"/staff/drafts/{draft.slug}/exports/"


def test_agency_staff_download_link_of_a_large_draft_leads_to_the_prepare_page(
    client: Client, agency_staff: User, large_draft: Draft
) -> None:
    client.force_login(agency_staff)
    response = client.get(f"/drafts/{large_draft.slug}/export.docx?layout=five-column")
    assert response.status_code == 302
    assert response["Location"] == f"{_jobs_url(large_draft)}?fmt=docx&layout=five-column"
    page = client.get(response["Location"]).content.decode()
    # The chosen file is preselected; nothing was built or recorded by the GET.
    assert 'value="docx:five-column" checked' in page
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action="draft.export").exists()


def test_csv_of_a_large_draft_still_streams_directly(
    client: Client, agency_staff: User, large_draft: Draft
) -> None:
    client.force_login(agency_staff)
    response = client.get(f"/drafts/{large_draft.slug}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_small_draft_keeps_the_direct_download(
    client: Client, agency_staff: User, agency: Any
) -> None:
    draft = make_draft(agency)
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    client.force_login(agency_staff)
    response = client.get(f"/drafts/{draft.slug}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]


def test_agency_staff_can_prepare_and_download_the_docx_table(
    client: Client,
    agency_staff: User,
    large_draft: Draft,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[int] = []
    monkeypatch.setattr(export_jobs, "export_job_start", started.append)
    client.force_login(agency_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_jobs_url(large_draft), {"file": "docx:standard"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{_jobs_url(large_draft)}{job.pk}/"
    assert started == [job.pk]  # the build starts only after the request committed
    assert (job.fmt, job.layout, job.status, job.requested_by) == (
        "docx",
        "standard",
        ExportJob.Status.QUEUED,
        agency_staff,
    )

    # While it waits: the page shows progress and a link to look again, no download yet.
    page = client.get(response["Location"]).content.decode()
    assert '<progress id="job-progress" max="100" value="0">' in page
    assert "Xem lại tiến độ" in page
    assert "/download/" not in page
    assert client.get(f"{_jobs_url(large_draft)}{job.pk}/download/").status_code == 404

    job = _run_pending(job)
    assert job.status == ExportJob.Status.DONE
    assert (job.count, job.total, job.percent) == (THRESHOLD, THRESHOLD, 100)
    state = client.get(f"{_jobs_url(large_draft)}{job.pk}/?format=json").json()
    assert state["finished"] is True
    assert state["download_url"] == f"{_jobs_url(large_draft)}{job.pk}/download/"
    page = client.get(f"{_jobs_url(large_draft)}{job.pk}/").content.decode()
    assert "Tệp đã sẵn sàng (6 góp ý)" in page

    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == exports.CONTENT_TYPES["docx"]
    assert download["Cache-Control"] == "private, no-store"
    assert "attachment; filename=" in download["Content-Disposition"]
    document = Document(io.BytesIO(b"".join(download.streaming_content)))
    text = "\n".join(cell.text for t in document.tables for row in t.rows for cell in row.cells)
    assert "Góp ý số 6 về phân loại rác tại nguồn." in text
    # Audited like a direct download, once per download.
    entry = AuditEntry.objects.get(action="draft.export")
    assert entry.actor == agency_staff
    assert entry.after["format"] == "docx" and entry.after["count"] == THRESHOLD


def test_job_pages_show_when_the_file_was_asked_for_in_vietnam_time(
    client: Client, agency_staff: User, large_draft: Draft, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_jobs, "export_job_start", lambda job_id: None)
    client.force_login(agency_staff)
    client.post(_jobs_url(large_draft), {"file": "docx:standard"})
    job = ExportJob.objects.get()
    # 07:00 UTC is 14:00 in Hồ Chí Minh City.
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)
    )
    stamp = '<time datetime="2026-11-26T14:00:00+07:00">14:00, 26/11/2026</time>'
    assert stamp in client.get(f"{_jobs_url(large_draft)}{job.pk}/").content.decode()
    assert stamp in client.get(_jobs_url(large_draft)).content.decode()


def test_prepared_xlsx_holds_contacts_for_the_drafts_agency(
    client: Client, agency_staff: User, large_draft: Draft, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    real_touch = export_jobs._touch

    def touch(job_id: int, **fields: Any) -> None:
        if "progress" in fields and "status" not in fields:
            seen.append(fields["progress"])
        real_touch(job_id, **fields)

    monkeypatch.setattr(export_jobs, "_touch", touch)
    job = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="xlsx")
    assert job.with_contacts is True
    job = _run_pending(job)
    # Progress was saved as the comments were read, not only at the end.
    assert seen == [0, 2, 4, 6, 6]
    client.force_login(agency_staff)
    download = client.get(f"{_jobs_url(large_draft)}{job.pk}/download/")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    values = {str(cell.value) for row in sheet.iter_rows() for cell in row}
    assert "nguoi5@example.vn" in values
    assert sheet.max_row == THRESHOLD + 1  # the header and one row per comment


def test_asking_twice_while_a_file_is_built_returns_the_same_job(
    agency_staff: User, large_draft: Draft
) -> None:
    first = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="docx")
    again = export_jobs.export_job_request(
        actor=agency_staff, draft_id=large_draft.pk, fmt="docx", layout="standard"
    )
    assert again.pk == first.pk
    other = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="xlsx")
    assert other.pk != first.pk


def test_staff_of_another_agency_cannot_prepare_a_file(
    client: Client, other_agency: Any, large_draft: Draft
) -> None:
    client.force_login(make_user("agency_staff", agency=other_agency))
    response = client.post(_jobs_url(large_draft), {"file": "docx:standard"})
    assert response.status_code == 404
    assert client.get(_jobs_url(large_draft)).status_code == 404
    assert not ExportJob.objects.exists()


def test_anonymous_cannot_prepare_a_file_and_is_sent_to_login(
    client: Client, large_draft: Draft
) -> None:
    response = client.post(_jobs_url(large_draft), {"file": "docx:standard"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not ExportJob.objects.exists()


def test_moderator_cannot_see_or_download_a_file_someone_else_asked_for(
    client: Client, agency_staff: User, moderator: User, large_draft: Draft
) -> None:
    job = _run_pending(
        export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="xlsx")
    )
    client.force_login(moderator)
    assert client.get(f"{_jobs_url(large_draft)}{job.pk}/").status_code == 404
    assert client.get(f"{_jobs_url(large_draft)}{job.pk}/download/").status_code == 404
    # The moderator's own list does not show it either.
    assert f"/exports/{job.pk}/" not in client.get(_jobs_url(large_draft)).content.decode()
    assert not AuditEntry.objects.filter(action="draft.export").exists()


@pytest.mark.parametrize("choice", ["csv:", "pdf:", "docx:landscape", ""])
def test_agency_staff_cannot_prepare_an_unknown_file(
    client: Client, agency_staff: User, large_draft: Draft, choice: str
) -> None:
    client.force_login(agency_staff)
    response = client.post(_jobs_url(large_draft), {"file": choice})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_job_whose_owner_lost_the_permission_fails_with_a_message(
    agency_staff: User, other_agency: Any, large_draft: Draft
) -> None:
    job = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="docx")
    agency_staff.agency = other_agency  # moved to another department before the file was built
    agency_staff.save()
    job = _run_pending(job)
    assert job.status == ExportJob.Status.FAILED
    assert job.error
    assert not job.file


def test_a_job_that_stopped_beating_counts_as_failed_and_can_be_asked_again(
    client: Client, agency_staff: User, large_draft: Draft
) -> None:
    job = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="docx")
    long_ago = timezone.now() - dt.timedelta(seconds=export_jobs.STALE_SECONDS + 1)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, updated_at=long_ago)
    client.force_login(agency_staff)
    page = client.get(f"{_jobs_url(large_draft)}{job.pk}/").content.decode()
    assert "bị gián đoạn" in page
    assert "Yêu cầu lại" in page
    again = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="docx")
    assert again.pk != job.pk


def test_finished_files_are_deleted_after_a_day(agency_staff: User, large_draft: Draft) -> None:
    job = _run_pending(
        export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="xlsx")
    )
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=export_jobs.KEEP_HOURS + 1)
    )
    export_jobs.export_jobs_expire()
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert not storage.exists(name)


def test_the_workspace_links_the_prepared_files(
    client: Client, agency_staff: User, large_draft: Draft
) -> None:
    client.force_login(agency_staff)
    page = client.get(f"/staff/drafts/{large_draft.slug}/").content.decode()
    assert f'href="{_jobs_url(large_draft)}"' in page


@pytest.mark.django_db(transaction=True)
def test_the_file_is_built_by_a_background_thread(agency_staff: User, large_draft: Draft) -> None:
    job = export_jobs.export_job_request(actor=agency_staff, draft_id=large_draft.pk, fmt="xlsx")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in export_jobs.UNFINISHED:
            break
        time.sleep(0.1)
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file and job.count == THRESHOLD


# --- the Django admin: read-only, deletion only of finished jobs (with their files) -------------

ADMIN_JOBS = "/admin/drafts/exportjob/"


def _done_job(agency_staff: User, draft: Draft) -> ExportJob:
    return _run_pending(
        export_jobs.export_job_request(actor=agency_staff, draft_id=draft.pk, fmt="xlsx")
    )


def _running_job(agency_staff: User, draft: Draft) -> ExportJob:
    job = export_jobs.export_job_request(actor=agency_staff, draft_id=draft.pk, fmt="docx")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, total=6, progress=3)
    job.refresh_from_db()
    return job


def test_admin_lists_jobs_with_draft_format_requester_status_and_progress(
    client: Client, admin_user: User, agency_staff: User, large_draft: Draft
) -> None:
    _done_job(agency_staff, large_draft)
    _running_job(agency_staff, large_draft)
    client.force_login(admin_user)
    response = client.get(ADMIN_JOBS)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(large_draft.title) >= 2
    assert agency_staff.display_name in page
    assert "Đã xong" in page and "100%" in page
    assert "Đang tạo tệp" in page and "50%" in page
    assert "Người yêu cầu" in page and "Tiến độ" in page and "Yêu cầu lúc" in page


def test_admin_can_neither_add_nor_change_a_job_and_is_not_offered_its_file(
    client: Client, admin_user: User, agency_staff: User, large_draft: Draft
) -> None:
    job = _done_job(agency_staff, large_draft)
    client.force_login(admin_user)
    assert client.get(f"{ADMIN_JOBS}add/").status_code == 403
    change = client.post(f"{ADMIN_JOBS}{job.pk}/change/", {"status": "failed", "error": "x"})
    assert change.status_code == 403
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.DONE, "")
    view = client.get(f"{ADMIN_JOBS}{job.pk}/change/")
    assert view.status_code == 200
    assert job.file.name not in view.content.decode()


def test_admin_deletes_a_finished_job_with_its_file(
    client: Client, admin_user: User, agency_staff: User, large_draft: Draft
) -> None:
    job = _done_job(agency_staff, large_draft)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    client.force_login(admin_user)
    response = client.post(f"{ADMIN_JOBS}{job.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert not storage.exists(name)


def test_admin_cannot_delete_a_running_job(
    client: Client, admin_user: User, agency_staff: User, large_draft: Draft
) -> None:
    job = _running_job(agency_staff, large_draft)
    client.force_login(admin_user)
    assert client.post(f"{ADMIN_JOBS}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.RUNNING


def test_admin_bulk_deletion_is_refused_if_one_selected_job_is_unfinished(
    client: Client, admin_user: User, agency_staff: User, large_draft: Draft
) -> None:
    done, running = _done_job(agency_staff, large_draft), _running_job(agency_staff, large_draft)
    client.force_login(admin_user)
    action = {"action": "delete_selected", "post": "yes"}
    refused = client.post(ADMIN_JOBS, {**action, "_selected_action": [done.pk, running.pk]})
    assert refused.status_code == 403
    assert ExportJob.objects.count() == 2
    assert done.file.storage.exists(done.file.name)

    deleted = client.post(ADMIN_JOBS, {**action, "_selected_action": [done.pk]})
    assert deleted.status_code == 302
    assert list(ExportJob.objects.all()) == [running]
    assert not done.file.storage.exists(done.file.name)


def test_agency_staff_cannot_open_the_jobs_in_the_admin(
    client: Client, agency_staff: User, large_draft: Draft
) -> None:
    _done_job(agency_staff, large_draft)
    User.objects.filter(pk=agency_staff.pk).update(is_staff=True)
    client.force_login(agency_staff)
    assert client.get(ADMIN_JOBS).status_code == 403


def test_deleting_an_unfinished_job_is_refused_and_changes_nothing(
    agency_staff: User, large_draft: Draft
) -> None:
    job = _running_job(agency_staff, large_draft)
    with pytest.raises(Conflict):
        export_jobs.export_job_delete(job=job)
    assert ExportJob.objects.filter(pk=job.pk).exists()
