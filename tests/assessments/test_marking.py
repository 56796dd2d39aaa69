"""Hand-marking in the Wagtail admin: the queue, marking an answer, who may do it."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import marking, services
from assessments.marking_admin import MarkingMenuItem
from assessments.models import Attempt, AttemptQuestion
from lms.models import Notification

from ..factories import make_lecturer
from ..queries import page_queries
from .conftest import make_question, make_quiz

pytestmark = pytest.mark.django_db

QUEUE = "/cms/marking/"
ESSAY_ANSWER = "先自我介绍，说明来意，尊重居民意愿。"
PLAN_ANSWER = "第一个月需求评估，第二个月链接资源，第三个月评估成效。"


def answer_url(row) -> str:
    return reverse("assessments_marking:answer", args=[row.pk])


def positions(attempt) -> dict[int, int]:
    """Question id → position in the attempt."""
    return {row.question_id: row.position for row in attempt.questions.all()}


def submitted_attempt(quiz, cadre, answers_by_question, *, submit=True, minutes_ago=0):
    """An attempt through the services, answering {question: [raw strings]}; submitted."""
    now = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    attempt = services.attempt_start(quiz=quiz, cadre=cadre, now=now)
    where = positions(attempt)
    services.attempt_answers_save(
        attempt=attempt,
        answers={where[question.pk]: raw for question, raw in answers_by_question.items()},
        now=now,
    )
    if submit:
        attempt = services.attempt_submit(attempt=attempt, now=now)
    return attempt


def right_option(question) -> str:
    return str(question.options.get(correct=True).pk)


@pytest.fixture
def other_lecturer(people):
    return make_lecturer(username="lecturer2", name="李老师", mobile="13800000021")


@pytest.fixture
def marked_quiz(people, bank):
    """single (1), essay (5), case (single part 1 + essay part 10): 17 points, 60 % to pass."""
    return make_quiz(people.lecturer, [bank.single, bank.essay, bank.case], title="走访测验")


@pytest.fixture
def case_parts(bank):
    single, essay = sorted(bank.case.parts.all(), key=lambda part: part.position)
    return SimpleNamespace(single=single, essay=essay)


@pytest.fixture
def finished(marked_quiz, people, bank, case_parts):
    """A submitted attempt with its two hand-marked answers: the essay and the case's plan."""
    attempt = submitted_attempt(
        marked_quiz,
        people.cadre,
        {
            bank.single: [right_option(bank.single)],
            bank.essay: [ESSAY_ANSWER],
            case_parts.single: [right_option(case_parts.single)],
            case_parts.essay: [PLAN_ANSWER],
        },
    )
    rows = {row.question_id: row for row in attempt.questions.all()}
    return SimpleNamespace(
        attempt=attempt, essay=rows[bank.essay.pk], plan=rows[case_parts.essay.pk]
    )


@pytest.fixture
def theirs(other_lecturer, people, bank):
    """A submitted essay in a quiz of another lecturer."""
    essay = make_question(bank.bank, "essay", "论述网格员的职责边界。", points=Decimal("5"))
    quiz = make_quiz(other_lecturer, [essay], title="他人的测验")
    attempt = submitted_attempt(quiz, people.sakura_cadre, {essay: ["网格员负责……"]})
    return attempt.questions.get()


def test_submitted_attempt_awaits_marking(finished):
    """Submitting leaves the attempt awaiting marking with the two hand-marked answers unscored."""
    assert finished.attempt.state == Attempt.State.FINISHED
    assert finished.essay.score is None and finished.plan.score is None


def test_queue_shows_only_own_quizzes_answers(client, people, finished, theirs):
    """A lecturer's queue lists the answers of their quizzes, not another lecturer's."""
    client.force_login(people.lecturer)
    page = client.get(QUEUE).content.decode()
    assert answer_url(finished.essay) in page
    assert answer_url(finished.plan) in page
    assert answer_url(theirs) not in page
    assert "他人的测验" not in page
    assert marking.awaiting_mark_count(user=people.lecturer) == 2


def test_superuser_queue_shows_every_quiz(client, people, finished, theirs):
    """A superuser sees the answers of every lecturer's quizzes."""
    client.force_login(people.admin)
    page = client.get(QUEUE).content.decode()
    assert answer_url(finished.essay) in page
    assert answer_url(theirs) in page
    assert marking.awaiting_mark_count(user=people.admin) == 3


def test_queue_is_oldest_first_and_filters_by_quiz(
    client, people, bank, finished, marked_quiz, other_lecturer
):
    """Older submissions come first; the quiz filter narrows the list and links its statistics."""
    other_quiz = make_quiz(people.lecturer, [bank.essay], title="第二次测验")
    older = submitted_attempt(
        other_quiz, people.xinhua_cadre, {bank.essay: ["早交的答案"]}, minutes_ago=60
    ).questions.get()
    client.force_login(people.lecturer)
    page = client.get(QUEUE).content.decode()
    assert page.index(answer_url(older)) < page.index(answer_url(finished.essay))

    filtered = client.get(QUEUE, {"quiz": marked_quiz.pk}).content.decode()
    assert answer_url(older) not in filtered
    assert answer_url(finished.essay) in filtered
    assert reverse("assessments_marking:statistics", args=[marked_quiz.pk]) in filtered


def test_menu_item_shows_the_count(rf, people, finished):
    """The admin menu entry carries the number of answers awaiting the user's mark."""
    request = rf.get("/cms/")
    request.user = people.lecturer
    item = MarkingMenuItem("Awaiting marking", QUEUE, name="marking")
    assert item.render_component(request).label == "Awaiting marking（2）"


def test_marking_page_shows_the_case_answer_and_model_answer(client, people, bank, finished):
    """The page shows quiz, cadre, case scenario, question, answer, points and explanation."""
    client.force_login(people.lecturer)
    response = client.get(answer_url(finished.plan))
    assert response.status_code == 200
    page = response.content.decode()
    snapshot = finished.plan.snapshot
    for text in ("走访测验", "张秀英", bank.case.stem, snapshot["stem"], PLAN_ANSWER):
        assert text in page
    assert snapshot["explanation"] in page
    assert 'max="10.00"' in page


def test_marking_the_last_answer_grades_and_notifies(
    client, people, finished, django_capture_on_commit_callbacks
):
    """Marking both answers grades the attempt (1+4+1+6 of 17 passes) and tells the cadre."""
    client.force_login(people.lecturer)
    first = client.post(answer_url(finished.essay), {"score": "4", "comment": "要点齐全"})
    assert first.status_code == 302
    assert first.url == answer_url(finished.plan)  # on to the next answer in the queue
    finished.attempt.refresh_from_db()
    assert finished.attempt.state == Attempt.State.FINISHED
    assert not Notification.objects.filter(user=people.cadre).exists()

    with django_capture_on_commit_callbacks(execute=True):
        last = client.post(answer_url(finished.plan), {"score": "6.5", "comment": ""})
    assert last.status_code == 302
    assert last.url == QUEUE

    essay = AttemptQuestion.objects.get(pk=finished.essay.pk)
    assert (essay.score, essay.comment, essay.marked_by) == (
        Decimal("4"),
        "要点齐全",
        people.lecturer,
    )
    attempt = Attempt.objects.get(pk=finished.attempt.pk)
    assert attempt.state == Attempt.State.GRADED
    assert attempt.score == Decimal("12.5")
    assert attempt.max_score == Decimal("17")
    assert attempt.passed is True
    [notification] = Notification.objects.filter(user=people.cadre)
    assert "走访测验" in notification.title


def test_a_low_total_fails_the_pass_mark(client, people, finished):
    """Marks below the pass mark grade the attempt as not passed."""
    client.force_login(people.lecturer)
    client.post(answer_url(finished.essay), {"score": "0"})
    client.post(answer_url(finished.plan), {"score": "1"})
    attempt = Attempt.objects.get(pk=finished.attempt.pk)
    assert (attempt.state, attempt.score, attempt.passed) == (
        Attempt.State.GRADED,
        Decimal("3"),
        False,
    )


@pytest.mark.parametrize("score", ["-1", "5.01", "abc", "", "1.234"])
def test_bad_scores_are_refused(client, people, finished, score):
    """A negative mark, one above the points, or not a number: a form error, nothing saved."""
    client.force_login(people.lecturer)
    response = client.post(answer_url(finished.essay), {"score": score, "comment": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["score"]
    row = AttemptQuestion.objects.get(pk=finished.essay.pk)
    assert (row.score, row.comment, row.marked_by) == (None, "", None)


def test_other_lecturer_gets_404(client, finished, other_lecturer):
    """Another lecturer's answer by URL answers 404, and a POST changes nothing."""
    client.force_login(other_lecturer)
    assert client.get(answer_url(finished.essay)).status_code == 404
    assert client.post(answer_url(finished.essay), {"score": "5"}).status_code == 404
    assert AttemptQuestion.objects.get(pk=finished.essay.pk).score is None


def test_auto_marked_answers_are_not_marked_here(client, people, finished, bank):
    """Only hand-marked answers have a marking page."""
    single = finished.attempt.questions.get(question=bank.single)
    client.force_login(people.lecturer)
    assert client.get(answer_url(single)).status_code == 404


def test_answer_of_attempt_in_progress_is_refused(client, people, marked_quiz, bank):
    """An attempt still being answered is neither listed nor markable."""
    attempt = submitted_attempt(marked_quiz, people.cadre, {bank.essay: ["还在写……"]}, submit=False)
    essay = attempt.questions.get(question=bank.essay)
    client.force_login(people.lecturer)
    assert answer_url(essay) not in client.get(QUEUE).content.decode()
    response = client.post(answer_url(essay), {"score": "3"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    essay.refresh_from_db()
    assert essay.score is None
    assert Attempt.objects.get(pk=attempt.pk).state == Attempt.State.IN_PROGRESS


@pytest.mark.parametrize("who", ["cadre", "east_secretary"])
def test_cadres_and_secretaries_get_no_marking(client, people, finished, who):
    """The marking pages are inside the CMS: others are sent to its login."""
    client.force_login(getattr(people, who))
    response = client.get(answer_url(finished.essay))
    assert response.status_code == 302
    assert response.url.startswith("/cms/login/")


@pytest.mark.parametrize("answers", [3, 30])
def test_queue_query_count(client, people, bank, answers):
    """The queue costs the same number of queries for 3 and for 30 answers awaiting marking."""
    quiz = make_quiz(people.lecturer, [bank.essay])
    for _ in range(answers):
        submitted_attempt(quiz, people.cadre, {bank.essay: ["答案"]})
    client.force_login(people.lecturer)
    client.get(QUEUE)  # warm per-process caches (site, content types)
    assert page_queries(client, QUEUE) == QUEUE_QUERIES
    assert len(client.get(QUEUE).context["page"].object_list) == min(answers, 25)


# User (session storage is not counted), its two permission sets, its Wagtail profile; the
# quiz filter, the count and the page of answers; for the admin menu: locales, page and
# collection permissions, the explorer's root page and the count of answers awaiting marking.
QUEUE_QUERIES = 12
