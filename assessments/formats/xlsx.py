"""Excel (.xlsx) question sheets: parse, write and a blank template, with Chinese headers.

Sheet "题目" (or else the first sheet); row 1 holds the headers, matched by name in any order.
A case question is a row of type 案例分析 with a 案例编号; its sub-questions are the rows with the
same 案例编号 and their own type. Per-option feedback is not carried; accepted fill-in answers
are separated by "|" and tags by commas or 、.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from . import (
    CASE,
    ESSAY,
    FILL_BLANK,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    FormatError,
    OptionData,
    Problem,
    QuestionData,
)
from .checks import FALSE_TEXT, TRUE_TEXT, finish, plain_decimal, true_false_options
from .text import category_path, check_size, refuse

SHEET = "题目"
INSTRUCTIONS_SHEET = "填写说明"
TYPE = "题型"
CATEGORY = "分类"
STEM = "题干"
ANSWER = "正确答案"
EXPLANATION = "解析"
DIFFICULTY = "难度"
POINTS = "分值"
TAGS = "标签"
SOURCE = "来源"
CASE_NUMBER = "案例编号"
NAME = "题目名称"
OPTION = "选项"
REQUIRED = (TYPE, STEM, ANSWER)
MIN_OPTION_COLUMNS = 8

TYPE_NAMES = {
    SINGLE: "单选题",
    MULTIPLE: "多选题",
    TRUE_FALSE: "判断题",
    FILL_BLANK: "填空题",
    ESSAY: "简答题",
    CASE: "案例分析",
}
_TYPE_ALIASES = {
    **{name: kind for kind, name in TYPE_NAMES.items()},
    **{name[:2]: kind for kind, name in TYPE_NAMES.items()},
    "问答题": ESSAY,
    "论述题": ESSAY,
    "案例分析题": CASE,
    "案例题": CASE,
}
DIFFICULTY_NAMES = {1: "容易", 2: "中等", 3: "较难"}
_DIFFICULTY_ALIASES = {
    **{name: level for level, name in DIFFICULTY_NAMES.items()},
    **{str(level): level for level in DIFFICULTY_NAMES},
    "简单": 1,
    "易": 1,
    "一般": 2,
    "中": 2,
    "困难": 3,
    "难": 3,
}
_TRUE_WORDS = {TRUE_TEXT, "对", "√", "✓", "T", "TRUE", "是", "Y"}
_FALSE_WORDS = {FALSE_TEXT, "错", "×", "✗", "X", "F", "FALSE", "否", "N"}
_OPTION_HEADER_RE = re.compile(OPTION + r"([A-Z])")
_LETTER_SEPARATORS_RE = re.compile(r"[\s,，、;；]+")
_ANSWERS_SEPARATOR_RE = re.compile(r"[|｜]")
_TAGS_SEPARATOR_RE = re.compile(r"[,，、;；]")
_CATEGORY_SEPARATOR = r"/|>"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class _Row:
    """One data row: its number and its cells by header."""

    number: int
    cells: dict[str, str]
    problems: list[Problem]

    def get(self, header: str) -> str:
        return self.cells.get(header, "")

    def problem(self, header: str, message: str) -> None:
        """Record a problem in this row's `header` column."""
        text = _("Column “%(column)s”: %(problem)s") % {"column": header, "problem": message}
        self.problems.append(Problem(self.number, text))


def parse(data: bytes) -> list[QuestionData]:
    """Parse an .xlsx question sheet into records; raise FormatError naming rows and columns."""
    rows = _sheet_rows(data)
    headers = [_header(value) for value in next(rows, ())]
    missing = [header for header in REQUIRED if header not in headers]
    if missing:
        raise FormatError(
            [
                Problem(1, _("The header row has no column “%(column)s”.") % {"column": header})
                for header in missing
            ]
        )
    problems: list[Problem] = []
    parsed: list[tuple[QuestionData, str]] = []
    for number, values in enumerate(rows, start=2):
        cells = {h: _cell_text(v) for h, v in zip(headers, values, strict=False) if h}
        if any(cells.values()):
            row = _Row(number, cells, problems)
            question = _question(row)
            if question is not None:
                parsed.append((question, row.get(CASE_NUMBER)))
    return finish(_assemble(parsed, problems), problems)


def _sheet_rows(data: bytes):
    """Open the workbook read-only and yield the rows of its question sheet as values."""
    check_size(data)
    if data.startswith(_OLE_MAGIC):
        raise refuse(_("This is an old .xls workbook; save it as .xlsx in Excel and try again."))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise refuse(_("This is not an Excel .xlsx file."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip fails in many ways inside openpyxl
        raise refuse(_("This zip file is not a readable Excel .xlsx workbook.")) from None
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    try:
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _header(value) -> str:
    """A header cell with all spaces removed and full-width letters made ASCII."""
    return "".join(unicodedata.normalize("NFKC", _cell_text(value)).split())


def _cell_text(value) -> str:
    """A cell value as stripped text; whole numbers lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _question(row: _Row) -> QuestionData | None:
    """Build the record for a row, or record its problems and return None."""
    before = len(row.problems)
    kind = _TYPE_ALIASES.get(row.get(TYPE).replace(" ", ""))
    if kind is None:
        row.problem(
            TYPE,
            _("“%(value)s” is not a question type; use one of %(types)s.")
            % {"value": row.get(TYPE), "types": "、".join(TYPE_NAMES.values())},
        )
        return None
    question = QuestionData(
        type=kind,
        stem=row.get(STEM),
        name=row.get(NAME),
        category=category_path(row.get(CATEGORY), _CATEGORY_SEPARATOR),
        explanation=row.get(EXPLANATION),
        difficulty=_difficulty(row),
        tags=[tag.strip() for tag in _TAGS_SEPARATOR_RE.split(row.get(TAGS)) if tag.strip()],
        source=row.get(SOURCE),
        points=_points(row),
        line=row.number,
    )
    _read_answer(row, question)
    if kind == CASE and not row.get(CASE_NUMBER):
        row.problem(CASE_NUMBER, _("A case question needs a case number."))
    return question if len(row.problems) == before else None


def _read_answer(row: _Row, question: QuestionData) -> None:
    """Fill options, answers or the model answer from the answer column."""
    answer = row.get(ANSWER)
    if question.type in (SINGLE, MULTIPLE):
        question.options = _options(row, answer)
        if question.type == SINGLE and sum(o.correct for o in question.options) > 1:
            row.problem(ANSWER, _("A single-choice question takes one answer letter."))
    elif question.type == TRUE_FALSE:
        word = unicodedata.normalize("NFKC", answer).upper()
        if word not in _TRUE_WORDS | _FALSE_WORDS:
            row.problem(ANSWER, _("Write 正确 or 错误 (also 对/错, √/×, T/F)."))
        question.options = true_false_options(word in _TRUE_WORDS)
    elif question.type == FILL_BLANK:
        question.answers = [a.strip() for a in _ANSWERS_SEPARATOR_RE.split(answer) if a.strip()]
        if not question.answers:
            row.problem(ANSWER, _("Write the accepted answers, separated by |."))
    elif question.type == ESSAY and answer:
        question.explanation = "\n\n".join(filter(None, [answer, question.explanation]))


def _options(row: _Row, answer: str) -> list[OptionData]:
    """The filled option columns, marked correct by the answer letters."""
    texts = {
        match[1]: row.get(header)
        for header in row.cells
        if (match := _OPTION_HEADER_RE.fullmatch(header))
    }
    letters = sorted(letter for letter, text in texts.items() if text)
    last = letters[-1] if letters else "A"
    gaps = [chr(c) for c in range(ord("A"), ord(last)) if not texts.get(chr(c))]
    for gap in gaps:
        row.problem(OPTION + gap, _("This option is empty but a later option is filled."))
    chosen = _LETTER_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", answer)).upper()
    if not chosen:
        row.problem(ANSWER, _("Write the letters of the correct options, e.g. B or ACD."))
    elif set(chosen) - set(letters):
        row.problem(
            ANSWER,
            _("The answer letters must name filled options (%(letters)s).")
            % {"letters": "".join(letters) or "-"},
        )
    return [OptionData(texts[letter], correct=letter in chosen) for letter in letters]


def _difficulty(row: _Row) -> int | None:
    """The difficulty level from 容易/中等/较难 or 1/2/3."""
    value = row.get(DIFFICULTY)
    if not value:
        return None
    if value not in _DIFFICULTY_ALIASES:
        row.problem(DIFFICULTY, _("Write 容易, 中等 or 较难 (or 1, 2, 3)."))
    return _DIFFICULTY_ALIASES.get(value)


def _points(row: _Row) -> Decimal | None:
    """The points as a positive decimal."""
    value = row.get(POINTS)
    if not value:
        return None
    try:
        points = Decimal(value)
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite() or points <= 0:
        row.problem(POINTS, _("Write a number greater than zero."))
        return None
    return plain_decimal(points)


def _assemble(
    parsed: list[tuple[QuestionData, str]], problems: list[Problem]
) -> list[QuestionData]:
    """Attach rows with a case number to the case row with that number."""
    cases: dict[str, QuestionData] = {}
    for question, number in parsed:
        if question.type == CASE and number in cases:
            problems.append(
                Problem(
                    question.line,
                    _("Case number %(number)s is used by two case rows.") % {"number": number},
                )
            )
        elif question.type == CASE:
            cases[number] = question
    questions = []
    for question, number in parsed:
        if question.type == CASE or not number:
            questions.append(question)
        elif number in cases:
            question.category = []
            cases[number].parts.append(question)
        else:
            problems.append(
                Problem(
                    question.line,
                    _("No 案例分析 row has the case number %(number)s.") % {"number": number},
                )
            )
    return questions


def write(questions: list[QuestionData]) -> bytes:
    """Write records as a question sheet that `parse` reads back into equal records."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    headers = _headers(questions)
    sheet.append(headers)
    for row in _rows(questions, headers):
        sheet.append([_write_cell(sheet, value) for value in row])
    return _save(workbook)


def template() -> bytes:
    """A workbook with the headers, one example per question type and a sheet of instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    headers = _headers(EXAMPLES)
    sheet.append(headers)
    for row in _rows(EXAMPLES, headers):
        sheet.append(row)
    _style_template(sheet, headers)
    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    instructions.append(["列名", "是否必填", "填写说明"])
    for row in INSTRUCTIONS:
        instructions.append(row)
    for cell in instructions[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABC", (14, 10, 90), strict=True):
        instructions.column_dimensions[column].width = width
    return _save(workbook)


def _headers(questions: list[QuestionData]) -> list[str]:
    """The header row, with enough option columns for the questions (at least A–H)."""
    count = max(
        [MIN_OPTION_COLUMNS]
        + [len(q.options) for question in questions for q in (question, *question.parts)]
    )
    options = [OPTION + chr(ord("A") + index) for index in range(count)]
    return [
        TYPE,
        CATEGORY,
        STEM,
        *options,
        ANSWER,
        EXPLANATION,
        DIFFICULTY,
        POINTS,
        TAGS,
        SOURCE,
        CASE_NUMBER,
        NAME,
    ]


def _rows(questions: list[QuestionData], headers: list[str]):
    """Yield a row of values per question and sub-question."""
    case_count = 0
    for question in questions:
        case_number = ""
        if question.type == CASE:
            case_count += 1
            case_number = f"案例{case_count}"
        yield _row(question, case_number, headers)
        for part in question.parts:
            yield _row(part, case_number, headers)


def _row(question: QuestionData, case_number: str, headers: list[str]) -> list:
    """The values of one question in header order."""
    cells = {
        TYPE: TYPE_NAMES.get(question.type, question.type),
        CATEGORY: "/".join(question.category),
        STEM: question.stem,
        ANSWER: _answer_text(question),
        EXPLANATION: question.explanation,
        DIFFICULTY: DIFFICULTY_NAMES.get(question.difficulty, ""),
        POINTS: question.points,
        TAGS: "，".join(question.tags),
        SOURCE: question.source,
        CASE_NUMBER: case_number,
        NAME: question.name,
    }
    if question.type in (SINGLE, MULTIPLE):
        for index, option in enumerate(question.options):
            cells[OPTION + chr(ord("A") + index)] = option.text
    return [cells.get(header) for header in headers]


def _answer_text(question: QuestionData) -> str:
    """The answer column: letters, 正确/错误 or accepted answers."""
    if question.type in (SINGLE, MULTIPLE):
        return "".join(
            chr(ord("A") + index) for index, o in enumerate(question.options) if o.correct
        )
    if question.type == TRUE_FALSE:
        return TRUE_TEXT if question.options and question.options[0].correct else FALSE_TEXT
    if question.type == FILL_BLANK:
        return "|".join(question.answers)
    return ""


def _write_cell(sheet, value):
    """A value for a write-only sheet; text is always text, never a formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _save(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _style_template(sheet, headers: list[str]) -> None:
    """Bold headers, readable widths, frozen header row and a type drop-down."""
    fill = PatternFill("solid", fgColor="FDE9D9")
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="9C0006" if cell.value in REQUIRED else "000000")
        cell.fill = fill
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 40 if header in (STEM, EXPLANATION) else 14
    sheet.freeze_panes = "A2"
    types = DataValidation(type="list", formula1='"' + ",".join(TYPE_NAMES.values()) + '"')
    types.add("A2:A1000")
    sheet.add_data_validation(types)


_EXAMPLE_CATEGORY = ["社会工作综合能力", "社会工作价值观"]
EXAMPLES = [
    QuestionData(
        type=SINGLE,
        stem="社会工作的核心价值理念是（　）。",
        options=[
            OptionData("助人自助", correct=True),
            OptionData("慈善救济"),
            OptionData("行政管理"),
            OptionData("社会控制"),
        ],
        category=_EXAMPLE_CATEGORY,
        explanation="社会工作以“助人自助”为核心理念，注重激发服务对象自身的潜能。",
        difficulty=1,
        tags=["社会工作价值观"],
        source="示例",
        points=Decimal(1),
    ),
    QuestionData(
        type=MULTIPLE,
        stem="个案工作中，社会工作者与服务对象建立专业关系应遵循的原则有（　）。",
        options=[
            OptionData("个别化", correct=True),
            OptionData("接纳", correct=True),
            OptionData("非评判", correct=True),
            OptionData("替服务对象作决定"),
        ],
        category=["社会工作实务", "个案工作"],
        explanation="尊重服务对象自决是专业伦理要求，社会工作者不应替其作决定。",
        difficulty=2,
        tags=["个案工作", "专业关系"],
        points=Decimal(2),
    ),
    QuestionData(
        type=TRUE_FALSE,
        stem="社区治理强调社区党组织领导下，居委会、社会组织和居民等多元主体共同参与。",
        options=true_false_options(True),
        category=["社区治理"],
        difficulty=1,
        points=Decimal(1),
    ),
    QuestionData(
        type=FILL_BLANK,
        stem="社会工作的三大直接服务方法是个案工作、小组工作和______。",
        answers=["社区工作", "社区社会工作"],
        category=["社会工作综合能力"],
        difficulty=1,
        points=Decimal(1),
    ),
    QuestionData(
        type=ESSAY,
        stem="简述社区治理中居民参与的主要途径。",
        category=["社区治理"],
        explanation="参考要点：居民（代表）会议、议事协商、志愿服务、民主监督等。",
        difficulty=3,
        points=Decimal(10),
    ),
    QuestionData(
        type=CASE,
        stem=(
            "某社区 60 岁以上独居老人有 120 余人，部分老人反映日常照料和精神慰藉需求得不到满足。"
            "社区社会工作者计划联合社区党组织、居委会和志愿者开展服务。"
        ),
        category=["社会工作实务", "社区工作"],
        source="示例",
        parts=[
            QuestionData(
                type=SINGLE,
                stem="社会工作者首先应当开展的工作是（　）。",
                options=[
                    OptionData("需求评估", correct=True),
                    OptionData("直接发放慰问物资"),
                    OptionData("撰写结案报告"),
                    OptionData("招募企业赞助"),
                ],
                points=Decimal(2),
            ),
            QuestionData(
                type=ESSAY,
                stem="请设计一项回应老人精神慰藉需求的小组活动，写出目标和主要内容。",
                explanation="参考要点：目标具体可测；内容如怀旧小组、同伴支持、志愿者结对探访等。",
                points=Decimal(8),
            ),
        ],
    ),
]

INSTRUCTIONS = [
    (TYPE, "必填", "、".join(TYPE_NAMES.values()) + "（也可写 单选、多选、判断、填空、简答）。"),
    (CATEGORY, "选填", "题目所属分类，从科目往下逐级书写，用 / 或 > 分隔，如：社区治理/议事协商。"),
    (STEM, "必填", "题目正文；案例分析题在此填写案例材料。填空题的空位可用 ______ 表示。"),
    (
        OPTION + "A…" + OPTION + "H",
        "选择题必填",
        "单选题、多选题的选项，至少两个，从 A 开始连续填写；其他题型留空。",
    ),
    (
        ANSWER,
        "必填",
        "单选题写一个字母，如 B；多选题写多个字母，如 ACD；"
        "判断题写 正确/错误（也可写 对/错、√/×、T/F）；"
        "填空题写可接受的答案，多个用 | 分隔；简答题可写参考答案；案例分析题留空。",
    ),
    (EXPLANATION, "选填", "答案解析，答题后展示。"),
    (DIFFICULTY, "选填", "容易、中等、较难，或 1、2、3。"),
    (POINTS, "选填", "分值，大于 0 的数字，如 2 或 0.5。"),
    (TAGS, "选填", "多个标签用逗号或顿号分隔，如：社区治理、议事协商。"),
    (SOURCE, "选填", "题目来源，如：2024 真题。"),
    (
        CASE_NUMBER,
        "案例题必填",
        "案例分析题填写一个编号（如 案例1）；属于该案例的小题填写相同编号，"
        "并在“题型”中写小题自己的题型。",
    ),
    (NAME, "选填", "题目的简短名称，便于在题库中查找。"),
]
