"""Measure the attempt engine and question import.

Usage (from the project root)::

    .venv/bin/python bench/assessments.py [--db sqlite|postgres] [--rounds N]

On a throwaway database with the demo world (``seed_demo``), a bank of 1,100 questions (every
auto-marked type, in Chinese) and a 100-question quiz are created; a demo cadre then works
through it. Scenarios, interleaved round by round:

* grading a 100-question attempt: every grader over the attempt's snapshots (pure marking),
  and ``attempt_submit`` end to end (lock, grade, write 100 marks, total, in one transaction);
* the attempt page (``GET /quiz/attempt/<pk>/?page=3``, five questions a page) and one
  autosave (``POST /quiz/attempt/<pk>/answer/``), both through the full Django stack with a
  logged-in session, each checked to answer as expected;
* importing 1,000 GIFT questions: parsing the file and creating the questions in a new bank.

Exam preparation (issue 5), on a bank of 10,000 questions in 10 chapters × 10 knowledge points:

* assembling a mock paper (60 single × 1 + 20 multiple × 2): drawing the questions and
  snapshotting them (``quiz_draw`` + ``question_snapshot``), and starting the mock exam end to
  end (``mock_start``, which also saves the attempt and its 80 rows);
* picking today's practice set for a cadre with 2,000 answered items (1,200 of them in the
  notebook, 300 due) and knowledge-point tallies: ``daily_questions``.

Targets (issue 4): grading ≤ 10 ms, 1,000 GIFT questions ≤ 2 s, autosave p95 ≤ 20 ms; (issue
5) mock paper ≤ 50 ms, daily set ≤ 20 ms. Query counts are printed (tests pin them).
"""

import random
import sys
from decimal import Decimal

import common

CADRE = "jd01-sq01_ganbu1"  # answers in the browser: the page and autosave
SUBMITTER = "jd01-sq01_ganbu2"  # submits attempt after attempt
QUESTIONS = 100
IMPORT_COUNT = 1000
TOPICS = (
    "社会工作价值观",
    "个案工作",
    "小组工作",
    "社区工作",
    "社会救助",
    "老年人服务",
    "社区治理",
)


def question_records(count: int, rng: random.Random) -> list:
    """Realistic exam-style questions of every auto-marked type, spread over chapters."""
    from assessments import formats
    from assessments.formats import OptionData, QuestionData

    records = []
    for number in range(count):
        topic = TOPICS[number % len(TOPICS)]
        kind = (formats.SINGLE, formats.MULTIPLE, formats.TRUE_FALSE, formats.FILL_BLANK)[
            number % 4
        ]
        stem = f"（{number + 1}）关于{topic}，下列说法中最符合社会工作专业要求的是哪一项？"
        options: list = []
        answers: list = []
        if kind == formats.SINGLE:
            right = rng.randrange(4)
            options = [OptionData(f"{topic}的做法{i + 1}", i == right) for i in range(4)]
        elif kind == formats.MULTIPLE:
            options = [OptionData(f"{topic}的原则{i + 1}", i in (0, 2, 3)) for i in range(5)]
        elif kind == formats.TRUE_FALSE:
            stem = f"（{number + 1}）{topic}中，社会工作者可以替服务对象做出决定。"
            options = [OptionData("正确", False), OptionData("错误", True)]
        else:
            stem = f"（{number + 1}）{topic}的首要环节是____。"
            answers = ["需求评估", "预估"]
        records.append(
            QuestionData(
                type=kind,
                stem=stem,
                options=options,
                answers=answers,
                category=["社会工作综合能力（初级）", topic],
                explanation=f"本题考查{topic}的基本知识。",
                difficulty=1 + number % 3,
                points=Decimal("2") if kind == formats.MULTIPLE else None,
            )
        )
    return records


def build_quiz():
    """A bank of 1,100 questions and a quiz of 100 of them, owned by the demo lecturer."""
    from assessments import importing
    from assessments.models import Question, QuestionBank, Quiz, QuizSlot
    from lms.models import User

    lecturer = User.objects.get(username="lecturer_liu")
    bank = QuestionBank.objects.create(name="基准题库", owner=lecturer)
    records = question_records(QUESTIONS + 1000, random.Random(7))
    importing.questions_import(bank=bank, records=records, by=lecturer)
    quiz = Quiz.objects.create(
        title="基准测验", owner=lecturer, time_limit_minutes=120, multiple_scoring="exam"
    )
    chosen = Question.objects.filter(bank=bank).order_by("pk")[:QUESTIONS]
    QuizSlot.objects.bulk_create(
        QuizSlot(quiz=quiz, question=question, sort_order=i) for i, question in enumerate(chosen)
    )
    return quiz


def answers_for(attempt, rng: random.Random) -> dict[int, list[str]]:
    """A plausible cadre: most answers right, some wrong, a few left empty."""
    answers = {}
    for row in attempt.questions.all():
        if rng.random() < 0.05:
            continue
        snapshot = row.snapshot
        if snapshot["options"]:
            right = [str(o["id"]) for o in snapshot["options"] if o["correct"]]
            wrong = [str(o["id"]) for o in snapshot["options"] if not o["correct"]]
            answers[row.position] = right if rng.random() < 0.7 else wrong[:1]
        else:
            answers[row.position] = ["需求评估" if rng.random() < 0.7 else "建立关系"]
    return answers


def scenarios(quiz) -> list[common.Scenario]:
    from assessments import grading, services
    from assessments.models import Attempt
    from lms.models import User

    rng = random.Random(11)
    rule = grading.Rule(multiple_exam_rule=True)

    def fresh_attempt(username=SUBMITTER):
        cadre = User.objects.get(username=username)
        Attempt.objects.filter(quiz=quiz, cadre=cadre, state="in_progress").delete()
        attempt = services.attempt_start(quiz=quiz, cadre=cadre)
        services.attempt_answers_save(attempt=attempt, answers=answers_for(attempt, rng))
        return attempt

    graded = fresh_attempt()
    rows = list(graded.questions.all())

    def grade_all(_state) -> None:
        for row in rows:
            grading.grader_for(row.snapshot).grade(row.snapshot, row.response, row.points, rule)

    def submit(attempt) -> None:
        if services.attempt_submit(attempt=attempt).state != "graded":
            raise common.BenchError("the attempt was not graded")

    client = common.logged_in_client(CADRE)
    open_attempt = fresh_attempt(CADRE)
    page_url = f"/quiz/attempt/{open_attempt.pk}/?page=3"
    answer_url = f"/quiz/attempt/{open_attempt.pk}/answer/"
    blank_position = next(
        row.position for row in open_attempt.questions.all() if row.type == "fill_blank"
    )
    words = iter(range(10**9))

    def page(_state) -> None:
        response = client.get(page_url)
        if response.status_code != 200 or b'name="q-11"' not in response.content:
            raise common.BenchError(f"attempt page answered {response.status_code}")

    def autosave(_state) -> None:
        response = client.post(
            answer_url, {"position": blank_position, "answer": f"答案{next(words)}"}
        )
        if response.status_code != 200:
            raise common.BenchError(f"autosave answered {response.status_code}")

    return [
        common.Scenario("grade 100 answers (graders only)", grade_all, counts_queries=False),
        common.Scenario("attempt_submit, 100 questions", submit, prepare=fresh_attempt),
        common.Scenario("GET attempt page 3 (5 questions)", page),
        common.Scenario("POST autosave one answer", autosave),
    ]


def import_scenario() -> common.Scenario:
    from assessments import importing
    from assessments.formats import gift
    from assessments.models import QuestionBank
    from lms.models import User

    lecturer = User.objects.get(username="lecturer_liu")
    data = gift.write(question_records(IMPORT_COUNT, random.Random(3)))
    banks = iter(range(10**6))

    def prepare():
        return QuestionBank.objects.create(name=f"导入基准{next(banks)}", owner=lecturer)

    def action(bank) -> None:
        records = gift.parse(data)
        if importing.questions_import(bank=bank, records=records, by=lecturer) != IMPORT_COUNT:
            raise common.BenchError("not every question was imported")

    print(f"GIFT file: {IMPORT_COUNT} questions, {len(data) / 1024:.0f} KB")
    return common.Scenario(
        f"import {IMPORT_COUNT} GIFT questions", action, prepare=prepare, counts_queries=False
    )


PREP_BANK = 10_000


def prep_world():
    """The 10,000-question bank, its subject and paper, and a cadre's 2,000 answered items."""
    import datetime

    from django.utils import timezone

    from assessments import formats, importing, prep_services
    from assessments.formats import OptionData, QuestionData
    from assessments.models import (
        ExamSubject,
        KnowledgeStat,
        NotebookItem,
        PaperSection,
        Question,
        QuestionBank,
        QuestionCategory,
    )
    from lms.models import User

    lecturer = User.objects.get(username="lecturer_liu")
    rng = random.Random(5)
    records = []
    for number in range(PREP_BANK):
        kind = formats.MULTIPLE if number % 4 == 0 else formats.SINGLE
        right = {0, 2, 3} if kind == formats.MULTIPLE else {number % 4}
        size = 5 if kind == formats.MULTIPLE else 4
        records.append(
            QuestionData(
                type=kind,
                stem=f"（{number}）关于社会工作实务的下列说法，正确的是（　）",
                options=[OptionData(f"选项{i}", i in right) for i in range(size)],
                category=["综合能力", f"第{number % 10 + 1}章", f"知识点{number % 100}"],
                explanation="解析。",
                difficulty=1 + number % 3,
            )
        )
    bank = QuestionBank.objects.create(name="万题备考库", owner=lecturer)
    importing.questions_import(bank=bank, records=records, by=lecturer)
    subject = ExamSubject.objects.create(level="junior", name="综合能力", code="bench", bank=bank)
    root = QuestionCategory.objects.get(bank=bank, depth=1)
    PaperSection.objects.bulk_create(
        [
            PaperSection(subject=subject, position=1, title="单项选择题", question_type="single",
                         category=root, count=60, points=1),
            PaperSection(subject=subject, position=2, title="多项选择题", question_type="multiple",
                         category=root, count=20, points=2),
        ]
    )  # fmt: skip
    prep_services.exam_subject_sync(subject=subject)
    cadre = User.objects.get(username=SUBMITTER)
    answered = rng.sample(list(bank.questions.values_list("pk", flat=True)), 2000)
    today = timezone.localdate()
    overdue, later = today - datetime.timedelta(days=1), today + datetime.timedelta(days=3)
    NotebookItem.objects.bulk_create(
        NotebookItem(
            cadre=cadre,
            question_id=pk,
            box=1 + i % 5,
            wrong_count=1,
            due_on=overdue if i < 300 else later,
        )
        for i, pk in enumerate(answered[:1200])
    )  # fmt: skip
    KnowledgeStat.objects.bulk_create(
        KnowledgeStat(cadre=cadre, category=category, answered=20, correct=rng.randrange(21))
        for category in QuestionCategory.objects.filter(bank=bank, depth=3)
    )
    assert Question.objects.filter(bank=bank).count() == PREP_BANK
    return subject, cadre


def prep_scenarios(subject, cadre) -> list[common.Scenario]:
    from assessments import prep_services, services
    from assessments.models import Attempt

    def clear():
        Attempt.objects.filter(quiz__exam_subject=subject, cadre=cadre).delete()

    def mock(_state) -> None:
        attempt = prep_services.mock_start(subject=subject, cadre=cadre)
        if attempt.questions.count() != 80:
            raise common.BenchError("the mock paper does not have 80 questions")

    mock_quiz = subject.quizzes.get(mode="mock")
    rng = random.Random(13)

    def assemble(_state) -> None:
        drawn = services.quiz_draw(mock_quiz, rng)
        papers = [
            services.question_snapshot(data, shuffle_options=True, rng=rng) for data, _ in drawn
        ]
        if len(papers) != 80:
            raise common.BenchError("the mock paper does not have 80 questions")

    def daily(_state) -> None:
        if len(prep_services.daily_questions(subject=subject, cadre=cadre)) != 10:
            raise common.BenchError("the daily set is not 10 questions")

    return [
        common.Scenario("assemble mock paper from 10,000 questions", assemble),
        common.Scenario("start mock exam (assemble + save 80 rows)", mock, prepare=clear),
        common.Scenario("daily set, 2,000 answered items", daily),
    ]


TARGETS = {
    "grade 100 answers (graders only)": ("p95", 10.0),
    "POST autosave one answer": ("p95", 20.0),
    f"import {IMPORT_COUNT} GIFT questions": ("p95", 2000.0),
    "assemble mock paper from 10,000 questions": ("p95", 50.0),
    "daily set, 2,000 answered items": ("p95", 20.0),
}


def run(args) -> None:
    common.migrate_and_seed()
    quiz = build_quiz()
    subject, cadre = prep_world()
    common.vacuum_analyze()
    common.print_header(args)
    every = scenarios(quiz) + prep_scenarios(subject, cadre)
    results = list(common.measure(every, rounds=args.rounds, warmup=args.warmup).values())
    rounds = max(3, args.rounds // 6)
    results += list(common.measure([import_scenario()], rounds=rounds, warmup=1).values())
    common.print_table(results)
    for result in results:
        if result.name in TARGETS:
            which, limit = TARGETS[result.name]
            value = getattr(result, which)
            verdict = "met" if value <= limit else "MISSED"
            print(f"{result.name}: {which} {value:.1f} ms, target ≤ {limit:.0f} ms — {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = common.argument_parser(__doc__.splitlines()[0])
    return common.run_in_throwaway_database(common.parse_args(parser, argv), run)


if __name__ == "__main__":
    sys.exit(main())
