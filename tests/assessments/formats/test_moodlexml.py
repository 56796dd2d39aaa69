"""Moodle XML import: a Moodle 4 export, unsupported types, unsafe and broken XML."""

from decimal import Decimal
from pathlib import Path

import pytest

from assessments.formats import (
    ESSAY,
    FILL_BLANK,
    MAX_IMPORT_BYTES,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    FormatError,
    moodlexml,
)
from assessments.formats.checks import true_false_options

FILES = Path(__file__).parent / "files"


def problems(data: bytes) -> list[tuple[int, str]]:
    """Parse data that must fail; return its (line, message) problems."""
    with pytest.raises(FormatError) as error:
        moodlexml.parse(data)
    return [(problem.line, problem.message) for problem in error.value.problems]


@pytest.fixture(scope="module")
def questions():
    """The Moodle 4 export sample, parsed."""
    return moodlexml.parse((FILES / "moodle_export.xml").read_bytes())


def test_reads_supported_types_and_skips_categories_and_descriptions(questions):
    """Five questions in file order; category and description entries are not questions."""
    assert [q.type for q in questions] == [SINGLE, MULTIPLE, TRUE_FALSE, FILL_BLANK, ESSAY]
    assert [q.line for q in questions] == [15, 76, 134, 163, 199]


def test_single_choice_from_html_with_cdata(questions):
    """HTML text loses its tags, entities are unescaped, paragraphs become lines."""
    first = questions[0]
    assert first.name == "核心价值"
    assert first.stem == "社会工作的核心价值理念是（ ）。"
    assert first.explanation == "社会工作以“助人自助”为核心理念。\n参见教材第一章。"
    assert [(o.text, o.correct) for o in first.options][:2] == [
        ("助人自助", True),
        ("慈善救济", False),
    ]
    assert first.options[0].feedback == "正确。"
    assert first.category == ["社会工作综合能力", "社会工作价值观"]
    assert first.tags == ["社会工作价值观", "基础"]
    assert first.points == Decimal(1)


def test_multiple_choice_positive_fractions_are_correct(questions):
    """single=false: every answer with a positive fraction is correct."""
    assert [o.correct for o in questions[1].options] == [True, True, True, False]
    assert questions[1].points == Decimal(2)


def test_true_false_and_category_switch(questions):
    """The 100% answer "true" makes 正确 correct; the later category applies."""
    question = questions[2]
    assert question.options == true_false_options(
        True, true_feedback="对，这是共建共治共享的要求。"
    )
    assert question.category == ["社区治理"]


def test_short_answer_keeps_only_answers_worth_marks(questions):
    """The 0% catch-all `*` answer is dropped."""
    assert questions[3].answers == ["社区工作", "社区社会工作"]


def test_essay_uses_grader_information(questions):
    """An essay without general feedback takes the grader information as explanation."""
    assert questions[4].explanation == "参考要点：\n居民（代表）会议\n议事协商\n志愿服务"
    assert str(questions[4].points) == "10"


def test_unsupported_types_are_all_named():
    """Matching, numerical and cloze questions are each reported with name, type and line."""
    assert problems((FILES / "unsupported_types.xml").read_bytes()) == [
        (4, "Question “方法与对象配对” is of type matching, which cannot be imported."),
        (19, "Question “比例” is of type numerical, which cannot be imported."),
        (43, "Question “完形填空” is of type cloze, which cannot be imported."),
    ]


def test_billion_laughs_is_refused():
    """Entity declarations are refused before any expansion."""
    assert problems((FILES / "billion_laughs.xml").read_bytes()) == [
        (0, "The XML declares entities or external references, which are refused for safety.")
    ]


def test_external_entity_is_refused():
    """An external entity (XXE) is refused."""
    data = (
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='essay'><questiontext><text>&x;</text></questiontext>"
        b"</question></quiz>"
    )
    assert problems(data)[0][0] == 0


def test_truncated_xml_reports_the_parser_line():
    """A file cut short names the line where the parser stopped."""
    data = (FILES / "moodle_export.xml").read_bytes()[:3000]
    [(line, message)] = problems(data)
    assert line == len(data.splitlines())
    assert message.startswith("The XML is malformed or cut short")


def test_not_a_quiz():
    """Well-formed XML that is not a Moodle export is refused."""
    assert "no <quiz> element" in problems(b"<html><body>x</body></html>")[0][1]


def test_invalid_values_and_broken_records_are_collected():
    """A bad fraction, a bad grade and a question with no correct answer are all reported."""
    data = """<quiz>
<question type="multichoice"><name><text>a</text></name>
  <questiontext format="html"><text>甲</text></questiontext><single>true</single>
  <answer fraction="abc"><text>一</text></answer></question>
<question type="essay"><name><text>b</text></name>
  <questiontext format="html"><text>乙</text></questiontext>
  <defaultgrade>很多</defaultgrade></question>
<question type="multichoice"><name><text>c</text></name>
  <questiontext format="html"><text>丙</text></questiontext><single>true</single>
  <answer fraction="0"><text>一</text></answer><answer fraction="0"><text>二</text></answer>
</question>
<question type="truefalse"><name><text>d</text></name>
  <questiontext format="html"><text>丁</text></questiontext>
  <answer fraction="0"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
</question>
</quiz>""".encode()
    assert problems(data) == [
        (2, "An answer has a fraction that is not a number: abc"),
        (5, "The default grade is not a number: 很多"),
        (8, "This question needs exactly one correct option; it has 0."),
        (12, "This true/false question marks neither answer as right."),
    ]


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "The file is empty."),
        (b" " * (MAX_IMPORT_BYTES + 1), "The file is larger than"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "The XML is malformed"),
    ],
)
def test_empty_huge_or_binary(data, start):
    """Empty, oversized and binary data are refused with a clear message."""
    assert problems(data)[0][1].startswith(start)


def test_empty_quiz():
    """A quiz with only a category has no questions."""
    data = b"<quiz><question type='category'><category><text>x</text></category></question></quiz>"
    assert problems(data) == [(0, "The file contains no questions.")]
