"""The attempt engine: starting, saving answers, submitting, closing at the deadline, marking.

The server is the only authority: deadlines are computed and enforced here, every write locks
the attempt row first, and the database allows one attempt in progress per cadre and quiz.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import services as course_services
from lms.models import User

from . import formats, grading, signals
from .models import (
    Attempt,
    AttemptQuestion,
    Option,
    Question,
    QuestionCategory,
    Quiz,
    QuizSlot,
    answer_lines,
)

# Answers and submissions arriving this long after the deadline are still taken (a slow
# network, a phone waking up); later ones are refused and the attempt is closed at its deadline.
GRACE = datetime.timedelta(seconds=60)


class AttemptError(Exception):
    """A request about an attempt that is refused; `status` is the HTTP status to answer."""

    status = 400


class QuizUnavailable(AttemptError):
    status = 403


class NoAttemptsLeft(AttemptError):
    status = 403


class AttemptFinished(AttemptError):
    status = 409


class TooLate(AttemptError):
    status = 409


class NotEnoughQuestions(AttemptError):
    status = 409


class InvalidAnswer(AttemptError):
    status = 400


# --- drawing the questions -------------------------------------------------------------------


def slot_candidates(
    *,
    category: QuestionCategory,
    question_type: str = "",
    difficulty: int | None = None,
):
    """Questions a random draw may pick: the category and those below it, no case parts."""
    questions = Question.objects.filter(
        category__path__startswith=category.path, parent__isnull=True
    )
    if question_type:
        questions = questions.filter(type=question_type)
    if difficulty:
        questions = questions.filter(difficulty=difficulty)
    return questions


def quiz_shortfalls(slots: list[QuizSlot]) -> list[str]:
    """Why these slots cannot be filled from their banks (empty when they can)."""
    fixed = {slot.question_id for slot in slots if slot.question_id}
    problems = []
    for slot in slots:
        if slot.category_id is None:
            continue
        available = (
            slot_candidates(
                category=slot.category,
                question_type=slot.question_type,
                difficulty=slot.difficulty,
            )
            .exclude(pk__in=fixed)
            .count()
        )
        if available < slot.count:
            problems.append(
                _("%(category)s has %(available)s matching questions; %(count)s are drawn.")
                % {"category": slot.category.label, "available": available, "count": slot.count}
            )
    return problems


def quiz_draw(quiz: Quiz, rng: random.Random) -> list[tuple[dict, Decimal | None]]:
    """The quiz's questions (fixed ones and random draws) as data, each with its slot's points."""
    slots = list(quiz.slots.select_related("category"))
    chosen: list[tuple[int, Decimal | None]] = []
    taken = {slot.question_id for slot in slots if slot.question_id}
    for slot in slots:
        if slot.question_id:
            chosen.append((slot.question_id, slot.points))
            continue
        # the database shuffles: a 10,000-question bank sends back only the draw
        picked = list(
            slot_candidates(
                category=slot.category,
                question_type=slot.question_type,
                difficulty=slot.difficulty,
            )
            .exclude(pk__in=taken)
            .order_by("?")
            .values_list("pk", flat=True)[: slot.count]
        )
        if len(picked) < slot.count:
            raise NotEnoughQuestions(
                _("This quiz cannot be put together: its question bank has too few questions.")
            )
        taken.update(picked)
        chosen.extend((pk, slot.points) for pk in picked)
    questions = _questions([pk for pk, _points in chosen])
    return [(questions[pk], points) for pk, points in chosen]


QUESTION_FIELDS = (
    "pk",
    "type",
    "stem",
    "accepted_answers",
    "explanation",
    "category_id",
    "difficulty",
    "points",
)


def _questions(question_ids: list[int]) -> dict[int, dict]:
    """The questions as plain data with their options, and a case's parts, in three queries
    at most: for an 80-question paper, model instances cost more than the queries."""
    questions = {
        data["pk"]: {**data, "options": [], "parts": []}
        for data in Question.objects.filter(pk__in=question_ids).values(*QUESTION_FIELDS)
    }
    everything = dict(questions)
    cases = [pk for pk, data in questions.items() if data["type"] == Question.Type.CASE]
    if cases:
        parts = Question.objects.filter(parent_id__in=cases).order_by("position", "pk")
        for part in parts.values(*QUESTION_FIELDS, "parent_id"):
            everything[part["pk"]] = {**part, "options": [], "parts": []}
            questions[part["parent_id"]]["parts"].append(everything[part["pk"]])
    options = Option.objects.filter(question_id__in=everything).order_by("sort_order", "pk")
    for option in options.values("id", "question_id", "text", "correct", "feedback"):
        everything[option.pop("question_id")]["options"].append(option)
    return questions


def _given(question_ids: list[int]) -> list[tuple[dict, Decimal | None]]:
    questions = _questions(question_ids)
    if not questions:
        raise NotEnoughQuestions(_("There are no questions to practise."))
    return [(questions[pk], None) for pk in question_ids if pk in questions]


def question_snapshot(data: dict, *, shuffle_options: bool, rng: random.Random) -> dict:
    """Everything needed to show, grade and review the question as it is now."""
    options = [dict(option) for option in data["options"]]
    if shuffle_options and data["type"] in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        rng.shuffle(options)
    return {
        "type": data["type"],
        "stem": data["stem"],
        "options": options,
        "answers": answer_lines(data["accepted_answers"]),
        "explanation": data["explanation"],
        "question_id": data["pk"],
        "category_id": data["category_id"],
        "difficulty": data["difficulty"],
    }


def _attempt_rows(
    attempt: Attempt, drawn: list[tuple[dict, Decimal | None]], rng: random.Random
) -> list[AttemptQuestion]:
    quiz = attempt.quiz
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    rows: list[AttemptQuestion] = []

    def row(data, points, parent=None):
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                position=len(rows) + 1,
                question_id=data["pk"],
                parent=parent,
                snapshot=question_snapshot(data, shuffle_options=quiz.shuffle_options, rng=rng),
                points=points,
            )
        )
        return rows[-1]

    for data, points in drawn:
        if data["type"] != Question.Type.CASE:
            row(data, points or data["points"])
            continue
        case = row(data, sum((part["points"] for part in data["parts"]), Decimal(0)))
        for part in data["parts"]:
            row(part, part["points"], parent=case)
    return rows


# --- starting --------------------------------------------------------------------------------


def attempt_start(
    *,
    quiz: Quiz,
    cadre: User,
    now: datetime.datetime | None = None,
    question_ids: list[int] | None = None,
) -> Attempt:
    """Starts an attempt, or returns the one in progress; refuses outside the quiz's rules.
    `question_ids` asks exactly these questions instead of the quiz's own (practice sets)."""
    now = now or timezone.now()
    current = Attempt.objects.filter(
        quiz=quiz, cadre=cadre, state=Attempt.State.IN_PROGRESS
    ).first()
    if current is not None:
        if not is_overdue(current, now):
            return current
        attempt_close(attempt_id=current.pk, now=now)
    if not quiz.is_open(now):
        raise QuizUnavailable(_("This quiz is not open now."))
    used = Attempt.objects.filter(quiz=quiz, cadre=cadre).aggregate(n=Max("number"))["n"] or 0
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        raise NoAttemptsLeft(_("You have used all the attempts this quiz allows."))
    rng = random.Random()
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + datetime.timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at and (deadline is None or quiz.closes_at < deadline):
        deadline = quiz.closes_at
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz, cadre=cadre, number=used + 1, started_at=now, deadline=deadline
            )
            drawn = quiz_draw(quiz, rng) if question_ids is None else _given(question_ids)
            rows = _attempt_rows(attempt, drawn, rng)
            if not rows:
                raise NotEnoughQuestions(_("This quiz has no questions yet."))
            _save_rows(rows)
            attempt.max_score = sum((row.points for row in rows if row.parent is None), Decimal(0))
            attempt.save(update_fields=["max_score"])
    except IntegrityError:  # a second tab or a double click started one first
        return Attempt.objects.get(quiz=quiz, cadre=cadre, state=Attempt.State.IN_PROGRESS)
    return attempt


def _save_rows(rows: list[AttemptQuestion]) -> None:
    """Cases first, so that their parts can point at them."""
    cases = [row for row in rows if row.snapshot["type"] == formats.CASE]
    AttemptQuestion.objects.bulk_create(cases)  # primary keys set on PostgreSQL and SQLite
    for row in rows:
        if row.parent is not None:
            row.parent_id = row.parent.pk
    AttemptQuestion.objects.bulk_create([row for row in rows if row.pk is None])


# --- answering -------------------------------------------------------------------------------


def is_overdue(attempt: Attempt, now: datetime.datetime | None = None) -> bool:
    """Past its deadline and the grace: nothing more is taken, the attempt is to be closed."""
    return attempt.deadline is not None and (now or timezone.now()) > attempt.deadline + GRACE


def _locked_in_progress(attempt_id: int) -> Attempt:
    """Locks the attempt row; refuses a finished attempt."""
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        raise AttemptFinished(_("This attempt has been submitted; answers can no longer change."))
    return attempt


@dataclass(frozen=True)
class SavedAnswer:
    row: AttemptQuestion
    correct: bool | None  # told only when the quiz shows correctness while answering


def attempt_answers_save(
    *,
    attempt: Attempt,
    answers: dict[int, list[str]],
    now: datetime.datetime | None = None,
) -> list[SavedAnswer]:
    """Saves answers by question position. Nothing is saved if any of them is refused."""
    with transaction.atomic():
        locked = _locked_in_progress(attempt.pk)
        now = now or timezone.now()  # read under the lock: times follow the order of writes
        if not is_overdue(locked, now):
            return _answers_store(locked, answers, now)
    attempt_close(attempt_id=attempt.pk, now=now)
    raise TooLate(_("Time is up: answers after the deadline are not accepted."))


def _answers_store(attempt: Attempt, answers: dict[int, list[str]], now) -> list[SavedAnswer]:
    rows = {
        row.position: row
        for row in AttemptQuestion.objects.filter(attempt=attempt, position__in=list(answers))
    }
    quiz = attempt.quiz
    feedback = quiz.during_correctness or quiz.during_right_answer
    changed, saved = [], []
    for position, raw in answers.items():
        row = rows.get(position)
        if row is None:
            raise InvalidAnswer(_("This question is not part of the attempt."))
        grader = grading.grader_for(row.snapshot)
        if not grader.answerable:
            raise InvalidAnswer(_("Answer the sub-questions of the case."))
        try:
            response = grader.clean(row.snapshot, raw)
        except grading.InvalidAnswer as error:
            raise InvalidAnswer(str(error)) from None
        if feedback and row.response not in (None, "", []) and response != row.response:
            raise InvalidAnswer(_("This answer has been checked and can no longer change."))
        if response != row.response:
            row.response, row.saved_at = response, now
            changed.append(row)
        correct = grader.is_correct(row.snapshot, response) if feedback else None
        saved.append(SavedAnswer(row, correct))
    for row in changed:  # a page holds a handful; one plain UPDATE each beats bulk_update's CASE
        AttemptQuestion.objects.filter(pk=row.pk).update(response=row.response, saved_at=now)
    return saved


# --- finishing -------------------------------------------------------------------------------


def attempt_submit(*, attempt: Attempt, now: datetime.datetime | None = None) -> Attempt:
    """Finishes and grades the attempt. Submitting again returns the same, finished attempt."""
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
        if locked.state != Attempt.State.IN_PROGRESS:
            return locked
        now = now or timezone.now()  # read under the lock, like the answers' times
        if is_overdue(locked, now):
            return _finish(locked, finished_at=locked.deadline, by_deadline=True)
        return _finish(locked, finished_at=now, by_deadline=False)


def attempt_close(*, attempt_id: int, now: datetime.datetime | None = None) -> Attempt:
    """Closes an attempt whose time is up, as of its deadline; others are left as they are."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt_id)
        if locked.state != Attempt.State.IN_PROGRESS or not is_overdue(locked, now):
            return locked
        return _finish(locked, finished_at=locked.deadline, by_deadline=True)


def attempts_close_overdue(*, now: datetime.datetime | None = None) -> int:
    """The periodic job: closes every attempt whose deadline and grace have passed."""
    now = now or timezone.now()
    overdue = Attempt.objects.filter(
        state=Attempt.State.IN_PROGRESS, deadline__lt=now - GRACE
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(overdue):
        if attempt_close(attempt_id=pk, now=now).closed_by_deadline:
            closed += 1
    return closed


def _finish(attempt: Attempt, *, finished_at, by_deadline: bool) -> Attempt:
    attempt.finished_at = finished_at
    attempt.closed_by_deadline = by_deadline
    rows = list(attempt.questions.all())
    quiz = attempt.quiz
    rule = grading.Rule(
        multiple_exam_rule=quiz.multiple_scoring == Quiz.MultipleScoring.EXAM,
        partial_points_per_option=quiz.partial_points_per_option,
    )
    by_score: dict[Decimal, list[int]] = defaultdict(list)
    for row in rows:
        grader = grading.grader_for(row.snapshot)
        if grader.answerable:
            row.score = grader.grade(row.snapshot, row.response, row.points, rule)
            if row.score is not None:
                by_score[row.score].append(row.pk)
    # one UPDATE per distinct mark (0, full points, a few part marks): far cheaper than a
    # bulk_update's CASE over every row
    for score, pks in by_score.items():
        AttemptQuestion.objects.filter(pk__in=pks).update(score=score)
    return _total(attempt, rows)


def _total(attempt: Attempt, rows: list[AttemptQuestion]) -> Attempt:
    """Adds the marks up once every answer is marked; reports a pass to the courses side."""
    answerable = [row for row in rows if grading.grader_for(row.snapshot).answerable]
    if any(row.score is None for row in answerable):
        attempt.state = Attempt.State.FINISHED
        attempt.save(update_fields=["state", "finished_at", "closed_by_deadline"])
        return attempt
    attempt.state = Attempt.State.GRADED
    attempt.score = sum((row.score for row in answerable), Decimal(0))
    attempt.passed = attempt.percent is not None and attempt.percent >= attempt.quiz.pass_percent
    attempt.save(update_fields=["state", "finished_at", "closed_by_deadline", "score", "passed"])
    if attempt.passed:
        _report_pass(attempt)
    signals.attempt_graded.send(sender=Attempt, attempt=attempt, rows=rows)
    return attempt


def _report_pass(attempt: Attempt) -> None:
    lesson = attempt.quiz.lesson
    if lesson is not None:
        course_services.lesson_test_passed(
            cadre=attempt.cadre,
            lesson=lesson,
            source=f"quiz:{attempt.quiz_id}",
            description=attempt.quiz.title,
        )


# --- marking by hand -------------------------------------------------------------------------


def answer_mark(
    *, row: AttemptQuestion, score: Decimal, comment: str, marked_by: User
) -> AttemptQuestion:
    """A lecturer marks an essay or case answer; the attempt is graded once all are marked."""
    if not Decimal(0) <= score <= row.points:
        raise InvalidAnswer(
            _("The mark must be between 0 and %(points)s.") % {"points": row.points}
        )
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=row.attempt_id)
        if attempt.state == Attempt.State.IN_PROGRESS:
            raise InvalidAnswer(_("The attempt is still in progress."))
        row.score, row.comment = score, comment
        row.marked_by, row.marked_at = marked_by, timezone.now()
        row.save(update_fields=["score", "comment", "marked_by", "marked_at"])
        rows = list(attempt.questions.all())
        was_graded = attempt.state == Attempt.State.GRADED
        attempt = _total(attempt, rows)
        if attempt.state == Attempt.State.GRADED and not was_graded:
            transaction.on_commit(lambda: _notify_marked(attempt))
    return row


def _notify_marked(attempt: Attempt) -> None:
    from lms.services import notification_send

    notification_send(
        user=attempt.cadre,
        title=_("Your answers to %(quiz)s have been marked") % {"quiz": attempt.quiz.title},
        url=reverse("attempt_review", args=[attempt.pk]),
    )
