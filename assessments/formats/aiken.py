"""Aiken (Moodle's simple multiple-choice text format): parse into records.

A question is its text (one or more lines), options `A. text` or `A) text` in order, then
`ANSWER: B`. Also accepted, as found in Chinese files: full-width letters and `．`/`、`/`）`
after the letter, `答案：B`, and option text running on over several lines. Extension: several
letters (`ANSWER: A,C` or `ANSWER: AC`) make a multiple-choice question.
"""

import re
import string
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import MULTIPLE, SINGLE, OptionData, Problem, QuestionData
from .checks import finish
from .text import decode

_OPTION_RE = re.compile(r"\s*([A-Za-zＡ-Ｚａ-ｚ])\s*[.)．、）]\s*(.*)")
_ANSWER_RE = re.compile(r"\s*(?:ANSWER|答案)\s*[:：]\s*(.*)", re.IGNORECASE)
_LETTER_SEPARATORS_RE = re.compile(r"[\s,，、;；]+")


@dataclass
class _Draft:
    """A question being read."""

    line: int
    stem: list[str] = field(default_factory=list)
    options: list[list[str]] = field(default_factory=list)
    blank_after_options: bool = False

    def next_letter(self) -> str:
        return string.ascii_uppercase[len(self.options) % 26]


def parse(data: bytes) -> list[QuestionData]:
    """Parse an Aiken file into records; raise FormatError listing every problem by line."""
    questions: list[QuestionData] = []
    problems: list[Problem] = []
    draft: _Draft | None = None
    answered_at = 0  # line of the last ANSWER while no blank line has followed it
    for number, line in enumerate(decode(data).split("\n"), start=1):
        if not line.strip():
            answered_at = 0
            if draft and draft.options:
                draft.blank_after_options = True
            continue
        if answered_at:
            problems.append(
                Problem(number, _("Leave a blank line between ANSWER and the next question."))
            )
            answered_at = 0
        answer = _ANSWER_RE.fullmatch(line)
        if answer:
            if draft is None:
                problems.append(Problem(number, _("This ANSWER line has no question above it.")))
            else:
                _finish(draft, answer[1], number, questions, problems)
            draft, answered_at = None, number
            continue
        if draft and draft.blank_after_options and not _is_option(line, draft):
            problems.append(Problem(draft.line, _("This question has no ANSWER line.")))
            draft = None
        draft = draft or _Draft(number)
        _add_line(draft, line)
    if draft:
        problems.append(Problem(draft.line, _("This question has no ANSWER line.")))
    return finish(questions, problems)


def _letter(match: re.Match) -> str:
    """The option letter of an option line, normalised to ASCII upper case."""
    return unicodedata.normalize("NFKC", match[1]).upper()


def _is_option(line: str, draft: _Draft) -> bool:
    """Whether `line` is the next option of `draft`."""
    match = _OPTION_RE.fullmatch(line)
    return bool(match) and _letter(match) == draft.next_letter()


def _add_line(draft: _Draft, line: str) -> None:
    """Add a line as the next option, or as more text of the stem or of the last option."""
    match = _OPTION_RE.fullmatch(line)
    if match and _letter(match) == draft.next_letter():
        draft.options.append([match[2].strip()])
        draft.blank_after_options = False
    elif draft.options:
        draft.options[-1].append(line.strip())
    else:
        draft.stem.append(line.strip())


def _finish(
    draft: _Draft,
    letters_text: str,
    line: int,
    questions: list[QuestionData],
    problems: list[Problem],
) -> None:
    """Turn a draft and its ANSWER letters into a record, or record why it cannot be."""
    letters = _LETTER_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", letters_text)).upper()
    known = string.ascii_uppercase[: len(draft.options)]
    if not letters:
        problems.append(Problem(line, _("The ANSWER line names no option letter.")))
        return
    unknown = sorted({letter for letter in letters if letter not in known})
    if unknown:
        problems.append(
            Problem(
                line,
                _("The answer %(letters)s is not among the options %(known)s.")
                % {"letters": "".join(unknown), "known": known or "-"},
            )
        )
        return
    options = [
        OptionData("\n".join(lines).strip(), correct=letter in letters)
        for letter, lines in zip(known, draft.options, strict=True)
    ]
    questions.append(
        QuestionData(
            type=MULTIPLE if len(set(letters)) > 1 else SINGLE,
            stem="\n".join(draft.stem).strip(),
            options=options,
            line=draft.line,
        )
    )
