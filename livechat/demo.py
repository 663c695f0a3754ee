"""Demo dialogues: one live (questions in every state), one announced, one archived.

Everything goes through the services, so the event log, audit log and counters are real."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult.demo import DemoContext
from livechat import services
from livechat.models import Dialogue, Question
from moderation.models import RejectionReason

LIVE_SLUG = "gpmb-duong-vanh-dai-4"
ANNOUNCED_SLUG = "chuyen-doi-so-dich-vu-cong-2026"
ARCHIVED_SLUG = "cap-giay-chung-nhan-quyen-su-dung-dat-2026"

# (asker, locality, contact, publish_name, body)
LIVE_QUESTIONS = [
    (
        "Nguyễn Văn Bình",
        "Xã Tân Hiệp, huyện Tân Phước",
        "binh.nv@example.vn",
        True,
        "Gia đình tôi có 1.200 m² đất trồng lúa bị thu hồi để làm đường Vành đai 4. Giá bồi thường "
        "đất nông nghiệp được tính theo bảng giá nào và khi nào chúng tôi được nhận tiền?",
    ),
    (
        "Trần Thị Lan",
        "Phường Hòa Bình, thành phố Bình An",
        "0912345678",
        True,
        "Nhà tôi bị thu hồi toàn bộ, đề nghị cho biết khu tái định cư Tân Phong khi nào hoàn thành hạ "
        "tầng để các hộ dân có thể xây nhà ổn định cuộc sống?",
    ),
    (
        "Lê Minh Tuấn",
        "Thị trấn Long Điền, huyện Long Điền",
        "tuan.lm@example.vn",
        False,
        "Phần đất còn lại sau thu hồi của gia đình tôi chỉ còn 18 m², không đủ điều kiện xây dựng. "
        "Tỉnh có thu hồi luôn phần diện tích này và bồi thường không?",
    ),
    (
        "Phạm Thị Hoa",
        "Xã Bình Lợi, huyện Tân Phước",
        "0987654321",
        True,
        "Tôi làm nghề nông, sau khi bị thu hồi hết đất sản xuất thì được hỗ trợ đào tạo, chuyển đổi "
        "nghề và tìm kiếm việc làm như thế nào?",
    ),
    (
        "Đỗ Văn Hải",
        "Xã Phước Thạnh, huyện Long Điền",
        "hai.dv@example.vn",
        True,
        "Công trình xây dựng trên đất nông nghiệp trước năm 2014 của gia đình tôi có được bồi thường "
        "không, hay chỉ được hỗ trợ?",
    ),
    (
        "Nguyễn Thị Mai",
        "Phường Tân Phong, thành phố Bình An",
        "mai.nt@example.vn",
        False,
        "Đề nghị công khai phương án bồi thường, hỗ trợ của từng hộ tại nhà văn hoá khu phố để người "
        "dân được biết và góp ý trước khi phê duyệt.",
    ),
    (
        "Võ Thanh Sơn",
        "Xã Tân Hiệp, huyện Tân Phước",
        "son.vt@example.vn",
        True,
        "Khi nào thì gia đình tôi nhận được tiền đền bù đất lúa thu hồi làm đường vành đai 4?",
    ),
    (
        "Hoàng Văn Nam",
        "Xã An Nhơn, huyện Long Điền",
        "nam.hv@example.vn",
        True,
        "Mồ mả của dòng họ tôi nằm trong phạm vi dự án thì việc di dời, cải táng được hỗ trợ chi phí "
        "bao nhiêu và bố trí nghĩa trang ở đâu?",
    ),
    (
        "Bùi Thị Ngọc",
        "Phường Hòa Bình, thành phố Bình An",
        "0901234567",
        True,
        "Quán ăn của tôi thuê mặt bằng ven tuyến, phải ngừng kinh doanh trong thời gian thi công thì có "
        "được hỗ trợ ngừng kinh doanh không?",
    ),
    (
        "Trương Văn Lực",
        "Xã Bình Lợi, huyện Tân Phước",
        "luc.tv@example.vn",
        False,
        "Mua bán đất lô đẹp giá rẻ liên hệ ngay 0909 000 111, sổ hồng riêng!!!",
    ),
    (
        "Lý Thị Thu",
        "Thị trấn Long Điền, huyện Long Điền",
        "thu.lt@example.vn",
        True,
        "Gia đình tôi là hộ nghèo, khi tái định cư có được miễn tiền sử dụng đất hay trả chậm không?",
    ),
    (
        "Ngô Quang Vinh",
        "Xã Phước Thạnh, huyện Long Điền",
        "vinh.nq@example.vn",
        True,
        "Đề nghị cho biết tiến độ thi công đoạn qua huyện Long Điền và thời gian dự kiến thông xe.",
    ),
]


def _submit(dialogue: Dialogue, row: tuple[Any, ...], n: int) -> Question:
    name, locality, contact, publish, body = row
    question, _created = services.question_submit(
        dialogue_id=dialogue.pk,
        asker_name=name,
        locality=locality,
        email=contact if "@" in contact else "",
        phone="" if "@" in contact else contact,
        body=body,
        consent=True,
        publish_name=publish,
        request_id=f"demo-{dialogue.slug}-{n}",
    )
    return question


def _reason(code: str) -> int:
    return RejectionReason.objects.get(code=code).pk


def _live_dialogue(context: DemoContext) -> Iterator[str]:
    if Dialogue.objects.filter(slug=LIVE_SLUG).exists():
        yield f"đối thoại đang diễn ra đã có: /dialogues/{LIVE_SLUG}/"
        return
    now = timezone.now()
    moderator = context.users["bientap"]
    chair = context.leaders["chu-tich"]
    dialogue = Dialogue.objects.create(
        slug=LIVE_SLUG,
        topic="Công tác bồi thường, hỗ trợ, tái định cư dự án đường Vành đai 4",
        description=(
            "Chủ tịch UBND tỉnh đối thoại trực tuyến với người dân có đất bị thu hồi để thực hiện "
            "dự án đường Vành đai 4 đoạn qua thành phố Bình An, huyện Tân Phước và huyện Long Điền: "
            "giá bồi thường, hỗ trợ chuyển đổi nghề, bố trí tái định cư và tiến độ bàn giao mặt bằng."
        ),
        how_to_take_part=(
            "Gửi câu hỏi ngay trên trang này từ khi có thông báo đến khi kết thúc buổi đối thoại. "
            "Câu hỏi được Ban Biên tập tiếp nhận, biên tập và chuyển tới lãnh đạo trả lời."
        ),
        host_agency=context.agencies["ubnd"],
        chair=chair,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(minutes=90),
        status=Dialogue.Status.DRAFT,
    )
    dialogue.participants.add(context.leaders["giam-doc-snnmt"], context.leaders["giam-doc-sxd"])
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="announced")
    questions = [_submit(dialogue, row, n) for n, row in enumerate(LIVE_QUESTIONS)]
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="live")
    q = {n: question.pk for n, question in enumerate(questions)}
    for n in (0, 1, 2, 3, 4, 5, 7, 10, 11):
        services.question_approve(actor=moderator, question_id=q[n])
    services.question_tag(actor=moderator, question_id=q[0], topic="Giá bồi thường")
    services.question_tag(actor=moderator, question_id=q[1], topic="Tái định cư")
    services.question_merge(actor=moderator, target_id=q[0], source_ids=[q[6]])
    services.question_reject(
        actor=moderator,
        question_id=q[9],
        reason_id=_reason("quang-cao"),
        note="Tin rao bán đất, không liên quan chủ đề.",
    )
    services.question_edit(
        actor=moderator,
        question_id=q[2],
        body="Phần đất còn lại sau thu hồi của gia đình tôi chỉ còn 18 m², không đủ điều kiện xây "
        "dựng. Tỉnh có thu hồi luôn phần diện tích còn lại này và bồi thường không?",
    )
    for n, leader in (
        (0, "chu-tich"),
        (1, "giam-doc-sxd"),
        (3, "giam-doc-snnmt"),
        (11, "giam-doc-sxd"),
    ):
        services.question_forward(
            actor=moderator, question_id=q[n], leader_id=context.leaders[leader].pk
        )
    services.answer_post(
        actor=context.users["lanhdao"],
        question_id=q[0],
        request_id="demo-answer-0",
        body="Giá đất bồi thường được tính theo giá đất cụ thể do UBND tỉnh phê duyệt cho dự án, "
        "không áp dụng bảng giá chung. Tiền bồi thường đợt 1 cho các hộ tại xã Tân Hiệp sẽ chi trả "
        "trước ngày 15/12; các hộ nhận tại UBND xã hoặc qua tài khoản ngân hàng.",
    )
    services.answer_post(
        actor=moderator,
        question_id=q[1],
        leader_id=context.leaders["giam-doc-sxd"].pk,
        request_id="demo-answer-1",
        body="Hạ tầng khu tái định cư Tân Phong đã hoàn thành 85%, dự kiến bàn giao nền cho các hộ "
        "trong quý I năm 2027. Trong thời gian chờ, các hộ được hỗ trợ tiền thuê nhà theo quy định.",
    )
    services.question_mark_answered_live(actor=moderator, question_id=q[4])
    services.question_put_on_air(actor=moderator, question_id=q[3])
    services.question_mark_written(actor=moderator, question_id=q[7])
    yield f"đối thoại đang diễn ra: /dialogues/{LIVE_SLUG}/ ({len(questions)} câu hỏi)"


def _announced_dialogue(context: DemoContext) -> Iterator[str]:
    if Dialogue.objects.filter(slug=ANNOUNCED_SLUG).exists():
        yield f"đối thoại sắp diễn ra đã có: /dialogues/{ANNOUNCED_SLUG}/"
        return
    start = (timezone.localtime() + dt.timedelta(days=7)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    dialogue = Dialogue.objects.create(
        slug=ANNOUNCED_SLUG,
        topic="Chuyển đổi số và dịch vụ công trực tuyến toàn trình năm 2026",
        description="Phó Chủ tịch UBND tỉnh trao đổi với người dân và doanh nghiệp về việc nộp hồ "
        "sơ, thanh toán phí, lệ phí trực tuyến và những vướng mắc khi sử dụng Cổng dịch vụ công.",
        how_to_take_part="Gửi câu hỏi trên trang này từ hôm nay đến khi kết thúc buổi đối thoại, "
        "hoặc gọi đường dây nóng 0274 3822 000 trong giờ hành chính.",
        host_agency=context.agencies["ubnd"],
        chair=context.leaders["pho-chu-tich"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=120),
    )
    services.dialogue_set_status(
        actor=context.users["bientap"], dialogue_id=dialogue.pk, status="announced"
    )
    _submit(
        dialogue,
        (
            "Đinh Công Lý",
            "Phường Tân Phong, thành phố Bình An",
            "ly.dc@example.vn",
            True,
            "Khi nộp hồ sơ cấp đổi giấy phép lái xe trực tuyến, tôi có phải đến nhận kết "
            "quả trực tiếp không?",
        ),
        0,
    )
    yield f"đối thoại sắp diễn ra: /dialogues/{ANNOUNCED_SLUG}/"


def _archived_dialogue(context: DemoContext) -> Iterator[str]:
    if Dialogue.objects.filter(slug=ARCHIVED_SLUG).exists():
        yield f"đối thoại đã lưu trữ đã có: /dialogues/{ARCHIVED_SLUG}/"
        return
    moderator = context.users["bientap"]
    start = (timezone.localtime() - dt.timedelta(days=40)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    dialogue = Dialogue.objects.create(
        slug=ARCHIVED_SLUG,
        topic="Cấp giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình, cá nhân",
        description="Giám đốc Sở Nông nghiệp và Môi trường trả lời về thủ tục, thời hạn và chi phí "
        "cấp giấy chứng nhận quyền sử dụng đất lần đầu.",
        host_agency=context.agencies["stnmt"],
        chair=context.leaders["giam-doc-snnmt"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=90),
    )
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="announced")
    rows = [
        (
            "Nguyễn Hữu Phúc",
            "Xã An Nhơn, huyện Long Điền",
            "phuc.nh@example.vn",
            True,
            "Đất của gia đình tôi sử dụng ổn định từ năm 1995 nhưng không có giấy tờ, nay có được cấp "
            "giấy chứng nhận không và phải nộp tiền sử dụng đất bao nhiêu?",
        ),
        (
            "Trần Văn Tâm",
            "Xã Tân Hiệp, huyện Tân Phước",
            "tam.tv@example.vn",
            False,
            "Hồ sơ cấp giấy của tôi nộp đã 3 tháng chưa có kết quả, tôi cần liên hệ ở đâu?",
        ),
    ]
    first, second = (_submit(dialogue, row, n) for n, row in enumerate(rows))
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="live")
    for question in (first, second):
        services.question_approve(actor=moderator, question_id=question.pk)
    services.answer_post(
        actor=moderator,
        question_id=first.pk,
        leader_id=dialogue.chair_id,
        request_id="demo-a-arch-1",
        body="Trường hợp sử dụng đất ổn định từ trước ngày 01/7/2004, không vi phạm pháp luật về "
        "đất đai và phù hợp quy hoạch thì được xem xét cấp giấy chứng nhận; mức thu tiền sử dụng "
        "đất tùy theo thời điểm sử dụng và hạn mức giao đất ở.",
    )
    services.question_mark_written(actor=moderator, question_id=second.pk)
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="ended")
    services.answer_post(
        actor=moderator,
        question_id=second.pk,
        leader_id=dialogue.chair_id,
        request_id="demo-a-arch-2",
        body="Sở đã kiểm tra: hồ sơ của ông bị trả lại để bổ sung trích lục bản đồ địa chính. Văn "
        "phòng Đăng ký đất đai chi nhánh Tân Phước sẽ liên hệ trực tiếp để hướng dẫn ông hoàn thiện.",
    )
    services.dialogue_set_status(actor=moderator, dialogue_id=dialogue.pk, status="archived")
    yield f"đối thoại đã lưu trữ: /dialogues/{ARCHIVED_SLUG}/"


def demo_load(context: DemoContext) -> Iterator[str]:
    with transaction.atomic():
        yield from _live_dialogue(context)
        yield from _announced_dialogue(context)
        yield from _archived_dialogue(context)
