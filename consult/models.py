"""Accounts, roles and the reference data every feature shares: agencies and leaders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    """A state body: the provincial People's Committee, a department (Sở), a district."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=80, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name


class Leader(models.Model):
    """A leader who chairs or takes part in dialogues and answers citizens."""

    name = models.CharField(_("họ và tên"), max_length=120)
    title = models.CharField(_("chức vụ"), max_length=255)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="leaders"
    )

    class Meta:
        ordering = ["agency__name", "name"]
        verbose_name = _("lãnh đạo")
        verbose_name_plural = _("lãnh đạo")

    def __str__(self) -> str:
        return f"{self.name}, {self.title}"


class User(AbstractUser):
    """A staff account. Citizens do not log in; they are identified per submission."""

    class Role(models.TextChoices):
        MODERATOR = "moderator", _("Biên tập viên (Ban Biên tập)")
        LEADER = "leader", _("Lãnh đạo / thư ký lãnh đạo")
        AGENCY_STAFF = "agency_staff", _("Cán bộ cơ quan soạn thảo")
        ADMINISTRATOR = "administrator", _("Quản trị hệ thống")

    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, blank=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("Bắt buộc với cán bộ cơ quan soạn thảo."),
    )
    leader = models.ForeignKey(
        Leader,
        verbose_name=_("trả lời thay mặt lãnh đạo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        help_text=_("Lãnh đạo mà tài khoản này trả lời (chính lãnh đạo hoặc thư ký)."),
    )
    full_name = models.CharField(_("họ và tên"), max_length=120, blank=True)

    # django-stubs does not declare AbstractUser.Meta, which Django defines (abstract = True).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("tài khoản cán bộ")
        verbose_name_plural = _("tài khoản cán bộ")

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class PublicHoliday(models.Model):
    """A day off by law or by the Government's yearly announcement (Tết, Quốc khánh…).

    Legal deadlines count working days (Decree 43/2011: answers within 15 working days), so the
    days here are skipped together with weekends and the `PUBLIC_HOLIDAYS` setting. The list is
    announced year by year (and compensatory days change), so administrators keep it in the admin.
    """

    date = models.DateField(_("ngày"), unique=True)
    name = models.CharField(_("tên ngày nghỉ"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("ngày nghỉ lễ, Tết")
        verbose_name_plural = _("ngày nghỉ lễ, Tết")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.name}"
