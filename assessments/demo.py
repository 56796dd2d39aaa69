"""Demo question banks and quizzes: a lesson test and a self-test on community governance, and
the social-work exam subjects with their preparation banks (assessments/demo/exam/*.gift)."""

from pathlib import Path

from django.db import transaction

from courses.models import LessonPage
from lms.models import User

from . import importing, prep_services
from .models import ExamSubject, PaperSection, Question, QuestionBank, QuestionCategory, Quiz

BANK_FILE = Path(__file__).parent / "demo" / "dangjian.gift"
BANK_NAME = "党建引领社区治理题库"
OWNER = "lecturer_liu"
TESTED_LESSON = "社区党组织的组织体系与领导作用"

EXAM_FOLDER = Path(__file__).parent / "demo" / "exam"
EXAM_OWNER = "lecturer_he"  # the social-work supervisor among the demo lecturers
# (file, code, level, subject): the objective subjects; their paper is 60 single-choice
# questions × 1 point and 20 multiple-choice × 2 points, 120 minutes (training-rules.md)
EXAM_SUBJECTS = [
    ("zh_cj", "zh-cj", ExamSubject.Level.JUNIOR, "社会工作综合能力（初级）"),
    ("sw_cj", "sw-cj", ExamSubject.Level.JUNIOR, "社会工作实务（初级）"),
    ("zh_zj", "zh-zj", ExamSubject.Level.INTERMEDIATE, "社会工作综合能力（中级）"),
    ("fg_zj", "fg-zj", ExamSubject.Level.INTERMEDIATE, "社会工作法规与政策（中级）"),
]
PAPER = [
    ("单项选择题", Question.Type.SINGLE, 60, 1),
    ("多项选择题", Question.Type.MULTIPLE, 20, 2),
]


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


def seed_exam_prep(*, stdout=None) -> None:
    """Imports each exam bank once and sets up its subject and paper; changes nothing that
    exists. A bank too small for the paper is reported and left without a subject."""
    owner = User.objects.filter(username=EXAM_OWNER).first()
    if owner is None:
        return
    for order, (file, code, level, name) in enumerate(EXAM_SUBJECTS, start=1):
        path = EXAM_FOLDER / f"{file}.gift"
        if ExamSubject.objects.filter(code=code).exists() or not path.exists():
            continue
        with transaction.atomic():
            bank = QuestionBank.objects.filter(name=name).first()
            if bank is None:
                bank = QuestionBank.objects.create(name=name, owner=owner)
                records = importing.parse(path.read_bytes(), "gift")
                importing.questions_import(bank=bank, records=records, by=owner)
            subject = ExamSubject.objects.create(
                level=level, name=name, code=code, bank=bank, sort_order=order
            )
            root = QuestionCategory.objects.filter(bank=bank, depth=1).first()
            sections = [
                PaperSection(
                    subject=subject,
                    position=position,
                    title=title,
                    question_type=kind,
                    category=root,
                    count=count,
                    points=points,
                )
                for position, (title, kind, count, points) in enumerate(PAPER, start=1)
            ]
            problems = prep_services.paper_shortfalls(sections)
            if problems:
                transaction.set_rollback(True)
                if stdout is not None:
                    stdout.write(f"Exam subject {name} skipped: {' '.join(problems)}")
                continue
            PaperSection.objects.bulk_create(sections)
            prep_services.exam_subject_sync(subject=subject)
    if stdout is not None:
        subjects = ExamSubject.objects.count()
        questions = Question.objects.filter(bank__exam_subjects__isnull=False).count()
        stdout.write(f"Exam preparation: {subjects} subjects, {questions} questions.")
