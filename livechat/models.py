"""Dialogues, citizens' questions, leaders' answers and the per-dialogue event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from consult.models import Agency, Leader


class Dialogue(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        ANNOUNCED = "announced", _("Đã thông báo, đang nhận câu hỏi")
        LIVE = "live", _("Đang diễn ra")
        ENDED = "ended", _("Đã kết thúc")
        ARCHIVED = "archived", _("Lưu trữ")

    slug = models.SlugField(_("đường dẫn"), max_length=120, unique=True)
    topic = models.CharField(_("chủ đề"), max_length=255)
    description = models.TextField(_("giới thiệu"), blank=True)
    how_to_take_part = models.TextField(_("cách thức tham gia"), blank=True)
    host_agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+"
    )
    chair = models.ForeignKey(
        Leader, verbose_name=_("lãnh đạo chủ trì"), on_delete=models.PROTECT, related_name="+"
    )
    participants = models.ManyToManyField(
        Leader, verbose_name=_("lãnh đạo tham gia"), blank=True, related_name="dialogues"
    )
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc"))
    stream_url = models.URLField(_("đường dẫn phát trực tiếp"), blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    on_air = models.ForeignKey(
        "Question",
        verbose_name=_("câu hỏi đang trả lời"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Counters of the event log; bumped under a row lock so `seq` is gap-free.
    last_seq = models.BigIntegerField(default=0, editable=False)
    last_public_seq = models.BigIntegerField(default=0, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("đối thoại trực tuyến")
        verbose_name_plural = _("đối thoại trực tuyến")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dialogue_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.topic

    def get_absolute_url(self) -> str:
        return reverse("livechat:dialogue-detail", kwargs={"slug": self.slug})

    @property
    def accepts_questions(self) -> bool:
        return self.status in (self.Status.ANNOUNCED, self.Status.LIVE)

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.ENDED, self.Status.ARCHIVED)


class Question(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        PUBLISHED = "published", _("Đã đăng")
        REJECTED = "rejected", _("Bị từ chối")
        MERGED = "merged", _("Đã gộp")

    class AnswerState(models.TextChoices):
        UNANSWERED = "unanswered", _("Chưa trả lời")
        ANSWERED_LIVE = "answered_live", _("Đã trả lời trực tiếp")
        AWAITING_WRITTEN = "awaiting_written", _("Sẽ trả lời bằng văn bản")
        ANSWERED_WRITTEN = "answered_written", _("Đã trả lời bằng văn bản")

    dialogue = models.ForeignKey(
        Dialogue, verbose_name=_("đối thoại"), on_delete=models.CASCADE, related_name="questions"
    )
    tracking_code = models.CharField(_("mã theo dõi"), max_length=16, unique=True)
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    asker_name = models.CharField(_("họ và tên"), max_length=120)
    locality = models.CharField(_("địa phương"), max_length=120)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    publish_name = models.BooleanField(_("đồng ý công khai họ tên"), default=False)
    consent_at = models.DateTimeField(_("thời điểm đồng ý"))
    body = models.TextField(_("nội dung"))
    # What the citizen wrote, kept when a moderator edits the wording; shown to staff only.
    original_body = models.TextField(_("nội dung gốc"), blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    answer_state = models.CharField(
        _("trả lời"), max_length=20, choices=AnswerState.choices, default=AnswerState.UNANSWERED
    )
    rejection_reason = models.ForeignKey(
        "moderation.RejectionReason",
        verbose_name=_("lý do từ chối"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("gộp vào"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_questions",
    )
    topic = models.CharField(_("nhóm chủ đề"), max_length=80, blank=True)
    forwarded_to = models.ForeignKey(
        Leader,
        verbose_name=_("chuyển lãnh đạo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forwarded_questions",
    )
    position = models.IntegerField(_("thứ tự"), default=0, db_index=True)
    upvote_count = models.PositiveIntegerField(_("lượt ủng hộ"), default=0)
    written_due_on = models.DateField(_("hạn trả lời bằng văn bản"), null=True, blank=True)
    # Optimistic concurrency: every moderation action bumps it; a stale action is a conflict.
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("thời điểm gửi"), auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(_("thời điểm đăng"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)

    class Meta:
        ordering = ["position", "submitted_at", "id"]
        verbose_name = _("câu hỏi")
        verbose_name_plural = _("câu hỏi")
        constraints = [
            models.UniqueConstraint(
                fields=["dialogue", "request_id"],
                condition=~Q(request_id=""),
                name="question_unique_request_id",
            ),
        ]
        indexes = [models.Index(fields=["dialogue", "status", "position"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.body[:60]}"

    @property
    def display_name(self) -> str:
        return self.asker_name if self.publish_name else str(_("Người gửi ẩn danh"))


class Answer(models.Model):
    class Kind(models.TextChoices):
        LIVE = "live", _("Trả lời trực tiếp")
        WRITTEN = "written", _("Trả lời bằng văn bản")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    leader = models.ForeignKey(
        Leader, verbose_name=_("lãnh đạo trả lời"), on_delete=models.PROTECT, related_name="answers"
    )
    # Who typed it (the leader or a secretary); the answer is attributed to `leader`.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    kind = models.CharField(_("hình thức"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("nội dung trả lời"))
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("trả lời")
        verbose_name_plural = _("trả lời")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "request_id"],
                condition=~Q(request_id=""),
                name="answer_unique_request_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader}: {self.body[:60]}"


class Upvote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    # A salted hash of the supporter's browser token: once per browser, nothing personal kept.
    voter_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "voter_hash"], name="upvote_once"),
        ]

    def __str__(self) -> str:
        return f"+1 #{self.question_id}"


class DialogueEvent(models.Model):
    """One change of a dialogue, in order. The database is the truth; sockets replay from here.

    `seq` numbers every event (what staff see); `public_seq` numbers only the events the public
    may see, so each audience gets a gap-free sequence of its own.
    """

    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    public_seq = models.BigIntegerField(null=True, blank=True)
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    public_data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "seq"], name="event_unique_seq"),
            models.UniqueConstraint(
                fields=["dialogue", "public_seq"], name="event_unique_public_seq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dialogue_id}#{self.seq} {self.type}"
