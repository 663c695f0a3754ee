"""Tests for the draft importer (drafts/importer.py).

The samples under ``samples/`` are shaped like real drafts posted for comment: a provincial
decision with its attached regulation (clean, and copied out of a PDF), an HĐND resolution
written in Markdown, and a draft law with Phần / Chương / Mục. Word files are built here with
python-docx so that no binary is committed.
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph

from drafts.importer import (
    WARNING_CODES,
    Block,
    ImportFormatError,
    Node,
    ParsedDocument,
    parse_blocks,
    parse_file,
    read_blocks,
)

SAMPLES = Path(__file__).parent / "samples"
CLEAN = SAMPLES / "quyet_dinh_boi_thuong.txt"
MESSY = SAMPLES / "quyet_dinh_boi_thuong_lon_xon.txt"
MARKDOWN = SAMPLES / "nghi_quyet_ho_tro.md"
LAW = SAMPLES / "du_thao_luat_phan.txt"
ALL_SAMPLES = [CLEAN, MESSY, MARKDOWN, LAW]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def parse_sample(path: Path) -> ParsedDocument:
    return parse_file(path, filename=path.name)


def squash(text: str) -> str:
    """NFC, Đ look-alikes fixed, all whitespace runs collapsed: the "same text" test."""
    text = unicodedata.normalize("NFC", text).replace("\u00d0", "Đ")
    return " ".join(text.split())


def outline(doc: ParsedDocument) -> list[tuple[str, ...]]:
    """Everything a user sees of the tree, to compare two parses."""
    return [
        (n.kind, n.number, n.title, n.body, n.anchor, n.citation, n.heading) for n in doc.walk()
    ]


def get(doc: ParsedDocument, anchor: str) -> Node:
    """The node with this anchor; fails the test when there is none."""
    node = doc.find(anchor)
    assert node is not None, f"no node {anchor!r}"
    return node


def blocks_of(data: bytes | Path, filename: str) -> list[Block]:
    blocks = read_blocks(data, filename=filename)
    assert all(isinstance(b, Block) for b in blocks)
    return [b for b in blocks if isinstance(b, Block)]


def parse_text(text: str) -> ParsedDocument:
    return parse_blocks(text.strip("\n").splitlines())


def codes(doc: ParsedDocument) -> Counter[str]:
    return Counter(doc.warning_codes())


def messages(doc: ParsedDocument, code: str) -> list[str]:
    return [w.message for w in doc.warnings if w.code == code]


# --------------------------------------------------------------------------------------------
# The clean provincial decision + regulation
# --------------------------------------------------------------------------------------------


def test_clean_decision_has_no_warnings_and_a_title() -> None:
    doc = parse_sample(CLEAN)

    assert doc.warnings == []
    assert doc.dropped == []
    assert doc.title == (
        "QUYẾT ĐỊNH Ban hành Quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi "
        "đất trên địa bàn tỉnh Quảng Ngãi"
    )


def test_clean_decision_preamble_keeps_motto_agency_and_legal_bases() -> None:
    doc = parse_sample(CLEAN)
    preamble = doc.nodes[0]

    assert preamble.kind == "preamble"
    assert preamble.anchor == "mo-dau"
    assert preamble.citation == "Phần mở đầu"
    body = preamble.body.split("\n")
    assert body[:5] == [
        "ỦY BAN NHÂN DÂN",
        "TỈNH QUẢNG NGÃI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "DỰ THẢO",
    ]
    assert sum(line.startswith("Căn cứ") for line in body) == 4
    assert body[-1] == "QUYẾT ĐỊNH:"


def test_decision_articles_are_untitled_sentences() -> None:
    doc = parse_sample(CLEAN)
    decision = [a for a in doc.articles() if not a.anchor.startswith("van-ban-")]

    assert [a.number for a in decision] == ["1", "2", "3"]
    assert all(a.title == "" for a in decision)
    assert decision[0].body.startswith("Ban hành kèm theo Quyết định này Quy định về bồi thường")
    assert decision[2].body.endswith("chịu trách nhiệm thi hành Quyết định này./.")
    assert [a.anchor for a in decision] == ["dieu-1", "dieu-2", "dieu-3"]
    assert decision[1].citation == "Điều 2"


def test_signature_block_and_attachment_title_are_loose_text() -> None:
    doc = parse_sample(CLEAN)
    loose = [n for n in doc.nodes if n.kind == "text"]

    assert len(loose) == 1
    lines = loose[0].body.split("\n")
    assert lines[0] == "Nơi nhận:"
    assert "TM. ỦY BAN NHÂN DÂN" in lines
    assert "QUY ĐỊNH" in lines
    assert lines[-1].startswith("(Ban hành kèm theo Quyết định số")
    # The decision's last article does not swallow the signature.
    assert "Nơi nhận" not in get(doc, "dieu-3").body


def test_attached_regulation_gets_its_own_anchors_and_citations() -> None:
    doc = parse_sample(CLEAN)
    regulation = [a for a in doc.articles() if a.anchor.startswith("van-ban-2-")]

    assert [a.number for a in regulation] == [str(n) for n in range(1, 10)]
    assert regulation[0].anchor == "van-ban-2-dieu-1"
    assert regulation[0].citation == "Điều 1 Quy định"
    assert get(doc, "van-ban-2-dieu-2-khoan-2-diem-dd").citation == (
        "Điểm đ Khoản 2 Điều 2 Quy định"
    )


def test_chapters_with_title_on_next_line() -> None:
    doc = parse_sample(CLEAN)
    chapters = [n for n in doc.walk() if n.kind == "chapter"]

    assert [(c.number, c.title) for c in chapters] == [
        ("I", "QUY ĐỊNH CHUNG"),
        ("II", "BỒI THƯỜNG, HỖ TRỢ, TÁI ĐỊNH CƯ"),
        ("III", "TỔ CHỨC THỰC HIỆN"),
    ]
    assert chapters[0].anchor == "van-ban-2-chuong-i"
    assert chapters[0].heading == "Chương I\nQUY ĐỊNH CHUNG"
    assert [a.number for a in chapters[0].children] == ["1", "2", "3"]


def test_sections_sit_inside_their_chapter() -> None:
    doc = parse_sample(CLEAN)
    chapter_2 = get(doc, "van-ban-2-chuong-ii")
    sections = chapter_2.children

    assert [(s.kind, s.number, s.title) for s in sections] == [
        ("section", "1", "BỒI THƯỜNG VỀ ĐẤT"),
        ("section", "2", "HỖ TRỢ VÀ TÁI ĐỊNH CƯ"),
    ]
    assert sections[0].anchor == "van-ban-2-chuong-ii-muc-1"
    assert sections[0].citation == "Mục 1 Chương II Quy định"
    assert [a.number for a in sections[0].children] == ["4", "5"]
    assert [a.number for a in sections[1].children] == ["6", "7"]


def test_article_clauses_and_points() -> None:
    doc = parse_sample(CLEAN)
    article = get(doc, "van-ban-2-dieu-2")

    assert article.title == "Đối tượng áp dụng"
    assert article.body == ""
    assert [c.number for c in article.children] == ["1", "2", "3"]
    clause_2 = article.children[1]
    assert clause_2.body.startswith("Người sử dụng đất quy định tại Điều 4 của Luật Đất đai")
    assert [p.number for p in clause_2.children] == ["a", "b", "c", "d", "đ"]
    point_dd = clause_2.children[4]
    assert point_dd.body == "Tổ chức kinh tế có vốn đầu tư nước ngoài."
    assert point_dd.anchor == "van-ban-2-dieu-2-khoan-2-diem-dd"


def test_article_intro_text_before_clauses_stays_in_article_body() -> None:
    doc = parse_sample(CLEAN)
    article = get(doc, "van-ban-2-dieu-3")

    assert article.body == "Trong Quy định này, các từ ngữ dưới đây được hiểu như sau:"
    assert [c.number for c in article.children] == ["1", "2"]


def test_dash_sub_points_stay_in_the_body_of_their_parent() -> None:
    doc = parse_sample(CLEAN)
    clause = get(doc, "van-ban-2-dieu-7-khoan-2")

    assert clause.children == []
    assert clause.body == (
        "Suất tái định cư tối thiểu được quy định như sau:\n- Tại các phường: 60 m2;\n"
        "- Tại các xã: 100 m2."
    )


# --------------------------------------------------------------------------------------------
# The messy draft copied out of a PDF
# --------------------------------------------------------------------------------------------


def test_messy_draft_reports_what_the_officer_must_check() -> None:
    doc = parse_sample(MESSY)

    assert codes(doc) == Counter(
        {
            "page_furniture_removed": 8,
            "numbering_restart": 1,
            "text_before_first_article": 1,
            "numbering_gap": 2,
            "duplicate_number": 1,
            "heading_run_in": 1,
        }
    )
    assert messages(doc, "numbering_gap") == [
        "Điều 6 được đánh số sau Điều 4 (thiếu Điều 5).",
        "Khoản 3 trong Điều 8 được đánh số sau Khoản 1 (thiếu Khoản 2).",
    ]
    assert messages(doc, "duplicate_number") == ["Điều 6 bị trùng số với Điều 6 ở dòng 54."]
    assert all(w.line is not None for w in doc.warnings)


def test_messy_draft_drops_only_page_numbers_and_running_headers() -> None:
    doc = parse_sample(MESSY)

    assert doc.dropped == [
        (21, "- 2 -"),
        (22, "DỰ THẢO LẦN 2"),
        (43, "Trang 3/5"),
        (44, "DỰ THẢO LẦN 2"),
        (58, "4/5"),
        (59, "DỰ THẢO LẦN 2"),
        (67, "- 5 -"),
        (68, "DỰ THẢO LẦN 2"),
    ]
    # The stamp on page one stays in the title block.
    assert doc.nodes[0].body.split("\n")[0] == "DỰ THẢO LẦN 2"
    assert "Đã bỏ dòng 21 “- 2 -”" in messages(doc, "page_furniture_removed")[0]


def test_messy_draft_recognises_sloppy_headings_and_markers() -> None:
    doc = parse_sample(MESSY)
    regulation = {a.number: a for a in doc.articles() if a.anchor.startswith("van-ban-2-")}

    assert regulation["1"].title == "Phạm vi điều chỉnh"  # "Điều 1:" with a colon
    assert regulation["2"].title == "ĐỐI TƯỢNG ÁP DỤNG"  # "ĐIỀU   2 .   ..."
    assert regulation["3"].title == "Giải thích từ ngữ"  # typed with Ð (U+00D0)
    assert regulation["4"].title == "Bồi thường về đất nông nghiệp"  # stored as NFD
    clauses = regulation["2"].children
    assert [c.number for c in clauses] == ["1", "2"]  # "1.Cơ quan" and "2) Người"
    assert clauses[0].body == "Cơ quan thực hiện chức năng quản lý nhà nước về đất đai."
    assert [p.number for p in clauses[1].children] == ["a", "b", "c", "d", "đ"]  # "dd)"
    assert (
        clauses[1]
        .children[-1]
        .body.endswith("- Doanh nghiệp liên doanh;\n+ Doanh nghiệp 100% vốn nước ngoài.")
    )


def test_messy_draft_joins_lines_wrapped_mid_sentence() -> None:
    doc = parse_sample(MESSY)

    assert doc.title == (
        "QUYẾT ĐỊNH Ban hành Quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi "
        "đất trên địa bàn tỉnh Quảng Ngãi"
    )
    assert get(doc, "dieu-1").body == (
        "Ban hành kèm theo Quyết định này Quy định về bồi thường, hỗ trợ, tái định cư khi Nhà "
        "nước thu hồi đất trên địa bàn tỉnh Quảng Ngãi."
    )
    assert "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;" in (
        doc.nodes[0].body.split("\n")
    )
    # The wrapped "... khoản 2" / "Điều 6 của Quy định này." is not a new Điều 6.
    clause = get(doc, "van-ban-2-dieu-4-khoan-2")
    assert clause.body == (
        "Việc hỗ trợ được thực hiện theo quy định tại khoản 2\nĐiều 6 của Quy định này."
    )


def test_messy_draft_restart_moves_the_regulation_title_block_out_of_the_decision() -> None:
    doc = parse_sample(MESSY)

    assert get(doc, "dieu-3").body.endswith("chịu trách nhiệm thi hành Quyết định này.")
    title_block = doc.nodes[4]
    assert title_block.kind == "text"
    assert title_block.body.split("\n")[0] == "QUY ĐỊNH"
    assert doc.nodes[5].anchor == "van-ban-2-chuong-i"
    assert "Điều 1 ở dòng 28 bắt đầu lại việc đánh số" in messages(doc, "numbering_restart")[0]


def test_messy_draft_heading_run_into_text_is_split_and_kept() -> None:
    doc = parse_sample(MESSY)
    article = get(doc, "van-ban-2-dieu-7")

    assert article.title == "Quyền và nghĩa vụ của người có đất thu hồi"
    assert article.body.startswith("Người có đất thu hồi có quyền được thông báo")
    assert squash(article.own_text()) == squash(
        "Điều 7. Quyền và nghĩa vụ của người có đất thu hồi Người có đất thu hồi có quyền được "
        "thông báo về kế hoạch thu hồi đất, được tham gia ý kiến về phương án bồi thường, hỗ "
        "trợ, tái định cư và có nghĩa vụ chấp hành quyết định thu hồi đất."
    )
    assert "“Quyền và nghĩa vụ của người có đất thu hồi”" in messages(doc, "heading_run_in")[0]


def test_messy_draft_text_between_chapter_and_first_article_is_kept_and_flagged() -> None:
    doc = parse_sample(MESSY)
    chapter = get(doc, "van-ban-2-chuong-ii")

    assert chapter.title == "BỒI THƯỜNG, HỖ TRỢ, TÁI ĐỊNH CƯ KHI NHÀ NƯỚC THU HỒI ĐẤT"
    assert chapter.body.startswith("(Chương này áp dụng cho các dự án")
    assert messages(doc, "text_before_first_article") == [
        "Dòng 48: có nội dung nằm sau tiêu đề Chương II nhưng trước Điều đầu tiên; nội dung "
        "này được giữ trong Chương II."
    ]


def test_messy_draft_duplicate_articles_get_distinct_anchors() -> None:
    doc = parse_sample(MESSY)
    sixes = [a for a in doc.articles() if a.number == "6"]

    assert [a.anchor for a in sixes] == ["van-ban-2-dieu-6", "van-ban-2-dieu-6-2"]
    assert [a.title for a in sixes] == ["Hỗ trợ khác", "Hỗ trợ di chuyển tài sản"]


def test_messy_draft_signature_after_end_mark_leaves_the_last_clause() -> None:
    doc = parse_sample(MESSY)

    assert get(doc, "van-ban-2-dieu-8-khoan-3").body.endswith("tổ chức thực hiện./.")
    assert doc.nodes[-1].kind == "text"
    assert doc.nodes[-1].body == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def test_markdown_marks_are_removed_and_numbering_kept() -> None:
    blocks = read_blocks(MARKDOWN, filename=MARKDOWN.name)
    texts = [str(b) for b in blocks]

    assert "NGHỊ QUYẾT" in texts  # "# NGHỊ QUYẾT"
    assert "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng" in texts  # "### **Điều 1.** ..."
    assert "a) Bí thư chi bộ thôn, tổ dân phố;" in texts  # indented list item
    assert "- 50% mức hỗ trợ của chức danh kiêm nhiệm;" in texts  # VN sub-point dash kept
    assert "Chính phủ;" in texts  # "* " bullet removed
    assert any("Tờ trình số ___/TTr-UBND" in t for t in texts)  # escaped blanks kept
    assert not any("**" in t or t.startswith("#") for t in texts)


def test_markdown_resolution_structure() -> None:
    doc = parse_sample(MARKDOWN)

    assert doc.title == (
        "NGHỊ QUYẾT Quy định mức hỗ trợ đối với người hoạt động không chuyên trách ở thôn, tổ "
        "dân phố trên địa bàn tỉnh"
    )
    assert [(a.number, a.title) for a in doc.articles()] == [
        ("1", "Phạm vi điều chỉnh và đối tượng áp dụng"),
        ("2", "Mức hỗ trợ"),
        ("3", "Tổ chức thực hiện"),
    ]
    assert [p.number for p in get(doc, "dieu-1-khoan-2").children] == ["a", "b", "c"]
    assert doc.nodes[-1].body.startswith("Nơi nhận:")


def test_markdown_table_is_flattened_into_the_clause_with_one_warning() -> None:
    doc = parse_sample(MARKDOWN)
    clause = get(doc, "dieu-2-khoan-1")

    assert clause.body.split("\n") == [
        "Mức hỗ trợ hằng tháng được quy định tại bảng sau:",
        "STT | Chức danh | Thôn có từ 350 hộ trở lên | Thôn còn lại",
        "1 | Bí thư chi bộ | 1,5 lần mức lương cơ sở | 1,2 lần mức lương cơ sở",
        "2 | Trưởng thôn, Tổ trưởng tổ dân phố | 1,5 lần mức lương cơ sở | 1,2 lần mức lương cơ sở",
        "3 | Trưởng Ban công tác Mặt trận | 1,0 lần mức lương cơ sở | 0,8 lần mức lương cơ sở",
    ]
    assert codes(doc) == Counter({"table_flattened": 1})
    assert "bảng (4 hàng)" in messages(doc, "table_flattened")[0]


def test_bold_markdown_headings_in_plain_blocks() -> None:
    doc = parse_blocks(["**Điều 1.** Phạm vi điều chỉnh", "**1.** Nội dung.", "*a)* Điểm."])

    article = doc.articles()[0]
    assert (article.number, article.title) == ("1", "Phạm vi điều chỉnh")
    assert get(doc, "dieu-1-khoan-1-diem-a").body == "Điểm."


# --------------------------------------------------------------------------------------------
# Draft law: Phần, Mục, article numbers with letters, amending quotes
# --------------------------------------------------------------------------------------------


def test_parts_written_as_ordinals_roman_and_same_line_title() -> None:
    doc = parse_sample(LAW)
    parts = [n for n in doc.nodes if n.kind == "part"]

    assert [(p.number, p.title, p.anchor, p.citation) for p in parts] == [
        ("1", "NHỮNG QUY ĐỊNH CHUNG", "phan-1", "Phần thứ nhất"),
        ("2", "CHÍNH SÁCH ĐẶC THÙ", "phan-2", "Phần thứ hai"),
        ("III", "ĐIỀU KHOẢN THI HÀNH", "phan-iii", "Phần III"),
    ]
    assert [c.number for c in parts[0].children] == ["I"]
    assert doc.warnings == []


def test_sections_with_title_on_same_line_and_lettered_article() -> None:
    doc = parse_sample(LAW)
    section = get(doc, "chuong-ii-muc-1")

    assert (section.title, section.citation) == ("HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ", "Mục 1 Chương II")
    assert [a.number for a in section.children] == ["3", "3a"]
    assert get(doc, "dieu-3a").citation == "Điều 3a"


def test_quotation_opened_on_a_clause_line_stays_in_that_clause() -> None:
    doc = parse_text(
        """
Điều 1. Sửa đổi, bổ sung một số điều của Quy định ban hành kèm theo Quyết định số 15/2024/QĐ-UBND
1. Sửa đổi Điều 5 như sau: “Điều 5. Mức hỗ trợ
1. Hỗ trợ 50% chi phí.
a) Tối đa 10 triệu đồng.”
2. Bãi bỏ Điều 7.
"""
    )
    article = doc.articles()[0]

    assert [c.number for c in article.children] == ["1", "2"]
    assert article.children[0].children == []
    assert article.children[0].body.endswith("1. Hỗ trợ 50% chi phí.\na) Tối đa 10 triệu đồng.”")
    assert doc.warnings == []


def test_quoted_new_wording_in_an_amending_article_is_not_structure() -> None:
    doc = parse_sample(LAW)
    article = get(doc, "dieu-4")

    assert [c.number for c in article.children] == ["1", "2"]
    assert article.children[0].body.split("\n")[1:] == [
        "“Điều 5. Ủy quyền trong quản lý nhà nước",
        "1. Cơ quan hành chính nhà nước cấp trên được ủy quyền cho cơ quan cấp dưới.”",
    ]
    assert [a.number for a in doc.articles()] == ["1", "2", "3", "3a", "4", "5"]


# --------------------------------------------------------------------------------------------
# Properties every import must have
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_no_text_is_lost(path: Path) -> None:
    doc = parse_sample(path)
    kept = squash(doc.all_text())
    dropped_lines = {line for line, _ in doc.dropped}

    if path.suffix == ".txt":
        source = path.read_bytes().decode("utf-8-sig").splitlines()
    else:  # Markdown: compare with the text once its markup is read
        source = [str(b) for b in read_blocks(path, filename=path.name)]
        for raw in path.read_text(encoding="utf-8").splitlines():
            for word in re.findall(r"\w+", unicodedata.normalize("NFC", raw)):
                assert word in kept, (word, raw)
    missing = [
        (number, line)
        for number, line in enumerate(source, start=1)
        if line.strip() and number not in dropped_lines and squash(line) not in kept
    ]
    assert missing == []


GENERATED_LINES = [
    "Điều {n}. Phạm vi điều chỉnh",
    "ĐIỀU {n}",
    "Điều {n}a. Bổ sung",
    "Điều {n} của Luật này được sửa đổi.",
    "Chương {r}",
    "CHƯƠNG {r}. QUY ĐỊNH CHUNG",
    "QUY ĐỊNH CHUNG",
    "Mục {n}. HỖ TRỢ",
    "Phần thứ {o}",
    "{n}. Nội dung khoản {n}.",
    "{n})",
    "a) Điểm a;",
    "dd) Điểm đ;",
    "f) Điểm f;",
    "- gạch đầu dòng;",
    "“Điều {n}. Trích dẫn",
    "kết thúc trích dẫn.”",
    "- {n} -",
    "Trang {n}",
    "{n}",
    "DỰ THẢO",
    "Nơi nhận:",
    "TM. ỦY BAN NHÂN DÂN",
    "Căn cứ Luật Đất đai;",
    "nội dung bị ngắt dòng",
    "văn bản của",
    "Ủy ban nhân dân tỉnh",
    "Quyết định này có hiệu lực./.",
    "Điều {n}. Quyền của người dân Người dân có quyền " + "góp ý kiến về dự thảo, " * 8 + "./.",
    "",
]


@pytest.mark.parametrize("seed", range(8))
def test_generated_documents_never_lose_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        lines = [
            rng.choice(GENERATED_LINES).format(
                n=rng.randint(1, 9), r=rng.choice(["I", "II", "IV"]), o=rng.choice(["nhất", "hai"])
            )
            for _ in range(rng.randint(0, 50))
        ]
        lines = [unicodedata.normalize("NFD", t) if rng.random() < 0.1 else t for t in lines]

        doc = parse_blocks(lines)

        kept = squash(doc.all_text())
        dropped = {line for line, _ in doc.dropped}
        assert [
            t for i, t in enumerate(lines, 1) if t and i not in dropped and squash(t) not in kept
        ] == []
        anchors = [n.anchor for n in doc.walk()]
        assert len(anchors) == len(set(anchors))
        assert anchors == [n.anchor for n in parse_blocks(lines).walk()]


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_anchors_are_unique_and_stable(path: Path) -> None:
    first = parse_sample(path)
    second = parse_sample(path)

    anchors = [n.anchor for n in first.walk()]
    assert all(anchors)
    assert len(anchors) == len(set(anchors))
    assert anchors == [n.anchor for n in second.walk()]
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a) for a in anchors)


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_nfd_input_parses_like_nfc(path: Path) -> None:
    blocks = read_blocks(path, filename=path.name)
    nfd = [unicodedata.normalize("NFD", str(b)) for b in blocks]
    nfc = [unicodedata.normalize("NFC", str(b)) for b in blocks]

    nfd_doc, nfc_doc = parse_blocks(nfd), parse_blocks(nfc)
    assert outline(nfd_doc) == outline(nfc_doc)
    assert nfd_doc.warnings == nfc_doc.warnings
    assert nfd_doc.title == nfc_doc.title


def test_every_warning_code_is_documented() -> None:
    docs = [parse_sample(p) for p in ALL_SAMPLES] + [
        parse_file(build_docx(), filename="du_thao.docx"),
        parse_blocks(["§iÒu 1", "Chương I", "Nội dung", "Điều 3. Ba", "f) Điểm", "Điều 2. Hai"]),
        parse_blocks(["Báo cáo không có điều nào."]),
    ]
    emitted = {code for doc in docs for code in doc.warning_codes()}

    assert emitted <= set(WARNING_CODES)
    assert len(emitted) == len(WARNING_CODES)  # the samples exercise every warning


def test_every_node_text_is_nfc() -> None:
    doc = parse_sample(MESSY)

    for node in doc.walk():
        for text in (node.title, node.body, node.heading):
            assert unicodedata.is_normalized("NFC", text)
    assert "Ð" not in doc.all_text()


# --------------------------------------------------------------------------------------------
# Headings: what is and is not recognised
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "title"),
    [
        ("Điều 1. Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("Điều 1: Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("Điều 1 Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("ĐIỀU 1. PHẠM VI ĐIỀU CHỈNH", "1", "PHẠM VI ĐIỀU CHỈNH"),
        ("điều   1  .   Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("Điều 12a. Phạm vi điều chỉnh", "12a", "Phạm vi điều chỉnh"),
        ("Điều 01. Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("Điều 1. Phạm vi điều chỉnh.", "1", "Phạm vi điều chỉnh"),
        ("\u00d0iều 1. Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),  # Ð (eth)
        (unicodedata.normalize("NFD", "Điều 1. Phạm vi điều chỉnh"), "1", "Phạm vi điều chỉnh"),
        ("Đie\u0300\u0302u 1. Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),  # marks swapped
        ("Điều\u00a01.\u200bPhạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("**Điều 1.** Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
        ("## Điều 1. Phạm vi điều chỉnh", "1", "Phạm vi điều chỉnh"),
    ],
)
def test_article_heading_forms(line: str, number: str, title: str) -> None:
    doc = parse_blocks([line, "Nội dung điều."])

    [article] = doc.articles()
    assert (article.number, article.title, article.anchor) == (number, title, f"dieu-{number}")
    assert article.body == "Nội dung điều."


@pytest.mark.parametrize(
    "line",
    [
        "Điều 5 của Luật này được sửa đổi như sau.",
        "Điều 5, Điều 6 và Điều 7 được bãi bỏ.",
        "“Điều 5. Phạm vi điều chỉnh",
        "Chương trình mục tiêu quốc gia.",
        "Mục tiêu của Quy định này.",
        "Phần lớn diện tích đất nông nghiệp.",
        "Phần thứ hai của Bộ luật này.",
    ],
)
def test_sentences_that_mention_headings_are_not_headings(line: str) -> None:
    doc = parse_blocks(["Điều 1. Phạm vi điều chỉnh", line])

    assert [n.kind for n in doc.walk()] == ["article"]
    assert doc.articles()[0].body == squash(line)


def test_chapter_title_on_same_line_or_wrapped_over_two_caps_lines() -> None:
    doc = parse_text(
        """
CHƯƠNG I: QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Chương 2
QUẢN LÝ, SỬ DỤNG ĐẤT ĐAI TẠI KHU VỰC
BIÊN GIỚI, HẢI ĐẢO
Điều 2. Nguyên tắc
Chương III
Quy định chi tiết
Điều 3. Hiệu lực
"""
    )
    chapters = [n for n in doc.nodes if n.kind == "chapter"]

    assert [(c.number, c.title, c.anchor) for c in chapters] == [
        ("I", "QUY ĐỊNH CHUNG", "chuong-i"),
        ("2", "QUẢN LÝ, SỬ DỤNG ĐẤT ĐAI TẠI KHU VỰC BIÊN GIỚI, HẢI ĐẢO", "chuong-2"),
        ("III", "Quy định chi tiết", "chuong-iii"),
    ]
    assert doc.warnings == []


def test_article_numbering_continues_across_chapters() -> None:
    doc = parse_text(
        """
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi
Điều 2. Đối tượng
Chương II
QUY ĐỊNH CỤ THỂ
Điều 3. Hỗ trợ
1. Khoản một.
2. Khoản hai.
Điều 4. Bồi thường
1. Khoản một của điều khác.
"""
    )

    assert [a.number for a in doc.articles()] == ["1", "2", "3", "4"]
    assert [a.anchor for a in doc.articles()] == ["dieu-1", "dieu-2", "dieu-3", "dieu-4"]
    assert get(doc, "dieu-4-khoan-1").citation == "Khoản 1 Điều 4"
    assert doc.warnings == []


def test_title_on_the_line_after_a_bare_article_number() -> None:
    doc = parse_blocks(["Điều 1.", "Phạm vi điều chỉnh", "Quy định này quy định về bồi thường."])

    article = doc.articles()[0]
    assert (article.title, article.body) == (
        "Phạm vi điều chỉnh",
        "Quy định này quy định về bồi thường.",
    )


# --------------------------------------------------------------------------------------------
# Clauses and points
# --------------------------------------------------------------------------------------------


def test_points_follow_the_vietnamese_alphabet() -> None:
    letters = ["a", "b", "c", "d", "đ", "e", "g", "h"]
    doc = parse_blocks(
        ["Điều 1. Đối tượng", "1. Gồm:", *[f"{letter}) Đối tượng {letter};" for letter in letters]]
    )

    assert [p.number for p in get(doc, "dieu-1-khoan-1").children] == letters
    assert doc.warnings == []  # no "f" expected between e and g


def test_point_letter_f_is_flagged() -> None:
    doc = parse_blocks(["Điều 1. Đối tượng", "1. Gồm:", "a) Một;", "b) Hai;", "f) Sáu."])

    assert get(doc, "dieu-1-khoan-1-diem-f").number == "f"
    assert "unexpected_number" in doc.warning_codes()


def test_points_directly_under_an_article() -> None:
    doc = parse_blocks(["Điều 5. Đối tượng", "Quy định này áp dụng đối với:", "a) Hộ gia đình;"])

    point = get(doc, "dieu-5-diem-a")
    assert point.citation == "Điểm a Điều 5"
    assert doc.articles()[0].body == "Quy định này áp dụng đối với:"


def test_clause_markers_outside_an_article_are_text() -> None:
    doc = parse_blocks(["Căn cứ các văn bản sau:", "1. Luật Đất đai;", "Điều 1. Phạm vi"])

    assert doc.nodes[0].kind == "preamble"
    assert doc.nodes[0].body == "Căn cứ các văn bản sau:\n1. Luật Đất đai;"


def test_numbers_that_are_not_clause_markers() -> None:
    doc = parse_blocks(
        ["Điều 1. Mức hỗ trợ", "1.000.000 đồng cho mỗi hộ.", "1.1. Mục con.", "2020. Năm."]
    )

    assert doc.articles()[0].children == []


def test_clause_gap_duplicate_and_out_of_order() -> None:
    doc = parse_blocks(["Điều 1. Nội dung", "1. Một.", "3. Ba.", "3. Ba nữa.", "2. Hai."])

    assert [c.anchor for c in doc.articles()[0].children] == [
        "dieu-1-khoan-1",
        "dieu-1-khoan-3",
        "dieu-1-khoan-3-2",
        "dieu-1-khoan-2",
    ]
    assert doc.warning_codes() == ["numbering_gap", "duplicate_number", "numbering_out_of_order"]
    assert messages(doc, "numbering_out_of_order") == [
        "Khoản 2 trong Điều 1 đứng sau Khoản 3: số thứ tự không tăng dần."
    ]


def test_article_gap_message_matches_the_house_wording() -> None:
    doc = parse_blocks(["Điều 5. Năm", "Điều 7. Bảy"])

    assert messages(doc, "numbering_gap") == [
        "Điều 5 là điều đầu tiên (thiếu Điều 1 đến Điều 4).",
        "Điều 7 được đánh số sau Điều 5 (thiếu Điều 6).",
    ]


# --------------------------------------------------------------------------------------------
# Run-in headings and untitled articles
# --------------------------------------------------------------------------------------------


def test_heading_run_into_its_text_is_split_with_a_warning() -> None:
    doc = parse_text(
        """
Điều 4. Phạm vi điều chỉnh
Quy định này quy định việc lấy ý kiến nhân dân.
Điều 5. Quyền của người dân Người dân có quyền góp ý kiến đối với dự thảo văn bản quy phạm pháp luật, được cơ quan chủ trì soạn thảo tiếp thu, giải trình và công khai kết quả trên Cổng thông tin điện tử.
Điều 6. Trách nhiệm của cơ quan soạn thảo
"""
    )
    article = get(doc, "dieu-5")

    assert article.title == "Quyền của người dân"
    assert article.body.startswith("Người dân có quyền góp ý kiến")
    assert "heading_run_in" in doc.warning_codes()
    assert get(doc, "dieu-6").title == "Trách nhiệm của cơ quan soạn thảo"


def test_lead_in_ending_with_a_colon_is_not_a_run_in() -> None:
    doc = parse_blocks(
        [
            "Điều 1. Phạm vi điều chỉnh",
            "Điều 2. Sửa đổi, bổ sung một số điều của Quyết định số 15/2024/QĐ-UBND như sau:",
            "1. Sửa đổi khoản 1 Điều 3.",
        ]
    )

    assert "heading_run_in" not in doc.warning_codes()
    assert [c.number for c in get(doc, "dieu-2").children] == ["1"]


def test_wrapped_heading_ending_in_a_connector_is_joined() -> None:
    doc = parse_blocks(
        ["Điều 5. Trách nhiệm của", "Ủy ban nhân dân các xã", "1. Tổ chức thực hiện."]
    )

    assert get(doc, "dieu-5").title == "Trách nhiệm của Ủy ban nhân dân các xã"


def test_long_title_with_an_institution_name_is_not_split() -> None:
    title = (
        "Bồi thường, hỗ trợ, tái định cư đối với trường hợp thu hồi đất ở của hộ gia đình, cá "
        "nhân khi Nhà nước thu hồi đất vì mục đích quốc phòng, an ninh"
    )
    doc = parse_blocks(["Điều 1. Phạm vi", f"Điều 2. {title}", "Điều 3. Hiệu lực"])

    assert get(doc, "dieu-2").title == title
    assert doc.warnings == []


# --------------------------------------------------------------------------------------------
# Page furniture
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "furniture", ["- 3 -", "– 12 –", "Trang 3", "trang 3/12", "3/12", "Page 2 of 5"]
)
def test_page_numbers_are_dropped_with_a_warning(furniture: str) -> None:
    doc = parse_blocks(["Điều 1. Phạm vi", "Nội dung trước.", furniture, "Nội dung sau."])

    assert doc.articles()[0].body == "Nội dung trước.\nNội dung sau."
    assert doc.dropped == [(3, furniture)]
    assert doc.warnings[0].code == "page_furniture_removed"
    assert doc.warnings[0].line == 3


def test_bare_numbers_are_page_numbers_only_when_they_count_pages() -> None:
    blocks = ["Điều 1. Phạm vi"]
    for page in range(1, 4):
        blocks += [f"Nội dung {page}.{n}." for n in range(12)] + [str(page)]
    blocks += ["Điều 2. Bảng giá", "Loại cây", "7", "Keo"]  # a table cell copied from a PDF
    doc = parse_blocks(blocks)

    assert [text for _, text in doc.dropped] == ["1", "2", "3"]
    assert get(doc, "dieu-2").body == "Loại cây\n7\nKeo"


def test_date_like_fraction_is_not_a_page_number() -> None:
    doc = parse_blocks(["Điều 1. Phạm vi", "12/3"])

    assert doc.dropped == []
    assert doc.articles()[0].body == "12/3"


def test_repeated_lines_of_legal_text_are_not_furniture() -> None:
    blocks = []
    for number in range(1, 6):
        blocks += [f"Điều {number}. Nội dung {number}", "1. Gồm:", "a) Đất ở;", "Bãi bỏ."]
    doc = parse_blocks(blocks)

    assert doc.dropped == []
    assert [p.body for p in doc.walk() if p.kind == "point"] == ["Đất ở;\nBãi bỏ."] * 5


def test_running_header_repeated_on_many_pages_is_dropped() -> None:
    blocks = ["Dự thảo Quy định bồi thường tỉnh Quảng Ngãi", "Điều 1. Phạm vi"]
    for number in range(2, 7):
        blocks += [f"Nội dung trang {number - 1}."] * 10
        blocks += ["Dự thảo Quy định bồi thường tỉnh Quảng Ngãi", f"Điều {number}. Nội dung"]
    doc = parse_blocks(blocks)

    assert [text for _, text in doc.dropped] == ["Dự thảo Quy định bồi thường tỉnh Quảng Ngãi"] * 5
    assert doc.nodes[0].body == "Dự thảo Quy định bồi thường tỉnh Quảng Ngãi"  # page-one stamp


# --------------------------------------------------------------------------------------------
# Documents without articles
# --------------------------------------------------------------------------------------------


def test_text_without_articles_is_one_text_node() -> None:
    lines = ["BÁO CÁO", "Tổng hợp ý kiến góp ý", "1. Ý kiến thứ nhất.", "- 2 -", "Chương trình."]
    doc = parse_blocks(lines)

    assert [n.kind for n in doc.nodes] == ["text"]
    assert doc.nodes[0].body == "BÁO CÁO\nTổng hợp ý kiến góp ý\n1. Ý kiến thứ nhất.\nChương trình."
    assert doc.nodes[0].anchor == "noi-dung"
    assert doc.warning_codes() == ["page_furniture_removed", "no_articles"]
    assert doc.articles() == []


def test_empty_input_has_no_nodes() -> None:
    doc = parse_blocks(["", "   "])

    assert doc.nodes == []
    assert doc.warning_codes() == ["no_articles"]
    assert doc.all_text() == ""


def test_chapter_heading_only_document_counts_as_no_articles() -> None:
    doc = parse_blocks(["Chương I", "QUY ĐỊNH CHUNG", "Nội dung."])

    assert [n.kind for n in doc.nodes] == ["text"]
    assert doc.nodes[0].body == "Chương I\nQUY ĐỊNH CHUNG\nNội dung."


# --------------------------------------------------------------------------------------------
# Restarted numbering (a decision and its regulation in one file)
# --------------------------------------------------------------------------------------------


def test_restart_without_signature_starts_an_attached_document() -> None:
    doc = parse_text(
        """
Điều 1. Ban hành kèm theo Quyết định này Quy chế làm việc của Ủy ban nhân dân tỉnh nhiệm kỳ 2021-2026.
Điều 2. Quyết định này có hiệu lực thi hành kể từ ngày ký và thay thế các quyết định trước đây.
QUY CHẾ
Làm việc của Ủy ban nhân dân tỉnh
Điều 1. Phạm vi điều chỉnh
Điều 2. Nguyên tắc làm việc
"""
    )

    assert [a.anchor for a in doc.articles()] == [
        "dieu-1",
        "dieu-2",
        "van-ban-2-dieu-1",
        "van-ban-2-dieu-2",
    ]
    assert get(doc, "van-ban-2-dieu-1").citation == "Điều 1 Quy chế"
    assert doc.warning_codes() == ["numbering_restart"]
    assert doc.nodes[2].body == "QUY CHẾ\nLàm việc của Ủy ban nhân dân tỉnh"


# --------------------------------------------------------------------------------------------
# Reading files: .txt
# --------------------------------------------------------------------------------------------


def test_txt_in_cp1258_is_refused_with_a_vietnamese_message(tmp_path: Path) -> None:
    path = tmp_path / "du_thao.txt"
    # Windows-1258 writes ề as ê + a combining grave accent byte.
    path.write_bytes("Đi\u00ea\u0300u 1. Pha\u0323m vi".encode("cp1258"))

    with pytest.raises(ImportFormatError, match="không được mã hoá theo UTF-8"):
        read_blocks(path, filename=path.name)


def test_txt_with_invalid_bytes_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="lưu lại với bảng mã UTF-8"):
        read_blocks(b"Dieu 1. Pham vi \xff\xfa\xc3", filename="x.txt")


@pytest.mark.parametrize(
    "data",
    [
        "Điều 1. Phạm vi".encode(),
        "Điều 1. Phạm vi".encode("utf-8-sig"),
        "Điều 1. Phạm vi".encode("utf-16"),
        unicodedata.normalize("NFD", "Điều 1. Phạm vi").encode(),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "nfd"],
)
def test_txt_encodings_that_are_read(data: bytes) -> None:
    assert read_blocks(data, filename="du_thao.txt") == ["Điều 1. Phạm vi"]


def test_txt_crlf_lines_keep_blank_lines_and_line_numbers() -> None:
    blocks = blocks_of(b"Dong 1\r\n\r\nDong 3\r\n", "x.TXT")

    assert blocks == ["Dong 1", "", "Dong 3"]
    assert [b.line for b in blocks] == [1, 2, 3]


def test_uploaded_file_already_read_is_rewound() -> None:
    upload = io.BytesIO("Điều 1. Phạm vi\nNội dung.".encode())
    upload.read(4)  # e.g. a type sniff

    doc = parse_file(upload, filename="du_thao.txt")
    assert doc.articles()[0].body == "Nội dung."


def test_legacy_tcvn3_text_is_flagged() -> None:
    doc = parse_blocks(["§iÒu 1. Ph¹m vi ®iÒu chØnh"])

    assert "legacy_encoding" in doc.warning_codes()


@pytest.mark.parametrize(
    ("filename", "fragment"),
    [
        ("du_thao.pdf", "là PDF"),
        ("du_thao.doc", "Word 97-2003"),
        ("du_thao.odt", "Chỉ nhận tệp .docx, .txt hoặc .md"),
        ("du_thao", "không có phần mở rộng"),
    ],
)
def test_unsupported_extensions_are_refused(filename: str, fragment: str) -> None:
    with pytest.raises(ImportFormatError, match=fragment):
        read_blocks(b"anything", filename=filename)


def test_pdf_renamed_to_txt_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="thực chất là tệp PDF"):
        read_blocks(b"%PDF-1.7\n...", filename="du_thao.txt")


# --------------------------------------------------------------------------------------------
# Reading files: .docx
# --------------------------------------------------------------------------------------------

NUMBERING_XML = f"""
<w:abstractNum {nsdecls("w")} w:abstractNumId="90">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
    <w:lvlText w:val="Điều %1."/><w:suff w:val="space"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
    <w:lvlText w:val="%2."/><w:suff w:val="space"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>
    <w:lvlText w:val="%3)"/><w:suff w:val="space"/></w:lvl>
  <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="bullet"/>
    <w:lvlText w:val="-"/><w:suff w:val="space"/></w:lvl>
</w:abstractNum>
"""


def _number(paragraph: Paragraph, level: int) -> None:
    """Attach Word list numbering (list 90, the given level) to a paragraph."""
    num_pr = parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
    )
    paragraph._p.get_or_add_pPr().append(num_pr)


def build_docx() -> bytes:
    """A provincial draft as agencies write it in Word."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(NUMBERING_XML))
    numbering.append(
        # The first Điều is typed by hand, so the list starts at 2 (Word's "Set numbering
        # value" writes a startOverride).
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="2"/></w:lvlOverride></w:num>'
        )
    )

    header = document.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    header.cell(1, 0).text = "Số:     /2025/QĐ-UBND"
    header.cell(1, 1).text = "Quảng Ngãi, ngày    tháng    năm 2025"

    document.add_paragraph("QUYẾT ĐỊNH")
    document.add_paragraph("Ban hành Quy định về bồi thường, hỗ trợ, tái định cư")
    document.add_paragraph("Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;")

    chapter = document.add_paragraph("Chương I")
    chapter.add_run().add_break()  # soft line break (Shift+Enter) before the title
    chapter.add_run("QUY ĐỊNH CHUNG")

    heading = document.add_paragraph()
    heading.add_run("Điều 1.").bold = True
    heading.add_run("\tPhạm vi điều chỉnh")
    edited = document.add_paragraph("Quy định này quy định về bồi thường ")
    edited._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="1" w:author="Sở Tư pháp" w:date="2025-01-01T00:00:00Z">'
            "<w:r><w:t>khi Nhà nước thu hồi đất</w:t></w:r></w:ins>"
        )
    )
    edited._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="Sở Tư pháp" w:date="2025-01-01T00:00:00Z">'
            "<w:r><w:delText> (đoạn đã xoá)</w:delText></w:r></w:del>"
        )
    )
    edited.add_run(".")

    _number(document.add_paragraph("Đối tượng áp dụng"), 0)  # auto-numbered "Điều 2."
    _number(document.add_paragraph("Hộ gia đình, cá nhân đang sử dụng đất:"), 1)
    _number(document.add_paragraph("Đất ở;"), 2)
    _number(document.add_paragraph("Đất nông nghiệp:"), 2)
    _number(document.add_paragraph("đất trồng lúa;"), 3)
    _number(document.add_paragraph("Tổ chức có liên quan."), 1)

    document.add_paragraph("Điều 3. Đơn giá bồi thường")
    document.add_paragraph("1. Đơn giá bồi thường cây trồng như sau:")
    prices = document.add_table(rows=3, cols=3)
    for row, values in enumerate(
        [("STT", "Loại cây", "Đơn giá (đồng/cây)"), ("1", "Keo", "25.000"), ("2", "Bạch đàn", "")]
    ):
        for col, value in enumerate(values):
            prices.cell(row, col).text = value
    document.add_paragraph("2. Đơn giá được điều chỉnh hằng năm.")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_blocks_keep_paragraphs_and_table_rows_in_order() -> None:
    blocks = blocks_of(build_docx(), "du_thao.docx")

    assert [str(b) for b in blocks] == [
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do "
        "- Hạnh phúc",
        "Số: /2025/QĐ-UBND | Quảng Ngãi, ngày tháng năm 2025",
        "QUYẾT ĐỊNH",
        "Ban hành Quy định về bồi thường, hỗ trợ, tái định cư",
        "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;",
        "Chương I",
        "QUY ĐỊNH CHUNG",
        "Điều 1. Phạm vi điều chỉnh",
        "Quy định này quy định về bồi thường khi Nhà nước thu hồi đất.",
        "Điều 2. Đối tượng áp dụng",
        "1. Hộ gia đình, cá nhân đang sử dụng đất:",
        "a) Đất ở;",
        "b) Đất nông nghiệp:",
        "- đất trồng lúa;",
        "2. Tổ chức có liên quan.",
        "Điều 3. Đơn giá bồi thường",
        "1. Đơn giá bồi thường cây trồng như sau:",
        "STT | Loại cây | Đơn giá (đồng/cây)",
        "1 | Keo | 25.000",
        "2 | Bạch đàn",
        "2. Đơn giá được điều chỉnh hằng năm.",
    ]
    assert [b.table for b in blocks[:2]] == [1, 1]
    assert [b.table for b in blocks[17:20]] == [2, 2, 2]


def test_docx_draft_structure() -> None:
    doc = parse_file(io.BytesIO(build_docx()), filename="Du thao.DOCX")

    assert doc.title == "QUYẾT ĐỊNH Ban hành Quy định về bồi thường, hỗ trợ, tái định cư"
    assert get(doc, "chuong-i").title == "QUY ĐỊNH CHUNG"
    assert [(a.number, a.title) for a in doc.articles()] == [
        ("1", "Phạm vi điều chỉnh"),
        ("2", "Đối tượng áp dụng"),
        ("3", "Đơn giá bồi thường"),
    ]
    assert get(doc, "dieu-1").body.endswith("khi Nhà nước thu hồi đất.")
    assert "đã xoá" not in doc.all_text()
    assert get(doc, "dieu-2-khoan-1-diem-b").body == "Đất nông nghiệp:\n- đất trồng lúa;"
    assert get(doc, "dieu-3-khoan-1").body.split("\n")[1:] == [
        "STT | Loại cây | Đơn giá (đồng/cây)",
        "1 | Keo | 25.000",
        "2 | Bạch đàn",
    ]
    assert doc.find("dieu-3-khoan-2") is not None  # "2." after the table is a new clause


def test_docx_tables_are_flattened_with_one_warning_each() -> None:
    doc = parse_file(io.BytesIO(build_docx()), filename="du_thao.docx")

    assert doc.warning_codes() == ["table_flattened", "table_flattened"]
    assert [w.line for w in doc.warnings] == [1, 18]
    assert "(3 hàng)" in doc.warnings[1].message


def test_docx_keeps_all_text() -> None:
    data = build_docx()
    doc = parse_file(data, filename="du_thao.docx")
    kept = squash(doc.all_text())

    for block in read_blocks(data, filename="du_thao.docx"):
        assert squash(block) in kept


def test_docx_anchors_are_stable() -> None:
    data = build_docx()

    first = [n.anchor for n in parse_file(data, filename="a.docx").walk()]
    assert first == [n.anchor for n in parse_file(data, filename="a.docx").walk()]
    assert len(first) == len(set(first))


def test_text_file_named_docx_is_refused() -> None:
    with pytest.raises(ImportFormatError, match=re.escape("không phải tài liệu Word .docx hợp lệ")):
        read_blocks("Điều 1. Phạm vi".encode(), filename="du_thao.docx")


def test_zip_that_is_not_a_docx_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("du_thao.txt", "Điều 1. Phạm vi")

    with pytest.raises(ImportFormatError, match=re.escape("không phải tài liệu Word .docx hợp lệ")):
        read_blocks(buffer.getvalue(), filename="du_thao.docx")


def test_damaged_docx_package_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types>not really</Types")

    with pytest.raises(ImportFormatError, match=re.escape("không phải tài liệu Word .docx hợp lệ")):
        read_blocks(buffer.getvalue(), filename="du_thao.docx")


def test_old_word_file_named_docx_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="Word 97-2003"):
        read_blocks(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="x.docx")


def test_docx_truncated_zip_is_refused() -> None:
    data = build_docx()

    with pytest.raises(ImportFormatError):
        read_blocks(data[: len(data) // 2], filename="du_thao.docx")


# --------------------------------------------------------------------------------------------
# Public API details
# --------------------------------------------------------------------------------------------


def test_blocks_are_strings_with_their_origin() -> None:
    block = Block("Điều 1.", line=7, table=None, joinable=False)

    assert block == "Điều 1."
    assert isinstance(block, str)
    assert (block.line, block.table, block.joinable) == (7, None, False)


def test_node_own_text_rebuilds_the_heading_line() -> None:
    doc = parse_blocks(["Điều 1. Phạm vi", "1.Nội dung khoản", "2)", "Nội dung dòng sau"])
    clause_1, clause_2 = doc.articles()[0].children

    assert clause_1.own_text() == "1.Nội dung khoản"
    assert clause_2.own_text() == "2)\nNội dung dòng sau"
    assert isinstance(clause_1, Node)
