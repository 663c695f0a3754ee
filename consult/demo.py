"""Reference data and staff accounts of the demo (a fictional province, "tỉnh Bình An")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from consult.models import Agency, Leader, User


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "consult-demo")


@dataclass
class DemoContext:
    agencies: dict[str, Agency] = field(default_factory=dict)
    leaders: dict[str, Leader] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


AGENCIES = [
    (
        "ubnd",
        "Ủy ban nhân dân tỉnh Bình An",
        "UBND tỉnh",
        "Số 1 đường Trần Hưng Đạo, phường Tân Phong, thành phố Bình An",
    ),
    (
        "stp",
        "Sở Tư pháp tỉnh Bình An",
        "Sở Tư pháp",
        "Số 12 đường Lê Lợi, phường Tân Phong, thành phố Bình An",
    ),
    (
        "stnmt",
        "Sở Nông nghiệp và Môi trường tỉnh Bình An",
        "Sở NN&MT",
        "Số 45 đường Nguyễn Huệ, phường Hòa Bình, thành phố Bình An",
    ),
    (
        "sxd",
        "Sở Xây dựng tỉnh Bình An",
        "Sở Xây dựng",
        "Số 8 đường Hai Bà Trưng, phường Tân Phong, thành phố Bình An",
    ),
]

LEADERS = [
    ("chu-tich", "Nguyễn Văn Thành", "Chủ tịch UBND tỉnh", "ubnd"),
    ("pho-chu-tich", "Trần Thị Thu Hà", "Phó Chủ tịch UBND tỉnh", "ubnd"),
    ("giam-doc-snnmt", "Lê Quốc Khánh", "Giám đốc Sở Nông nghiệp và Môi trường", "stnmt"),
    ("giam-doc-sxd", "Phạm Minh Đức", "Giám đốc Sở Xây dựng", "sxd"),
]


def demo_reference_load() -> DemoContext:
    """Agencies, leaders and the four demo accounts; safe to run again (matched by code/name)."""
    context = DemoContext()
    for code, name, short, address in AGENCIES:
        agency, _created = Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "address": address,
                "email": f"{code}@binhan.gov.vn",
                "phone": "0274 3822 000",
            },
        )
        context.agencies[code] = agency
    for key, name, title, agency_code in LEADERS:
        leader, _created = Leader.objects.update_or_create(
            name=name, defaults={"title": title, "agency": context.agencies[agency_code]}
        )
        context.leaders[key] = leader
    password = demo_password()
    accounts: list[tuple[str, str, str, dict[str, Any]]] = [
        ("bientap", "Võ Thị Biên", User.Role.MODERATOR, {}),
        ("lanhdao", "Nguyễn Văn Thành", User.Role.LEADER, {"leader": context.leaders["chu-tich"]}),
        ("sotuphap", "Đặng Văn Pháp", User.Role.AGENCY_STAFF, {"agency": context.agencies["stp"]}),
    ]
    for username, full_name, role, extra in accounts:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "role": role, **extra}
        )
        if created:
            user.set_password(password)
            user.save()
        context.users[username] = user
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser(
            username="admin", password=password, email="admin@binhan.gov.vn", full_name="Quản trị"
        )
    context.users["admin"] = admin
    return context
