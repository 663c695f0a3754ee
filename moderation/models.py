"""Rejection reasons and the one append-only audit log of every moderation decision."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation.audit import AuditEntryQuerySet


class RejectionReason(models.Model):
    """A ground for refusing to publish, from the law on prohibited content (LEGAL.md)."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    title = models.CharField(_("lý do"), max_length=255)
    explanation = models.TextField(
        _("giải thích cho người gửi"), help_text=_("Hiển thị cho công dân trên trang theo dõi.")
    )
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255, blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("lý do từ chối")
        verbose_name_plural = _("lý do từ chối")

    def __str__(self) -> str:
        return self.title


class AuditLogImmutable(Exception):
    pass


class AuditEntry(models.Model):
    """Who did what to which item, when, with the state before and after and the reason.

    Append-only: the application never updates or deletes a row.
    """

    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("người thực hiện"), max_length=150)
    action = models.CharField(_("thao tác"), max_length=60, db_index=True)
    item_kind = models.CharField(_("loại nội dung"), max_length=40)
    item_id = models.BigIntegerField(_("mã nội dung"), null=True)
    item_label = models.CharField(_("nội dung"), max_length=255, blank=True)
    context_label = models.CharField(_("thuộc"), max_length=255, blank=True)
    before = models.JSONField(_("trước"), default=dict, blank=True)
    after = models.JSONField(_("sau"), default=dict, blank=True)
    reason = models.ForeignKey(
        RejectionReason,
        verbose_name=_("lý do"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("ghi chú"), blank=True)

    # Reads and inserts only: bulk update/delete raise too (moderation/audit.py).
    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("nhật ký kiểm duyệt")
        verbose_name_plural = _("nhật ký kiểm duyệt")
        indexes = [models.Index(fields=["item_kind", "item_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditLogImmutable("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogImmutable("audit entries cannot be deleted")


class Claim(models.Model):
    """A moderator is working on an item: the others see it live and are asked to confirm
    before deciding on it. One claim per item; it expires by itself (CLAIM_SECONDS), so a
    moderator who walks away never locks an item. Written only by moderation.claims."""

    kind = models.CharField(_("loại nội dung"), max_length=40)
    object_id = models.BigIntegerField(_("mã nội dung"))
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("biên tập viên"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("hết hạn lúc"), db_index=True)
    # When this moderator took the item (kept when the claim is refreshed, reset on takeover).
    created_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("nhận xử lý")
        verbose_name_plural = _("nhận xử lý")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="moderation_claim_one_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} → {self.moderator_id}"

    def is_live(self, now: Any = None) -> bool:
        return self.expires_at > (now or timezone.now())


class Item(models.Model):
    """One row per moderatable item of any feature (a question, a comment): the unified inbox.

    A mirror kept by the features' services (moderation.services.item_index / item_sync) in the
    transaction of each change; the feature's own row stays the truth. Staff-only: it holds the
    author's name and locality, never their contact details.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        PUBLISHED = "published", _("Đã đăng")
        REJECTED = "rejected", _("Bị từ chối")
        MERGED = "merged", _("Đã gộp")

    kind = models.CharField(_("loại nội dung"), max_length=20)
    object_id = models.BigIntegerField(_("mã nội dung"))
    context_kind = models.CharField(_("loại nơi gửi"), max_length=20)
    context_id = models.BigIntegerField(_("mã nơi gửi"))
    context_label = models.CharField(_("thuộc"), max_length=255)
    context_url = models.CharField(_("trang xử lý"), max_length=255, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    version = models.PositiveIntegerField(default=1)
    topic = models.CharField(_("nhóm chủ đề"), max_length=80, blank=True)
    excerpt = models.CharField(_("trích đoạn"), max_length=500)
    search_text = models.TextField(blank=True)
    author_label = models.CharField(_("người gửi"), max_length=255, blank=True)
    flags = models.JSONField(_("cảnh báo"), default=list, blank=True)
    # Space-delimited codes (" term personal_data ") so a flag filter is a plain LIKE.
    flag_codes = models.CharField(max_length=255, blank=True, default="")
    # A written answer's due date while one is awaited (questions only); None otherwise.
    due_on = models.DateField(_("hạn trả lời"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("thời điểm gửi"), db_index=True)
    decided_at = models.DateTimeField(_("thời điểm quyết định"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người quyết định"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("nội dung cần kiểm duyệt")
        verbose_name_plural = _("nội dung cần kiểm duyệt")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="item_unique_kind_object"),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["context_kind", "context_id", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.excerpt[:40]}"


class FlagTerm(models.Model):
    """A prohibited or sensitive term that the auto-flags look for (moderation.flags).

    Matched regardless of diacritics, case and spacing tricks; a match only flags an item for
    the moderators, it never rejects anything. Administrators keep the list in the admin.
    """

    class Category(models.TextChoices):
        PROHIBITED = "prohibited", _("Bị cấm")
        SENSITIVE = "sensitive", _("Nhạy cảm")

    term = models.CharField(
        _("từ ngữ"),
        max_length=100,
        unique=True,
        help_text=_("Viết có dấu; khớp cả khi viết không dấu, in hoa hay chèn dấu cách, dấu chấm."),
    )
    category = models.CharField(
        _("mức độ"), max_length=12, choices=Category.choices, default=Category.SENSITIVE
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("từ ngữ cần cảnh báo")
        verbose_name_plural = _("từ ngữ cần cảnh báo")

    def __str__(self) -> str:
        return self.term

    def clean(self) -> None:
        # Imported here: moderation.flags imports this module (and this file's imports are shared).
        from django.core.exceptions import ValidationError

        from consult.text import normalize_text
        from moderation.flags import term_key

        self.term = normalize_text(self.term, multiline=False)
        key = term_key(self.term)
        if len(key.replace(" ", "")) < 2:
            raise ValidationError({"term": _("Từ ngữ cần có ít nhất hai chữ cái hoặc chữ số.")})
        # "lừa đảo" and "lua dao" match the same texts, so they are one term, not two.
        for other in FlagTerm.objects.exclude(pk=self.pk).only("term"):
            if term_key(other.term) == key:
                raise ValidationError({"term": _("Đã có từ ngữ “%s” tương đương.") % other.term})
