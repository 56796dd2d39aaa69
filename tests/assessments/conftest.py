"""Question banks and quizzes for assessment tests."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from assessments.models import Option, Question, QuestionBank, QuestionCategory, Quiz, QuizSlot
from tests.courses.conftest import catalogue, course, lessons_of  # noqa: F401  (fixtures)

SENTINEL = "【解析-答案键】"  # appears only in explanations: a review that must not show them


def make_question(bank, type, stem, options=(), answers=(), category=None, **fields) -> Question:
    """A question with options given as (text, correct) pairs."""
    question = Question.objects.create(
        bank=bank,
        category=category,
        type=type,
        stem=stem,
        accepted_answers="\n".join(answers),
        explanation=fields.pop("explanation", f"{SENTINEL}{stem[:10]}"),
        **fields,
    )
    Option.objects.bulk_create(
        Option(question=question, text=text, correct=correct, sort_order=i)
        for i, (text, correct) in enumerate(options)
    )
    return question


def category_path(bank, *names) -> QuestionCategory:
    """The category at this path of the bank, created as needed."""
    node = QuestionCategory.objects.filter(bank=bank, depth=1, name=names[0]).first()
    node = node or QuestionCategory.add_root(bank=bank, name=names[0])
    for name in names[1:]:
        child = node.get_children().filter(name=name).first()
        node = child or node.add_child(bank=bank, name=name)
    return node


@pytest.fixture
def bank(people):
    """A bank with one question of every type, a case with two parts among them."""
    bank = QuestionBank.objects.create(name="社会工作综合能力（初级）", owner=people.lecturer)
    ethics = category_path(bank, "社会工作综合能力", "社会工作价值观与专业伦理")
    T = Question.Type
    single = make_question(
        bank,
        T.SINGLE,
        "社会工作的核心价值是什么？",
        [("助人自助", True), ("管理控制", False), ("经济效益", False), ("行政命令", False)],
        category=ethics,
    )
    multiple = make_question(
        bank,
        T.MULTIPLE,
        "下列属于社会工作专业伦理原则的有哪些？",
        [("尊重", True), ("保密", True), ("案主自决", True), ("替案主做决定", False)],
        category=ethics,
        points=Decimal("2"),
    )
    true_false = make_question(
        bank,
        T.TRUE_FALSE,
        "社会工作者可以随意公开服务对象的隐私。",
        [("正确", False), ("错误", True)],
    )
    blank = make_question(
        bank, T.FILL_BLANK, "社区矫正对象的监督管理由____负责。", answers=["司法所", "司法行政机关"]
    )
    essay = make_question(bank, T.ESSAY, "简述社区走访中建立专业关系的要点。", points=Decimal("5"))
    case = make_question(bank, T.CASE, "王大爷独居，子女在外地工作，近来情绪低落……")
    make_question(
        bank,
        T.SINGLE,
        "首先应当开展的工作是？",
        [("需求评估", True), ("结案", False)],
        parent=case,
        position=1,
    )
    make_question(
        bank,
        T.ESSAY,
        "请设计一个为期三个月的服务计划。",
        parent=case,
        position=2,
        points=Decimal("10"),
    )
    return SimpleNamespace(
        bank=bank,
        ethics=ethics,
        single=single,
        multiple=multiple,
        true_false=true_false,
        blank=blank,
        essay=essay,
        case=case,
    )


def make_quiz(owner, questions, **fields) -> Quiz:
    """A quiz asking these questions in this order."""
    fields.setdefault("shuffle_options", False)
    quiz = Quiz.objects.create(title=fields.pop("title", "单元测验"), owner=owner, **fields)
    QuizSlot.objects.bulk_create(
        QuizSlot(quiz=quiz, question=question, sort_order=i) for i, question in enumerate(questions)
    )
    return quiz


@pytest.fixture
def lesson(course):  # noqa: F811
    """The first required lesson of the course fixture."""
    return lessons_of(course)[0]


@pytest.fixture
def objective_quiz(people, bank):
    """Auto-marked questions only: single (1), multiple (2), true/false (1), blank (1)."""
    return make_quiz(
        people.lecturer, [bank.single, bank.multiple, bank.true_false, bank.blank], title="伦理测验"
    )
