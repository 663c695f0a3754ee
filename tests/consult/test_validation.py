"""FieldErrors: one response reports every problem, values come back normalised."""

from __future__ import annotations

import unicodedata

import pytest

from consult.errors import Invalid
from consult.validation import FieldErrors


def test_no_errors_raises_nothing():
    errors = FieldErrors()
    assert errors.text("name", " Lan ", max_length=10) == "Lan"
    errors.raise_if_any()


def test_every_field_error_is_reported_at_once():
    errors = FieldErrors()
    errors.text("name", "", max_length=10)
    errors.email("email", "not-an-email")
    errors.phone("phone", "12")
    with pytest.raises(Invalid) as info:
        errors.raise_if_any()
    assert set(info.value.fields) == {"name", "email", "phone"}
    assert info.value.status == 400


def test_first_message_per_field_wins():
    errors = FieldErrors()
    errors.add("body", "một")
    errors.add("body", "hai")
    assert errors.fields == {"body": "một"}


def test_text_length_is_counted_after_nfc():
    errors = FieldErrors()
    value = errors.text("body", unicodedata.normalize("NFD", "ệ" * 5), max_length=5)
    assert value == "ệ" * 5 and errors.fields == {}
    errors.text("body2", "ệ" * 6, max_length=5)
    assert "body2" in errors.fields


@pytest.mark.parametrize("value", [12, ["a"], {"a": 1}, True])
def test_text_refuses_non_strings(value):
    errors = FieldErrors()
    assert errors.text("body", value, max_length=10) == ""
    assert "body" in errors.fields


def test_optional_text_may_be_empty():
    errors = FieldErrors()
    assert errors.text("topic", None, max_length=10, required=False) == ""
    assert errors.fields == {}


@pytest.mark.parametrize(
    ("value", "stored", "ok"),
    [
        ("An.Nguyen@Example.VN", "an.nguyen@example.vn", True),
        ("", "", True),
        ("an@", None, False),
        ("an nguyen@example.vn", None, False),
    ],
)
def test_email(value, stored, ok):
    errors = FieldErrors()
    result = errors.email("email", value)
    assert ("email" not in errors.fields) is ok
    if ok:
        assert result == stored


@pytest.mark.parametrize(
    ("value", "stored", "ok"),
    [
        ("0912 345 678", "0912345678", True),
        ("+84-912-345-678", "+84912345678", True),
        ("(0236) 3822 123", "02363822123", True),
        ("", "", True),
        ("12345", None, False),
        ("0912abc678", None, False),
        ("+1 202 555 0100", None, False),
    ],
)
def test_phone(value, stored, ok):
    errors = FieldErrors()
    result = errors.phone("phone", value)
    assert ("phone" not in errors.fields) is ok
    if ok:
        assert result == stored


@pytest.mark.parametrize(
    ("value", "result", "ok"),
    [
        (True, True, True),
        (False, False, True),
        (None, False, True),
        ("", False, True),
        ("on", True, True),
        ("TRUE", True, True),
        ("0", False, True),
        ("maybe", False, False),
        (2, False, False),
    ],
)
def test_boolean(value, result, ok):
    errors = FieldErrors()
    assert errors.boolean("consent", value) is result
    assert ("consent" not in errors.fields) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("", True),
        (None, True),
        ("3f2b-uuid_1.2:x", True),
        ("a b", False),
        ("x" * 65, False),
        (5, False),
    ],
)
def test_request_id(value, ok):
    errors = FieldErrors()
    errors.request_id("request_id", value)
    assert ("request_id" not in errors.fields) is ok
