from django.contrib import admin

from drafts.models import Comment, DocumentKind, Draft, DraftAttachment, Sector


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


class AttachmentInline(admin.TabularInline):
    model = DraftAttachment
    extra = 0
    fields = ["kind", "title", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields
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
