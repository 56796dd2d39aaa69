"""Aiken import: the sample file, Chinese markers, multiple answers and every error."""

from pathlib import Path

import pytest

from assessments.formats import MULTIPLE, SINGLE, FormatError, aiken

FILES = Path(__file__).parent / "files"


def problems(text: str, encoding: str = "utf-8") -> list[tuple[int, str]]:
    """Parse text that must fail; return its (line, message) problems."""
    with pytest.raises(FormatError) as error:
        aiken.parse(text.encode(encoding))
    return [(problem.line, problem.message) for problem in error.value.problems]


def test_sample_file():
    """Five questions: `A.`, `A)`, full-width `Ａ．` with 答案：, `A、` with A,B,C, lower case."""
    questions = aiken.parse((FILES / "social_work_aiken.txt").read_bytes())
    assert [q.type for q in questions] == [SINGLE, SINGLE, SINGLE, MULTIPLE, SINGLE]
    assert [q.line for q in questions] == [1, 8, 14, 20, 27]
    assert questions[0].stem == "社会工作的核心价值理念是（　）。"
    assert [(o.text, o.correct) for o in questions[1].options] == [
        ("个别化", False),
        ("保密", True),
        ("接纳", False),
    ]
    assert questions[2].options[0].text == "居民的共同需求"
    assert [o.correct for o in questions[3].options] == [True, True, True, False]


def test_multi_line_stem_and_option_and_joined_letters():
    """Stem and option text may run over lines; ANSWER: AC makes a multiple choice."""
    text = (
        "社区治理的主体\n包括（　）。\nA. 社区党组织\n（发挥领导作用）\nB. 物业公司\nC. 居民\n"
        "ANSWER: AC"
    )
    [question] = aiken.parse(text.encode("gb18030"))
    assert question.stem == "社区治理的主体\n包括（　）。"
    assert question.options[0].text == "社区党组织\n（发挥领导作用）"
    assert [o.correct for o in question.options] == [True, False, True]


def test_stem_line_looking_like_a_later_option_stays_text():
    """A stem starting with "B、" is text, since options start at A."""
    [question] = aiken.parse(
        "B、C 两个社区合并后应当\nA. 重新选举\nB. 维持不变\nANSWER: A".encode()
    )
    assert question.stem == "B、C 两个社区合并后应当"


def test_missing_answer():
    """A question followed by a blank line and another question lacks its ANSWER."""
    text = "甲问题\nA. 一\nB. 二\n\n乙问题\nA. 一\nB. 二\nANSWER: B\n\n丙问题\nA. 一\nB. 二"
    assert problems(text) == [
        (1, "This question has no ANSWER line."),
        (10, "This question has no ANSWER line."),
    ]


def test_answer_letter_not_among_options():
    """ANSWER: D with three options is reported on the ANSWER line."""
    assert problems("问题\nA. 一\nB. 二\nC. 三\nANSWER: D") == [
        (5, "The answer D is not among the options ABC.")
    ]


def test_fewer_than_two_options_and_empty_answer():
    """One option, and an ANSWER with no letter, are reported."""
    assert problems("问题\nA. 唯一\nANSWER: A\n\n问题二\nA. 一\nB. 二\nANSWER:") == [
        (1, "A choice question needs at least two options."),
        (8, "The ANSWER line names no option letter."),
    ]


def test_text_after_answer_without_blank_line():
    """The next question must be separated from ANSWER by a blank line."""
    text = "问题\nA. 一\nB. 二\nANSWER: A\n下一题\nA. 一\nB. 二\nANSWER: B"
    assert problems(text) == [(5, "Leave a blank line between ANSWER and the next question.")]


def test_answer_without_question_and_no_options():
    """An ANSWER line alone, and a question with no options, are reported."""
    assert problems("ANSWER: A\n\n只有题干\nANSWER: A") == [
        (1, "This ANSWER line has no question above it."),
        (4, "The answer A is not among the options -."),
    ]


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02binary"])
def test_empty_or_binary_file(data):
    """Empty and binary files are refused as a whole."""
    with pytest.raises(FormatError) as error:
        aiken.parse(data)
    assert error.value.problems[0].line == 0
