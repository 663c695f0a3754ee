"""The legal list of grounds for rejecting content (LEGAL.md): Law on IT Art. 12(2),
Decree 72/2013 Art. 5, Cybersecurity Law Art. 8, plus the portal's practical grounds."""

from django.db import migrations

REASONS = [
    ("chong-nha-nuoc", "Chống phá Nhà nước, phá hoại khối đại đoàn kết toàn dân tộc",
     "Nội dung có tính chất chống Nhà nước Cộng hòa xã hội chủ nghĩa Việt Nam hoặc phá hoại khối đại đoàn kết toàn dân tộc nên không thể đăng tải.",
     "Luật Công nghệ thông tin Điều 12 khoản 2; Luật An ninh mạng Điều 8"),
    ("kich-dong", "Kích động bạo lực, hận thù, dâm ô, tội ác, mê tín dị đoan",
     "Nội dung có yếu tố kích động bạo lực, hận thù, dâm ô, đồi trụy, tội ác hoặc mê tín dị đoan nên không thể đăng tải.",
     "Nghị định 72/2013/NĐ-CP Điều 5"),
    ("bi-mat-nha-nuoc", "Tiết lộ bí mật nhà nước",
     "Nội dung có thông tin thuộc bí mật nhà nước nên không thể đăng tải.",
     "Luật Công nghệ thông tin Điều 12 khoản 2; Luật An ninh mạng Điều 8"),
    ("xuc-pham", "Xuyên tạc, vu khống, xúc phạm tổ chức, cá nhân",
     "Nội dung xuyên tạc, vu khống hoặc xúc phạm uy tín của tổ chức, danh dự và nhân phẩm của cá nhân nên không thể đăng tải.",
     "Nghị định 72/2013/NĐ-CP Điều 5; Luật An ninh mạng Điều 8"),
    ("sai-su-that", "Thông tin sai sự thật, mạo danh",
     "Nội dung có thông tin sai sự thật hoặc mạo danh tổ chức, cá nhân khác nên không thể đăng tải.",
     "Luật An ninh mạng Điều 8"),
    ("ky-thi", "Phân biệt đối xử, xúc phạm tôn giáo, dân tộc",
     "Nội dung có tính chất phân biệt đối xử về giới, chủng tộc, dân tộc hoặc xúc phạm tín ngưỡng, tôn giáo nên không thể đăng tải.",
     "Nghị định 72/2013/NĐ-CP Điều 5"),
    ("quang-cao", "Quảng cáo, tuyên truyền hàng hoá, dịch vụ bị cấm",
     "Nội dung quảng cáo hoặc tuyên truyền hàng hoá, dịch vụ thuộc danh mục bị cấm nên không thể đăng tải.",
     "Nghị định 72/2013/NĐ-CP Điều 5"),
    ("thong-tin-ca-nhan", "Chứa thông tin cá nhân của người khác",
     "Nội dung có thông tin cá nhân của người khác (số điện thoại, địa chỉ, số định danh…). Vui lòng gửi lại câu hỏi không kèm các thông tin này.",
     "Nghị định 13/2023/NĐ-CP"),
    ("thieu-lien-he", "Thiếu thông tin liên hệ",
     "Câu hỏi chưa có thông tin liên hệ xác thực để cơ quan phản hồi. Vui lòng gửi lại kèm thư điện tử hoặc số điện thoại.",
     "Quy chế hoạt động Cổng thông tin điện tử"),
    ("ngoai-chu-de", "Không thuộc chủ đề hoặc thẩm quyền",
     "Câu hỏi không thuộc chủ đề của buổi đối thoại hoặc không thuộc thẩm quyền giải quyết. Ban Biên tập đã ghi nhận và sẽ hướng dẫn bạn gửi tới cơ quan có thẩm quyền.",
     "Nghị định 43/2011/NĐ-CP Điều 15"),
    ("trung-lap", "Trùng lặp với câu hỏi đã có",
     "Nội dung trùng với câu hỏi đã được tiếp nhận. Bạn có thể theo dõi câu trả lời ở câu hỏi tương tự trên trang đối thoại.",
     "Quy chế hoạt động Cổng thông tin điện tử"),
    ("spam", "Thư rác, nội dung vô nghĩa",
     "Nội dung không có ý nghĩa hoặc mang tính chất thư rác nên không thể đăng tải.",
     "Quy chế hoạt động Cổng thông tin điện tử"),
]


def forwards(apps, schema_editor):
    RejectionReason = apps.get_model("moderation", "RejectionReason")
    for position, (code, title, explanation, basis) in enumerate(REASONS, start=1):
        RejectionReason.objects.update_or_create(
            code=code,
            defaults={"title": title, "explanation": explanation, "legal_basis": basis, "position": position},
        )


def backwards(apps, schema_editor):
    RejectionReason = apps.get_model("moderation", "RejectionReason")
    RejectionReason.objects.filter(code__in=[r[0] for r in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
