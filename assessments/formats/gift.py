"""GIFT (Moodle's plain-text question format): parse into records and write them back.

Own parser, not a PyPI one: pygiftparser (1.1, 2017) and pygiftparserrgmf (0.0.5, ply, 2022) are
unmaintained pre-1.0 projects with their own object models and no line numbers in errors, and
gift-to-moodlexml needs Python 3.14 and emits XML; the subset we need is ~400 lines here.

Supported: `//` comments, `::title::`, `$CATEGORY: a/b` (a `$course$/top/` root is dropped),
escapes `\\~ \\= \\# \\{ \\} \\: \\\\ \\n` (also `\\%` opening an answer and `\\->` in
one), blank-line separated and multi-line questions, `[html]`/`[moodle]`/`[markdown]`/`[plain]`
markers (html is reduced to text), `{=a ~b}` single choice, `{~%50%a ~%50%b ~%-100%c}` multiple
choice (weight > 0 is correct), `{T}`/`{FALSE#wrong#right}` true/false, `{=a =b}` short answer
(fill-in), `{}` essay, `#feedback` per answer and `####general feedback` (the explanation); text
after the answer block makes a missing-word stem (the block becomes `_____`). Numeric `{#...}`
and matching `->` blocks are refused. Moodle's `// [tag:name]` comment adds a tag.

Our round-trip conventions, as comment lines directly above a question (same block):
`// [difficulty:2]` (1-3), `// [points:2.5]`, `// [source:2024 真题]`, `// [tag:社区治理]`.
A case question is a text with no answer block marked `// [case]`; each following question
marked `// [part]` is one of its sub-questions. Metadata values cannot contain `]` or line
breaks, and a case's explanation is not carried.
"""

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from . import (
    CASE,
    ESSAY,
    FILL_BLANK,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    OptionData,
    Problem,
    QuestionData,
)
from .checks import finish, true_false_options
from .text import category_path, decode, html_to_text

_ESCAPED = "\\~=#{}:%-"
_UNESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPE_RE = re.compile(r"[\\~=#{}:]")
_TITLE_END_RE = re.compile(r"\\.|(?P<sep>::)", re.DOTALL)
_BRACE_RE = re.compile(r"\\.|(?P<sep>[{}])", re.DOTALL)
_GENERAL_RE = re.compile(r"\\.|(?P<sep>####)", re.DOTALL)
_MATCHING_RE = re.compile(r"\\.|(?P<sep>->)", re.DOTALL)
_ANSWER_RE = re.compile(r"\\.|(?P<sep>[=~])", re.DOTALL)
_FEEDBACK_RE = re.compile(r"\\.|(?P<sep>#)", re.DOTALL)
_WEIGHT_RE = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_MARKER_RE = re.compile(r"\s*\[(html|moodle|markdown|plain)\]")
_META_RE = re.compile(r"\[(\w+)(?::([^\]]*))?\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY_PREFIX = "$CATEGORY:"
_BLANK = "_____"


class _Invalid(Exception):
    """A problem in one question; carries the line it concerns."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.problem = Problem(line, message)


@dataclass
class _Block:
    """One blank-line separated chunk of the file, comments sorted out."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    meta_line: int = 0
    category: str | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Answers:
    """What an answer block says."""

    type: str
    options: list[OptionData] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    explanation: str = ""


def parse(data: bytes) -> list[QuestionData]:
    """Parse a GIFT file into records; raise FormatError listing every problem by line."""
    questions: list[QuestionData] = []
    problems: list[Problem] = []
    category: list[str] = []
    case: QuestionData | None = None
    for block in _blocks(decode(data)):
        if block.category is not None:
            category = category_path(block.category)
        if not block.lines:
            continue
        try:
            question = _question(block)
        except _Invalid as invalid:
            problems.append(invalid.problem)
            if "case" in block.meta:
                case = QuestionData(type=CASE, stem="")  # its parts are not reported again
            continue
        if "part" not in block.meta:
            question.category = list(category)
            questions.append(question)
            case = question if question.type == CASE else None
        elif case is None:
            problems.append(
                Problem(question.line, _("A [part] question must follow a [case] scenario."))
            )
        else:
            case.parts.append(question)
    return finish(questions, problems)


def _blocks(text: str) -> list[_Block]:
    """Split the text into blocks at blank lines, sorting out comments and category lines."""
    blocks, block = [], _Block()
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if block.lines or block.category is not None:
                blocks.append(block)
            block = _Block()
        elif stripped.startswith("//"):
            if not block.lines:
                _read_meta(block, number, stripped)
        elif stripped.startswith(_CATEGORY_PREFIX) and not block.lines:
            block.category = stripped[len(_CATEGORY_PREFIX) :]
        else:
            block.lines.append((number, line))
    if block.lines or block.category is not None:
        blocks.append(block)
    return blocks


def _read_meta(block: _Block, number: int, comment: str) -> None:
    """Collect `[key:value]` items of a comment line above a question."""
    for match in _META_RE.finditer(comment):
        block.meta.setdefault(match[1].lower(), []).append((match[2] or "").strip())
        block.meta_line = block.meta_line or number


def _question(block: _Block) -> QuestionData:
    """Build the record for a block holding a question; raise _Invalid on the first problem."""
    text = "\n".join(line for _number, line in block.lines)
    starts = list(_offsets(block.lines))

    def line_at(position: int) -> int:
        return block.lines[bisect.bisect_right(starts, position) - 1][0]

    first = block.lines[0][0]
    name, body_start = _title(text, first)
    block_span = _answer_block(text, body_start, line_at)
    meta = _Meta(block.meta, block.meta_line or first)
    if block_span is None:
        if "case" not in block.meta:
            raise _Invalid(
                first,
                _(
                    "This question has no answer block {…}; descriptions are not imported "
                    "(mark a case scenario with the comment // [case])."
                ),
            )
        stem = _text(text[body_start:])
        return meta.apply(QuestionData(type=CASE, stem=stem, name=name, line=first))
    opened, closed = block_span
    if "case" in block.meta:
        raise _Invalid(first, _("A [case] scenario cannot have an answer block."))
    after = text[closed + 1 :]
    stem = _text(text[body_start:opened] + (_BLANK + after if after.strip() else ""))
    answers = _answers(text[opened + 1 : closed], line_at(opened))
    question = QuestionData(
        type=answers.type,
        stem=stem,
        name=name,
        options=answers.options,
        answers=answers.answers,
        explanation=answers.explanation,
        line=first,
    )
    return meta.apply(question)


def _offsets(lines: list[tuple[int, str]]):
    """Yield where each line starts in the lines joined with newlines."""
    position = 0
    for _number, line in lines:
        yield position
        position += len(line) + 1


def _title(text: str, line: int) -> tuple[str, int]:
    """Return the `::title::` (or "") and where the question text starts."""
    stripped = text.lstrip()
    if not stripped.startswith("::"):
        return "", 0
    start = len(text) - len(stripped) + 2
    end = next(_separators(_TITLE_END_RE, text, start), None)
    if end is None:
        raise _Invalid(line, _("The question title is not closed with ::."))
    return _unescape(text[start:end]).strip(), end + 2


def _answer_block(text: str, start: int, line_at) -> tuple[int, int] | None:
    """Return the positions of the answer block's braces, or None when there is none."""
    braces = [(position, text[position]) for position in _separators(_BRACE_RE, text, start)]
    if not braces:
        return None
    (opened, first), rest = braces[0], braces[1:]
    if first == "}":
        raise _Invalid(line_at(opened), _("This } has no matching {; write \\} for a brace."))
    if not rest:
        raise _Invalid(line_at(opened), _("The answer block is not closed with }."))
    closed, second = rest[0]
    if second == "{":
        raise _Invalid(
            line_at(closed), _("An answer block cannot contain {; write \\{ for a brace.")
        )
    if len(rest) > 1:
        raise _Invalid(line_at(rest[1][0]), _("A question can have only one answer block."))
    return opened, closed


def _separators(pattern: re.Pattern, text: str, start: int = 0):
    """Yield the positions of unescaped separators matched by `pattern`."""
    for match in pattern.finditer(text, start):
        if match.lastgroup == "sep":
            yield match.start()


def _has_separator(pattern: re.Pattern, text: str) -> bool:
    """Whether `text` has an unescaped separator matched by `pattern`."""
    return next(_separators(pattern, text), None) is not None


def _split(pattern: re.Pattern, raw: str) -> list[tuple[str, str]]:
    """Split raw text at unescaped separators into (separator before, piece) pairs."""
    pieces, separator, start = [], "", 0
    for match in pattern.finditer(raw):
        if match.lastgroup == "sep":
            pieces.append((separator, raw[start : match.start()]))
            separator, start = match.group(), match.end()
    pieces.append((separator, raw[start:]))
    return pieces


def _answers(raw: str, line: int) -> _Answers:
    """Interpret the inside of an answer block."""
    content, *general = (piece for _sep, piece in _split(_GENERAL_RE, raw))
    if content.strip().startswith("#"):
        raise _Invalid(line, _("Numerical questions {#…} are not supported."))
    explanation = _text("####".join(general))
    head, *feedbacks = (_text(piece) for _sep, piece in _split(_FEEDBACK_RE, content))
    if head.upper() in _TRUE_FALSE and len(feedbacks) <= 2:
        return _true_false(_TRUE_FALSE[head.upper()], feedbacks, explanation)
    if not content.strip():
        return _Answers(ESSAY, explanation=explanation)
    return _choices(content, line, explanation)


def _true_false(answer: bool, feedbacks: list[str], explanation: str) -> _Answers:
    """Build true/false options; Moodle writes the wrong-answer feedback first."""
    wrong, right = [*feedbacks, "", ""][:2]
    true_feedback, false_feedback = (right, wrong) if answer else (wrong, right)
    options = true_false_options(answer, true_feedback=true_feedback, false_feedback=false_feedback)
    return _Answers(TRUE_FALSE, options=options, explanation=explanation)


def _choices(content: str, line: int, explanation: str) -> _Answers:
    """Interpret `=`/`~` answers as single choice, multiple choice or short answer."""
    leading, *answers = _split(_ANSWER_RE, content)
    if leading[1].strip():
        raise _Invalid(line, _("Each answer must start with = (correct) or ~ (wrong)."))
    options, weighted = [], False
    for sign, raw in answers:
        weight = _WEIGHT_RE.match(raw)
        weighted = weighted or (weight is not None and sign == "~")
        correct = sign == "=" or (weight is not None and Decimal(weight[1]) > 0)
        text, *feedback = (piece for _sep, piece in _split(_FEEDBACK_RE, raw))
        if sign == "=" and _has_separator(_MATCHING_RE, text):
            raise _Invalid(line, _("Matching questions (->) are not supported."))
        text = text[weight.end() :] if weight else text
        options.append(OptionData(_text(text), correct, _text("#".join(feedback))))
    if all(sign == "=" for sign, _raw in answers):
        return _Answers(FILL_BLANK, answers=[o.text for o in options], explanation=explanation)
    kind = MULTIPLE if weighted else SINGLE
    return _Answers(kind, options=options, explanation=explanation)


class _Meta:
    """Metadata comments above a question, applied to its record."""

    def __init__(self, meta: dict[str, list[str]], line: int):
        self.meta, self.line = meta, line

    def apply(self, question: QuestionData) -> QuestionData:
        """Set tags, source, difficulty and points from the comments."""
        question.tags = [tag for tag in self.meta.get("tag", []) if tag]
        question.source = self._last("source")
        if difficulty := self._last("difficulty"):
            if not difficulty.isdigit():
                raise _Invalid(self.line, _("The difficulty must be 1, 2 or 3."))
            question.difficulty = int(difficulty)
        if points := self._last("points"):
            try:
                question.points = Decimal(points)
            except InvalidOperation:
                question.points = None
            if question.points is None or not question.points.is_finite():
                raise _Invalid(self.line, _("The points must be a number."))
        return question

    def _last(self, key: str) -> str:
        return (self.meta.get(key) or [""])[-1]


def _text(raw: str) -> str:
    """Turn raw GIFT text into plain text: drop the format marker, unescape, strip."""
    marker = _MARKER_RE.match(raw)
    text = _unescape(raw[marker.end() :] if marker else raw)
    if marker and marker[1] == "html":
        return html_to_text(text)
    return text.strip()


def _unescape(raw: str) -> str:
    """Resolve GIFT escapes; an unknown escape is kept as written, as Moodle does."""

    def replace(match: re.Match) -> str:
        char = match[1]
        return "\n" if char == "n" else char if char in _ESCAPED else match[0]

    return _UNESCAPE_RE.sub(replace, raw)


def write(questions: list[QuestionData]) -> bytes:
    """Write records as GIFT that `parse` reads back into equal records."""
    chunks, category = [], []
    for question in questions:
        if question.category != category:
            category = question.category
            chunks.append(f"{_CATEGORY_PREFIX} {'/'.join(category) or '$course$/top'}")
        chunks.append(_write_question(question, "case" if question.type == CASE else ""))
        chunks += [_write_question(part, "part") for part in question.parts]
    return ("\n\n".join(chunks) + "\n").encode()


def _write_question(question: QuestionData, role: str) -> str:
    """Write one question: metadata comments, then the question on a single line."""
    meta = [f"// [{role}]"] if role else []
    if question.difficulty is not None:
        meta.append(f"// [difficulty:{question.difficulty}]")
    if question.points is not None:
        meta.append(f"// [points:{_number(question.points)}]")
    if question.source:
        meta.append(f"// [source:{_meta_value(question.source)}]")
    if question.tags:
        meta.append("// " + " ".join(f"[tag:{_meta_value(tag)}]" for tag in question.tags))
    title = f"::{_escape(question.name)}::" if question.name else ""
    stem = _escape(question.stem)
    if stem.startswith(("//", "[")):
        stem = "[moodle]" + stem  # keeps the text from reading as a comment or format marker
    block = "" if question.type == CASE else " {" + _write_answers(question) + "}"
    return "\n".join([*meta, title + stem + block])


def _write_answers(question: QuestionData) -> str:
    """Write the inside of the answer block."""
    general = f"####{_escape(question.explanation)}" if question.explanation else ""
    if question.type == TRUE_FALSE:
        return _write_true_false(question.options) + general
    if question.type == FILL_BLANK:
        return " ".join(f"={_escape_answer(answer)}" for answer in question.answers) + general
    if question.type == ESSAY:
        return general
    correct = sum(option.correct for option in question.options)
    return " ".join(
        _write_option(option, question.type, correct) for option in question.options
    ) + (" " + general if general else "")


def _write_true_false(options: list[OptionData]) -> str:
    """Write `TRUE#wrong feedback#right feedback` the way Moodle does."""
    answer = options[0].correct if options else True
    right, wrong = (options[0], options[1]) if answer else (options[1], options[0])
    head = "TRUE" if answer else "FALSE"
    if not (right.feedback or wrong.feedback):
        return head
    return f"{head}#{_escape(wrong.feedback)}" + (
        f"#{_escape(right.feedback)}" if right.feedback else ""
    )


def _write_option(option: OptionData, kind: str, correct: int) -> str:
    """Write a choice option with its sign (and weight for multiple choice) and feedback."""
    if kind == MULTIPLE:
        weight = _number(Decimal(100) / correct) if option.correct else "-100"
        sign = f"~%{weight}%"
    else:
        sign = "=" if option.correct else "~"
    feedback = f"#{_escape(option.feedback)}" if option.feedback else ""
    return sign + _escape_answer(option.text) + feedback


def _escape_answer(text: str) -> str:
    """Escape an answer, including a leading % (a weight) and -> (a matching pair)."""
    escaped = _escape(text).replace("->", "\\->")
    return "\\" + escaped if escaped.startswith("%") else escaped


def _escape(text: str) -> str:
    """Escape GIFT's special characters and line breaks."""
    return _ESCAPE_RE.sub(r"\\\g<0>", text).replace("\n", "\\n")


def _meta_value(value: str) -> str:
    """Make a value fit in a `[key:value]` comment item."""
    return " ".join(value.replace("]", "］").split())


def _number(value: Decimal) -> str:
    """Format a decimal without exponent or trailing zeros."""
    return f"{value.quantize(Decimal('0.00001')).normalize():f}"
