"""The attempt page, autosave and submit cost the same queries for small and large quizzes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import ExamPrepSettings, Question

from ..queries import page_queries
from .conftest import make_question, make_quiz

pytestmark = pytest.mark.django_db

# user, attempt with its quiz, the attempt's rows, the unread-notification badge, managed
# paths and the two permission lookups of the navigation
PAGE_QUERIES = 7
# user, attempt (ownership), then in one transaction: the attempt locked, the row, its update
AUTOSAVE_QUERIES = 5
# the attempt locked, its rows, an UPDATE for the 0 marks and one for the full marks, the
# attempt's total; then exam preparation's record (prep_services.results_record): its
# settings, the notebook items and the questions still existing, the new items, the
# knowledge-point tallies and the categories still existing, the new tallies
SUBMIT_QUERIES = 12
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def counted(queries) -> int:
    """Queries that do the work: no session storage, no transaction control."""
    return sum(
        "django_session" not in q["sql"] and not q["sql"].startswith(NOT_COUNTED)
        for q in queries.captured_queries
    )


def quiz_of(people, bank, size: int):
    """A quiz of `size` single-choice questions, five a page."""
    questions = [
        make_question(
            bank.bank,
            Question.Type.SINGLE,
            f"第{n}题：社区议事协商的第一步是？",
            [("收集议题", True), ("表决", False), ("公示", False)],
            category=bank.ethics,
        )
        for n in range(size)
    ]
    return make_quiz(people.lecturer, questions, title=f"{size}题测验", time_limit_minutes=60)


def autosave_queries(client, attempt) -> int:
    row = attempt.questions.get(position=7)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("attempt_answer", args=[attempt.pk]),
            {"position": 7, "answer": str(row.snapshot["options"][0]["id"])},
        )
    assert response.status_code == 200
    return counted(queries)


@pytest.mark.parametrize("size", [10, 100])
def test_attempt_page_and_autosave_are_flat(client, people, bank, size):
    """Page 2 and one autosave of a 10- and a 100-question attempt: the same pinned counts."""
    quiz = quiz_of(people, bank, size)
    attempt = services.attempt_start(quiz=quiz, cadre=people.cadre)
    client.force_login(people.cadre)
    url = reverse("attempt_page", args=[attempt.pk]) + "?page=2"
    assert page_queries(client, url) == PAGE_QUERIES
    assert autosave_queries(client, attempt) == AUTOSAVE_QUERIES


@pytest.mark.parametrize("size", [10, 100])
def test_submit_is_flat(people, bank, size):
    """Submitting costs a handful of queries whatever the number of questions: one UPDATE
    per distinct mark, not one per answer."""
    quiz = quiz_of(people, bank, size)
    attempt = services.attempt_start(quiz=quiz, cadre=people.cadre)
    answers = {
        row.position: [str(row.snapshot["options"][row.position % 2]["id"])]
        for row in attempt.questions.all()
    }
    services.attempt_answers_save(attempt=attempt, answers=answers)
    ExamPrepSettings.load()  # the settings row exists on a running site
    with CaptureQueriesContext(connection) as queries:
        assert services.attempt_submit(attempt=attempt).score == size // 2
    assert counted(queries) == SUBMIT_QUERIES
