"""One grader per question type, behind one small interface.

A grader cleans what a cadre posted into a response (refusing option ids that were not shown,
for instance) and marks a response against the question's snapshot. Graders never touch the
database, so grading a whole attempt is a loop over its snapshots.
"""

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from . import formats

ESSAY_MAX_CHARS = 10_000
BLANK_MAX_CHARS = 200


class InvalidAnswer(ValueError):
    """What was posted cannot be an answer to this question."""


@dataclass(frozen=True)
class Rule:
    """The quiz's scoring settings that graders need."""

    multiple_exam_rule: bool = False
    partial_points_per_option: Decimal = Decimal("0.5")


class Grader:
    manual = False  # marked by hand
    answerable = True  # False for a case's scenario, which has parts instead

    def clean(self, snapshot: dict, raw: list[str]):
        raise NotImplementedError

    def grade(self, snapshot: dict, response, points: Decimal, rule: Rule) -> Decimal | None:
        raise NotImplementedError

    def is_correct(self, snapshot: dict, response) -> bool | None:
        """Whether the response is fully right; None for hand-marked questions."""
        return None


class ChoiceGrader(Grader):
    """Single choice and true/false: one option, right or wrong."""

    many = False

    def clean(self, snapshot, raw):
        shown = {option["id"] for option in snapshot["options"]}
        try:
            chosen = sorted({int(value) for value in raw if value != ""})
        except (TypeError, ValueError):
            raise InvalidAnswer(_("The answer is not one of the options.")) from None
        if not set(chosen) <= shown:
            raise InvalidAnswer(_("The answer is not one of the options."))
        if len(chosen) > 1 and not self.many:
            raise InvalidAnswer(_("Choose only one option."))
        return chosen

    def is_correct(self, snapshot, response):
        right = {option["id"] for option in snapshot["options"] if option["correct"]}
        return bool(response) and set(response) == right

    def grade(self, snapshot, response, points, rule):
        return points if self.is_correct(snapshot, response) else Decimal(0)


class MultipleChoiceGrader(ChoiceGrader):
    """All or nothing, or the exam rule: any wrong option → 0, incomplete → part marks."""

    many = True

    def grade(self, snapshot, response, points, rule):
        if self.is_correct(snapshot, response):
            return points
        if not rule.multiple_exam_rule or not response:
            return Decimal(0)
        right = {option["id"] for option in snapshot["options"] if option["correct"]}
        if not set(response) <= right:
            return Decimal(0)
        return min(points, rule.partial_points_per_option * len(response))


def _typed(raw: list[str]) -> str:
    """The typed text: the last value posted (a page may post an empty placeholder first)."""
    return (raw[-1] if raw else "").strip()


def normalize_text(text: str) -> str:
    """Full-width and half-width, case and inner spaces do not matter in a typed answer."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class FillBlankGrader(Grader):
    def clean(self, snapshot, raw):
        text = _typed(raw)
        if len(text) > BLANK_MAX_CHARS:
            raise InvalidAnswer(_("The answer is too long."))
        return text

    def is_correct(self, snapshot, response):
        accepted = {normalize_text(answer) for answer in snapshot["answers"]}
        return bool(response) and normalize_text(response) in accepted

    def grade(self, snapshot, response, points, rule):
        return points if self.is_correct(snapshot, response) else Decimal(0)


class EssayGrader(Grader):
    manual = True

    def clean(self, snapshot, raw):
        text = _typed(raw)
        if len(text) > ESSAY_MAX_CHARS:
            raise InvalidAnswer(
                _("The answer is too long (at most %(count)s characters).")
                % {"count": ESSAY_MAX_CHARS}
            )
        return text

    def grade(self, snapshot, response, points, rule):
        return None


class CaseGrader(Grader):
    """The scenario of a case analysis: its parts carry the answers and the marks."""

    answerable = False

    def clean(self, snapshot, raw):
        raise InvalidAnswer(_("Answer the sub-questions of the case."))

    def grade(self, snapshot, response, points, rule):
        return None


GRADERS: dict[str, Grader] = {
    formats.SINGLE: ChoiceGrader(),
    formats.TRUE_FALSE: ChoiceGrader(),
    formats.MULTIPLE: MultipleChoiceGrader(),
    formats.FILL_BLANK: FillBlankGrader(),
    formats.ESSAY: EssayGrader(),
    formats.CASE: CaseGrader(),
}


def grader_for(snapshot: dict) -> Grader:
    return GRADERS[snapshot["type"]]


# Types marked by hand (an essay) and types the graders mark themselves.
MANUAL_TYPES = tuple(type_ for type_, grader in GRADERS.items() if grader.manual)
AUTO_MARKED_TYPES = tuple(
    type_ for type_, grader in GRADERS.items() if grader.answerable and not grader.manual
)
