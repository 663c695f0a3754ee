"""Forms of the dialogue pages. They only carry what was typed and the messages to show next
to each field: every rule (required fields, lengths, contact, consent) is checked once, in
`livechat.services`, and its `Invalid.fields` are attached back to these fields."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consult.errors import Invalid


class ServiceForm(forms.Form):
    """A form whose validation happens in a service; `errors_attach` shows its messages."""

    def errors_attach(self, error: Invalid) -> list[str]:
        """Put each field message on its field; return the messages of unknown fields."""
        others = []
        for field, message in error.fields.items():
            if field in self.fields:
                self.add_error(field, message)
            else:
                others.append(message)
        return others


class QuestionForm(ServiceForm):
    asker_name = forms.CharField(label=_("Họ và tên"), required=False)
    locality = forms.CharField(
        label=_("Địa phương (xã, phường, huyện)"),
        required=False,
        help_text=_("Ví dụ: Phường Tân Phong, thành phố Bình An."),
    )
    email = forms.CharField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), required=False)
    body = forms.CharField(label=_("Nội dung câu hỏi"), required=False)
    consent = forms.BooleanField(label=_("Đồng ý xử lý thông tin cá nhân"), required=False)
    publish_name = forms.BooleanField(label=_("Công khai họ tên"), required=False)
    request_id = forms.CharField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # One id per rendered form: a second click or a retried POST finds the first question.
            self.initial.setdefault("request_id", uuid.uuid4().hex)
        self.fields["body"].help_text = _("Tối đa %(max)s ký tự.") % {
            "max": settings.CONSULT["QUESTION_MAX_LENGTH"]
        }

    def service_kwargs(self) -> dict[str, Any]:
        """The raw values for `question_submit`, which normalises and validates them."""
        data = self.data
        return {
            "asker_name": data.get("asker_name", ""),
            "locality": data.get("locality", ""),
            "email": data.get("email", ""),
            "phone": data.get("phone", ""),
            "body": data.get("body", ""),
            "consent": data.get("consent", ""),
            "publish_name": data.get("publish_name", ""),
            "request_id": data.get("request_id", ""),
        }

    @property
    def request_id_value(self) -> str:
        return str(self.data.get("request_id") or self.initial.get("request_id") or "")


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Mã theo dõi"), max_length=16)


class AnswerForm(ServiceForm):
    body = forms.CharField(label=_("Nội dung trả lời"), required=False)
    leader = forms.CharField(label=_("Lãnh đạo trả lời"), required=False)
    request_id = forms.CharField(required=False)
