"""Demo question bank and quizzes: a lesson test and a self-test on community governance."""

from pathlib import Path

from django.db import transaction

from courses.models import LessonPage
from lms.models import User

from . import importing
from .models import Question, QuestionBank, QuestionCategory, Quiz

BANK_FILE = Path(__file__).parent / "demo" / "dangjian.gift"
BANK_NAME = "党建引领社区治理题库"
OWNER = "lecturer_liu"
TESTED_LESSON = "社区党组织的组织体系与领导作用"


def seed_assessments(*, stdout=None) -> None:
    """Imports the demo bank once and sets up its two quizzes; changes nothing that exists."""
    owner = User.objects.filter(username=OWNER).first()
    if owner is None:
        return
    bank = QuestionBank.objects.filter(name=BANK_NAME).first() or _bank_and_quizzes(owner)
    if stdout is not None:
        quizzes = Quiz.objects.filter(owner=owner).count()
        stdout.write(
            f"Quizzes: {bank.questions.count()} questions in “{BANK_NAME}”, {quizzes} quizzes."
        )


def _bank_and_quizzes(owner: User) -> QuestionBank:
    with transaction.atomic():
        bank = QuestionBank.objects.create(
            name=BANK_NAME,
            owner=owner,
            description="社区组织体系、社区工作方法与相关政策，供课时测验和自测使用。",
        )
        records = importing.parse(BANK_FILE.read_bytes(), "gift")
        importing.questions_import(bank=bank, records=records, by=owner)
        root = QuestionCategory.objects.get(bank=bank, depth=1)
        organization = root.get_children().get(name="社区组织体系")
        lesson = LessonPage.objects.filter(title=TESTED_LESSON).first()
        lesson_test = Quiz.objects.create(
            title="课时测验：社区党组织的组织体系",
            description="共 5 题，60 分及格，可多次作答；通过后完成本课时。",
            owner=owner,
            lesson=lesson,
            time_limit_minutes=10,
            after_right_answer=True,
            after_explanation=True,
        )
        lesson_test.slots.create(category=organization, count=5)
        self_test = Quiz.objects.create(
            title="社区工作者应知应会自测",
            description="从题库中随机抽取 8 道客观题，限时 15 分钟。交卷后可查看答案与解析。",
            owner=owner,
            time_limit_minutes=15,
            shuffle_questions=True,
            after_right_answer=True,
            after_explanation=True,
        )
        objective = [
            Question.Type.SINGLE,
            Question.Type.MULTIPLE,
            Question.Type.TRUE_FALSE,
            Question.Type.FILL_BLANK,
        ]
        for question in bank.questions.filter(type__in=objective).order_by("pk")[:8]:
            self_test.slots.create(question=question)
    return bank
