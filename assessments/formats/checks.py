"""Record invariants shared by every importer, and the final gathering of problems."""

from decimal import Decimal

from django.utils.translation import gettext as _

from . import (
    CASE,
    ESSAY,
    FILL_BLANK,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    TYPES,
    FormatError,
    OptionData,
    Problem,
    QuestionData,
)

# Option texts of a true/false question, in the order the record requires.
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"


def true_false_options(
    answer: bool, *, true_feedback: str = "", false_feedback: str = ""
) -> list[OptionData]:
    """Return the [正确, 错误] options with the one matching `answer` marked correct."""
    return [
        OptionData(TRUE_TEXT, correct=answer, feedback=true_feedback),
        OptionData(FALSE_TEXT, correct=not answer, feedback=false_feedback),
    ]


def plain_decimal(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (10.00 → 10, 2.50 → 2.5)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def validate(question: QuestionData) -> list[str]:
    """Return a message for every invariant of `question` (not of its parts) that is broken."""
    if question.type not in TYPES:
        return [_("Unknown question type “%(type)s”.") % {"type": question.type}]
    messages = []
    if not question.stem.strip():
        messages.append(_("The question text is empty."))
    messages += _check_answers(question)
    if question.difficulty is not None and question.difficulty not in (1, 2, 3):
        messages.append(_("The difficulty must be 1, 2 or 3."))
    if question.points is not None and question.points <= 0:
        messages.append(_("The points must be greater than zero."))
    return messages


def _check_answers(question: QuestionData) -> list[str]:
    """Check options, answers and parts against the question type."""
    kind, options = question.type, question.options
    correct = sum(option.correct for option in options)
    messages = []
    if kind in (SINGLE, MULTIPLE, TRUE_FALSE):
        if any(not option.text.strip() for option in options):
            messages.append(_("An option is empty."))
        if len(options) < 2:
            messages.append(_("A choice question needs at least two options."))
    if kind in (SINGLE, TRUE_FALSE) and correct != 1:
        messages.append(
            _("This question needs exactly one correct option; it has %(count)s.")
            % {"count": correct}
        )
    if kind == MULTIPLE and correct < 1:
        messages.append(_("A multiple-choice question needs at least one correct option."))
    if kind == TRUE_FALSE and [o.text for o in options] != [TRUE_TEXT, FALSE_TEXT]:
        messages.append(_("A true/false question has exactly the options 正确 and 错误."))
    if kind == FILL_BLANK and not [a for a in question.answers if a.strip()]:
        messages.append(_("A fill-in-the-blank question needs at least one accepted answer."))
    if kind in (FILL_BLANK, ESSAY, CASE) and options:
        messages.append(_("This type of question takes no options."))
    if kind == CASE and not question.parts:
        messages.append(_("A case question needs at least one sub-question."))
    if any(part.type == CASE for part in question.parts):
        messages.append(_("A sub-question cannot itself be a case question."))
    return messages


def finish(questions: list[QuestionData], problems: list[Problem]) -> list[QuestionData]:
    """Validate the records; raise FormatError with every problem by line, or if none were found."""
    problems = problems + [
        Problem(question.line, message)
        for question in _with_parts(questions)
        for message in validate(question)
    ]
    if problems:
        raise FormatError(sorted(problems, key=lambda problem: problem.line))
    if not questions:
        raise FormatError([Problem(0, _("The file contains no questions."))])
    return questions


def _with_parts(questions: list[QuestionData]) -> list[QuestionData]:
    """Flatten questions and their sub-questions, each case before its parts."""
    return [each for question in questions for each in (question, *question.parts)]
