"""Excel import, export and template: headers, every column check, cases and round trips."""

import dataclasses
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from assessments.formats import (
    CASE,
    ESSAY,
    FILL_BLANK,
    MAX_IMPORT_BYTES,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    FormatError,
    OptionData,
    QuestionData,
    gift,
    xlsx,
)
from assessments.formats.checks import true_false_options

HEADERS = ["题型", "分类", "题干", "选项A", "选项B", "选项C", "选项D", "正确答案", "解析", "难度",
           "分值", "标签", "来源", "案例编号"]  # fmt: skip


def without_lines(questions: list[QuestionData]) -> list[QuestionData]:
    """The records with line numbers cleared."""
    return [dataclasses.replace(q, line=0, parts=without_lines(q.parts)) for q in questions]


def sheet(rows: list[list], headers: list[str] = HEADERS, title: str = "题目") -> bytes:
    """An .xlsx with the given header row and data rows."""
    workbook = Workbook()
    workbook.active.title = "说明"
    worksheet = workbook.create_sheet(title)
    worksheet.append(headers)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(data: bytes) -> list[tuple[int, str]]:
    """Parse data that must fail; return its (row, message) problems."""
    with pytest.raises(FormatError) as error:
        xlsx.parse(data)
    return [(problem.line, problem.message) for problem in error.value.problems]


REALISTIC = [
    ["单选题", "社会工作综合能力/社会工作价值观", "社会工作的核心价值理念是（　）。", "助人自助",
     "慈善救济", "行政管理", "社会控制", "A", "以“助人自助”为核心。", "容易", 1, "价值观，基础",
     "2024 真题", None],
    ["多选题", "社会工作实务 > 个案工作", "建立专业关系应遵循的原则有（　）。", "个别化", "接纳",
     "非评判", "替服务对象作决定", "a, b, c", None, 2, 2.5, "个案工作、专业关系", None, None],
    ["判断题", "社区治理", "社区治理强调多元主体共同参与。", None, None, None, None, "√", None,
     "较难", None, None, None, None],
    [],
    ["填空题", "社区治理", "社会工作三大方法是个案工作、小组工作和____。", None, None, None, None,
     "社区工作 | 社区社会工作", None, None, None, None, None, None],
    ["简答题", "社区治理", "简述居民参与的途径。", None, None, None, None, "居民会议、议事协商",
     "可结合实例。", 3, 10, None, None, None],
    ["案例分析", "社会工作实务", "某社区独居老人较多……", None, None, None, None, None, None,
     None, None, None, "2023 真题", "C1"],
    ["单选", None, "首先应开展的工作是（　）。", "需求评估", "发放物资", None, None, "A", None,
     None, 2, None, None, "C1"],
    ["判断", None, "应当尊重老人的自主选择。", None, None, None, None, "对", None, None, None,
     None, None, "C1"],
]  # fmt: skip


@pytest.fixture(scope="module")
def questions():
    """A sheet filled in by a trainer, parsed."""
    return xlsx.parse(sheet(REALISTIC))


class TestRealisticSheet:
    """A sheet filled in by a trainer, with the usual variations."""

    def test_types_rows_and_empty_row_skipped(self, questions):
        """Six top-level questions with their spreadsheet rows; the empty row is skipped."""
        assert [q.type for q in questions] == [
            SINGLE,
            MULTIPLE,
            TRUE_FALSE,
            FILL_BLANK,
            ESSAY,
            CASE,
        ]
        assert [q.line for q in questions] == [2, 3, 4, 6, 7, 8]

    def test_single_choice_columns(self, questions):
        """Category, options, answer, explanation, difficulty, points, tags, source."""
        first = questions[0]
        assert first.category == ["社会工作综合能力", "社会工作价值观"]
        assert first.options[0] == OptionData("助人自助", correct=True)
        assert (first.difficulty, first.points, first.tags, first.source) == (
            1, Decimal(1), ["价值观", "基础"], "2024 真题"
        )  # fmt: skip

    def test_multiple_choice_with_loose_letters_and_arrow_category(self, questions):
        """Letters "a, b, c" and a "A > B" category path are understood."""
        question = questions[1]
        assert [o.correct for o in question.options] == [True, True, True, False]
        assert question.category == ["社会工作实务", "个案工作"]
        assert (question.difficulty, question.points) == (2, Decimal("2.5"))
        assert question.tags == ["个案工作", "专业关系"]

    def test_true_false_fill_in_and_essay(self, questions):
        """√ is 正确; answers split on |; an essay's answer leads its explanation."""
        assert questions[2].options == true_false_options(True)
        assert questions[2].difficulty == 3
        assert questions[3].answers == ["社区工作", "社区社会工作"]
        assert questions[4].explanation == "居民会议、议事协商\n\n可结合实例。"

    def test_case_collects_parts_by_case_number(self, questions):
        """Rows with the case's number become its parts, in row order."""
        case = questions[-1]
        assert [(p.type, p.line) for p in case.parts] == [(SINGLE, 9), (TRUE_FALSE, 10)]
        assert case.parts[1].options == true_false_options(True)


def test_headers_in_any_order_with_spaces_and_unknown_columns():
    """Headers match by name, ignoring spaces and order; unknown columns are ignored."""
    headers = [" 正确答案 ", "备注", "题干", "题型", "选项 B", "选项A"]
    [question] = xlsx.parse(sheet([["B", "随便", "题目", "单选题", "乙", "甲"]], headers))
    assert [(o.text, o.correct) for o in question.options] == [("甲", False), ("乙", True)]


def test_first_sheet_when_no_question_sheet():
    """Without a "题目" sheet the first sheet is read."""
    workbook = Workbook()
    workbook.active.append(["题型", "题干", "正确答案"])
    workbook.active.append(["填空题", "社区是____的共同体。", "生活"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert xlsx.parse(buffer.getvalue())[0].answers == ["生活"]


def test_missing_required_headers():
    """Each missing required header is a problem at row 1."""
    assert problems(sheet([["单选题"]], ["题型", "选项A"])) == [
        (1, "The header row has no column “题干”."),
        (1, "The header row has no column “正确答案”."),
    ]


def test_every_row_is_checked_and_names_the_column():
    """Problems name their row and column; all rows are reported."""
    rows = [
        ["选择题", None, "甲", None, None, None, None, "A", None, None, None, None, None, None],
        ["单选题", None, "乙", "一", None, "三", None, "AC", None, "很难", -1, None, None, None],
        ["单选题", None, "丙", "一", "二", None, None, "E", None, None, None, None, None, None],
        ["判断题", None, "丁", None, None, None, None, "可能", None, None, None, None, None, None],
        ["填空题", None, "戊", None, None, None, None, " | ", None, None, None, None, None, None],
        ["多选题", None, "己", "一", "二", None, None, None, None, None, None, None, None, None],
        ["案例分析", None, "庚", None, None, None, None, None, None, None, None, None, None, None],
        ["单选题", None, "", "一", "二", None, None, "A", None, None, None, None, None, None],
        ["单选题", None, "辛", "一", "二", None, None, "A", None, None, None, None, None, "X9"],
    ]
    assert problems(sheet(rows)) == [
        (2, "Column “题型”: “选择题” is not a question type; use one of "
            "单选题、多选题、判断题、填空题、简答题、案例分析."),
        (3, "Column “难度”: Write 容易, 中等 or 较难 (or 1, 2, 3)."),
        (3, "Column “分值”: Write a number greater than zero."),
        (3, "Column “选项B”: This option is empty but a later option is filled."),
        (3, "Column “正确答案”: A single-choice question takes one answer letter."),
        (4, "Column “正确答案”: The answer letters must name filled options (AB)."),
        (5, "Column “正确答案”: Write 正确 or 错误 (also 对/错, √/×, T/F)."),
        (6, "Column “正确答案”: Write the accepted answers, separated by |."),
        (7, "Column “正确答案”: Write the letters of the correct options, e.g. B or ACD."),
        (8, "Column “案例编号”: A case question needs a case number."),
        (9, "The question text is empty."),
        (10, "No 案例分析 row has the case number X9."),
    ]  # fmt: skip


def test_duplicate_case_numbers():
    """Two case rows may not share a case number."""
    rows = [
        ["案例分析", None, "案例一", *[None] * 10, "C1"],
        ["案例分析", None, "案例二", *[None] * 10, "C1"],
        ["判断题", None, "小题", *[None] * 4, "对", *[None] * 5, "C1"],
    ]
    assert (3, "Case number C1 is used by two case rows.") in problems(sheet(rows))


def _zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "社会工作")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "This is an old .xls workbook"),
        (b"random bytes \x00\x01\x02", "This is not an Excel .xlsx file."),
        (_zip("word/document.xml"), "This zip file is not a readable Excel .xlsx workbook."),
        (b"PK" + b"\x00" * (MAX_IMPORT_BYTES), "The file is larger than"),
    ],
)
def test_refuses_what_is_not_a_workbook(data, start):
    """Empty, .xls, random bytes, a zip that is not a workbook and oversized data are refused."""
    [(line, message)] = problems(data)
    assert line == 0
    assert message.startswith(start)


def test_header_only_sheet_has_no_questions():
    """A sheet with headers but no rows has no questions."""
    assert problems(sheet([])) == [(0, "The file contains no questions.")]


def test_round_trip_of_realistic_sheet():
    """xlsx → records → xlsx → records gives the same records."""
    questions = xlsx.parse(sheet(REALISTIC))
    assert without_lines(xlsx.parse(xlsx.write(questions))) == without_lines(questions)


def test_write_keeps_text_as_text_and_adds_option_columns():
    """A stem starting with = is not a formula; ten options get ten option columns."""
    question = QuestionData(
        type=MULTIPLE,
        stem="=SUM(A1:A3) 是公式吗？",
        options=[OptionData(f"选项{n}", correct=n == 9) for n in range(10)],
        name="公式",
    )
    data = xlsx.write([question])
    worksheet = load_workbook(io.BytesIO(data))["题目"]
    assert worksheet["C2"].data_type == "s"
    assert [cell.value for cell in worksheet[1]][3:13] == [f"选项{chr(65 + n)}" for n in range(10)]
    assert without_lines(xlsx.parse(data)) == [question]


def test_template_has_examples_of_every_type_and_instructions():
    """The template parses into one example per type and explains every column."""
    data = xlsx.template()
    questions = xlsx.parse(data)
    types = {q.type for q in questions} | {p.type for q in questions for p in q.parts}
    assert types == {SINGLE, MULTIPLE, TRUE_FALSE, FILL_BLANK, ESSAY, CASE}
    assert without_lines(questions) == xlsx.EXAMPLES
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["题目", "填写说明"]
    explained = {row[0] for row in workbook["填写说明"].iter_rows(min_row=2, values_only=True)}
    headers = {cell.value for cell in workbook["题目"][1]}
    assert {h for h in headers if not h.startswith("选项")} <= explained


def test_gift_and_excel_carry_the_same_records():
    """The template's examples survive Excel → GIFT → Excel unchanged."""
    via_gift = gift.parse(gift.write(xlsx.EXAMPLES))
    assert without_lines(xlsx.parse(xlsx.write(via_gift))) == xlsx.EXAMPLES
