"""Demo drafts: one open for comment (comments in every state), one closed with its report
published, one upcoming. Built through the services, so the audit log and rules are real."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from consult.demo import DemoContext
from drafts import services
from drafts.exports import write_docx
from drafts.models import Comment, Draft
from moderation.models import RejectionReason

OPEN_TITLE = (
    "Nghị quyết quy định mức chi hỗ trợ hoạt động hòa giải ở cơ sở trên địa bàn tỉnh Bình An"
)
CLOSED_TITLE = "Quyết định ban hành Quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất trên địa bàn tỉnh Bình An"
UPCOMING_TITLE = "Quyết định quy định về quản lý, vận hành Cổng dịch vụ công và Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Bình An"

OPEN_TEXT = """HỘI ĐỒNG NHÂN DÂN TỈNH BÌNH AN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
DỰ THẢO
NGHỊ QUYẾT
Quy định mức chi hỗ trợ hoạt động hòa giải ở cơ sở trên địa bàn tỉnh Bình An
Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;
Căn cứ Luật Hòa giải ở cơ sở ngày 20 tháng 6 năm 2013;
Xét Tờ trình của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của Ban Pháp chế Hội đồng nhân dân tỉnh,
QUYẾT NGHỊ:
Điều 1. Phạm vi điều chỉnh
Nghị quyết này quy định mức chi hỗ trợ cho hoạt động hòa giải ở cơ sở trên địa bàn tỉnh Bình An.
Điều 2. Đối tượng áp dụng
1. Hòa giải viên, tổ trưởng tổ hòa giải ở thôn, khu phố.
2. Cơ quan, tổ chức, cá nhân có liên quan đến việc quản lý, sử dụng kinh phí hỗ trợ hoạt động hòa giải ở cơ sở.
Điều 3. Mức chi thù lao cho hòa giải viên
1. Mức chi thù lao cho hòa giải viên là 400.000 đồng/vụ, việc/tổ hòa giải.
2. Trường hợp vụ, việc hòa giải phức tạp, kéo dài trên 03 ngày, mức chi là 600.000 đồng/vụ, việc/tổ hòa giải.
3. Không chi thù lao đối với vụ, việc hòa giải không thành do hòa giải viên không thực hiện đúng trình tự hòa giải.
Điều 4. Mức chi hỗ trợ tổ hòa giải
1. Hỗ trợ mua văn phòng phẩm, sao chụp tài liệu, nước uống phục vụ các cuộc họp: 200.000 đồng/tổ hòa giải/tháng.
2. Chi hỗ trợ hòa giải viên gặp tai nạn hoặc rủi ro ảnh hưởng đến sức khỏe, tính mạng trong khi thực hiện hoạt động hòa giải:
a) Trường hợp bị thương: hỗ trợ tối đa 10.000.000 đồng/người/trường hợp;
b) Trường hợp bị thiệt hại về tính mạng: hỗ trợ một lần 20.000.000 đồng/người.
Điều 5. Nguồn kinh phí
1. Kinh phí thực hiện Nghị quyết này do ngân sách cấp xã bảo đảm theo phân cấp ngân sách hiện hành.
2. Khuyến khích tổ chức, cá nhân đóng góp, hỗ trợ kinh phí cho hoạt động hòa giải ở cơ sở.
Điều 6. Tổ chức thực hiện
1. Giao Ủy ban nhân dân tỉnh tổ chức triển khai thực hiện Nghị quyết này.
2. Thường trực Hội đồng nhân dân, các Ban của Hội đồng nhân dân và đại biểu Hội đồng nhân dân tỉnh giám sát việc thực hiện Nghị quyết.
"""

CLOSED_TEXT = """ỦY BAN NHÂN DÂN TỈNH BÌNH AN
DỰ THẢO
QUYẾT ĐỊNH
Ban hành Quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất trên địa bàn tỉnh Bình An
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Quy định này quy định chi tiết một số nội dung về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất trên địa bàn tỉnh Bình An.
Điều 2. Đối tượng áp dụng
1. Cơ quan thực hiện chức năng quản lý nhà nước về đất đai; tổ chức làm nhiệm vụ bồi thường, giải phóng mặt bằng.
2. Người sử dụng đất có đất bị thu hồi.
Chương II
BỒI THƯỜNG, HỖ TRỢ
Điều 3. Bồi thường về đất nông nghiệp
1. Hộ gia đình, cá nhân có đất nông nghiệp bị thu hồi được bồi thường bằng tiền theo giá đất cụ thể.
2. Diện tích đất còn lại sau thu hồi nhỏ hơn 30 m² thì được thu hồi và bồi thường theo đề nghị của người sử dụng đất.
Điều 4. Hỗ trợ đào tạo, chuyển đổi nghề và tìm kiếm việc làm
Mức hỗ trợ bằng 03 lần giá đất nông nghiệp cùng loại trong bảng giá đất đối với toàn bộ diện tích đất nông nghiệp bị thu hồi.
Chương III
TÁI ĐỊNH CƯ
Điều 5. Bố trí tái định cư
1. Khu tái định cư phải hoàn thành hạ tầng kỹ thuật trước khi bàn giao đất cho người được bố trí tái định cư.
2. Hộ nghèo được bố trí tái định cư được ghi nợ tiền sử dụng đất trong thời hạn 05 năm.
"""

UPCOMING_TEXT = """ỦY BAN NHÂN DÂN TỈNH BÌNH AN
DỰ THẢO
QUYẾT ĐỊNH
Quy định về quản lý, vận hành Cổng dịch vụ công và Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Bình An
Điều 1. Phạm vi điều chỉnh
Quyết định này quy định việc quản lý, vận hành, khai thác Cổng dịch vụ công và Hệ thống thông tin giải quyết thủ tục hành chính tỉnh.
Điều 2. Trách nhiệm của Văn phòng Ủy ban nhân dân tỉnh
1. Chủ trì quản lý, vận hành Cổng dịch vụ công của tỉnh.
2. Theo dõi, đôn đốc việc giải quyết hồ sơ trực tuyến của các cơ quan, đơn vị.
"""

# (article, name, type, organisation, contact, publish_name, body)
OPEN_COMMENTS = [
    (
        "3",
        "Nguyễn Thị Hạnh",
        "individual",
        "",
        "hanh.nt@example.vn",
        True,
        "Đề nghị nâng mức thù lao tại khoản 1 Điều 3 lên 500.000 đồng/vụ, việc vì giá cả sinh hoạt đã tăng; mức 400.000 đồng chưa khuyến khích hòa giải viên.",
    ),
    (
        "3",
        "Trần Văn Lộc",
        "organization",
        "Hội Luật gia huyện Tân Phước",
        "hoiluatgia.tp@example.vn",
        True,
        "Khoản 3 Điều 3 cần quy định rõ ai xác định việc hòa giải viên không thực hiện đúng trình tự, tránh tranh chấp khi thanh toán thù lao.",
    ),
    (
        "4",
        "Lê Thị Bích",
        "agency",
        "UBND xã Tân Hiệp, huyện Tân Phước",
        "ubndtanhiep@example.vn",
        True,
        "Mức hỗ trợ 200.000 đồng/tổ/tháng tại khoản 1 Điều 4 phù hợp với khả năng ngân sách xã. Đề nghị giữ nguyên.",
    ),
    (
        "5",
        "Phạm Quốc Việt",
        "individual",
        "",
        "0913555777",
        False,
        "Ngân sách cấp xã còn khó khăn, đề nghị ngân sách tỉnh hỗ trợ một phần cho các xã chưa tự cân đối được ngân sách.",
    ),
    (
        "",
        "Đoàn Minh Châu",
        "individual",
        "",
        "chau.dm@example.vn",
        True,
        "Dự thảo ngắn gọn, dễ hiểu. Đề nghị bổ sung quy định chi hỗ trợ tập huấn kỹ năng hòa giải hằng năm.",
    ),
    (
        "2",
        "Hồ Văn Tài",
        "individual",
        "",
        "tai.hv@example.vn",
        False,
        "Đề nghị bổ sung đối tượng là người được mời tham gia hòa giải (già làng, chức sắc tôn giáo) vào khoản 1 Điều 2.",
    ),
    (
        "",
        "Vũ Thị Lan",
        "individual",
        "",
        "lan.vt@example.vn",
        True,
        "Cần gì phải góp ý, đằng nào cũng thông qua thôi!!! Click vào link để nhận quà 👉 http://example.com",
    ),
]


def _kind(code: str) -> Any:
    from drafts.models import DocumentKind

    return DocumentKind.objects.get(code=code)


def _upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def _draft(
    context: DemoContext,
    *,
    title: str,
    agency: str,
    kind: str,
    sector: str | None,
    summary: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    text: str,
    filename: str,
) -> Draft:
    actor = context.users["admin"]
    draft = services.draft_create(
        actor=actor,
        agency=context.agencies[agency],
        kind=_kind(kind),
        sector=sector,
        title=title,
        summary=summary,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    services.draft_import_text(
        actor=actor, draft_id=draft.pk, upload=_upload(filename, text), filename=filename
    )
    services.draft_publish(actor=actor, draft_id=draft.pk)
    return Draft.objects.get(pk=draft.pk)


def _comment(
    draft: Draft, row: tuple[Any, ...], n: int, *, now: dt.datetime | None = None
) -> Comment:
    article, name, kind, org, contact, publish, body = row
    comment, _created = services.comment_submit(
        draft_id=draft.pk,
        name=name,
        commenter_type=kind,
        organization=org,
        email=contact if "@" in contact else "",
        phone="" if "@" in contact else contact,
        article=article,
        body=body,
        consent=True,
        publish_name=publish,
        request_id=f"demo-{draft.pk}-{n}",
        now=now,
    )
    return comment


def _open_draft(context: DemoContext) -> Iterator[str]:
    if Draft.objects.filter(title=OPEN_TITLE).exists():
        yield "dự thảo đang lấy ý kiến đã có"
        return
    now = timezone.now()
    draft = _draft(
        context,
        title=OPEN_TITLE,
        agency="stp",
        kind="nghi-quyet",
        sector="tu-phap",
        summary="Dự thảo quy định mức chi thù lao cho hòa giải viên, hỗ trợ tổ hòa giải và hòa "
        "giải viên gặp tai nạn, rủi ro khi thực hiện hòa giải ở cơ sở; kinh phí do ngân sách cấp xã bảo đảm.",
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=25),
        text=OPEN_TEXT,
        filename="du-thao-nghi-quyet-hoa-giai.txt",
    )
    moderator = context.users["bientap"]
    staff = context.users["sotuphap"]
    comments = [_comment(draft, row, n) for n, row in enumerate(OPEN_COMMENTS)]
    for comment in comments[:5]:
        services.comment_approve(actor=moderator, comment_id=comment.pk)
    spam = RejectionReason.objects.get(code="spam")
    services.comment_reject(actor=moderator, comment_id=comments[6].pk, reason_id=spam.pk)
    services.comment_set_disposition(
        actor=staff,
        comment_id=comments[0].pk,
        disposition="partly",
        response="Tiếp thu một phần: điều chỉnh mức chi lên 450.000 đồng/vụ, việc cho phù hợp khả năng cân đối ngân sách xã.",
    )
    services.comment_set_disposition(
        actor=staff,
        comment_id=comments[1].pk,
        disposition="accepted",
        response="Tiếp thu: bổ sung quy định Chủ tịch UBND cấp xã xác định trường hợp không chi thù lao.",
    )
    services.comment_set_disposition(
        actor=staff,
        comment_id=comments[3].pk,
        disposition="explained",
        response="Giải trình: theo Luật Ngân sách nhà nước, hoạt động hòa giải ở cơ sở thuộc nhiệm vụ chi của ngân sách cấp xã.",
    )
    services.comment_enter_offline(
        actor=staff,
        draft_id=draft.pk,
        channel="paper",
        received_on=timezone.localdate(),
        name="Nguyễn Văn Hòa",
        commenter_type="agency",
        organization="Phòng Tư pháp huyện Long Điền",
        article="4",
        body="Đề nghị quy định cụ thể hồ sơ, thủ tục đề nghị hỗ trợ khi hòa giải viên gặp tai nạn tại khoản 2 Điều 4.",
    )
    yield f"dự thảo đang lấy ý kiến: /drafts/{draft.slug}/ ({len(comments) + 1} góp ý)"


def _closed_draft(context: DemoContext) -> Iterator[str]:
    if Draft.objects.filter(title=CLOSED_TITLE).exists():
        yield "dự thảo đã có báo cáo tiếp thu đã có"
        return
    now = timezone.now()
    opens, closes = now - dt.timedelta(days=70), now - dt.timedelta(days=35)
    draft = _draft(
        context,
        title=CLOSED_TITLE,
        agency="stnmt",
        kind="quyet-dinh",
        sector="dat-dai",
        summary="Quy định chi tiết bồi thường về đất nông nghiệp, hỗ trợ chuyển đổi nghề và bố trí "
        "tái định cư khi Nhà nước thu hồi đất trên địa bàn tỉnh.",
        opens_at=opens,
        closes_at=closes,
        text=CLOSED_TEXT,
        filename="du-thao-quyet-dinh-boi-thuong.txt",
    )
    moderator = context.users["bientap"]
    admin = context.users["admin"]
    during = opens + dt.timedelta(days=5)
    rows = [
        (
            "3",
            "Lê Văn Khoa",
            "individual",
            "",
            "khoa.lv@example.vn",
            True,
            "Đề nghị bồi thường theo giá thị trường tại thời điểm chi trả, không phải thời điểm thu hồi.",
        ),
        (
            "3",
            "Công ty TNHH Xây dựng Phước An",
            "organization",
            "Công ty TNHH Xây dựng Phước An",
            "phuocan@example.vn",
            True,
            "Ngưỡng 30 m² tại khoản 2 Điều 3 nên nâng lên 40 m² cho phù hợp với diện tích tối thiểu được tách thửa.",
        ),
        (
            "5",
            "Trần Thị Nga",
            "individual",
            "",
            "0933111222",
            True,
            "Hộ nghèo nên được ghi nợ tiền sử dụng đất 10 năm thay vì 05 năm.",
        ),
    ]
    comments = [_comment(draft, row, n, now=during) for n, row in enumerate(rows)]
    for comment in comments:
        services.comment_approve(actor=moderator, comment_id=comment.pk)
    for comment, disposition, response in zip(
        comments,
        ["explained", "accepted", "partly"],
        [
            "Giải trình: giá đất cụ thể được xác định tại thời điểm quyết định thu hồi theo Luật Đất đai.",
            "Tiếp thu: điều chỉnh ngưỡng thành 40 m², thống nhất với quy định tách thửa của tỉnh.",
            "Tiếp thu một phần: nâng thời hạn ghi nợ lên 07 năm.",
        ],
        strict=True,
    ):
        services.comment_set_disposition(
            actor=admin, comment_id=comment.pk, disposition=disposition, response=response
        )
    report = io.BytesIO()
    write_docx(draft=draft, viewer=admin, out=report)
    services.draft_publish_report(
        actor=admin,
        draft_id=draft.pk,
        response_summary="Cơ quan soạn thảo nhận được 3 góp ý; tiếp thu 1, tiếp thu một phần 1, giải trình 1. "
        "Dự thảo đã được chỉnh lý và trình UBND tỉnh ban hành.",
        report=SimpleUploadedFile(
            "bao-cao-tong-hop.docx",
            report.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    )
    yield f"dự thảo đã công bố kết quả: /drafts/{draft.slug}/"


def _upcoming_draft(context: DemoContext) -> Iterator[str]:
    if Draft.objects.filter(title=UPCOMING_TITLE).exists():
        yield "dự thảo sắp lấy ý kiến đã có"
        return
    start = timezone.now() + dt.timedelta(days=5)
    draft = _draft(
        context,
        title=UPCOMING_TITLE,
        agency="ubnd",
        kind="quyet-dinh",
        sector=None,
        summary="Quy định trách nhiệm quản lý, vận hành Cổng dịch vụ công và Hệ thống thông tin giải "
        "quyết thủ tục hành chính của tỉnh.",
        opens_at=start,
        closes_at=start + dt.timedelta(days=30),
        text=UPCOMING_TEXT,
        filename="du-thao-cong-dich-vu-cong.txt",
    )
    yield f"dự thảo sắp lấy ý kiến: /drafts/{draft.slug}/"


def demo_load(context: DemoContext) -> Iterator[str]:
    with transaction.atomic():
        yield from _open_draft(context)
        yield from _closed_draft(context)
        yield from _upcoming_draft(context)
