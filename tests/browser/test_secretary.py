"""A street secretary at a desk drills from the street to a community, keeps the cadres behind
schedule, reminds them, exports the table to Excel and opens a cadre's archive as a PDF; a
community secretary cannot reach a sibling community."""

from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from courses import services as course_services
from courses.models import CreditEntry, TrainingRequirement
from lms.models import Notification

from ..certificates.conftest import read_pdf
from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def desk(browser):
    """A secretary's desktop screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def hours(people, tree):
    """The east street asks 10 hours this year: 张秀英 has 2 (behind), the sakura cadre 12."""
    year = timezone.localdate().year
    TrainingRequirement.objects.create(
        name="年度学习", year=year, organization=tree.east, total_hours=10
    )
    for cadre, credited in [(people.cadre, "2"), (people.sakura_cadre, "12")]:
        course_services.credit_grant(
            cadre=cadre, kind=CreditEntry.Kind.OFFLINE_CLASS, source=f"class:{cadre.pk}",
            hours=Decimal(credited), description="社区治理专题培训", year=year,
        )  # fmt: skip


def test_street_secretary_follows_up_on_a_community(
    live_server, desk, people, tree, hours, tmp_path
):
    log_in(desk, live_server.url, people.east_secretary)
    desk.goto(live_server.url + "/manage/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("东湖街道党工委")
    # one of the street's two cadres meets the 10 hours
    expect(desk.locator("[data-figure=meeting]")).to_contain_text("50%")

    # drill down: the community's row links to its own workbench
    desk.locator(".drilldown").get_by_role("link", name="桂花园社区党委").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("桂花园社区党委")
    expect(desk.locator(".breadcrumbs")).to_contain_text("东湖街道党工委")

    # only those behind, then a reminder to them
    desk.get_by_label("只看学时未达标的学员").check()
    desk.get_by_role("button", name="搜索").click()
    rows = desk.locator(".cadre-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("张秀英")
    desk.get_by_role("button", name="提醒本表中学时未达标的学员").click()
    expect(desk.locator(".messages")).to_contain_text("1")
    assert Notification.objects.filter(user=people.cadre).count() == 1
    assert not Notification.objects.filter(user=people.sakura_cadre).exists()

    # the filtered table as an Excel workbook
    with desk.expect_download() as download:
        desk.get_by_role("link", name="导出名单（Excel）").click()
    workbook_path = tmp_path / "table.xlsx"
    download.value.save_as(workbook_path)
    sheet = load_workbook(workbook_path).active
    names = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert names == ["张秀英"]

    # the cadre's learning archive as a PDF
    rows.first.get_by_role("link", name="张秀英").click()
    desk.get_by_role("link", name="学习档案与年度考核").click()
    with desk.expect_download() as download:
        desk.get_by_role("link", name="下载学习档案 PDF").click()
    pdf_path = tmp_path / "archive.pdf"
    download.value.save_as(pdf_path)
    text = read_pdf(pdf_path).compact
    assert "张秀英" in text and "学习档案" in text and "社区治理专题培训" in text


def test_community_secretary_cannot_reach_a_sibling(live_server, desk, people, tree):
    log_in(desk, live_server.url, people.osmanthus_secretary)
    response = desk.goto(f"{live_server.url}/manage/org/{tree.sakura.pk}/")
    assert response.status == 404
    response = desk.goto(f"{live_server.url}/manage/cadre/{people.sakura_cadre.pk}/archive/")
    assert response.status == 404


def test_workbench_fits_a_phone(live_server, phone, people, tree, hours):
    """The street's workbench (figures, drill-down, charts, table) on a 360 px phone: wide
    tables scroll inside their frame, the page itself never sideways."""
    log_in(phone, live_server.url, people.east_secretary)
    phone.goto(f"{live_server.url}/manage/org/{tree.east.pk}/")
    expect(phone.locator("[data-figure=meeting]")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
