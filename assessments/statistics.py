"""Quiz statistics over graded attempts: scores, their distribution and how each question did.

Everything is computed in Python from one query over the graded attempts' rows, so the cost
in queries does not grow with the number of attempts.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from . import grading
from .models import Attempt, AttemptQuestion, Quiz

BINS = 10  # the score distribution in steps of 10 %


@dataclass(frozen=True)
class Bin:
    """Attempts whose percentage lies in [low, high), the last bin including 100."""

    low: int
    high: int
    count: int
    share: float  # percent of the graded attempts


@dataclass(frozen=True)
class OptionShare:
    """How many attempts chose one option of a choice question."""

    text: str
    correct: bool
    chosen: int
    share: float  # percent of the attempts that were asked the question


@dataclass
class ItemStatistics:
    """One question across attempts, identified by its snapshot's question_id."""

    question_id: int | None
    type: str
    stem: str
    case_stem: str = ""  # for a part of a case analysis: the scenario
    asked: int = 0
    facility: float | None = None  # mean score / points, in percent
    discrimination: float | None = None  # item vs rest-of-attempt correlation, -1..1
    options: list[OptionShare] = field(default_factory=list)


@dataclass(frozen=True)
class QuizStatistics:
    """The figures of the statistics page."""

    attempts: int
    mean_score: float | None
    median_score: float | None
    mean_percent: float | None
    median_percent: float | None
    pass_rate: float | None  # percent
    distribution: list[Bin]
    items: list[ItemStatistics]


def _percent(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole else None


def _discrimination(item_scores: list[float], rest_scores: list[float]) -> float | None:
    """Pearson's r of the item score against the rest score; None when it is undefined."""
    if len(item_scores) < 2:
        return None
    try:
        return statistics.correlation(item_scores, rest_scores)
    except statistics.StatisticsError:  # one of the two does not vary
        return None


def score_distribution(percents: list[float]) -> list[Bin]:
    """Counts of attempts per 10 % band of the score, 0–10 … 90–100 (100 in the last)."""
    counts = Counter(min(int(percent // (100 / BINS)), BINS - 1) for percent in percents)
    width = 100 // BINS
    total = len(percents)
    return [
        Bin(
            low=i * width,
            high=(i + 1) * width,
            count=counts[i],
            share=_percent(counts[i], total) or 0.0,
        )
        for i in range(BINS)
    ]


def quiz_statistics(*, quiz: Quiz) -> QuizStatistics:
    """Scores and per-question indices of the quiz's graded attempts, in one query.

    - Facility index of a question: the mean over attempts of score / points, in percent.
    - Discrimination index: Pearson's correlation coefficient between the question's score
      and the rest score (the attempt's total minus that question's score), over the graded
      attempts that were asked the question. Leaving the item out of the total keeps it from
      correlating with itself. With fewer than two attempts, or when either series does not
      vary (everyone right, or every rest score equal), the coefficient is undefined: None.
    - A case analysis is not scored itself; its parts are questions of their own.
    - Choice questions: the share of attempts that chose each option.
    """
    rows = (
        AttemptQuestion.objects.filter(attempt__quiz=quiz, attempt__state=Attempt.State.GRADED)
        .order_by("attempt_id", "position")
        .values(
            "attempt_id",
            "attempt__score",
            "attempt__max_score",
            "attempt__passed",
            "id",
            "parent_id",
            "snapshot",
            "points",
            "score",
            "response",
        )
    )
    attempts: dict[int, tuple[Decimal, Decimal, bool]] = {}
    case_stems: dict[int, str] = {}
    answers: dict[int | None, list[dict]] = defaultdict(list)
    items: dict[int | None, ItemStatistics] = {}
    for row in rows:
        attempts[row["attempt_id"]] = (
            row["attempt__score"] or Decimal(0),
            row["attempt__max_score"],
            bool(row["attempt__passed"]),
        )
        snapshot = row["snapshot"]
        if not grading.grader_for(snapshot).answerable:
            case_stems[row["id"]] = snapshot["stem"]
            continue
        key = snapshot.get("question_id")
        if key not in items:
            items[key] = ItemStatistics(
                question_id=key,
                type=snapshot["type"],
                stem=snapshot["stem"],
                case_stem=case_stems.get(row["parent_id"], ""),
            )
        answers[key].append(row)

    scores = [float(score) for score, _max, _passed in attempts.values()]
    percents = [float(score / most * 100) for score, most, _passed in attempts.values() if most]
    for key, item in items.items():
        _item_figures(item, answers[key], attempts)
    return QuizStatistics(
        attempts=len(attempts),
        mean_score=statistics.fmean(scores) if scores else None,
        median_score=statistics.median(scores) if scores else None,
        mean_percent=statistics.fmean(percents) if percents else None,
        median_percent=statistics.median(percents) if percents else None,
        pass_rate=_percent(sum(passed for *_, passed in attempts.values()), len(attempts)),
        distribution=score_distribution(percents),
        items=list(items.values()),
    )


def _item_figures(item: ItemStatistics, rows: list[dict], attempts: dict) -> None:
    item.asked = len(rows)
    fractions = [float(row["score"] / row["points"]) for row in rows if row["points"]]
    item.facility = statistics.fmean(fractions) * 100 if fractions else None
    item_scores = [float(row["score"] or 0) for row in rows]
    rest_scores = [
        float(attempts[row["attempt_id"]][0]) - score
        for row, score in zip(rows, item_scores, strict=True)
    ]
    item.discrimination = _discrimination(item_scores, rest_scores)
    if isinstance(grading.grader_for(rows[0]["snapshot"]), grading.ChoiceGrader):
        item.options = _option_shares(rows)


def _option_shares(rows: list[dict]) -> list[OptionShare]:
    """Each option as first seen (shuffling changes only the order), with how often chosen."""
    options: dict[int, dict] = {}
    for row in rows:
        for option in row["snapshot"]["options"]:
            options.setdefault(option["id"], option)
    chosen = Counter(option_id for row in rows for option_id in (row["response"] or []))
    return [
        OptionShare(
            text=option["text"],
            correct=option["correct"],
            chosen=chosen[option_id],
            share=_percent(chosen[option_id], len(rows)) or 0.0,
        )
        for option_id, option in options.items()
    ]
