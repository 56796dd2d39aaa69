"""A class at the street's service centre: the organizer puts the rotating QR code on the
screen, a cadre scans it with a logged-out phone, logs in and is checked in; a forwarded old
code is refused as expired; closing the class puts the hours on the cadre's hours bar."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import TrainingRequirement
from offline import tokens
from offline.models import OfflineSession

from ..factories import PASSWORD
from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def desk(browser):
    """The organizer's laptop, driving the screen at the venue."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def running_class(people, tree):
    """A 4-hour class of the east street that began five minutes ago; 10 hours required."""
    TrainingRequirement.objects.create(
        name="年度学习", year=timezone.localdate().year, organization=tree.east, total_hours=10
    )
    starts = timezone.now() - datetime.timedelta(minutes=5)
    return OfflineSession.objects.create(
        title="基层治理能力提升培训班",
        kind=OfflineSession.Kind.TRAINING_CLASS,
        organization=tree.east,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        place="东湖街道党群服务中心",
        hours=Decimal("4"),
        created_by=people.east_secretary,
    )


def test_scan_check_in_and_credit(live_server, desk, phone, people, running_class, tmp_path):
    """Screen → scan → login → checked in; an old code → expired; close → hours on the bar."""
    base = live_server.url
    log_in(desk, base, people.east_secretary)
    desk.goto(f"{base}/sessions/{running_class.pk}/roster/")
    desk.locator("#open-checkin-screen").click()
    qr = desk.locator("#checkin-qr")
    url = qr.get_attribute("data-url")
    assert url.startswith(f"{base}/sessions/checkin/")

    # what a phone camera reads from the screen is that same URL
    qr.screenshot(path=tmp_path / "qr.png")
    read = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True
    )
    assert read.stdout.strip() == url

    # the logged-out phone opens it, logs in, and lands on its check-in
    phone.goto(url)
    phone.get_by_label("手机号或用户名").fill(people.cadre.mobile)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator(".checked-in")).to_have_attribute("data-status", "present")

    # the screen's script fetches fresh codes, with the count
    code = desk.evaluate(
        "url => fetch(url).then(r => r.json())", f"/sessions/{running_class.pk}/checkin-code/"
    )
    # (a code is stamped to the second, so one fetched in the same second may equal the first)
    assert code["present"] == 1 and code["url"].startswith(f"{base}/sessions/checkin/")

    # a code photographed two minutes ago and forwarded no longer works
    old = tokens.checkin_token(running_class.pk, now=timezone.now() - datetime.timedelta(minutes=2))
    response = phone.goto(f"{base}/sessions/checkin/{old}/")
    assert response.status == 410
    expect(phone.locator("[data-refusal=expired]")).to_be_visible()

    # the organizer closes the class; the hours reach the cadre's bar
    desk.goto(f"{base}/sessions/{running_class.pk}/roster/")
    expect(desk.locator(".attendance-status[data-status=present]")).to_have_count(1)
    desk.locator("#close-session button").click()
    expect(desk.locator("#session-closed")).to_be_visible()
    phone.goto(base + "/")
    expect(phone.locator(".hours-line")).to_contain_text("4 / 10")
    expect(phone.locator("#hours-progress")).to_have_attribute("aria-valuenow", "40")
