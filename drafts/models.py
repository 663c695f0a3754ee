"""Draft legal documents open for public comment, their structure, attachments and comments."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consult.models import Agency
from consult.text import fold

_WORD = re.compile(r"\w+")


def search_words(text: str) -> list[str]:
    """The folded words (syllables) of `text`: "Hoà Bình," → ["hoa", "binh"]."""
    return _WORD.findall(fold(text))


def search_text_of(*parts: str) -> str:
    """The stored search text: folded words between single spaces, with a space at each end so
    a search matches whole syllables ("hoa" finds "Hòa" but not "hoạch")."""
    words = search_words(" ".join(p for p in parts if p))
    return f" {' '.join(words)} " if words else ""


class DocumentKind(models.Model):
    """A kind of legal document (Luật, Nghị định, Quyết định…) and its minimum comment period."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("loại văn bản"), max_length=120)
    min_comment_days = models.PositiveSmallIntegerField(
        _("thời hạn lấy ý kiến tối thiểu (ngày)"),
        default=20,
        help_text=_("Thời hạn ngắn hơn cần áp dụng trình tự, thủ tục rút gọn và nêu lý do."),
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """A field of state management (lĩnh vực): đất đai, xây dựng, giáo dục…"""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("lĩnh vực"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self) -> str:
        return self.name


class Draft(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang soạn (chưa công khai)")
        PUBLISHED = "published", _("Đã công khai")
        WITHDRAWN = "withdrawn", _("Đã rút")

    class Phase(models.TextChoices):
        UPCOMING = "upcoming", _("Sắp lấy ý kiến")
        OPEN = "open", _("Đang lấy ý kiến")
        CLOSED = "closed", _("Đã hết hạn góp ý")
        REPORTED = "reported", _("Đã công bố kết quả tiếp thu")

    slug = models.SlugField(_("đường dẫn"), max_length=160, unique=True)
    title = models.CharField(_("tên dự thảo"), max_length=500)
    kind = models.ForeignKey(DocumentKind, verbose_name=_("loại văn bản"), on_delete=models.PROTECT)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan soạn thảo"), on_delete=models.PROTECT, related_name="drafts"
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, null=True, blank=True
    )
    summary = models.TextField(_("tóm tắt"), blank=True)
    receiving_unit_name = models.CharField(_("đơn vị tiếp nhận góp ý"), max_length=255)
    receiving_unit_address = models.CharField(_("địa chỉ đơn vị tiếp nhận"), max_length=255)
    receiving_unit_email = models.EmailField(_("thư điện tử đơn vị tiếp nhận"))
    opens_at = models.DateTimeField(_("bắt đầu lấy ý kiến"))
    closes_at = models.DateTimeField(_("hết hạn góp ý"))
    shortened_procedure = models.BooleanField(_("trình tự, thủ tục rút gọn"), default=False)
    shortened_reason = models.TextField(_("lý do rút ngắn thời hạn"), blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # Folded words of the title and summary (no diacritics, đ→d, lower case, no punctuation)
    # for diacritic-insensitive search; see search_text_of().
    search_text = models.TextField(editable=False, blank=True)
    response_summary = models.TextField(_("tóm tắt kết quả tiếp thu, giải trình"), blank=True)
    report_published_at = models.DateTimeField(_("công bố kết quả"), null=True, blank=True)
    published_at = models.DateTimeField(_("thời điểm công khai"), null=True, blank=True)
    import_warnings = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("dự thảo")
        verbose_name_plural = _("dự thảo")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="draft_closes_after_open"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("drafts:draft-detail", kwargs={"slug": self.slug})

    def phase_at(self, now: object = None) -> str:
        now = now or timezone.now()
        if self.report_published_at is not None:
            return self.Phase.REPORTED
        if now < self.opens_at:  # type: ignore[operator]
            return self.Phase.UPCOMING
        if now < self.closes_at:  # type: ignore[operator]
            return self.Phase.OPEN
        return self.Phase.CLOSED

    @property
    def phase(self) -> str:
        return self.phase_at()

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.phase == self.Phase.OPEN


class DraftNode(models.Model):
    """One structural part of a draft's text: Phần, Chương, Mục, Điều, Khoản, Điểm."""

    class Kind(models.TextChoices):
        PREAMBLE = "preamble", _("Phần mở đầu")
        PART = "part", _("Phần")
        CHAPTER = "chapter", _("Chương")
        SECTION = "section", _("Mục")
        ARTICLE = "article", _("Điều")
        CLAUSE = "clause", _("Khoản")
        POINT = "point", _("Điểm")
        TEXT = "text", _("Văn bản")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(max_length=20, blank=True)
    # The heading exactly as written ("Điều 5.", "1.", "a)"), so the page shows the text as
    # the agency wrote it even when the numbering is irregular.
    heading = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    anchor = models.CharField(max_length=120)
    citation = models.CharField(max_length=120, blank=True)
    # Document order of every node, so the whole text is one ordered query.
    position = models.PositiveIntegerField()
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["draft", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "anchor"], name="draftnode_unique_anchor"),
            models.UniqueConstraint(fields=["draft", "position"], name="draftnode_unique_position"),
        ]

    def __str__(self) -> str:
        return self.citation or self.title or self.kind


class DraftAttachment(models.Model):
    class Kind(models.TextChoices):
        FULL_TEXT = "full_text", _("Toàn văn dự thảo")
        SUBMISSION = "submission", _("Tờ trình")
        ANNEX = "annex", _("Phụ lục, tài liệu kèm theo")
        SYNTHESIS_REPORT = "synthesis_report", _("Báo cáo tổng hợp, tiếp thu, giải trình")
        REVISED_DRAFT = "revised_draft", _("Dự thảo đã chỉnh lý")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("loại tài liệu"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("tên tài liệu"), max_length=255)
    file = models.FileField(_("tệp"), upload_to="drafts/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "uploaded_at"]
        verbose_name = _("tài liệu kèm theo")
        verbose_name_plural = _("tài liệu kèm theo")

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    class CommenterType(models.TextChoices):
        INDIVIDUAL = "individual", _("Cá nhân")
        ORGANIZATION = "organization", _("Tổ chức, doanh nghiệp")
        AGENCY = "agency", _("Cơ quan nhà nước")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        PUBLISHED = "published", _("Đã đăng")
        REJECTED = "rejected", _("Bị từ chối")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Trực tuyến")
        PAPER = "paper", _("Văn bản giấy")
        EMAIL = "email", _("Thư điện tử")
        MEETING = "meeting", _("Hội nghị, hội thảo")

    class Disposition(models.TextChoices):
        NONE = "", _("Chưa xử lý")
        ACCEPTED = "accepted", _("Tiếp thu")
        PARTLY = "partly", _("Tiếp thu một phần")
        EXPLAINED = "explained", _("Giải trình, không tiếp thu")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="comments")
    # The article (Điều) commented on; None for a comment on the draft as a whole.
    article = models.ForeignKey(
        DraftNode, on_delete=models.PROTECT, null=True, blank=True, related_name="comments"
    )
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    commenter_type = models.CharField(
        _("chủ thể góp ý"), max_length=12, choices=CommenterType.choices
    )
    name = models.CharField(_("họ và tên"), max_length=120)
    organization = models.CharField(_("cơ quan, tổ chức"), max_length=255, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    publish_name = models.BooleanField(_("đồng ý công khai họ tên"), default=False)
    consent_at = models.DateTimeField(_("thời điểm đồng ý"), null=True, blank=True)
    body = models.TextField(_("nội dung góp ý"))
    original_body = models.TextField(blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    rejection_reason = models.ForeignKey(
        "moderation.RejectionReason",
        verbose_name=_("lý do từ chối"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(
        _("hình thức tiếp nhận"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    received_on = models.DateField(_("ngày nhận"), null=True, blank=True)
    scan = models.FileField(_("bản scan"), upload_to="comments/%Y/%m/", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposition = models.CharField(
        _("kết quả tiếp thu"), max_length=10, choices=Disposition.choices, blank=True, default=""
    )
    response = models.TextField(_("ý kiến tiếp thu, giải trình"), blank=True)
    disposition_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposition_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("thời điểm gửi"), auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("góp ý")
        verbose_name_plural = _("góp ý")
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "request_id"],
                condition=~Q(request_id=""),
                name="comment_unique_request_id",
            ),
        ]
        indexes = [
            models.Index(fields=["draft", "status", "article"]),
            models.Index(fields=["draft", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.body[:60]}"

    @property
    def display_name(self) -> str:
        return comment_display_name(
            self.commenter_type, self.organization, self.name, self.publish_name
        )


def comment_display_name(
    commenter_type: str,
    organization: str,
    name: str,
    publish_name: bool,
    anonymous: str | None = None,
) -> str:
    """The name the public sees on a comment: an organisation or agency by its organisation,
    a person by name only if they agreed, else "anonymous" (`anonymous`: that label, when the
    caller looked it up once for many comments)."""
    if commenter_type != Comment.CommenterType.INDIVIDUAL and organization:
        return organization
    if publish_name:
        return name
    return anonymous if anonymous is not None else str(_("Người góp ý ẩn danh"))


def export_storage() -> Any:
    """Where prepared downloads are kept: a folder of their own, never given a public URL (the
    file is served only through the job's download view, which checks the permission)."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / "private" / "exports")


def _export_upload_to(instance: ExportJob, filename: str) -> str:
    # A random name: nothing about the draft or the person in the path.
    return f"{uuid.uuid4().hex}.{instance.fmt}"


class ExportJob(models.Model):
    """A large export (DOCX / XLSX of a draft with many comments) prepared in the background,
    so the agency's browser shows progress instead of waiting on one long request
    (drafts/export_jobs.py). Belongs to the person who asked: the file may hold contact details
    only they may see."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang tạo tệp")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không tạo được")

    draft = models.ForeignKey(
        Draft, verbose_name=_("dự thảo"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    fmt = models.CharField(_("định dạng"), max_length=8)
    layout = models.CharField(_("mẫu"), max_length=16, blank=True)
    with_contacts = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Comments read so far out of `total` (counted when the job starts).
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Comments in the finished file (the DOCX leaves rejected ones out).
    count = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=export_storage, upload_to=_export_upload_to, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched with every progress step: a running job not touched for long lost its process.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tệp tải xuống đã chuẩn bị")
        verbose_name_plural = _("tệp tải xuống đã chuẩn bị")
        indexes = [models.Index(fields=["draft", "requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.fmt} {self.draft_id}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.progress * 100 // self.total)
