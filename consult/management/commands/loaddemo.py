"""`python manage.py loaddemo`: idempotent demo data in Vietnamese for every feature.

Accounts and agencies come from consult; each feature contributes its own loader, listed in
settings.CONSULT_DEMO_LOADERS, so this command knows no feature."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from consult.demo import demo_password, demo_reference_load


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu (có thể chạy nhiều lần): cơ quan, lãnh đạo, tài khoản, đối thoại, dự thảo."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            context = demo_reference_load()
        for path in settings.CONSULT_DEMO_LOADERS:
            loader = import_string(path)
            for line in loader(context):
                self.stdout.write(f"  {line}")
        password = demo_password()
        self.stdout.write(self.style.SUCCESS("Dữ liệu mẫu đã sẵn sàng."))
        self.stdout.write(f"Tài khoản mẫu (mật khẩu chung: {password}):")
        for username, label in (
            ("bientap", "Ban Biên tập (biên tập viên)"),
            ("lanhdao", "lãnh đạo (Chủ tịch UBND tỉnh)"),
            ("sotuphap", "cán bộ Sở Tư pháp (cơ quan soạn thảo)"),
            ("admin", "quản trị hệ thống"),
        ):
            self.stdout.write(f"  {username:<10} {label}")
