"""Builders for the drafts tests: a published draft with a small structured text, comments."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from consult.models import Agency, User
from drafts.models import Comment, DocumentKind, Draft, DraftNode, search_text_of
from tests.conftest import make_user

_n = itertools.count(1)

SAMPLE_TEXT = """QUYẾT ĐỊNH
Ban hành Quy định quản lý trật tự xây dựng trên địa bàn tỉnh

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
Quy định này quy định về quản lý trật tự xây dựng.

Điều 2. Đối tượng áp dụng
1. Cơ quan quản lý nhà nước về xây dựng.
2. Tổ chức, cá nhân có liên quan:
a) Chủ đầu tư;
b) Nhà thầu thi công.

Chương II
QUY ĐỊNH CỤ THỂ

Điều 3. Giấy phép xây dựng
Hồ sơ đề nghị cấp giấy phép xây dựng nộp tại bộ phận một cửa.

Điều 5. Xử lý vi phạm
Vi phạm bị xử lý theo quy định của pháp luật.
"""


def kind_get(code: str = "quyet-dinh", days: int = 30) -> DocumentKind:
    kind, _created = DocumentKind.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " ").title(), "min_comment_days": days}
    )
    return kind


def make_draft(
    agency: Agency,
    *,
    title: str = "Quy định quản lý trật tự xây dựng trên địa bàn tỉnh Đồng Tháp",
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    status: str = Draft.Status.PUBLISHED,
    articles: tuple[str, ...] = ("1", "2", "3"),
    **extra: Any,
) -> Draft:
    now = timezone.now()
    n = next(_n)
    draft = Draft.objects.create(
        slug=extra.pop("slug", f"du-thao-{n}"),
        title=title,
        kind=extra.pop("kind", None) or kind_get(),
        agency=agency,
        summary=extra.pop("summary", "Dự thảo lấy ý kiến nhân dân."),
        receiving_unit_name=agency.name,
        receiving_unit_address="Số 1 đường Trần Hưng Đạo",
        receiving_unit_email="gopy@binhan.gov.vn",
        opens_at=opens_at or now - dt.timedelta(days=5),
        closes_at=closes_at or now + dt.timedelta(days=25),
        status=status,
        **extra,
    )
    draft.search_text = search_text_of(draft.title, draft.summary)
    draft.save(update_fields=["search_text"])
    for position, number in enumerate(articles, start=1):
        DraftNode.objects.create(
            draft=draft,
            kind=DraftNode.Kind.ARTICLE,
            number=number,
            heading=f"Điều {number}.",
            title=f"Tiêu đề điều {number}",
            body=f"Nội dung điều {number}.",
            anchor=f"dieu-{number}",
            citation=f"Điều {number}",
            position=position,
        )
    return draft


def article(draft: Draft, number: str) -> DraftNode:
    return DraftNode.objects.get(draft=draft, kind=DraftNode.Kind.ARTICLE, number=number)


def make_comment(draft: Draft, *, number: str | None = None, **extra: Any) -> Comment:
    values: dict[str, Any] = {
        "commenter_type": Comment.CommenterType.INDIVIDUAL,
        "name": "Nguyễn Văn An",
        "email": "an.nguyen@example.vn",
        "phone": "0912345678",
        "body": "Đề nghị làm rõ thời hạn cấp phép.",
        "status": Comment.Status.PENDING,
        "publish_name": True,
    }
    values.update(extra)
    if values["status"] == Comment.Status.PUBLISHED:
        values.setdefault("published_at", timezone.now())
    return Comment.objects.create(
        draft=draft, article=article(draft, number) if number else None, **values
    )


COMMENT_INPUT = {
    "name": "Trần Thị Bình",
    "commenter_type": "individual",
    "email": "binh.tran@example.vn",
    "body": "Đề nghị bổ sung quy định về thời hạn giải quyết hồ sơ.",
    "consent": True,
}


@pytest.fixture
def draft(agency: Agency) -> Draft:
    return make_draft(agency)


@pytest.fixture
def other_staff(other_agency: Agency) -> User:
    """Staff of another agency (Sở Xây dựng), who must not see or manage `agency`'s drafts."""
    return make_user("agency_staff", agency=other_agency)


def make_published_series(
    draft: Draft, count: int, *, body: str, number: str | None = None
) -> list[Comment]:
    """`count` published comments on article `number` (the draft as a whole without one),
    a minute apart within the last hour, oldest first; `body` is formatted with `n`."""
    start = timezone.now() - dt.timedelta(hours=1)
    return [
        make_comment(
            draft,
            number=number,
            status=Comment.Status.PUBLISHED,
            body=body.format(n=n),
            published_at=start + dt.timedelta(minutes=n),
        )
        for n in range(count)
    ]
