from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from consult import rules


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "site_name": settings.CONSULT["SITE_NAME"],
        "province_name": settings.CONSULT["PROVINCE_NAME"],
        "staff_role": rules.role_of(user),
        "is_moderator": rules.is_moderator(user),
    }
