"""Reads for quiz pages: what a cadre may see of an attempt, at which moment.

Everything shown to a cadre goes through `question_views`, which copies from a snapshot only
what the quiz's review options allow now; answer keys never reach a template otherwise.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from courses.models import Enrollment

from . import grading
from .models import REVIEW_FACETS, Attempt, AttemptQuestion, Question, Quiz


@dataclass(frozen=True)
class Review:
    """What the cadre may see of an attempt now."""

    correctness: bool = False
    marks: bool = False
    right_answer: bool = False
    explanation: bool = False

    @property
    def anything(self) -> bool:
        return self.correctness or self.marks or self.right_answer or self.explanation


def review_for(attempt: Attempt, now: datetime.datetime | None = None) -> Review:
    quiz = attempt.quiz
    if attempt.state == Attempt.State.IN_PROGRESS:
        moment = "during"
    elif quiz.is_closed(now):
        moment = "closed"
    else:
        moment = "after"
    return Review(**{facet: getattr(quiz, f"{moment}_{facet}") for facet in REVIEW_FACETS})


@dataclass
class OptionView:
    id: int
    text: str
    chosen: bool
    correct: bool | None = None  # None: not to be told
    feedback: str = ""


@dataclass
class QuestionView:
    row_id: int
    position: int
    type: str
    stem: str
    answerable: bool
    manual: bool
    options: list[OptionView] = field(default_factory=list)
    text: str = ""  # a typed answer
    answered: bool = False
    locked: bool = False  # checked in practice mode: the answer can no longer change
    points: Decimal | None = None
    score: Decimal | None = None
    correct: bool | None = None
    right_answers: list[str] = field(default_factory=list)
    explanation: str = ""
    comment: str = ""
    parts: list["QuestionView"] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return Question.Type(self.type).label

    @property
    def awaiting_mark(self) -> bool:
        return self.manual and self.answered and self.score is None


def _answered(response) -> bool:
    return response not in (None, "", [])


def question_view(row: AttemptQuestion, review: Review, in_progress: bool) -> QuestionView:
    """The row as the cadre may see it. During an attempt, feedback concerns checked answers."""
    snapshot, response = row.snapshot, row.response
    grader = grading.grader_for(snapshot)
    answered = _answered(response)
    # while answering, feedback (practice mode) is given only on an answer already saved
    told = answered or not in_progress
    correctness = review.correctness and told and not grader.manual and grader.answerable
    chosen = set(response or []) if isinstance(response, list) else set()
    view = QuestionView(
        row_id=row.pk,
        position=row.position,
        type=snapshot["type"],
        stem=snapshot["stem"],
        answerable=grader.answerable,
        manual=grader.manual,
        text=response if isinstance(response, str) else "",
        answered=answered,
        locked=in_progress and answered and (review.correctness or review.right_answer),
        points=row.points if review.marks or in_progress else None,
        score=row.score if review.marks and not in_progress else None,
        correct=grader.is_correct(snapshot, response) if correctness else None,
        comment=row.comment if review.marks and not in_progress else "",
    )
    show_key = review.right_answer and told
    for option in snapshot["options"]:
        view.options.append(
            OptionView(
                id=option["id"],
                text=option["text"],
                chosen=option["id"] in chosen,
                correct=option["correct"] if show_key else None,
                feedback=option["feedback"] if review.explanation and told else "",
            )
        )
    if show_key:
        view.right_answers = list(snapshot["answers"])
    if review.explanation and told:
        view.explanation = snapshot["explanation"]
    return view


def question_views(
    rows: list[AttemptQuestion], review: Review, in_progress: bool
) -> list[QuestionView]:
    """Top-level questions in order, each case with its parts inside."""
    views: dict[int, QuestionView] = {}
    top: list[QuestionView] = []
    for row in rows:
        view = question_view(row, review, in_progress)
        views[row.pk] = view
        if row.parent_id is None:
            top.append(view)
        elif row.parent_id in views:
            views[row.parent_id].parts.append(view)
    return top


def attempt_of(user, pk: int) -> Attempt:
    """The user's own attempt, with its quiz; anybody else's is a 404."""
    attempt = Attempt.objects.select_related("quiz").filter(pk=pk, cadre=user).first()
    if attempt is None:
        raise Http404
    return attempt


def quiz_for(user, pk: int) -> Quiz:
    """A quiz the user may take: stand-alone, or in a live lesson of a course they are in."""
    quiz = Quiz.objects.select_related("lesson").filter(pk=pk, mode=Quiz.Mode.QUIZ).first()
    if quiz is None or (quiz.lesson is not None and not quiz.lesson.live):
        raise Http404  # exam practice (mocks, drills…) is started from /exam/ only
    return quiz


def is_enrolled_for(user, quiz: Quiz) -> bool:
    if quiz.lesson is None:
        return True
    course_path = quiz.lesson.path[: -quiz.lesson.steplen]
    return Enrollment.objects.filter(cadre=user, course__path=course_path).exists()


def quiz_grade(quiz: Quiz, attempts: list[Attempt]) -> Decimal | None:
    """The cadre's grade for the quiz in percent, by the quiz's grading method."""
    graded = sorted(
        (a for a in attempts if a.state == Attempt.State.GRADED), key=lambda a: a.number
    )
    if not graded:
        return None
    percents = [a.percent or Decimal(0) for a in graded]
    method = quiz.grading
    if method == Quiz.Grading.FIRST:
        return percents[0]
    if method == Quiz.Grading.LAST:
        return percents[-1]
    if method == Quiz.Grading.AVERAGE:
        return (sum(percents) / len(percents)).quantize(Decimal("0.1"))
    return max(percents)


def seconds_left(attempt: Attempt, now: datetime.datetime | None = None) -> int | None:
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - (now or timezone.now())).total_seconds()))


def page_rows(attempt: Attempt, page: int) -> tuple[list[AttemptQuestion], int]:
    """The rows of one page of the attempt (a case with its parts counts as one question),
    and the number of pages."""
    per_page = attempt.quiz.questions_per_page
    rows = list(attempt.questions.all())
    tops = [row.pk for row in rows if row.parent_id is None]
    pages = max(1, -(-len(tops) // per_page))
    page = min(max(page, 1), pages)
    shown = set(tops[(page - 1) * per_page : page * per_page])
    return [row for row in rows if row.pk in shown or row.parent_id in shown], pages


def lesson_quizzes(lesson_pk: int):
    """Quizzes of a lesson, for its page."""
    return Quiz.objects.filter(Q(lesson_id=lesson_pk)).order_by("pk")
