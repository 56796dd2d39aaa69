"""Moodle XML question export: parse multichoice, truefalse, shortanswer and essay questions.

Parsed with defusedxml, so DTDs with entities (billion laughs) and external references are
refused. A `category` question sets the category of the questions after it (the `$course$/top/`
root is dropped); `description` questions are skipped. `defaultgrade` gives the points and
`<tags>` the tags. In single-answer multichoice only 100% answers are correct (partial credit
cannot be kept); in multiple-answer multichoice every answer with a positive fraction is.
"""

from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _

from . import (
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
from .checks import finish, plain_decimal, true_false_options
from .text import category_path, check_size, html_to_text, refuse

_SKIPPED = {"description"}


class _Invalid(Exception):
    """A question that cannot be imported, with the reason."""


def parse(data: bytes) -> list[QuestionData]:
    """Parse a Moodle XML export into records; raise FormatError listing every problem by line."""
    check_size(data)
    root, lines = _tree(data)
    if root.tag != "quiz":
        raise refuse(_("This is not a Moodle XML question file: it has no <quiz> element."))
    questions: list[QuestionData] = []
    problems: list[Problem] = []
    category: list[str] = []
    for element in root.iter("question"):
        kind, line = element.get("type", ""), lines.get(element, 0)
        if kind == "category":
            category = category_path(_text(element, "category"))
        elif kind not in _SKIPPED:
            try:
                question = _question(element, kind)
            except _Invalid as invalid:
                problems.append(Problem(line, str(invalid)))
                continue
            question.category, question.line = list(category), line
            questions.append(question)
    return finish(questions, problems)


class _LineTreeBuilder(TreeBuilder):
    """A tree builder that remembers the line where each <question> starts."""

    def __init__(self):
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[Element, int] = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if tag == "question" and self.parser is not None:
            self.lines[element] = self.parser.parser.CurrentLineNumber
        return element


def _tree(data: bytes) -> tuple[Element, dict[Element, int]]:
    """Parse the XML safely; return the root and the line of each question."""
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder)
    builder.parser = parser
    try:
        parser.feed(data)
        return parser.close(), builder.lines
    except DefusedXmlException:
        raise refuse(
            _("The XML declares entities or external references, which are refused for safety.")
        ) from None
    except ParseError as error:
        message = _("The XML is malformed or cut short: %(error)s") % {"error": error}
        raise FormatError([Problem(error.position[0], message)]) from None


def _question(element: Element, kind: str) -> QuestionData:
    """Build the record for one supported <question>, or raise _Invalid."""
    builders = {
        "multichoice": _multichoice,
        "truefalse": _truefalse,
        "shortanswer": _shortanswer,
        "essay": _essay,
    }
    name = _text(element, "name")
    if kind not in builders:
        raise _Invalid(
            _("Question “%(name)s” is of type %(type)s, which cannot be imported.")
            % {"name": name, "type": kind or "?"}
        )
    question = QuestionData(
        type="",
        stem=_text(element, "questiontext"),
        name=name,
        explanation=_text(element, "generalfeedback"),
        tags=[tag for tag in (_text(tag) for tag in element.iterfind("tags/tag")) if tag],
        points=_points(element),
    )
    builders[kind](element, question)
    return question


def _multichoice(element: Element, question: QuestionData) -> None:
    """Single or multiple choice, from `<single>` and the answer fractions."""
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    question.type = SINGLE if single else MULTIPLE
    lowest_correct = 100 if single else 1e-7
    question.options = [
        OptionData(_text(answer), _fraction(answer) >= lowest_correct, _text(answer, "feedback"))
        for answer in element.iterfind("answer")
    ]


def _truefalse(element: Element, question: QuestionData) -> None:
    """True/false: the answer texts are "true" and "false"; the 100% one is right."""
    feedback, answer = {}, None
    for option in element.iterfind("answer"):
        value = _text(option).lower()
        feedback[value] = _text(option, "feedback")
        if _fraction(option) > 0:
            answer = value == "true"
    if answer is None:
        raise _Invalid(_("This true/false question marks neither answer as right."))
    question.type = TRUE_FALSE
    question.options = true_false_options(
        answer, true_feedback=feedback.get("true", ""), false_feedback=feedback.get("false", "")
    )


def _shortanswer(element: Element, question: QuestionData) -> None:
    """Short answer becomes fill-in-the-blank with every answer worth marks."""
    question.type = FILL_BLANK
    question.answers = [
        _text(answer) for answer in element.iterfind("answer") if _fraction(answer) > 0
    ]


def _essay(element: Element, question: QuestionData) -> None:
    """Essay; the grader information stands in for a missing explanation."""
    question.type = ESSAY
    question.explanation = question.explanation or _text(element, "graderinfo")


def _text(element: Element, path: str = "") -> str:
    """Text of `<path><text>` (or of `<text>` directly), reduced to plain text if HTML."""
    holder = element.find(path) if path else element
    if holder is None:
        return ""
    raw = holder.findtext("text") or ""
    if holder.get("format") == "html":
        return html_to_text(raw)
    return raw.strip()


def _fraction(answer: Element) -> float:
    """The answer's fraction (percent of the marks)."""
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        raise _Invalid(
            _("An answer has a fraction that is not a number: %(value)s")
            % {"value": answer.get("fraction")}
        ) from None


def _points(element: Element) -> Decimal | None:
    """`<defaultgrade>` as a decimal without trailing zeros, or None."""
    grade = (element.findtext("defaultgrade") or "").strip()
    if not grade:
        return None
    try:
        points = Decimal(grade)
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite():
        raise _Invalid(_("The default grade is not a number: %(value)s") % {"value": grade})
    return plain_decimal(points)
