"""A cadre prepares for the social-work exam on a phone: a chapter drill, a full 初级 综合能力
mock (its time shortened by configuration), the scored result with the partial-credit rule,
the missed questions in the notebook, and those questions back in a later review."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments import importing
from assessments.demo import EXAM_FOLDER
from assessments.models import Attempt, ExamSubject, NotebookItem, PaperSection, QuestionBank
from assessments.prep_services import exam_subject_sync

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def junior(people):
    """社会工作综合能力（初级）from the demo bank: 60 single × 1 + 20 multiple × 2, 5 minutes."""
    bank = QuestionBank.objects.create(name="社会工作综合能力（初级）", owner=people.lecturer)
    records = importing.parse((EXAM_FOLDER / "zh_cj.gift").read_bytes(), "gift")
    importing.questions_import(bank=bank, records=records, by=people.lecturer)
    subject = ExamSubject.objects.create(
        level=ExamSubject.Level.JUNIOR, name=bank.name, code="zh-cj", bank=bank,
        time_limit_minutes=5,
    )  # fmt: skip
    root = bank.categories.get(depth=1)
    for position, (title, kind, count, points) in enumerate(
        [("单项选择题", "single", 60, 1), ("多项选择题", "multiple", 20, 2)], start=1
    ):
        PaperSection.objects.create(
            subject=subject, position=position, title=title, question_type=kind,
            category=root, count=count, points=points,
        )  # fmt: skip
    exam_subject_sync(subject=subject)
    return subject


def choose(phone, row, texts):
    """Clicks the options of an attempt row whose text is in `texts`."""
    for option in row.snapshot["options"]:
        if option["text"] in texts:
            phone.locator(f"#q{row.position} input[value='{option['id']}']").check()


def test_cadre_prepares_for_the_exam(live_server, phone, people, junior):
    log_in(phone, live_server.url, people.cadre)
    phone.get_by_role("link", name="考试备考").click()
    phone.get_by_role("link", name="社会工作综合能力（初级）").click()

    # a chapter drill: one question, checked at once, with its explanation
    phone.locator(".chapter-list li", has_text="社会工作价值观与专业伦理").get_by_role(
        "button", name="练习"
    ).click()
    drill = Attempt.objects.get(quiz__mode="drill")
    first = drill.questions.get(position=1)
    right = {o["text"] for o in first.snapshot["options"] if o["correct"]}
    choose(phone, first, right)
    phone.get_by_role("button", name="核对答案").click()
    expect(phone.get_by_text("回答正确")).to_be_visible()
    expect(phone.locator(".explanation")).to_contain_text(first.snapshot["explanation"][:10])

    # the full mock: 80 questions, timed by the server
    phone.goto(f"{live_server.url}/exam/{junior.code}/")
    phone.get_by_role("button", name="开始模拟考试").click()
    expect(phone.get_by_text("剩余时间")).to_be_visible()
    mock = Attempt.objects.get(quiz__mode="mock")
    assert mock.questions.count() == 80 and mock.max_score == 100
    rows = {row.position: row for row in mock.questions.all()}
    for position in range(1, 11):  # page 1: three right, seven wrong
        options = rows[position].snapshot["options"]
        wanted = [o["text"] for o in options if o["correct"] == (position <= 3)][:1]
        choose(phone, rows[position], wanted)
    phone.get_by_role("button", name="7", exact=True).click()  # the page of multiples
    # incomplete: two right options of a question with three or four, no wrong one (the
    # bank has only three two-answer multiples, so page 7 always offers such a question)
    multiple = next(
        rows[p] for p in range(61, 71)
        if sum(o["correct"] for o in rows[p].snapshot["options"]) >= 3
    )  # fmt: skip
    right_options = [o["text"] for o in multiple.snapshot["options"] if o["correct"]]
    choose(phone, multiple, right_options[:2])
    phone.get_by_role("button", name="完成答题…").click()
    phone.get_by_role("button", name="全部提交并结束").click()

    # the result: 3 + 2 × 0.5 = 4 of 100, by part, below the pass line
    expect(phone.locator("[data-score]")).to_have_text("4 / 100")
    breakdown = phone.locator(".breakdown")
    expect(breakdown).to_contain_text("单项选择题")
    expect(breakdown.locator("tr", has_text="多项选择题")).to_contain_text("1 / 40")
    expect(phone.get_by_text("不及格")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"

    # the notebook holds the eight questions answered wrongly or incompletely
    phone.get_by_role("link", name="错题本").first.click()
    missed = {rows[p].snapshot["question_id"] for p in range(4, 11)} | {
        multiple.snapshot["question_id"]
    }
    assert set(NotebookItem.objects.values_list("question_id", flat=True)) == missed
    expect(phone.locator(".notebook li")).to_have_count(8)

    # some days later they are due, and the review asks them again
    NotebookItem.objects.update(due_on=timezone.localdate())
    phone.goto(f"{live_server.url}/exam/{junior.code}/")
    phone.get_by_role("button", name="复习 8 道到期错题").click()
    review = Attempt.objects.get(quiz__mode="review")
    asked = set(review.questions.values_list("question_id", flat=True))
    assert asked == missed
    stem = review.questions.get(position=1).snapshot["stem"]
    expect(phone.locator("#q1 .stem")).to_contain_text(stem[:12])
    assert review.questions.count() == 8
