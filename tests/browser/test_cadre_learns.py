"""On a phone, a cadre finds a required course, watches its lesson and sees the hours bar move."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from courses.models import CreditEntry

from ..factories import PASSWORD
from .conftest import TITLE, VIDEO_SECONDS, play_video

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_cadre_completes_a_required_course_on_a_phone(
    live_server, phone, people, required_video_course
):
    """Log in, open the course from 我的学习, try to skip, watch to the end: 1 of 4 hours."""
    phone.goto(live_server.url + "/accounts/login/")
    phone.get_by_label("手机号或用户名").fill(people.cadre.mobile)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(live_server.url + "/")

    hours_bar = phone.locator("#hours-progress")
    expect(hours_bar).to_have_attribute("aria-valuenow", "0")
    phone.get_by_role("link", name=TITLE).click()  # assigned automatically, listed as required
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)

    phone.get_by_role("link", name="走进网格").first.click()
    video = phone.locator("video[data-lesson-video]")
    expect(video).to_be_visible()
    phone.wait_for_function("document.querySelector('video').readyState >= 1")
    # Dragging ahead is refused: the player jumps back to what has been watched.
    phone.evaluate("document.querySelector('video').currentTime = 3")
    expect(phone.get_by_text("未观看的部分不能跳过")).to_be_visible()
    play_video(phone)
    expect(phone.get_by_text("课程已完成")).to_be_visible(timeout=(VIDEO_SECONDS + 10) * 1000)

    entry = CreditEntry.objects.get(cadre=people.cadre)
    assert entry.hours == Decimal("1") and entry.source == f"course:{required_video_course.pk}"
    phone.goto(live_server.url + "/")
    expect(hours_bar).to_have_attribute("aria-valuenow", "25")  # 1 of 4 hours
    expect(phone.locator(".hours-line")).to_contain_text("1 / 4")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
