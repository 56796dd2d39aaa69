"""Reads for exam preparation pages: subjects, chapters with accuracy, the notebook, mock
results by part and knowledge point, and the mastery view with its readiness estimate."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from lms.charts import CHART_HEIGHT, CHART_WIDTH, line_points

from . import grading
from .models import (
    Attempt,
    AttemptQuestion,
    ExamSubject,
    KnowledgeStat,
    NotebookItem,
    QuestionCategory,
    Quiz,
)

MOCKS_IN_READINESS = 3


def subject_or_404(code: str) -> ExamSubject:
    subject = ExamSubject.objects.select_related("bank").filter(code=code).first()
    if subject is None:
        raise Http404
    return subject


@dataclass
class SubjectCard:
    subject: ExamSubject
    due: int = 0
    last_mock: Attempt | None = None


def subjects_overview(cadre) -> list[tuple[str, list[SubjectCard]]]:
    """Subjects grouped by level, with the cadre's due reviews and latest mock score."""
    subjects = list(ExamSubject.objects.all())
    due = dict(
        NotebookItem.objects.filter(
            cadre=cadre, mastered_at__isnull=True, due_on__lte=timezone.localdate()
        )
        .values_list("question__bank_id")
        .annotate(n=Count("pk"))
    )
    mocks = {}
    for attempt in (
        Attempt.objects.filter(cadre=cadre, quiz__mode=Quiz.Mode.MOCK, state=Attempt.State.GRADED)
        .select_related("quiz")
        .order_by("finished_at")
    ):
        mocks[attempt.quiz.exam_subject_id] = attempt
    groups: dict[str, list[SubjectCard]] = {}
    for subject in subjects:
        card = SubjectCard(subject, due.get(subject.bank_id, 0), mocks.get(subject.pk))
        groups.setdefault(subject.get_level_display(), []).append(card)
    return list(groups.items())


@dataclass
class Accuracy:
    category: QuestionCategory
    answered: int = 0
    correct: int = 0
    children: list["Accuracy"] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return round(self.correct * 100 / self.answered) if self.answered else None


def knowledge_tree(subject: ExamSubject, cadre) -> list[Accuracy]:
    """The subject's chapters (below the bank's subject category), each with its knowledge
    points, and the cadre's accuracy summed over everything below them."""
    categories = list(QuestionCategory.objects.filter(bank_id=subject.bank_id).order_by("path"))
    stats = {
        stat.category_id: stat
        for stat in KnowledgeStat.objects.filter(cadre=cadre, category__bank_id=subject.bank_id)
    }
    nodes = {category.path: Accuracy(category) for category in categories}
    steplen = QuestionCategory.steplen
    for category in categories:
        stat = stats.get(category.pk)
        if stat is None:
            continue
        for depth in range(1, category.depth + 1):
            node = nodes.get(category.path[: depth * steplen])
            if node is not None:
                node.answered += stat.answered
                node.correct += stat.correct
    for category in categories:
        parent = nodes.get(category.path[:-steplen])
        if parent is not None:
            parent.children.append(nodes[category.path])
    roots = [nodes[c.path] for c in categories if c.depth == 1]
    # a bank organised as subject → chapter → point: the chapters are the subject's children
    return [child for root in roots for child in root.children] or roots


def notebook_items(cadre, subject: ExamSubject | None = None):
    """The cadre's notebook, due first, each with its question and knowledge point."""
    items = NotebookItem.objects.filter(cadre=cadre).select_related("question__category")
    if subject is not None:
        items = items.filter(question__bank_id=subject.bank_id)
    return items.order_by("mastered_at", "due_on", "pk")


@dataclass
class Part:
    label: str
    score: Decimal = Decimal(0)
    points: Decimal = Decimal(0)
    answered: int = 0
    right: int = 0

    @property
    def percent(self) -> int:
        return round(self.score * 100 / self.points) if self.points else 0


def mock_breakdown(attempt: Attempt, rows: list[AttemptQuestion]) -> dict:
    """Score per part of the paper and per knowledge point, and the pass line."""
    subject = attempt.quiz.exam_subject
    titles = {s.question_type: s.title for s in subject.sections.all()} if subject else {}
    parts: dict[str, Part] = {}
    points: dict[int, Part] = {}
    for row in rows:
        if not grading.grader_for(row.snapshot).answerable or row.score is None:
            continue
        kind = row.snapshot["type"]
        for tally in (
            parts.setdefault(kind, Part(titles.get(kind, kind))),
            points.setdefault(row.snapshot.get("category_id") or 0, Part("")),
        ):
            tally.score += row.score
            tally.points += row.points
            tally.answered += 1
            tally.right += row.score >= row.points
    names = dict(QuestionCategory.objects.filter(pk__in=points).values_list("pk", "name"))
    for category_id, tally in points.items():
        tally.label = names.get(category_id, "—")
    return {
        "parts": list(parts.values()),
        "points": sorted(points.values(), key=lambda part: part.percent),
        "pass_percent": attempt.quiz.pass_percent,
    }


def mastery(subject: ExamSubject, cadre, weeks: int = 12) -> dict:
    """The mastery view: accuracy per knowledge point, mock scores and weekly accuracy over
    time, and readiness: the mean of the latest mock scores against the pass line."""
    mocks = list(
        Attempt.objects.filter(
            cadre=cadre,
            quiz__exam_subject=subject,
            quiz__mode=Quiz.Mode.MOCK,
            state=Attempt.State.GRADED,
        ).order_by("finished_at")
    )
    percents = [float(attempt.percent or 0) for attempt in mocks]
    latest = percents[-MOCKS_IN_READINESS:]
    readiness = round(sum(latest) / len(latest), 1) if latest else None
    since = timezone.now() - datetime.timedelta(weeks=weeks)
    weekly = defaultdict(lambda: [0, 0])
    rows = AttemptQuestion.objects.filter(
        Q(snapshot__type__in=grading.AUTO_MARKED_TYPES),
        attempt__cadre=cadre,
        attempt__quiz__exam_subject=subject,
        attempt__finished_at__gte=since,
        score__isnull=False,
    ).values_list("attempt__finished_at", "score", "points")
    for finished_at, score, points in rows:
        week = (timezone.now() - finished_at).days // 7
        weekly[week][0] += 1
        weekly[week][1] += score >= points
    accuracy = [
        round(weekly[w][1] * 100 / weekly[w][0], 1) if weekly[w][0] else None
        for w in range(weeks - 1, -1, -1)
    ]
    return {
        "chapters": knowledge_tree(subject, cadre),
        "mocks": mocks,
        "mock_chart": line_points(percents),
        "accuracy_chart": line_points(accuracy),
        "pass_y": round(CHART_HEIGHT - float(subject.pass_percent) / 100 * CHART_HEIGHT, 1),
        "readiness": readiness,
        "mocks_counted": len(latest),
        "ready": readiness is not None and readiness >= float(subject.pass_percent),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
    }


def preparing_cadres(organization):
    """Cadres of the organization's subtree who practise for the exam, most mocks first."""
    from lms.selectors import organization_cadres

    attempts = "user__quiz_attempts"
    return (
        organization_cadres(organization)
        .annotate(
            exam_attempts=Count(
                attempts, filter=Q(**{f"{attempts}__quiz__exam_subject__isnull": False})
            ),
            mocks=Count(
                attempts,
                filter=Q(
                    **{
                        f"{attempts}__quiz__mode": Quiz.Mode.MOCK,
                        f"{attempts}__state": Attempt.State.GRADED,
                    }
                ),
            ),
        )
        .filter(exam_attempts__gt=0)
        .order_by("-mocks", "user__name", "pk")
    )


@dataclass
class ExamProgress:
    levels: list[str] = field(default_factory=list)
    latest: dict[str, Decimal] = field(default_factory=dict)  # subject → latest mock percent


def set_exam_progress(memberships) -> None:
    """Adds `exam` (levels practised, latest mock score per subject) to each membership of a
    page, in one query."""
    progress = {m.user_id: ExamProgress() for m in memberships}
    levels = dict(ExamSubject.Level.choices)
    attempts = (
        Attempt.objects.filter(cadre_id__in=progress, quiz__exam_subject__isnull=False)
        .values_list(
            "cadre_id", "quiz__mode", "state", "score", "max_score",
            "quiz__exam_subject__name", "quiz__exam_subject__level",
        )
        .order_by("finished_at", "pk")
    )  # fmt: skip
    for cadre_id, mode, state, score, max_score, subject, level in attempts:
        entry = progress[cadre_id]
        if levels[level] not in entry.levels:
            entry.levels.append(levels[level])
        if mode == Quiz.Mode.MOCK and state == Attempt.State.GRADED and max_score:
            entry.latest[subject] = (score / max_score * 100).quantize(Decimal("0.1"))
    for membership in memberships:
        membership.exam = progress[membership.user_id]
