"""Seed Vietnam's public holidays for 2026 and 2027 — a BELIEVED list, editable in the admin.

Labour Code 2019 Art. 112 gives: Tết Dương lịch (1/1), Tết Nguyên đán (5 days), Giỗ Tổ Hùng
Vương (10/3 lunar), Victory Day (30/4), Labour Day (1/5) and National Day (2/9 plus one adjacent
day); a holiday on a weekend is made up on the next working day (Art. 111(3)). The exact days,
above all Tết, are announced by the Government each year for civil servants.

- Lunar dates were computed with the Vietnamese lunar calendar (UTC+7): mùng 1 Tết is
  17/02/2026 and 06/02/2027; 10/3 lunar is 26/04/2026 (a Sunday, made up on 27/04) and
  16/04/2027.
- Tết 2026, 14–22/02/2026, is the break announced for civil servants (believed).
- Tết 2027, 04–10/02/2027, is believed (the pattern of 2024, when mùng 1 was also a Saturday).
- National Day's adjacent day (01/09/2026, 03/09/2027) is believed.

Every day here is an ordinary row: administrators correct or extend the list in the admin.
Reversing removes only rows still carrying the seeded date and name.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

TET_DUONG_LICH = "Tết Dương lịch"
TET_NGUYEN_DAN = "Tết Nguyên đán"
GIO_TO = "Giỗ Tổ Hùng Vương"
GIO_TO_BU = "Nghỉ bù Giỗ Tổ Hùng Vương"
GIAI_PHONG = "Ngày Chiến thắng (30/4)"
QUOC_TE_LAO_DONG = "Ngày Quốc tế Lao động (1/5)"
QUOC_TE_LAO_DONG_BU = "Nghỉ bù Ngày Quốc tế Lao động"
QUOC_KHANH = "Quốc khánh"


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


HOLIDAYS: list[tuple[dt.date, str]] = [
    # 2026
    (dt.date(2026, 1, 1), TET_DUONG_LICH),
    *((day, TET_NGUYEN_DAN) for day in _days(dt.date(2026, 2, 14), dt.date(2026, 2, 22))),
    (dt.date(2026, 4, 26), GIO_TO),
    (dt.date(2026, 4, 27), GIO_TO_BU),
    (dt.date(2026, 4, 30), GIAI_PHONG),
    (dt.date(2026, 5, 1), QUOC_TE_LAO_DONG),
    (dt.date(2026, 9, 1), QUOC_KHANH),
    (dt.date(2026, 9, 2), QUOC_KHANH),
    # 2027
    (dt.date(2027, 1, 1), TET_DUONG_LICH),
    *((day, TET_NGUYEN_DAN) for day in _days(dt.date(2027, 2, 4), dt.date(2027, 2, 10))),
    (dt.date(2027, 4, 16), GIO_TO),
    (dt.date(2027, 4, 30), GIAI_PHONG),
    (dt.date(2027, 5, 1), QUOC_TE_LAO_DONG),
    (dt.date(2027, 5, 3), QUOC_TE_LAO_DONG_BU),
    (dt.date(2027, 9, 2), QUOC_KHANH),
    (dt.date(2027, 9, 3), QUOC_KHANH),
]


def seed(apps, schema_editor):
    PublicHoliday = apps.get_model("consult", "PublicHoliday")
    for day, name in HOLIDAYS:
        # An administrator's own row for that date wins: never overwrite it.
        PublicHoliday.objects.get_or_create(date=day, defaults={"name": name})


def unseed(apps, schema_editor):
    PublicHoliday = apps.get_model("consult", "PublicHoliday")
    for day, name in HOLIDAYS:
        PublicHoliday.objects.filter(date=day, name=name).delete()


class Migration(migrations.Migration):
    dependencies = [("consult", "0002_public_holiday")]

    operations = [migrations.RunPython(seed, unseed)]
