"""Seed the document kinds (with their minimum comment period) and a few fields (lĩnh vực).

The minimum periods are believed practice (LEGAL.md): about 20 calendar days in general, 30 for
provincial decisions and resolutions under the 2015 law. They stay editable in the admin.
"""

from django.db import migrations

KINDS = [
    ("luat", "Luật", 20, 10),
    ("nghi-dinh", "Nghị định", 20, 20),
    ("nghi-quyet", "Nghị quyết", 30, 30),
    ("quyet-dinh", "Quyết định", 30, 40),
    ("thong-tu", "Thông tư", 20, 50),
    ("chi-thi", "Chỉ thị", 20, 60),
    ("ke-hoach", "Kế hoạch", 20, 70),
    ("khac", "Khác", 20, 100),
]

SECTORS = [
    ("dat-dai", "Đất đai"),
    ("xay-dung", "Xây dựng"),
    ("giao-duc", "Giáo dục"),
    ("y-te", "Y tế"),
    ("giao-thong", "Giao thông"),
    ("tai-chinh", "Tài chính"),
    ("tu-phap", "Tư pháp"),
    ("moi-truong", "Môi trường"),
    ("nong-nghiep", "Nông nghiệp"),
    ("lao-dong", "Lao động, việc làm"),
]


def seed(apps, schema_editor):
    DocumentKind = apps.get_model("drafts", "DocumentKind")
    Sector = apps.get_model("drafts", "Sector")
    for code, name, days, position in KINDS:
        DocumentKind.objects.get_or_create(
            code=code, defaults={"name": name, "min_comment_days": days, "position": position}
        )
    for code, name in SECTORS:
        Sector.objects.get_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    # Keep whatever drafts reference; remove only the unused seeded rows.
    DocumentKind = apps.get_model("drafts", "DocumentKind")
    Sector = apps.get_model("drafts", "Sector")
    DocumentKind.objects.filter(code__in=[k[0] for k in KINDS], draft__isnull=True).delete()
    Sector.objects.filter(code__in=[s[0] for s in SECTORS], draft__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("drafts", "0002_node_heading_published_at")]

    operations = [migrations.RunPython(seed, unseed)]
