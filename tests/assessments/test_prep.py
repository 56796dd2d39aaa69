"""Exam preparation: the paper as data, mock exams, drills, daily practice, the notebook and
its spaced review."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from assessments import prep_services, services
from assessments.models import (
    ExamPrepSettings,
    ExamSubject,
    KnowledgeStat,
    NotebookItem,
    PaperSection,
    Question,
    QuestionBank,
    Quiz,
)
from courses.models import CreditEntry

from .conftest import category_path, make_question

pytestmark = pytest.mark.django_db

T = Question.Type


@pytest.fixture
def exam(people):
    """综合能力（初级）in miniature: 2 chapters; a paper of 4 single × 1 and 2 multiple × 2."""
    bank = QuestionBank.objects.create(name="综合能力（初级）备考", owner=people.lecturer)
    ethics = category_path(bank, "综合能力（初级）", "专业伦理", "保密原则")
    casework = category_path(bank, "综合能力（初级）", "个案工作", "接案")
    for n in range(3):
        for chapter in (ethics, casework):
            make_question(
                bank,
                T.SINGLE,
                f"{chapter.name}单选{n}",
                [("对", True), ("错一", False), ("错二", False), ("错三", False)],
                category=chapter,
            )
    for n in range(3):
        make_question(
            bank,
            T.MULTIPLE,
            f"多选{n}",
            [("甲", True), ("乙", True), ("丙", True), ("丁", False), ("戊", False)],
            category=ethics if n % 2 else casework,
            points=Decimal("2"),
        )
    subject = ExamSubject.objects.create(
        level=ExamSubject.Level.JUNIOR, name="社会工作综合能力（初级）", code="zh-cj", bank=bank
    )
    root = ethics.get_root()
    PaperSection.objects.create(
        subject=subject, position=1, title="单项选择题", question_type=T.SINGLE,
        category=root, count=4, points=1,
    )  # fmt: skip
    PaperSection.objects.create(
        subject=subject, position=2, title="多项选择题", question_type=T.MULTIPLE,
        category=root, count=2, points=2,
    )  # fmt: skip
    prep_services.exam_subject_sync(subject=subject)
    return subject


def answer(attempt, choose):
    """Answers every question with the options `choose(row)` returns (texts)."""
    answers = {}
    for row in attempt.questions.all():
        texts = choose(row)
        answers[row.position] = [
            str(o["id"]) for o in row.snapshot["options"] if o["text"] in texts
        ]
    services.attempt_answers_save(attempt=attempt, answers=answers)
    return services.attempt_submit(attempt=attempt)


class TestPaper:
    def test_mock_follows_the_paper(self, people, exam):
        """A mock draws 4 singles and 2 multiples, 120 minutes, full marks 8, exam scoring."""
        attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
        types = [row.type for row in attempt.questions.all()]
        assert sorted(types) == ["multiple"] * 2 + ["single"] * 4
        assert attempt.max_score == exam.full_marks == 8
        assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=120)
        assert attempt.quiz.multiple_scoring == Quiz.MultipleScoring.EXAM

    def test_partial_credit_applied_in_the_mock(self, people, exam):
        """All singles right, each multiple with two of three right options: 4 + 2 × 1.0 = 6."""
        attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
        graded = answer(attempt, lambda row: {"对", "甲", "乙"})
        assert graded.score == 6
        assert graded.passed  # 75 % ≥ 60 %

    def test_a_paper_the_bank_cannot_fill_is_refused_when_saved(self, exam):
        """Asking for 10 multiples of a bank holding 3 is refused, naming the section."""
        section = exam.sections.get(position=2)
        section.count = 10
        assert prep_services.paper_shortfalls([section]) == [
            "多项选择题需要 10 道题，题库中只有 3 道。"
        ]
        section.save()
        with pytest.raises(services.NotEnoughQuestions):
            prep_services.exam_subject_sync(subject=exam)

    def test_second_concurrent_mock_is_named_not_started(self, people, exam):
        """Starting the same mock while one is open is refused with that attempt."""
        first = prep_services.mock_start(subject=exam, cadre=people.cadre)
        with pytest.raises(prep_services.MockInProgress) as refusal:
            prep_services.mock_start(subject=exam, cadre=people.cadre)
        assert refusal.value.attempt == first

    def test_passing_a_mock_can_earn_hours_once_a_year(self, people, exam):
        """With 2 hours configured, two passed mocks credit 2 hours once."""
        exam.mock_credit_hours = Decimal("2")
        exam.save()
        for _ in range(2):
            answer(
                prep_services.mock_start(subject=exam, cadre=people.cadre),
                lambda r: {"对", "甲", "乙", "丙"},
            )
        entry = CreditEntry.objects.get(cadre=people.cadre)
        assert entry.hours == 2 and entry.source.startswith(f"mock:{exam.pk}:")


class TestNotebook:
    def test_wrong_answers_land_in_the_notebook(self, people, exam):
        """Every question answered wrongly is in the notebook, due after the first interval."""
        attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
        answer(attempt, lambda row: {"错一"} if row.type == "single" else {"甲", "乙", "丙"})
        items = NotebookItem.objects.filter(cadre=people.cadre)
        asked_singles = {row.question_id for row in attempt.questions.all() if row.type == "single"}
        assert set(items.values_list("question_id", flat=True)) == asked_singles
        assert {item.due_on for item in items} == {
            timezone.localdate() + datetime.timedelta(days=1)
        }

    def test_review_moves_items_up_and_masters_them(self, people, exam):
        """Right in review: box 1 → 2 → 3, mastered after three right in a row; wrong → box 1."""
        question = Question.objects.filter(type=T.SINGLE).first()
        item = NotebookItem.objects.create(
            cadre=people.cadre, question=question, due_on=timezone.localdate()
        )
        intervals = ExamPrepSettings.load().intervals()
        for expected_box in (2, 3, 4):
            attempt = prep_services.review_start(subject=exam, cadre=people.cadre)
            answer(attempt, lambda row: {"对"})
            item.refresh_from_db()
            assert item.box == expected_box
            assert item.due_on == timezone.localdate() + datetime.timedelta(
                days=intervals[expected_box - 1]
            )
            NotebookItem.objects.filter(pk=item.pk).update(due_on=timezone.localdate())
        item.refresh_from_db()
        assert item.mastered_at is not None and item.streak == 3
        with pytest.raises(services.NotEnoughQuestions):
            prep_services.review_start(subject=exam, cadre=people.cadre)  # nothing due

    def test_a_wrong_review_starts_over(self, people, exam):
        """A wrong answer puts the item back in box 1 with its streak reset."""
        question = Question.objects.filter(type=T.SINGLE).first()
        NotebookItem.objects.create(
            cadre=people.cadre, question=question, due_on=timezone.localdate(), box=3, streak=2
        )
        answer(prep_services.review_start(subject=exam, cadre=people.cadre), lambda r: {"错一"})
        item = NotebookItem.objects.get()
        assert (item.box, item.streak, item.wrong_count) == (1, 0, 1)

    def test_adding_by_hand_needs_an_own_finished_row(self, people, exam):
        """A cadre adds a question from their own finished attempt, never someone else's."""
        attempt = answer(
            prep_services.mock_start(subject=exam, cadre=people.cadre),
            lambda r: {"对", "甲", "乙", "丙"},
        )
        row = attempt.questions.first()
        item = prep_services.notebook_add(cadre=people.cadre, row=row)
        assert item.added_by_hand
        with pytest.raises(services.InvalidAnswer):
            prep_services.notebook_add(cadre=people.sakura_cadre, row=row)
        prep_services.notebook_remove(cadre=people.sakura_cadre, item_id=item.pk)
        assert NotebookItem.objects.filter(pk=item.pk).exists()
        prep_services.notebook_remove(cadre=people.cadre, item_id=item.pk)
        assert not NotebookItem.objects.exists()


class TestPractice:
    def test_drill_asks_one_chapter_with_feedback(self, people, exam):
        """A drill asks only the chapter's questions, one a page, feedback while answering."""
        chapter = Question.objects.get(stem="保密原则单选0").category.get_parent()
        attempt = prep_services.drill_start(subject=exam, chapter=chapter, cadre=people.cadre)
        categories = {row.question.category.get_parent() for row in attempt.questions.all()}
        assert categories == {chapter}
        assert attempt.quiz.during_correctness and attempt.quiz.questions_per_page == 1

    def test_daily_practice_takes_due_items_and_weak_points_first(self, people, exam):
        """Due notebook items come first, then the weakest knowledge point; stable for the day."""
        due = Question.objects.get(stem="接案单选2")
        NotebookItem.objects.create(cadre=people.cadre, question=due, due_on=timezone.localdate())
        weak = Question.objects.get(stem="保密原则单选0").category
        KnowledgeStat.objects.create(cadre=people.cadre, category=weak, answered=10, correct=2)
        strong = Question.objects.get(stem="接案单选0").category
        KnowledgeStat.objects.create(cadre=people.cadre, category=strong, answered=10, correct=9)
        ExamPrepSettings.objects.update_or_create(defaults={"daily_size": 4})
        picked = prep_services.daily_questions(subject=exam, cadre=people.cadre)
        assert len(picked) == 4
        assert picked[0] == due.pk
        assert Question.objects.get(pk=picked[1]).category == weak
        assert picked == prep_services.daily_questions(subject=exam, cadre=people.cadre)

    def test_knowledge_points_are_counted(self, people, exam):
        """Answers add to the cadre's per-knowledge-point tallies."""
        attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
        answer(attempt, lambda r: {"对", "丁"})  # singles right, multiples wrong
        stats = KnowledgeStat.objects.filter(cadre=people.cadre)
        assert sum(s.answered for s in stats) == 6
        assert sum(s.correct for s in stats) == 4


def test_unanswered_questions_stay_out_of_the_notebook(people, exam):
    """A mock left mostly blank adds only the questions answered wrongly."""
    attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
    first = attempt.questions.get(position=1)
    wrong = next(o["id"] for o in first.snapshot["options"] if not o["correct"])
    services.attempt_answers_save(attempt=attempt, answers={1: [str(wrong)]})
    services.attempt_submit(attempt=attempt)
    assert list(NotebookItem.objects.values_list("question_id", flat=True)) == [first.question_id]
    assert sum(KnowledgeStat.objects.values_list("answered", flat=True)) == 1


def paper_form(bank, root, multiples: int) -> dict:
    """The CMS form of a new exam subject whose paper asks `multiples` multiple choices."""
    return nested_form_data(
        {
            "level": "junior",
            "name": "社会工作实务（初级）",
            "code": "sw-cj",
            "bank": bank.pk,
            "time_limit_minutes": 120,
            "pass_percent": "60",
            "partial_points_per_option": "0.5",
            "mock_credit_hours": "0",
            "sort_order": 2,
            "sections": inline_formset(
                [
                    {
                        "position": 1,
                        "title": "单项选择题",
                        "question_type": "single",
                        "category": root.pk,
                        "count": 4,
                        "points": "1",
                    },
                    {
                        "position": 2,
                        "title": "多项选择题",
                        "question_type": "multiple",
                        "category": root.pk,
                        "count": multiples,
                        "points": "2",
                    },
                ]
            ),
        }
    )


def test_a_mis_specified_paper_is_caught_when_saved_in_the_cms(client, people, exam):
    """Saving a paper asking 30 multiples of a bank holding 3 shows the problem and saves
    nothing; a fillable paper is saved with its mock exam ready."""
    client.force_login(people.admin)
    root = exam.bank.categories.get(depth=1)
    url = "/cms/assessments/exam-subjects/new/"
    response = client.post(url, paper_form(exam.bank, root, multiples=30))
    assert response.status_code == 200
    assert "多项选择题需要 30 道题，题库中只有 3 道。" in response.content.decode()
    assert not ExamSubject.objects.filter(code="sw-cj").exists()
    response = client.post(url, paper_form(exam.bank, root, multiples=2))
    assert response.status_code == 302
    subject = ExamSubject.objects.get(code="sw-cj")
    assert subject.quizzes.get(mode=Quiz.Mode.MOCK).slots.count() == 2
