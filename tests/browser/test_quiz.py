"""A cadre takes a timed quiz on a phone: leaves and comes back, submits, reads the review;
and a quiz whose time runs out in the page is submitted by the clock."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Attempt

from ..assessments.conftest import SENTINEL, bank, make_quiz  # noqa: F401  (bank is a fixture)
from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def timed_quiz(people, bank):  # noqa: F811
    """Four auto-marked questions, two per page, 10 minutes; the review after the attempt
    shows correctness and marks but neither right answers nor explanations."""
    return make_quiz(
        people.lecturer,
        [bank.single, bank.multiple, bank.true_false, bank.blank],
        title="社会工作伦理小测",
        time_limit_minutes=10,
        questions_per_page=2,
    )


def seconds_shown(phone) -> int:
    """The clock as the page's script shows it (mm:ss), once the script has taken over."""
    clock = phone.locator("[data-timer-value]")
    expect(clock).to_have_text(re.compile(r"^\d+:\d\d$"))
    text = clock.inner_text()
    minutes, seconds = text.split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_cadre_takes_a_timed_quiz(live_server, phone, people, timed_quiz):
    """Start, answer with autosave, leave, return to the same answers and a running clock,
    finish, submit once, and see marks and correctness without the answer key."""
    log_in(phone, live_server.url, people.cadre)
    phone.goto(f"{live_server.url}/quiz/{timed_quiz.pk}/")
    phone.get_by_role("button", name="开始测验").click()
    expect(phone.get_by_text("剩余时间")).to_be_visible()
    first_reading = seconds_shown(phone)
    assert 9 * 60 < first_reading <= 10 * 60

    phone.get_by_text("助人自助").click()
    expect(phone.locator("#q1 [data-save-status]")).to_contain_text("已保存")
    for option in ("尊重", "保密"):  # two of the three right options
        phone.get_by_text(option, exact=True).click()
        expect(phone.locator("#q2 [data-save-status]")).to_contain_text("已保存")

    phone.goto(live_server.url + "/")  # leaves the quiz…
    phone.goto(f"{live_server.url}/quiz/{timed_quiz.pk}/")  # …and comes back
    phone.get_by_role("link", name="继续答题").click()
    expect(phone.get_by_label("助人自助")).to_be_checked()
    expect(phone.get_by_label("保密")).to_be_checked()
    expect(phone.get_by_label("案主自决")).not_to_be_checked()
    assert seconds_shown(phone) <= first_reading

    phone.get_by_role("button", name="下一页").click()
    phone.get_by_text("错误", exact=True).click()
    phone.get_by_role("textbox").fill("司法所")
    phone.get_by_role("button", name="完成答题…").click()
    expect(phone.get_by_text("全部提交并结束")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
    phone.get_by_role("button", name="全部提交并结束").click()

    expect(phone.locator("[data-score]")).to_have_text("3 / 5")  # all-or-nothing multiple
    review = phone.content()
    assert review.count("回答正确") == 3 and review.count("回答错误") == 1
    assert SENTINEL not in review and "正确答案" not in review
    attempt = Attempt.objects.get()
    assert (attempt.state, attempt.score) == ("graded", 3)

    phone.go_back()  # the summary again: a second submit changes nothing
    phone.get_by_role("button", name="全部提交并结束").click()
    expect(phone.locator("[data-score]")).to_have_text("3 / 5")
    assert Attempt.objects.get().finished_at == attempt.finished_at


def test_the_clock_submits_the_attempt(live_server, phone, people, timed_quiz):
    """When the server's deadline arrives, the page submits itself and shows the review."""
    log_in(phone, live_server.url, people.cadre)
    phone.goto(f"{live_server.url}/quiz/{timed_quiz.pk}/")
    phone.get_by_role("button", name="开始测验").click()
    phone.get_by_text("助人自助").click()
    expect(phone.locator("#q1 [data-save-status]")).to_contain_text("已保存")
    Attempt.objects.update(deadline=timezone.now() + datetime.timedelta(seconds=3))
    phone.reload()
    expect(phone.locator("[data-score]")).to_have_text("1 / 5", timeout=15_000)
    attempt = Attempt.objects.get()
    assert (
        attempt.state == "graded"
        and attempt.finished_at <= attempt.deadline + datetime.timedelta(seconds=60)
    )
