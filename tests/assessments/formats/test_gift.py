"""GIFT import and export: realistic files, every error, round trips and escaping."""

import dataclasses
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.formats import (
    CASE,
    ESSAY,
    FILL_BLANK,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    FormatError,
    OptionData,
    QuestionData,
    gift,
)
from assessments.formats.checks import true_false_options

FILES = Path(__file__).parent / "files"


def without_lines(questions: list[QuestionData]) -> list[QuestionData]:
    """The records with line numbers cleared, for comparing parses of different files."""
    return [dataclasses.replace(q, line=0, parts=without_lines(q.parts)) for q in questions]


def problems(text: str) -> list[tuple[int, str]]:
    """Parse text that must fail; return its (line, message) problems."""
    with pytest.raises(FormatError) as error:
        gift.parse(text.encode())
    return [(problem.line, problem.message) for problem in error.value.problems]


@pytest.fixture(scope="module")
def questions():
    """The sample bank exported from Moodle and completed by hand, parsed."""
    return gift.parse((FILES / "social_work.gift").read_bytes())


class TestSampleFile:
    """The sample bank exported from Moodle and completed by hand."""

    def test_reads_every_question_with_types_in_order(self, questions):
        """Nine top-level questions of the expected types, the case last with two parts."""
        assert [q.type for q in questions] == [
            SINGLE, SINGLE, MULTIPLE, TRUE_FALSE, TRUE_FALSE, FILL_BLANK, ESSAY, TRUE_FALSE, CASE
        ]  # fmt: skip
        assert [part.type for part in questions[-1].parts] == [SINGLE, ESSAY]

    def test_single_choice_with_metadata_and_feedback(self, questions):
        """Title, category, tags, difficulty, points, source, feedback and explanation."""
        first = questions[0]
        assert first.name == "核心价值"
        assert first.stem == "社会工作的核心价值理念是（　）。"
        assert first.category == ["社会工作综合能力", "社会工作价值观"]
        assert first.tags == ["社会工作价值观", "基础"]
        assert (first.difficulty, first.points, first.source) == (1, Decimal(1), "2024 真题")
        assert first.options[0] == OptionData(
            "助人自助", correct=True, feedback="正确，社会工作以助人自助为核心理念。"
        )
        assert [o.correct for o in first.options] == [True, False, False, False]
        assert first.explanation == "社会工作强调激发服务对象潜能，实现“助人自助”。"
        assert first.line == 10

    def test_html_marker_is_reduced_to_text(self, questions):
        """An [html] question text loses its tags."""
        assert questions[1].stem == "下列做法中，违背社会工作专业伦理的是（　）。"

    def test_weighted_answers_make_multiple_choice(self, questions):
        """Positive weights are correct; the multi-line stem keeps its line break."""
        question = questions[2]
        assert (
            question.stem == "个案工作中，社会工作者与服务对象建立专业关系\n应遵循的原则有（　）。"
        )
        assert [o.correct for o in question.options] == [True, True, True, False]
        assert question.options[3].feedback == "这违背了案主自决原则。"

    def test_true_false_with_moodle_feedback_order(self, questions):
        """{F#wrong#right}: 错误 is correct and gets the right-answer feedback."""
        question = questions[4]
        assert question.options == true_false_options(
            False, true_feedback="不对，应当转介而不是简单结案。", false_feedback="正确。"
        )

    def test_short_answer_in_the_middle_is_fill_in(self, questions):
        """A block inside the text becomes a blank; every = answer is accepted."""
        question = questions[5]
        assert question.stem == "社会工作的三大直接服务方法是个案工作、小组工作和_____。"
        assert question.answers == ["社区工作", "社区社会工作"]
        assert question.category == ["社区治理"]

    def test_escapes_are_resolved(self, questions):
        """\\: \\{ \\} \\= read as plain characters."""
        assert questions[7].stem == (
            "社区居委会成员中，本社区居民的比例: 应当不低于 2/3，这种说法里“{}”与“=”都是普通字符。"
        )

    def test_case_with_parts(self, questions):
        """A // [case] description holds the // [part] questions after it."""
        case = questions[-1]
        assert case.stem.startswith("某社区 60 岁以上独居老人有 120 余人。\n部分老人")
        assert case.source == "2023 真题"
        assert [part.points for part in case.parts] == [Decimal(2), Decimal(8)]
        assert case.parts[1].explanation.startswith("参考要点")


def test_comments_inside_a_question_are_skipped():
    """A // line inside a question's lines is not part of its text."""
    [question] = gift.parse("社区治理的核心是\n// 出题人备注\n党建引领。{T}".encode())
    assert question.stem == "社区治理的核心是\n党建引领。"


def test_category_back_to_top():
    """$CATEGORY: $course$/top resets the category to the root."""
    text = "$CATEGORY: 社区治理\n\n甲{T}\n\n$CATEGORY: $course$/top\n\n乙{F}"
    assert [q.category for q in gift.parse(text.encode())] == [["社区治理"], []]


def test_essay_and_gb18030_with_bom_free_crlf():
    """A GB18030 file with CRLF line ends parses."""
    data = "::论述::论述社区社会工作的主要方法。{}\r\n".encode("gb18030")
    [question] = gift.parse(data)
    assert (question.type, question.name, question.stem) == (
        ESSAY,
        "论述",
        "论述社区社会工作的主要方法。",
    )


def test_utf8_bom():
    """A UTF-8 file with a byte order mark parses."""
    assert gift.parse("\ufeff社会工作是一种专业。{TRUE}".encode())[0].type == TRUE_FALSE


class TestProblems:
    """Every problem is reported with its line, and parsing goes on after one."""

    def test_unclosed_brace_reports_the_brace_line(self):
        """An answer block not closed with } names the line of the {."""
        assert problems("::题::社会工作的本质是\n{=助人自助 ~管理\n\n下一题{T}") == [
            (2, "The answer block is not closed with }.")
        ]

    def test_stray_closing_brace(self):
        """A } without { is reported."""
        assert problems("社会工作} 的本质{T}")[0][0] == 1

    def test_nested_and_second_blocks(self):
        """A { inside a block and a second block are both reported, each on its line."""
        text = "甲{=a {~b}\n\n乙{T}\n{F}"
        assert [line for line, _message in problems(text)] == [1, 4]

    def test_no_correct_answer_and_two_equals(self):
        """A single choice needs exactly one = answer."""
        text = "社会工作的对象是{~甲 ~乙}\n\n社区工作的主体是{=甲 =乙 ~丙}"
        assert problems(text) == [
            (1, "This question needs exactly one correct option; it has 0."),
            (3, "This question needs exactly one correct option; it has 2."),
        ]

    def test_weights_without_a_positive_one(self):
        """A multiple choice whose weights are all negative has no correct answer."""
        assert problems("甲{~%-50%a ~%-50%b}") == [
            (1, "A multiple-choice question needs at least one correct option.")
        ]

    def test_empty_question_and_empty_answer(self):
        """An answer block with no question text, or an empty answer, is reported."""
        assert problems("{=a ~b}\n\n问题{=a ~}") == [
            (1, "The question text is empty."),
            (3, "An option is empty."),
        ]

    def test_unsupported_numeric_and_matching(self):
        """Numerical and matching questions are refused by name."""
        text = "社区居委会成员一般几人？{#5:2}\n\n::配对::配对{=个案->个人 =社区->社区}"
        assert [message for _line, message in problems(text)] == [
            "Numerical questions {#…} are not supported.",
            "Matching questions (->) are not supported.",
        ]

    def test_description_without_case_marker(self):
        """A text with no answer block is a problem unless marked // [case]."""
        assert "no answer block" in problems("只是说明文字。")[0][1]

    def test_part_without_case(self):
        """A // [part] with no case before it is reported."""
        assert problems("// [part]\n小题{T}") == [
            (2, "A [part] question must follow a [case] scenario.")
        ]

    def test_case_without_parts_and_bad_metadata(self):
        """A case needs parts; difficulty and points must be numbers."""
        text = "// [case]\n案例\n\n// [difficulty:难]\n甲{T}\n\n// [points:x]\n乙{T}"
        assert problems(text) == [
            (2, "A case question needs at least one sub-question."),
            (4, "The difficulty must be 1, 2 or 3."),
            (7, "The points must be a number."),
        ]

    def test_unclosed_title(self):
        """::title without its closing :: is reported."""
        assert problems("::标题 社会工作{T}") == [(1, "The question title is not closed with ::.")]

    def test_only_comments(self):
        """A file of comments has no questions."""
        assert problems("// 只有注释\n$CATEGORY: 社区治理\n") == [
            (0, "The file contains no questions.")
        ]


def test_round_trip_of_sample_file():
    """GIFT → records → GIFT → records gives the same records."""
    questions = gift.parse((FILES / "social_work.gift").read_bytes())
    assert without_lines(gift.parse(gift.write(questions))) == without_lines(questions)


def test_writer_output_is_plain_moodle_gift():
    """The writer escapes, weights multiple choice and writes categories on change."""
    questions = [
        QuestionData(
            type=MULTIPLE,
            stem="比例 1:2 {含} #",
            options=[
                OptionData("甲", correct=True),
                OptionData("乙", correct=True),
                OptionData("丙", correct=True),
                OptionData("丁"),
            ],
            category=["社区治理", "议事协商"],
        ),
        QuestionData(type=FILL_BLANK, stem="填空", answers=["a=b", "%5%"], category=["社区治理"]),
    ]
    assert gift.write(questions).decode() == (
        "$CATEGORY: 社区治理/议事协商\n\n"
        "比例 1\\:2 \\{含\\} \\# {~%33.33333%甲 ~%33.33333%乙 ~%33.33333%丙 ~%-100%丁}\n\n"
        "$CATEGORY: 社区治理\n\n"
        "填空 {=a\\=b =\\%5%}\n"
    )


def test_thousand_questions():
    """A 1,000-question file parses completely (speed is measured in bench/, not here)."""
    block = "// [difficulty:2]\n::第{n}题::社区治理第{n}题：正确的是{{=甲{n} ~乙 ~丙 ####解析}}\n"
    data = "\n".join(block.format(n=n) for n in range(1000)).encode()
    started = time.perf_counter()
    questions = gift.parse(data)
    print(f"parsed 1,000 GIFT questions in {time.perf_counter() - started:.3f} s")
    assert len(questions) == 1000
    assert questions[-1].options[0].text == "甲999"


# Text that stresses escaping: GIFT's special characters, backslashes, line breaks, markers.
_ALPHABET = "社会工作个案社区治理价值观 abcXYZ019~=#{}:\\\n%/[]->TF"
_text = st.text(_ALPHABET, min_size=1, max_size=24).map(str.strip).filter(bool)


@st.composite
def _options(draw, kind: str) -> list[OptionData]:
    texts = draw(st.lists(_text, min_size=2, max_size=5))
    feedbacks = draw(
        st.lists(st.one_of(st.just(""), _text), min_size=len(texts), max_size=len(texts))
    )
    if kind == SINGLE:
        right = draw(st.integers(0, len(texts) - 1))
        marks = [index == right for index in range(len(texts))]
    else:
        marks = draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts)))
        marks[draw(st.integers(0, len(texts) - 1))] = True
    return [OptionData(t, m, f) for t, m, f in zip(texts, marks, feedbacks, strict=True)]


@st.composite
def _question(draw, kind: str | None = None) -> QuestionData:
    kind = kind or draw(st.sampled_from([SINGLE, MULTIPLE, TRUE_FALSE, FILL_BLANK, ESSAY]))
    question = QuestionData(
        type=kind,
        stem=draw(_text),
        name=draw(st.one_of(st.just(""), _text)),
        explanation=draw(st.one_of(st.just(""), _text)),
        difficulty=draw(st.one_of(st.none(), st.integers(1, 3))),
        points=draw(
            st.one_of(st.none(), st.decimals(min_value=Decimal("0.5"), max_value=100, places=1))
        ),
    )
    if kind in (SINGLE, MULTIPLE):
        question.options = draw(_options(kind))
    elif kind == TRUE_FALSE:
        question.options = true_false_options(
            draw(st.booleans()),
            true_feedback=draw(st.one_of(st.just(""), _text)),
            false_feedback=draw(st.one_of(st.just(""), _text)),
        )
    elif kind == FILL_BLANK:
        question.answers = draw(st.lists(_text, min_size=1, max_size=3))
    return question


@st.composite
def _bank(draw) -> list[QuestionData]:
    questions = draw(st.lists(_question(), min_size=1, max_size=4))
    for question in questions:
        question.category = draw(
            st.lists(st.sampled_from(["社区治理", "个案工作", "a b"]), max_size=2)
        )
    if draw(st.booleans()):
        case = QuestionData(type=CASE, stem=draw(_text), name=draw(st.one_of(st.just(""), _text)))
        case.parts = draw(st.lists(_question(), min_size=1, max_size=3))
        questions.append(case)
    return questions


@settings(max_examples=300, deadline=None)
@given(_bank())
def test_round_trip_property(questions):
    """Any records with special characters survive write → parse unchanged."""
    assert without_lines(gift.parse(gift.write(questions))) == questions
