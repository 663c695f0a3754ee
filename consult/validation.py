"""Field validation shared by every citizen-facing submission (questions, comments)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from consult.errors import Invalid
from consult.text import normalize_text

_PHONE_CHARS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^(?:\+84|84|0)\d{8,10}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class FieldErrors:
    """Collects per-field messages so one response reports every problem at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise Invalid(
                _("Thông tin gửi lên chưa hợp lệ. Vui lòng kiểm tra lại."), fields=self.fields
            )

    def text(
        self,
        field: str,
        value: Any,
        *,
        max_length: int,
        required: bool = True,
        multiline: bool = False,
    ) -> str:
        if value is not None and not isinstance(value, str):
            self.add(field, _("Giá trị phải là chuỗi ký tự."))
            return ""
        text = normalize_text(value, multiline=multiline)
        if required and not text:
            self.add(field, _("Vui lòng điền thông tin này."))
        elif len(text) > max_length:
            self.add(
                field,
                _("Tối đa %(max)s ký tự (hiện có %(count)s).")
                % {"max": max_length, "count": len(text)},
            )
        return text

    def email(self, field: str, value: Any) -> str:
        text = self.text(field, value, max_length=254, required=False)
        if text:
            try:
                validate_email(text)
            except ValidationError:
                self.add(field, _("Địa chỉ thư điện tử không hợp lệ."))
        return text.lower()

    def phone(self, field: str, value: Any) -> str:
        text = self.text(field, value, max_length=30, required=False)
        compact = _PHONE_CHARS.sub("", text)
        if compact and not _PHONE.match(compact):
            self.add(field, _("Số điện thoại không hợp lệ (ví dụ 0912 345 678)."))
        return compact

    def boolean(self, field: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (None, ""):
            return False
        if isinstance(value, str) and value.lower() in {"on", "true", "1", "yes"}:
            return True
        if isinstance(value, str) and value.lower() in {"off", "false", "0", "no"}:
            return False
        self.add(field, _("Giá trị phải là đúng hoặc sai."))
        return False

    def request_id(self, field: str, value: Any) -> str:
        if value in (None, ""):
            return ""
        if not isinstance(value, str) or not _REQUEST_ID.match(value):
            self.add(field, _("request_id phải gồm 1–64 ký tự chữ, số, '-', '_', '.', ':'."))
            return ""
        return value
