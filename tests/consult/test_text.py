"""NFC normalisation, invisible-character removal, Vietnamese search folding, sanitising."""

from __future__ import annotations

import unicodedata

import pytest

from consult.text import fold, normalize_text, sanitize_html


@pytest.mark.parametrize(
    "variant", ["hoà", "hòa", "hoa", "HÒA", unicodedata.normalize("NFD", "hoà")]
)
def test_fold_finds_hoa_in_every_spelling(variant):
    assert fold(variant) == "hoa"


def test_fold_turns_dong_thap_into_plain_ascii():
    assert fold("Đồng Tháp") == "dong thap"
    assert fold(unicodedata.normalize("NFD", "Đồng  Tháp ")) == "dong thap"
    assert fold("đường ĐT741") == "duong dt741"


def test_fold_of_nothing_is_empty():
    assert fold(None) == "" and fold("") == ""


def test_normalize_composes_decomposed_text():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    assert decomposed != "Nguyễn Thị Hoà"
    result = normalize_text(decomposed, multiline=False)
    assert result == "Nguyễn Thị Hoà" and unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\u2069"],
)
def test_normalize_removes_invisible_and_bidi_characters(invisible):
    assert normalize_text(f"Bình{invisible}An", multiline=False) == "BìnhAn"


def test_normalize_removes_control_characters_but_keeps_line_breaks():
    assert normalize_text("a\x00b\x07c\r\nd\re") == "abc\nd\ne"


def test_normalize_single_line_collapses_whitespace():
    assert (
        normalize_text("  Phường \t Tân\u00a0Phong\nxã  ", multiline=False) == "Phường Tân Phong xã"
    )


def test_normalize_multiline_keeps_at_most_one_blank_line():
    assert normalize_text("Dòng 1   \n\n\n\n  Dòng 2\n") == "Dòng 1\n\nDòng 2"


def test_normalize_of_nothing_is_empty():
    assert normalize_text(None) == "" and normalize_text("") == ""


def test_sanitize_keeps_allowed_tags_and_strips_the_rest():
    dirty = '<p onclick="x()">Xin <strong>chào</strong><script>alert(1)</script> <a href="javascript:alert(1)">x</a> <a href="https://example.vn" title="t">ok</a></p>'
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "onclick" not in clean and "javascript:" not in clean
    assert "<strong>chào</strong>" in clean
    assert '<a href="https://example.vn" title="t">ok</a>' in clean


def test_sanitize_normalises_text_too():
    assert sanitize_html(unicodedata.normalize("NFD", "<em>Hoà</em>\u200b")) == "<em>Hoà</em>"
