"""Question interchange: the records every import format produces and every export consumes.

Parsers (`gift`, `aiken`, `moodlexml`, `xlsx`) turn a file into `QuestionData` records or raise
`FormatError` listing every problem with its line or row; they never touch the database.
Writers (`gift`, `xlsx`) turn records back into a file. `assessments.services` turns records
into bank rows and rows into records.
"""

from dataclasses import dataclass, field
from decimal import Decimal

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"
FILL_BLANK = "fill_blank"
ESSAY = "essay"
CASE = "case"
TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, FILL_BLANK, ESSAY, CASE)

# Largest file any importer reads; bigger uploads are refused before parsing.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


@dataclass
class OptionData:
    text: str
    correct: bool = False
    feedback: str = ""


@dataclass
class QuestionData:
    """One question as exchanged.

    - single / multiple: `options`, at least two; single has exactly one correct option,
      multiple at least one.
    - true_false: `options` is exactly [true option, false option] in that order, one correct.
    - fill_blank: `answers` holds every accepted answer (at least one); `options` is empty.
    - essay: no options, no answers (marked by hand); `answers` may hold a model answer
      in `explanation` instead.
    - case: `stem` is the scenario; `parts` holds its sub-questions (any type but case).
    """

    type: str
    stem: str
    name: str = ""
    options: list[OptionData] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)  # path from the subject down
    explanation: str = ""  # 解析, general feedback
    difficulty: int | None = None  # 1 easy, 2 medium, 3 hard
    tags: list[str] = field(default_factory=list)
    source: str = ""  # e.g. "2024 真题"
    points: Decimal | None = None
    parts: list["QuestionData"] = field(default_factory=list)
    line: int = 0  # where it starts in the file (line, or spreadsheet row), for messages


@dataclass(frozen=True)
class Problem:
    line: int  # 0 when it concerns the whole file
    message: str


class FormatError(ValueError):
    """The file cannot be imported; `problems` names every line or row that is wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.line}: {p.message}" for p in problems))
