"""The attempt engine through its pages: start, save, submit, deadlines, review and refusals."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Attempt, Option, Quiz
from courses.models import CreditEntry, LessonProgress

from .conftest import SENTINEL, make_quiz

pytestmark = pytest.mark.django_db


def option_id(row, text):
    """The id of the option with this text in an attempt row's snapshot."""
    return next(o["id"] for o in row.snapshot["options"] if o["text"] == text)


def rows(attempt):
    return {row.position: row for row in attempt.questions.all()}


@pytest.fixture
def cadre_client(client, people):
    client.force_login(people.cadre)
    return client


@pytest.fixture
def attempt(people, objective_quiz):
    return services.attempt_start(quiz=objective_quiz, cadre=people.cadre)


def right_answers(attempt):
    """Posted values answering every question of the objective quiz right."""
    by_position = rows(attempt)
    return {
        "q-1": [str(option_id(by_position[1], "助人自助"))],
        "q-2": [str(option_id(by_position[2], t)) for t in ("尊重", "保密", "案主自决")],
        "q-3": [str(option_id(by_position[3], "错误"))],
        "q-4": ["司法所"],
    }


class TestStart:
    def test_start_opens_the_first_page(self, cadre_client, objective_quiz):
        """Starting shows the questions, with a clock when the quiz has a limit."""
        objective_quiz.time_limit_minutes = 20
        objective_quiz.save()
        response = cadre_client.post(reverse("quiz_start", args=[objective_quiz.pk]), follow=True)
        assert response.status_code == 200
        attempt = Attempt.objects.get()
        assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=20)
        assert "社会工作的核心价值是什么" in response.content.decode()
        assert "data-timer" in response.content.decode()

    def test_start_again_resumes(self, people, objective_quiz):
        """A second start while one is in progress returns the same attempt."""
        first = services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
        again = services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
        assert again.pk == first.pk
        assert Attempt.objects.count() == 1

    def test_attempts_allowed(self, people, objective_quiz):
        """Once the allowed attempts are used, no new one starts."""
        objective_quiz.attempts_allowed = 1
        objective_quiz.save()
        services.attempt_submit(
            attempt=services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
        )
        with pytest.raises(services.NoAttemptsLeft):
            services.attempt_start(quiz=objective_quiz, cadre=people.cadre)

    def test_closed_quiz(self, people, objective_quiz, cadre_client):
        """Before it opens a quiz refuses to start, with a message on its page."""
        objective_quiz.opens_at = timezone.now() + datetime.timedelta(days=1)
        objective_quiz.save()
        response = cadre_client.post(reverse("quiz_start", args=[objective_quiz.pk]), follow=True)
        assert "此测验目前未开放" in response.content.decode()
        assert Attempt.objects.count() == 0

    def test_deadline_capped_by_closing_time(self, people, objective_quiz):
        """A quiz closing in 5 minutes gives a 20-minute attempt a 5-minute deadline."""
        closes = timezone.now() + datetime.timedelta(minutes=5)
        objective_quiz.time_limit_minutes = 20
        objective_quiz.closes_at = closes
        objective_quiz.save()
        assert services.attempt_start(quiz=objective_quiz, cadre=people.cadre).deadline == closes

    def test_random_draw(self, people, bank):
        """A draw of 2 from the ethics category picks 2 of its questions, at random."""
        quiz = Quiz.objects.create(title="随机", owner=people.lecturer)
        quiz.slots.create(category=bank.ethics, count=2)
        attempt = services.attempt_start(quiz=quiz, cadre=people.cadre)
        drawn = {row.question_id for row in attempt.questions.all()}
        assert drawn == {bank.single.pk, bank.multiple.pk}

    def test_draw_too_large(self, people, bank):
        """A draw the bank cannot fill is refused with a clear message, nothing created."""
        quiz = Quiz.objects.create(title="随机", owner=people.lecturer)
        slot = quiz.slots.create(category=bank.ethics, count=3)
        assert services.quiz_shortfalls([slot])
        with pytest.raises(services.NotEnoughQuestions):
            services.attempt_start(quiz=quiz, cadre=people.cadre)
        assert Attempt.objects.count() == 0


class TestAnswering:
    def test_page_post_saves_and_submit_grades(self, cadre_client, attempt):
        """The no-script path: post the page, finish, submit → graded, full marks, passed."""
        url = reverse("attempt_page", args=[attempt.pk])
        response = cadre_client.post(url, {**right_answers(attempt), "page": 1, "go": "finish"})
        assert response.status_code == 302
        assert response.url == reverse("attempt_summary", args=[attempt.pk])
        summary = cadre_client.get(response.url).content.decode()
        assert "还有" not in summary  # nothing left unanswered
        response = cadre_client.post(reverse("attempt_submit", args=[attempt.pk]), follow=True)
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score, attempt.max_score) == ("graded", 5, 5)
        assert attempt.passed is True
        assert "5 / 5" in response.content.decode()

    def test_autosave(self, cadre_client, attempt):
        """The script saves one question at a time and gets the time left back."""
        row = rows(attempt)[1]
        response = cadre_client.post(
            reverse("attempt_answer", args=[attempt.pk]),
            {"position": 1, "answer": [option_id(row, "管理控制")]},
        )
        assert response.status_code == 200
        row.refresh_from_db()
        assert row.response == [option_id(row, "管理控制")]

    def test_clearing_a_multiple_choice(self, cadre_client, attempt):
        """Unticking every box of a multiple choice saves an empty answer."""
        row = rows(attempt)[2]
        services.attempt_answers_save(
            attempt=attempt, answers={2: [str(row.snapshot["options"][0]["id"])]}
        )
        cadre_client.post(reverse("attempt_page", args=[attempt.pk]), {"q-2": [""], "go": "1"})
        row.refresh_from_db()
        assert row.response == []

    @pytest.mark.parametrize(
        ("position", "answer"),
        [(1, "abc"), (99, "1"), (1, "OTHER")],
        ids=["junk", "question-not-in-attempt", "option-of-another-question"],
    )
    def test_bad_answers_refused(self, cadre_client, attempt, bank, position, answer):
        """Junk, a question not in the attempt, an option of another question: 400, unchanged."""
        if answer == "OTHER":
            answer = str(Option.objects.filter(question=bank.multiple).first().pk)
        response = cadre_client.post(
            reverse("attempt_answer", args=[attempt.pk]), {"position": position, "answer": answer}
        )
        assert response.status_code == 400
        assert response.json()["error"]
        assert all(row.response is None for row in attempt.questions.all())

    def test_a_bad_answer_saves_nothing_of_the_page(self, cadre_client, attempt):
        """A page with one refused answer keeps every other answer unsaved too, and says why."""
        response = cadre_client.post(
            reverse("attempt_page", args=[attempt.pk]), {"q-4": ["司法所"], "q-1": ["999999"]}
        )
        assert response.status_code == 400
        assert "form-errors" in response.content.decode()
        assert rows(attempt)[4].response is None

    def test_someone_elses_attempt(self, client, people, attempt):
        """Another cadre gets 404 on every page of the attempt, and changes nothing."""
        client.force_login(people.sakura_cadre)
        for name in ("attempt_page", "attempt_summary", "attempt_review"):
            assert client.get(reverse(name, args=[attempt.pk])).status_code == 404
        for name in ("attempt_answer", "attempt_submit"):
            assert (
                client.post(
                    reverse(name, args=[attempt.pk]), {"position": 4, "answer": "x"}
                ).status_code
                == 404
            )
        attempt.refresh_from_db()
        assert attempt.state == "in_progress"
        assert rows(attempt)[4].response is None


class TestSubmission:
    def test_double_submit(self, cadre_client, attempt):
        """Two submits end in one graded attempt with one finish time."""
        url = reverse("attempt_submit", args=[attempt.pk])
        cadre_client.post(url)
        attempt.refresh_from_db()
        finished = attempt.finished_at
        second = cadre_client.post(url)
        assert second.status_code == 302
        attempt.refresh_from_db()
        assert attempt.finished_at == finished
        assert Attempt.objects.filter(state="graded").count() == 1

    def test_answers_after_submission_refused(self, cadre_client, attempt):
        """Once submitted, an autosave gets 409 and the page moves to the review."""
        services.attempt_submit(attempt=attempt)
        response = cadre_client.post(
            reverse("attempt_answer", args=[attempt.pk]), {"position": 4, "answer": "司法所"}
        )
        assert response.status_code == 409
        assert response.json()["redirect"] == reverse("attempt_review", args=[attempt.pk])
        assert rows(attempt)[4].response is None

    def test_within_grace(self, people, objective_quiz):
        """An answer 30 s after the deadline is still taken; the submit then counts it."""
        objective_quiz.time_limit_minutes = 10
        objective_quiz.save()
        start = timezone.now() - datetime.timedelta(minutes=10, seconds=30)
        attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre, now=start)
        services.attempt_answers_save(attempt=attempt, answers={4: ["司法所"]})
        attempt = services.attempt_submit(attempt=attempt)
        assert attempt.score == 1
        assert not attempt.closed_by_deadline

    def test_late_answer_refused_and_attempt_closed_at_deadline(self, people, objective_quiz):
        """61 s past the deadline an answer is refused; the attempt closes as of the deadline."""
        objective_quiz.time_limit_minutes = 10
        objective_quiz.save()
        start = timezone.now() - datetime.timedelta(minutes=11, seconds=1)
        attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre, now=start)
        services.attempt_answers_save(
            attempt=attempt, answers={4: ["司法所"]}, now=start + datetime.timedelta(minutes=5)
        )
        with pytest.raises(services.TooLate):
            services.attempt_answers_save(attempt=attempt, answers={1: [""]})
        attempt.refresh_from_db()
        assert attempt.state == "graded"
        assert attempt.finished_at == attempt.deadline
        assert attempt.closed_by_deadline
        assert attempt.score == 1  # the answer saved in time counts

    def test_late_submit(self, cadre_client, people, objective_quiz):
        """A submit after the grace closes the attempt as of its deadline and says so."""
        objective_quiz.time_limit_minutes = 5
        objective_quiz.save()
        start = timezone.now() - datetime.timedelta(minutes=7)
        attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre, now=start)
        response = cadre_client.post(reverse("attempt_submit", args=[attempt.pk]), follow=True)
        attempt.refresh_from_db()
        assert attempt.finished_at == attempt.deadline
        assert "时间已到" in response.content.decode()

    def test_periodic_job_closes_overdue(self, people, objective_quiz, bank):
        """The beat job closes attempts past deadline and grace, and leaves the others."""
        objective_quiz.time_limit_minutes = 10
        objective_quiz.save()
        now = timezone.now()
        old = services.attempt_start(
            quiz=objective_quiz, cadre=people.cadre, now=now - datetime.timedelta(minutes=12)
        )
        services.attempt_answers_save(
            attempt=old, answers={4: ["司法所"]}, now=now - datetime.timedelta(minutes=5)
        )
        fresh = services.attempt_start(quiz=objective_quiz, cadre=people.sakura_cadre)
        from assessments.tasks import attempts_close_overdue

        assert attempts_close_overdue.delay().get() == 1
        old.refresh_from_db()
        fresh.refresh_from_db()
        assert (old.state, old.finished_at, old.score) == ("graded", old.deadline, 1)
        assert fresh.state == "in_progress"
        assert attempts_close_overdue.delay().get() == 0

    def test_beat_schedule_has_the_job(self, settings):
        """The job is scheduled every minute by default (editable in the admin)."""
        job = settings.CELERY_BEAT_SCHEDULE["quiz-attempts-close-overdue"]
        assert job["task"] == "assessments.tasks.attempts_close_overdue"
        assert job["schedule"] == 60.0

    def test_opening_an_overdue_attempt_closes_it(self, cadre_client, people, objective_quiz):
        """Coming back after the time is up lands on the review of the closed attempt."""
        objective_quiz.time_limit_minutes = 1
        objective_quiz.save()
        start = timezone.now() - datetime.timedelta(minutes=3)
        attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre, now=start)
        response = cadre_client.get(reverse("attempt_page", args=[attempt.pk]))
        assert response.url == reverse("attempt_review", args=[attempt.pk])
        attempt.refresh_from_db()
        assert attempt.state == "graded"


class TestSnapshot:
    def test_editing_questions_leaves_finished_attempts(self, people, bank, attempt):
        """Changing the stem, the key and deleting an option change nothing already recorded."""
        row = rows(attempt)[1]
        services.attempt_answers_save(
            attempt=attempt, answers={1: [str(option_id(row, "助人自助"))]}
        )
        attempt = services.attempt_submit(attempt=attempt)
        bank.single.stem = "改过的题干"
        bank.single.save()
        bank.single.options.filter(text="助人自助").update(correct=False)
        bank.single.options.filter(text="经济效益").delete()
        row.refresh_from_db()
        assert row.snapshot["stem"] == "社会工作的核心价值是什么？"
        assert len(row.snapshot["options"]) == 4
        assert row.score == 1


class TestReview:
    def test_answer_keys_never_sent_during_the_attempt(self, cadre_client, people, bank):
        """Every response of an attempt is scanned: no explanation, accepted answer or right-option
        marker leaks; right and wrong options are marked up alike."""
        quiz = make_quiz(
            people.lecturer,
            [bank.single, bank.multiple, bank.true_false, bank.blank, bank.essay, bank.case],
            questions_per_page=2,
            time_limit_minutes=30,
            after_right_answer=True,
            after_explanation=True,
        )
        responses = [cadre_client.get(reverse("quiz_detail", args=[quiz.pk]))]
        responses.append(cadre_client.post(reverse("quiz_start", args=[quiz.pk])))
        attempt = Attempt.objects.get()
        for page in (1, 2, 3):
            url = reverse("attempt_page", args=[attempt.pk])
            responses.append(cadre_client.get(url, {"page": page}))
            responses.append(cadre_client.post(url, {"page": page, "go": page}))
        responses.append(
            cadre_client.post(
                reverse("attempt_answer", args=[attempt.pk]), {"position": 4, "answer": "x"}
            )
        )
        responses.append(cadre_client.get(reverse("attempt_summary", args=[attempt.pk])))
        responses.append(cadre_client.get(reverse("attempt_review", args=[attempt.pk])))
        correct_ids = set(Option.objects.filter(correct=True).values_list("pk", flat=True))
        for response in responses:
            body = response.content.decode()
            assert SENTINEL not in body
            assert "司法所" not in body and "司法行政机关" not in body
            assert "correct" not in body.lower() and "right" not in body.lower()
            options = re.findall(r'<label class="option[^"]*"><input [^>]*value="(\d+)"', body)
            markup = re.findall(
                r'<label class="(option[^"]*)"><input type="(\w+)" name="q-\d+" value="(\d+)"', body
            )
            for css, _type, value in markup:
                assert css == "option", (value in correct_ids, css)
            assert len(options) == len(markup)
        # and the review, once finished, shows what the settings allow
        cadre_client.post(reverse("attempt_submit", args=[attempt.pk]))
        body = cadre_client.get(reverse("attempt_review", args=[attempt.pk])).content.decode()
        assert SENTINEL in body and "司法所" in body

    @pytest.mark.parametrize(
        ("options", "closed", "shown", "hidden"),
        [
            ({}, False, ["4 / 5"], [SENTINEL, "正确答案", "司法所"]),
            ({"after_marks": False, "after_correctness": False}, False, [], ["4 / 5", "回答错误"]),
            ({}, True, ["4 / 5", SENTINEL, "正确答案", "司法所"], []),
        ],
        ids=["after-default", "after-nothing", "after-close"],
    )
    def test_review_follows_the_settings(
        self, cadre_client, attempt, objective_quiz, options, closed, shown, hidden
    ):
        """What the review shows depends on the quiz's options and whether it has closed."""
        answers = right_answers(attempt)
        answers["q-4"] = ["居委会"]
        services.attempt_answers_save(
            attempt=attempt, answers={int(k[2:]): v for k, v in answers.items()}
        )
        services.attempt_submit(attempt=attempt)
        Quiz.objects.filter(pk=objective_quiz.pk).update(**options)
        if closed:
            Quiz.objects.filter(pk=objective_quiz.pk).update(
                opens_at=timezone.now() - datetime.timedelta(days=2),
                closes_at=timezone.now() - datetime.timedelta(minutes=1),
            )
        body = cadre_client.get(reverse("attempt_review", args=[attempt.pk])).content.decode()
        for text in shown:
            assert text in body
        for text in hidden:
            assert text not in body

    def test_practice_mode_feedback(self, cadre_client, people, bank):
        """With feedback while answering, a checked answer shows right/wrong and is locked."""
        quiz = make_quiz(
            people.lecturer,
            [bank.single],
            during_correctness=True,
            during_right_answer=True,
            during_explanation=True,
        )
        attempt = services.attempt_start(quiz=quiz, cadre=people.cadre)
        url = reverse("attempt_page", args=[attempt.pk])
        body = cadre_client.get(url).content.decode()
        assert SENTINEL not in body
        wrong = option_id(rows(attempt)[1], "管理控制")
        cadre_client.post(url, {"q-1": ["", str(wrong)], "go": "1"})
        body = cadre_client.get(url).content.decode()
        assert "回答错误" in body and SENTINEL in body
        right = option_id(rows(attempt)[1], "助人自助")
        response = cadre_client.post(url, {"q-1": ["", str(right)], "go": "1"})
        assert response.status_code == 400
        assert rows(attempt)[1].response == [wrong]


class TestCoursesSide:
    def test_pass_completes_the_lesson_and_credits_hours(
        self, people, objective_quiz, course, lesson
    ):
        """A passed lesson test completes the lesson and credits the test hours once."""
        objective_quiz.lesson = lesson
        objective_quiz.save()
        from courses.services import enrollment_create

        enrollment_create(cadre=people.cadre, course=course)
        for _ in range(2):
            attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
            answers = right_answers(attempt)
            services.attempt_answers_save(
                attempt=attempt, answers={int(k[2:]): v for k, v in answers.items()}
            )
            assert services.attempt_submit(attempt=attempt).passed
        assert LessonProgress.objects.get(cadre=people.cadre, lesson=lesson).completed_at
        entry = CreditEntry.objects.get(cadre=people.cadre, kind=CreditEntry.Kind.TEST_PASS)
        assert (entry.source, entry.hours) == (f"quiz:{objective_quiz.pk}", Decimal("0.5"))

    def test_failing_completes_nothing(self, people, objective_quiz, course, lesson):
        """A failed attempt leaves the lesson open and credits nothing."""
        objective_quiz.lesson = lesson
        objective_quiz.save()
        from courses.services import enrollment_create

        enrollment_create(cadre=people.cadre, course=course)
        attempt = services.attempt_submit(
            attempt=services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
        )
        assert attempt.passed is False
        assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()
        assert not CreditEntry.objects.exists()

    def test_lesson_quiz_needs_enrollment(self, cadre_client, objective_quiz, lesson):
        """A cadre not in the course cannot start the lesson's test."""
        objective_quiz.lesson = lesson
        objective_quiz.save()
        response = cadre_client.post(reverse("quiz_start", args=[objective_quiz.pk]), follow=True)
        assert Attempt.objects.count() == 0
        assert "先报名" in response.content.decode()


def test_a_quiz_without_questions_does_not_start(people):
    """A quiz with no questions yet refuses to start and leaves no empty attempt behind."""
    quiz = Quiz.objects.create(title="空测验", owner=people.lecturer)
    with pytest.raises(services.NotEnoughQuestions):
        services.attempt_start(quiz=quiz, cadre=people.cadre)
    assert not Attempt.objects.exists()


def test_practice_quizzes_start_only_from_exam_preparation(client, people, objective_quiz):
    """A mock or daily-practice quiz has no /quiz/ page of its own."""
    Quiz.objects.filter(pk=objective_quiz.pk).update(mode=Quiz.Mode.DAILY)
    client.force_login(people.cadre)
    assert client.get(reverse("quiz_detail", args=[objective_quiz.pk])).status_code == 404
    assert client.post(reverse("quiz_start", args=[objective_quiz.pk])).status_code == 404
