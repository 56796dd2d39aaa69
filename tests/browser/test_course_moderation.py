"""A lecturer submits a course in the Wagtail admin; an admin approves it and it goes live."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import CourseIndexPage, CoursePage

from ..factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "社区议事协商实务"


@pytest.fixture
def new_desktop(browser):
    """Opens desktop-sized (1280 × 900) pages, each in a fresh context (its own cookies)."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def cms_login(page, base_url, user):
    page.goto(base_url + "/cms/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + "/cms/")


def test_lecturer_submits_and_admin_approves_a_course(live_server, new_desktop, people):
    """Submit to 课程发布审核 as the lecturer; approve from the admin's dashboard; it is live."""
    catalogue = CourseIndexPage.objects.get()

    lecturer = new_desktop()
    cms_login(lecturer, live_server.url, people.lecturer)
    lecturer.goto(f"{live_server.url}/cms/pages/{catalogue.pk}/")
    lecturer.get_by_role("link", name="添加子页面").first.click()
    lecturer.wait_for_url(re.compile(r"/cms/pages/add/courses/coursepage/\d+/$"))
    lecturer.locator("#id_title").fill(TITLE)
    lecturer.locator("#id_summary").fill("议事规则、协商流程与居民议事会的组织方法。")

    # Without publish permission the main button saves a draft; submitting is in its menu.
    lecturer.get_by_role("button", name="更多动作").click()
    lecturer.get_by_role("button", name="提交给课程发布审核").click()
    lecturer.wait_for_url(f"{live_server.url}/cms/pages/{catalogue.pk}/")

    course = CoursePage.objects.get(title=TITLE)
    assert course.owner == people.lecturer
    assert not course.live
    assert course.workflow_in_progress

    admin = new_desktop()
    cms_login(admin, live_server.url, people.admin)
    task = admin.locator("#awaiting-review-content tr").filter(has_text=TITLE)  # 等待你的审查
    task.get_by_role("button", name="动作").click()
    task.get_by_role("button", name="批准", exact=True).click()
    expect(admin.locator("#awaiting-review-content tr").filter(has_text=TITLE)).to_have_count(0)

    course.refresh_from_db()
    assert course.live
    assert not course.workflow_in_progress
