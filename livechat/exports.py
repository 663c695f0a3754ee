"""The dialogue transcript as a Word document (python-docx), for staff to file and publish."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from livechat import page_selectors
from livechat.models import Answer, Dialogue
from livechat.templatetags.livechat_tags import vn_datetime, vn_time


def _leader_line(leader: object) -> str:
    name = getattr(leader, "name", "")
    title = getattr(leader, "title", "")
    agency = getattr(getattr(leader, "agency", None), "name", "")
    parts = [p for p in (name, title, agency) if p]
    return ", ".join(parts)


def transcript_docx(*, dialogue: Dialogue) -> bytes:
    """Title, topic, chair and participants, schedule, then every published question in the
    order it was published, with the asker's public name and locality and each answer with the
    answering leader's name, title and time. Contact details are never written."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)

    heading = document.add_heading(_("BIÊN BẢN ĐỐI THOẠI TRỰC TUYẾN"), level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading(dialogue.topic, level=1)

    info = document.add_paragraph()
    info.add_run(_("Cơ quan chủ trì: ")).bold = True
    info.add_run(dialogue.host_agency.name)
    chair = document.add_paragraph()
    chair.add_run(_("Chủ trì: ")).bold = True
    chair.add_run(_leader_line(dialogue.chair))
    participants = page_selectors.dialogue_leaders(dialogue)[1:]
    if participants:
        para = document.add_paragraph()
        para.add_run(_("Tham gia: ")).bold = True
        para.add_run("; ".join(_leader_line(p) for p in participants))
    when = document.add_paragraph()
    when.add_run(_("Thời gian: ")).bold = True
    when.add_run(
        _("từ %(start)s đến %(end)s")
        % {"start": vn_datetime(dialogue.starts_at), "end": vn_datetime(dialogue.ends_at)}
    )
    if dialogue.description:
        document.add_paragraph(dialogue.description)

    questions = page_selectors.transcript_questions(dialogue=dialogue)
    document.add_heading(
        _("Câu hỏi và trả lời (%(count)s câu hỏi)") % {"count": len(questions)}, level=1
    )
    if not questions:
        document.add_paragraph(_("Không có câu hỏi nào được đăng."))
    for number, question in enumerate(questions, start=1):
        document.add_heading(_("Câu hỏi %(n)s") % {"n": number}, level=2)
        meta = document.add_paragraph()
        meta.add_run(question.display_name).bold = True
        meta.add_run(f" — {question.locality}")
        stamp = question.published_at or question.submitted_at
        meta.add_run(f" — {vn_time(stamp)}").italic = True
        if question.topic:
            meta.add_run(" — " + _("Chủ đề: %(topic)s") % {"topic": question.topic})
        document.add_paragraph(question.body)
        answers = list(question.answers.all())
        if not answers:
            document.add_paragraph(str(question.get_answer_state_display())).runs[0].italic = True
        for answer in answers:
            by = document.add_paragraph()
            kind = (
                _("Trả lời bằng văn bản")
                if answer.kind == Answer.Kind.WRITTEN
                else _("Trả lời trực tiếp")
            )
            by.add_run(f"{kind}: ").bold = True
            by.add_run(f"{answer.leader.name}, {answer.leader.title}").bold = True
            by.add_run(f" — {vn_time(answer.created_at)}").italic = True
            for line in answer.body.split("\n"):
                document.add_paragraph(line)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
