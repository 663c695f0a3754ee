"""Forms of the draft pages. They carry what was typed and show messages next to each field;
every rule (period, minimum duration, contact, consent, file types) is checked once, in
`drafts.services`, and its `Invalid.fields` are attached back here."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consult.errors import DomainError
from consult.models import Agency
from drafts.models import Comment, DocumentKind, DraftAttachment, DraftNode, Sector

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ServiceForm(forms.Form):
    """A form whose validation happens in a service; `errors_attach` shows its messages."""

    def errors_attach(self, error: DomainError) -> list[str]:
        """Put each field message on its field; return the messages of unknown fields."""
        others = []
        for name, message in error.fields.items():
            if name in self.fields:
                self.add_error(name, message)
            else:
                others.append(message)
        return others

    def raw(self, *names: str) -> dict[str, Any]:
        return {name: self.data.get(name, "") for name in names}


class CommentForm(ServiceForm):
    article = forms.ChoiceField(
        label=_("Góp ý cho"),
        required=False,
        help_text=_("Chọn một điều của dự thảo, hoặc góp ý chung cho toàn bộ dự thảo."),
    )
    commenter_type = forms.ChoiceField(
        label=_("Bạn góp ý với tư cách"),
        choices=Comment.CommenterType.choices,
        required=False,
        initial=Comment.CommenterType.INDIVIDUAL,
    )
    name = forms.CharField(label=_("Họ và tên"), required=False)
    organization = forms.CharField(
        label=_("Cơ quan, tổ chức, doanh nghiệp"),
        required=False,
        help_text=_("Bắt buộc nếu bạn góp ý thay mặt một tổ chức hoặc cơ quan nhà nước."),
    )
    email = forms.CharField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), required=False)
    body = forms.CharField(label=_("Nội dung góp ý"), required=False)
    consent = forms.BooleanField(label=_("Đồng ý xử lý thông tin cá nhân"), required=False)
    publish_name = forms.BooleanField(label=_("Công khai họ tên"), required=False)
    request_id = forms.CharField(required=False)

    def __init__(self, *args: Any, articles: list[DraftNode] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, StrOrPromise]] = [("", _("Toàn bộ dự thảo (góp ý chung)"))]
        for node in articles or []:
            label = node.citation or f"Điều {node.number}"
            if node.title:
                label = f"{label}. {node.title[:80]}"
            # The anchor, not the number: a decision and the regulation it issues both have
            # an "Điều 1".
            choices.append((node.anchor, label))
        cast(forms.ChoiceField, self.fields["article"]).choices = choices
        if not self.is_bound:
            # One id per rendered form: a double click or a retried POST finds the first comment.
            self.initial.setdefault("request_id", uuid.uuid4().hex)
        self.fields["body"].help_text = _("Tối đa %(max)s ký tự.") % {
            "max": settings.CONSULT.get("COMMENT_MAX_LENGTH", 10000)
        }

    @property
    def request_id_value(self) -> str:
        return str(self.data.get("request_id") or self.initial.get("request_id", ""))

    def service_kwargs(self) -> dict[str, Any]:
        return self.raw(
            "article",
            "commenter_type",
            "name",
            "organization",
            "email",
            "phone",
            "body",
            "consent",
            "publish_name",
            "request_id",
        )


class DraftForm(ServiceForm):
    title = forms.CharField(label=_("Tên dự thảo"), required=False)
    kind = forms.ModelChoiceField(
        label=_("Loại văn bản"), queryset=DocumentKind.objects.all(), required=False
    )
    agency = forms.ModelChoiceField(
        label=_("Cơ quan soạn thảo"), queryset=Agency.objects.all(), required=False
    )
    sector = forms.ModelChoiceField(
        label=_("Lĩnh vực"), queryset=Sector.objects.all(), required=False
    )
    summary = forms.CharField(label=_("Tóm tắt"), required=False, widget=forms.Textarea)
    receiving_unit_name = forms.CharField(
        label=_("Đơn vị tiếp nhận góp ý"),
        required=False,
        help_text=_("Để trống để dùng tên cơ quan soạn thảo."),
    )
    receiving_unit_address = forms.CharField(
        label=_("Địa chỉ đơn vị tiếp nhận"),
        required=False,
        help_text=_("Để trống để dùng địa chỉ cơ quan soạn thảo."),
    )
    receiving_unit_email = forms.CharField(
        label=_("Thư điện tử nhận góp ý"),
        required=False,
        help_text=_("Để trống để dùng thư điện tử cơ quan soạn thảo."),
    )
    opens_at = forms.CharField(
        label=_("Bắt đầu lấy ý kiến (giờ Việt Nam)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    closes_at = forms.CharField(
        label=_("Hết hạn góp ý (giờ Việt Nam)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Góp ý được nhận đến trước thời điểm này."),
    )
    shortened_procedure = forms.BooleanField(
        label=_("Áp dụng trình tự, thủ tục rút gọn (thời hạn ngắn hơn mức tối thiểu)"),
        required=False,
    )
    shortened_reason = forms.CharField(
        label=_("Lý do rút ngắn thời hạn lấy ý kiến"), required=False, widget=forms.Textarea
    )

    FIELDS = (
        "title",
        "kind",
        "agency",
        "sector",
        "summary",
        "receiving_unit_name",
        "receiving_unit_address",
        "receiving_unit_email",
        "opens_at",
        "closes_at",
        "shortened_procedure",
        "shortened_reason",
    )

    def __init__(self, *args: Any, agencies: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            cast(forms.ModelChoiceField, self.fields["agency"]).queryset = agencies
        minimums = "; ".join(
            _("%(kind)s: %(days)s ngày") % {"kind": kind.name, "days": kind.min_comment_days}
            for kind in DocumentKind.objects.all()
        )
        self.fields["kind"].help_text = _("Thời hạn lấy ý kiến tối thiểu — %(list)s.") % {
            "list": minimums
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.raw(*self.FIELDS)
        data["sector"] = data["sector"] or None
        data["shortened_procedure"] = bool(self.data.get("shortened_procedure"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp toàn văn dự thảo (.docx, .txt, .md)"),
        help_text=_("Cấu trúc Phần, Chương, Mục, Điều, Khoản, Điểm được nhận biết tự động."),
    )


class AttachmentForm(ServiceForm):
    kind = forms.ChoiceField(label=_("Loại tài liệu"), choices=DraftAttachment.Kind.choices)
    title = forms.CharField(label=_("Tên tài liệu"), required=False)
    file = forms.FileField(
        label=_("Tệp"), help_text=_("PDF, Word (.docx, .doc), Excel (.xlsx), ảnh JPEG/PNG.")
    )


class OfflineCommentForm(ServiceForm):
    channel = forms.ChoiceField(
        label=_("Hình thức tiếp nhận"),
        choices=[c for c in Comment.Channel.choices if c[0] != Comment.Channel.ONLINE],
        required=False,
    )
    received_on = forms.CharField(
        label=_("Ngày nhận"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    article = forms.ChoiceField(label=_("Góp ý cho"), required=False)
    commenter_type = forms.ChoiceField(
        label=_("Chủ thể góp ý"), choices=Comment.CommenterType.choices, required=False
    )
    name = forms.CharField(label=_("Họ và tên người góp ý / người ký"), required=False)
    organization = forms.CharField(label=_("Cơ quan, tổ chức"), required=False)
    email = forms.CharField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), required=False)
    body = forms.CharField(label=_("Nội dung góp ý"), required=False, widget=forms.Textarea)
    scan = forms.FileField(
        label=_("Bản scan văn bản góp ý (không bắt buộc)"),
        required=False,
        help_text=_("PDF hoặc ảnh JPEG/PNG."),
    )

    def __init__(self, *args: Any, articles: list[DraftNode] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, StrOrPromise]] = [("", _("Toàn bộ dự thảo (góp ý chung)"))]
        choices += [(n.anchor, n.citation or f"Điều {n.number}") for n in articles or []]
        cast(forms.ChoiceField, self.fields["article"]).choices = choices


class ReportForm(ServiceForm):
    response_summary = forms.CharField(
        label=_("Tóm tắt kết quả tiếp thu, giải trình"), required=False, widget=forms.Textarea
    )
    report = forms.FileField(
        label=_("Báo cáo tổng hợp, tiếp thu, giải trình ý kiến góp ý"), required=False
    )
    revised_draft = forms.FileField(
        label=_("Dự thảo đã tiếp thu, chỉnh lý (không bắt buộc)"), required=False
    )
