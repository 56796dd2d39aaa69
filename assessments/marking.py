"""Reads for hand-marking: the answers awaiting a lecturer's mark and the one being marked."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from . import grading
from .models import Attempt, AttemptQuestion, Quiz

MANUAL_TYPES = grading.MANUAL_TYPES


def quizzes_marked_by(*, user) -> QuerySet[Quiz]:
    """The quizzes whose answers this user marks: their own, every quiz for a superuser."""
    quizzes = Quiz.objects.all()
    if not user.is_superuser:
        quizzes = quizzes.filter(owner=user)
    return quizzes


def manual_answers(*, user) -> QuerySet[AttemptQuestion]:
    """Every hand-marked answer in the user's quizzes, marked or not, with what a page shows."""
    return AttemptQuestion.objects.filter(
        snapshot__type__in=MANUAL_TYPES,
        attempt__quiz__in=quizzes_marked_by(user=user),
    ).select_related("attempt__quiz", "attempt__cadre", "parent")


def answers_awaiting_mark(*, user, quiz_id: int | None = None) -> QuerySet[AttemptQuestion]:
    """Submitted answers still to be marked, oldest submission first."""
    answers = manual_answers(user=user).filter(
        score__isnull=True, attempt__state=Attempt.State.FINISHED
    )
    if quiz_id is not None:
        answers = answers.filter(attempt__quiz_id=quiz_id)
    return answers.order_by("attempt__finished_at", "attempt_id", "position")


def awaiting_mark_count(*, user) -> int:
    """How many answers wait for this user's mark (the number in the admin menu)."""
    return answers_awaiting_mark(user=user).count()


def quizzes_with_awaiting_counts(*, user) -> QuerySet[Quiz]:
    """The user's quizzes, each annotated with `awaiting`, for the queue's quiz filter."""
    return (
        quizzes_marked_by(user=user)
        .annotate(
            awaiting=Count(
                "attempts__questions",
                filter=Q(
                    attempts__state=Attempt.State.FINISHED,
                    attempts__questions__score__isnull=True,
                    attempts__questions__snapshot__type__in=MANUAL_TYPES,
                ),
            )
        )
        .order_by("-awaiting", "title", "pk")
    )


def answer_for_marking(*, user, pk: int) -> AttemptQuestion:
    """One hand-marked answer of the user's quizzes; 404 for anything else."""
    answer = manual_answers(user=user).filter(pk=pk).first()
    if answer is None:
        raise Http404
    return answer
