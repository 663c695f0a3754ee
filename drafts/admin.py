from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consult import rules
from drafts import export_jobs
from drafts.models import Comment, DocumentKind, Draft, DraftAttachment, ExportJob, Sector


@admin.register(DocumentKind)
class DocumentKindAdmin(admin.ModelAdmin):
    """The minimum comment period per kind is believed practice (LEGAL.md): editable here."""

    list_display = ["name", "code", "min_comment_days", "position"]
    list_editable = ["min_comment_days", "position"]
    search_fields = ["name", "code"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


# Tuples: one sequence serves as both `fields` and `readonly_fields`, whose declared types differ.
_ATTACHMENT_FIELDS = ("kind", "title", "original_name", "content_type", "size", "uploaded_at")
_EXPORT_JOB_FIELDS = (
    "draft",
    "fmt",
    "layout",
    "with_contacts",
    "requested_by",
    "status",
    "progress",
    "total",
    "count",
    "error",
    "created_at",
    "updated_at",
    "finished_at",
)


class AttachmentInline(admin.TabularInline):
    model = DraftAttachment
    extra = 0
    fields = _ATTACHMENT_FIELDS
    readonly_fields = _ATTACHMENT_FIELDS
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Uploads go through the staff pages, which check the file's content.
        return False


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    """Read-mostly: drafts are created and changed through the staff pages, whose services
    enforce the period rules and write the audit log."""

    list_display = ["title", "agency", "kind", "status", "opens_at", "closes_at"]
    list_filter = ["status", "kind", "agency", "sector"]
    search_fields = ["title", "slug"]
    readonly_fields = [f.name for f in Draft._meta.fields]
    inlines = [AttachmentInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Read-only view for administrators; moderation happens on the moderation pages."""

    list_display = ["id", "draft", "article", "commenter_type", "status", "disposition", "channel"]
    list_filter = ["status", "disposition", "channel", "commenter_type"]
    search_fields = ["body", "organization"]
    readonly_fields = [f.name for f in Comment._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Prepared downloads, for administrators to see what is being built and by whom. Jobs are
    asked for on the staff pages; nothing is added or changed here. A finished or failed job may
    be deleted (with its file, through export_jobs); a queued or running one may not, as its
    thread would still write the file. The file itself is not offered: it may hold contact
    details only the person who asked was shown."""

    list_display = ["draft", "fmt", "requester", "status", "progress_percent", "created"]
    list_filter = ["status", "fmt"]
    list_select_related = ["draft", "requested_by"]
    search_fields = ["draft__title"]
    fields = _EXPORT_JOB_FIELDS
    readonly_fields = _EXPORT_JOB_FIELDS

    @admin.display(description=_("Người yêu cầu"), ordering="requested_by__username")
    def requester(self, job: ExportJob) -> str:
        return str(job.requested_by.display_name)

    @admin.display(description=_("Tiến độ"))
    def progress_percent(self, job: ExportJob) -> str:
        return f"{job.percent}%"

    @admin.display(description=_("Yêu cầu lúc"), ordering="created_at")
    def created(self, job: ExportJob) -> Any:
        return job.created_at

    # The Consult role decides, not Django's per-model permissions: administrators only.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return rules.is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return rules.is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Without an object: whether deleting is offered at all (the bulk action). Django asks
        # again for each selected job before a bulk deletion and refuses the lot if one is
        # unfinished.
        if not rules.is_admin(request.user):
            return False
        return obj is None or obj.status in export_jobs.FINISHED

    def delete_model(self, request: HttpRequest, obj: ExportJob) -> None:
        export_jobs.export_job_delete(job=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ExportJob]) -> None:
        for job in queryset:
            export_jobs.export_job_delete(job=job)
