"""On phones, a cadre logs a field practice with a photo, the community secretary returns it
with a comment, the cadre corrects and resubmits it, the secretary approves it, and the
hours show on the cadre's hours bar. Elements are found by ids, names and data- attributes,
as the visible labels change with the translation."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from courses.models import CreditEntry, TrainingRequirement
from lms.models import Notification
from practice.models import PracticeLog

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REFLECTION = (
    "这次入户走访让我体会到，社区工作要从居民最关心的小事做起，"
    "认真倾听、如实记录、及时反馈，才能把党组织的温暖送到每一户人家。"
)


@pytest.fixture
def secretary_phone(browser):
    """The secretary's own phone: a second browser context with its own session."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def photo_file(tmp_path):
    """A small real JPEG, as a phone's camera would give."""
    path = tmp_path / "IMG_2041.jpg"
    image = Image.new("RGB", (640, 480), (30, 120, 200))
    output = io.BytesIO()
    image.save(output, format="JPEG")
    path.write_bytes(output.getvalue())
    return path


def test_practice_log_returned_resubmitted_and_approved(
    live_server, phone, secretary_phone, people, tree, photo_file
):
    """Submit with a photo, return with a comment, resubmit, approve: 2 of 4 hours."""
    TrainingRequirement.objects.create(
        name="年度学习", year=timezone.localdate().year, organization=tree.east, total_hours=4
    )
    base = live_server.url
    log_in(phone, base, people.cadre)
    expect(phone.locator("#hours-progress")).to_have_attribute("aria-valuenow", "0")

    # the cadre writes the log on the phone, with a photo
    phone.goto(base + "/practice/")
    phone.locator("#practice-new").click()
    form = phone.locator("#practice-log-form")
    form.locator("input[name=date]").fill(timezone.localdate().isoformat())
    form.locator("select[name=activity]").select_option("home_visit")
    form.locator("input[name=place]").fill("桂花园小区3号楼")
    form.locator("input[name=hours]").fill("2")
    form.locator("textarea[name=description]").fill("走访独居老人五户。")
    form.locator("textarea[name=reflection]").fill(REFLECTION)
    form.locator("input[name=photos]").set_input_files(photo_file)
    form.locator("button[name=submit-log]").click()
    record = phone.locator(".practice-record")
    expect(record).to_have_attribute("data-status", "submitted")
    log = PracticeLog.objects.get(cadre=people.cadre)
    assert log.photos.count() == 1

    # the secretary opens it from the queue, sees the photo, and returns it
    log_in(secretary_phone, base, people.osmanthus_secretary)
    secretary_phone.goto(base + "/practice/review/")
    secretary_phone.locator(f"tr[data-record='{log.pk}'] a").click()
    thumbnail = secretary_phone.locator(".practice-photos img").first
    expect(thumbnail).to_be_visible()
    secretary_phone.wait_for_function(
        "document.querySelector('.practice-photos img').naturalWidth > 0"
    )
    secretary_phone.locator("#decline-comment").fill("请写明走访了哪几户、解决了什么问题。")
    secretary_phone.locator("button[name=decline]").click()
    secretary_phone.wait_for_url(base + "/practice/review/")

    # the cadre corrects the log and resubmits it
    phone.goto(base + f"/practice/{log.pk}/")
    expect(record).to_have_attribute("data-status", "returned")
    expect(phone.locator(".practice-history")).to_contain_text("请写明走访了哪几户")
    phone.locator("#practice-edit").click()
    form.locator("textarea[name=description]").fill("走访3号楼独居老人五户，帮助两户申请助餐服务。")
    form.locator("button[name=submit-log]").click()
    expect(record).to_have_attribute("data-status", "resubmitted")

    # the secretary approves the claimed 2 hours
    secretary_phone.goto(base + f"/practice/review/{log.pk}/")
    expect(secretary_phone.locator("#approve-hours")).to_have_value("2.0")
    secretary_phone.locator("button[name=approve]").click()
    secretary_phone.wait_for_url(base + "/practice/review/")

    entry = CreditEntry.objects.get(cadre=people.cadre)
    assert (entry.kind, entry.source, entry.hours) == ("practice", f"practice:{log.pk}", Decimal(2))
    assert Notification.objects.filter(user=people.cadre).count() == 2
    phone.goto(base + "/")
    expect(phone.locator("#hours-progress")).to_have_attribute("aria-valuenow", "50")
    expect(phone.locator(".hours-line")).to_contain_text("2 / 4")
    for page in (phone, secretary_phone):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
