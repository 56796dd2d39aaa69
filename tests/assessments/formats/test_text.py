"""Shared decoding, HTML reduction, category paths and record validation."""

from decimal import Decimal

import pytest

from assessments.formats import (
    CASE,
    ESSAY,
    MAX_IMPORT_BYTES,
    SINGLE,
    FormatError,
    OptionData,
    QuestionData,
)
from assessments.formats.checks import finish, plain_decimal, validate
from assessments.formats.text import category_path, decode, html_to_text


def messages(error: pytest.ExceptionInfo[FormatError]) -> list[str]:
    """The problem messages of a raised FormatError."""
    return [problem.message for problem in error.value.problems]


def test_decode_utf8_with_and_without_bom():
    """UTF-8 decodes with or without a byte order mark."""
    text = "社会工作价值观\n"
    assert decode(text.encode()) == text
    assert decode(b"\xef\xbb\xbf" + text.encode()) == text


def test_decode_falls_back_to_gb18030():
    """A file saved by Chinese Windows (GB18030) decodes."""
    assert decode("社区治理：共建共治共享".encode("gb18030")) == "社区治理：共建共治共享"


def test_decode_normalises_line_endings():
    """CRLF and lone CR become \\n."""
    assert decode(b"a\r\nb\rc\n") == "a\nb\nc\n"


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04\x00\x00binary", "社会工作".encode("utf-16"), bytes(range(1, 32)) * 10],
)
def test_decode_refuses_binary(data):
    """NUL bytes, UTF-16 or control characters are refused as not plain text."""
    with pytest.raises(FormatError) as error:
        decode(data)
    assert error.value.problems[0].line == 0
    assert "not plain text" in messages(error)[0]


@pytest.mark.parametrize("data", [b"", b"  \n\r\n"])
def test_decode_refuses_empty(data):
    """An empty or blank file is refused."""
    with pytest.raises(FormatError) as error:
        decode(data)
    assert messages(error) == ["The file is empty."]


def test_decode_refuses_too_large():
    """More than MAX_IMPORT_BYTES is refused before decoding."""
    with pytest.raises(FormatError) as error:
        decode(b"a" * (MAX_IMPORT_BYTES + 1))
    assert "larger than 10 MB" in messages(error)[0]


def test_html_to_text_keeps_paragraphs_and_unescapes():
    """Tags go, <p> and <br> become line breaks, entities are unescaped."""
    markup = '<p dir="ltr">社会&amp;工作<br>第二行</p><p>&ldquo;助人自助&rdquo;（　）</p>'
    assert html_to_text(markup) == "社会&工作\n第二行\n“助人自助”（　）"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("$course$/top/社区治理/议事协商", ["社区治理", "议事协商"]),
        ("$course$/top", []),
        ("社会工作 / 个案工作 /", ["社会工作", "个案工作"]),
    ],
)
def test_category_path(text, path):
    """Moodle's root is dropped and segments are trimmed."""
    assert category_path(text) == path


def test_plain_decimal_has_no_exponent():
    """Trailing zeros go without switching to exponent notation."""
    assert str(plain_decimal(Decimal("10.0000000"))) == "10"
    assert str(plain_decimal(Decimal("2.50"))) == "2.5"


def test_validate_reports_broken_invariants():
    """Each broken invariant gives a message."""
    question = QuestionData(
        type=SINGLE,
        stem=" ",
        options=[OptionData("甲", correct=True), OptionData("乙", correct=True)],
        difficulty=5,
        points=Decimal(0),
    )
    assert len(validate(question)) == 4
    assert validate(QuestionData(type=CASE, stem="案例")) == [
        "A case question needs at least one sub-question."
    ]
    assert validate(QuestionData(type=ESSAY, stem="简述", explanation="要点")) == []


def test_finish_refuses_no_questions():
    """A file without questions is an error."""
    with pytest.raises(FormatError) as error:
        finish([], [])
    assert messages(error) == ["The file contains no questions."]
