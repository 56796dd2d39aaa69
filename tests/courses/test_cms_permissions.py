"""Who may author courses in the Wagtail admin, and how a lecturer's course reaches the site."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import GroupPagePermission, Page, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from courses.models import CourseIndexPage, CoursePage, LessonPage
from courses.wagtail_hooks import COURSE_MODERATORS_GROUP

from ..factories import make_lecturer

pytestmark = pytest.mark.django_db

REFUSAL = "You can add lessons only to courses you own."


@pytest.fixture
def catalogue():
    """The catalogue page the migration created."""
    return CourseIndexPage.objects.get()


@pytest.fixture
def other_lecturer(people):
    return make_lecturer(username="lecturer2", name="李老师", mobile="13800000021")


@pytest.fixture
def course(catalogue, people):
    """A published course owned by `people.lecturer`."""
    page = CoursePage(
        title="社区议事协商实务",
        slug="yishi",
        summary="议事规则与协商流程。",
        owner=people.lecturer,
    )
    catalogue.add_child(instance=page)
    page.save_revision(user=people.lecturer).publish()
    return page


@pytest.fixture
def own_lesson(catalogue, other_lecturer):
    """A draft lesson in a course of `other_lecturer`."""
    own = CoursePage(title="自己的课程", slug="own", summary="…", owner=other_lecturer)
    catalogue.add_child(instance=own)
    lesson = LessonPage(title="第一讲", slug="l1", owner=other_lecturer, live=False)
    own.add_child(instance=lesson)
    return lesson


def as_user(client, user):
    client.force_login(user)
    return client


def course_form(title="网格化服务与管理", slug="wangge", **extra):
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "summary": "网格员的日常走访、信息采集与矛盾化解。",
            "delivery_form": CoursePage.DeliveryForm.ONLINE,
            "credit_hours": "",
            "comments": inline_formset([]),
            **extra,
        }
    )


def lesson_form(title="第一讲 走访台账", slug="lesson-1", **extra):
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "duration_minutes": 20,
            "required": "on",
            "body": streamfield([]),
            "comments": inline_formset([]),
            **extra,
        }
    )


def add_url(model, parent):
    return f"/cms/pages/add/courses/{model}/{parent.pk}/"


def refusal_text():
    with translation.override("zh-hans"):
        return gettext(REFUSAL)


def test_migration_sets_up_catalogue_permissions_and_workflow(catalogue):
    """The catalogue hangs below home; lecturers may add there, moderators also change/publish."""
    assert catalogue.title == "课程中心"
    assert catalogue.url_path == "/home/courses/"
    assert catalogue.live
    assert Page.find_problems() == ([], [], [], [], [])

    def codenames(group_name):
        return set(
            GroupPagePermission.objects.filter(group__name=group_name, page=catalogue).values_list(
                "permission__codename", flat=True
            )
        )

    assert codenames("Lecturers") == {"add_page"}
    assert codenames(COURSE_MODERATORS_GROUP) == {"add_page", "change_page", "publish_page"}
    moderators = Group.objects.get(name=COURSE_MODERATORS_GROUP)
    assert moderators.permissions.filter(codename="access_admin").exists()

    workflow = catalogue.get_workflow()
    assert workflow.name == "课程发布审核"
    [task] = workflow.tasks.specific()
    assert task.name == "组织部审核"
    assert list(task.groups.all()) == [moderators]


def test_lecturer_opens_the_add_course_form(client, people, catalogue):
    """A lecturer gets the new-course form under the catalogue."""
    response = as_user(client, people.lecturer).get(add_url("coursepage", catalogue))
    assert response.status_code == 200


def test_lecturer_submits_a_course_for_moderation(client, people, catalogue):
    """Submitting a new course starts the workflow; the course stays a draft they own."""
    response = as_user(client, people.lecturer).post(
        add_url("coursepage", catalogue), course_form(**{"action-submit": "submit"})
    )
    assert response.status_code == 302

    course = CoursePage.objects.get(slug="wangge")
    assert course.owner == people.lecturer
    assert not course.live
    state = WorkflowState.objects.for_instance(course).get()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.requested_by == people.lecturer
    assert course.current_workflow_task.name == "组织部审核"


def test_lecturer_cannot_publish_directly(client, people, catalogue):
    """ "Publish" in a lecturer's POST is ignored: the course is saved as a draft only."""
    as_user(client, people.lecturer).post(
        add_url("coursepage", catalogue), course_form(**{"action-publish": "publish"})
    )
    course = CoursePage.objects.get(slug="wangge")
    assert not course.live
    assert not WorkflowState.objects.for_instance(course).exists()


def test_other_lecturer_cannot_edit_the_course(client, course, other_lecturer):
    """Another lecturer asking for the edit form is sent to the dashboard (Wagtail's refusal)."""
    response = as_user(client, other_lecturer).get(f"/cms/pages/{course.pk}/edit/")
    assert response.status_code == 302
    assert response.url == "/cms/"
    assert len(list(get_messages(response.wsgi_request))) == 1

    response = client.post(f"/cms/pages/{course.pk}/edit/", course_form(title="改掉"))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "社区议事协商实务"


def test_other_lecturer_cannot_add_a_lesson(client, course, other_lecturer):
    """Another lecturer is sent back to the course listing with an error; no lesson is made."""
    # Wagtail alone would allow it: add_page on the catalogue reaches every course below.
    assert course.permissions_for_user(other_lecturer).can_add_subpage()
    client = as_user(client, other_lecturer)
    form = client.get(add_url("lessonpage", course))
    assert form.status_code == 302
    assert form.url == f"/cms/pages/{course.pk}/"
    assert [m.message.strip() for m in get_messages(form.wsgi_request)] == [refusal_text()]

    response = client.post(add_url("lessonpage", course), lesson_form())
    assert response.status_code == 302
    assert not LessonPage.objects.exists()


def test_other_lecturer_cannot_move_a_lesson_into_the_course(
    client, course, other_lecturer, own_lesson
):
    """Moving one's own lesson into someone else's course is refused as well."""
    own_course = own_lesson.get_parent()
    assert own_lesson.permissions_for_user(other_lecturer).can_move_to(course)  # by Wagtail alone

    client = as_user(client, other_lecturer)
    response = client.post(f"/cms/pages/{own_lesson.pk}/move/{course.pk}/confirm/")
    assert response.status_code == 302
    assert [m.message.strip() for m in get_messages(response.wsgi_request)] == [refusal_text()]
    own_lesson.refresh_from_db()
    assert own_lesson.get_parent().pk == own_course.pk


def test_other_lecturer_cannot_copy_a_lesson_into_the_course(
    client, course, other_lecturer, own_lesson
):
    """Copying one's own lesson into someone else's course is refused."""
    response = as_user(client, other_lecturer).post(
        f"/cms/pages/{own_lesson.pk}/copy/",
        {"new_title": "第一讲（副本）", "new_slug": "l1-copy", "new_parent_page": course.pk},
    )
    assert response.status_code == 302
    assert [m.message.strip() for m in get_messages(response.wsgi_request)] == [refusal_text()]
    assert not course.get_children().exists()


def test_other_lecturer_cannot_bulk_move_a_lesson_into_the_course(
    client, course, other_lecturer, own_lesson
):
    """The bulk "move" action is refused the same way."""
    response = as_user(client, other_lecturer).post(
        f"/cms/bulk/wagtailcore/page/move/?id={own_lesson.pk}", {"chooser": course.pk}
    )
    assert response.status_code == 302
    assert [m.message.strip() for m in get_messages(response.wsgi_request)] == [refusal_text()]
    assert not course.get_children().exists()


def test_add_child_page_is_hidden_on_others_courses(client, course, other_lecturer, people):
    """The catalogue listing's row menu offers "Add child page" for one's own course only."""
    # With a lesson in it the course row links to its lessons; a childless course row shows
    # Wagtail's own "+" link, which no hook can remove (the create view still refuses).
    course.add_child(instance=LessonPage(title="第一讲", slug="l1", owner=people.lecturer))
    add_subpage = f"/cms/pages/{course.pk}/add_subpage/"
    theirs = as_user(client, other_lecturer).get(f"/cms/pages/{course.get_parent().pk}/")
    assert theirs.status_code == 200
    assert add_subpage not in theirs.content.decode()

    client.logout()
    own = as_user(client, people.lecturer).get(f"/cms/pages/{course.get_parent().pk}/")
    assert add_subpage in own.content.decode()


def test_owner_adds_a_lesson(client, people, course):
    """The course's owner creates a lesson in it (saved as a draft)."""
    client = as_user(client, people.lecturer)
    assert client.get(add_url("lessonpage", course)).status_code == 200
    response = client.post(add_url("lessonpage", course), lesson_form())
    assert response.status_code == 302
    lesson = LessonPage.objects.get()
    assert lesson.get_parent().pk == course.pk
    assert lesson.owner == people.lecturer
    assert not lesson.live


def test_moderator_adds_a_lesson_to_any_course(client, people, course):
    """A course moderator is not bound to ownership."""
    moderator = make_lecturer(username="moderator", mobile="13800000022")
    moderator.groups.add(Group.objects.get(name=COURSE_MODERATORS_GROUP))
    response = as_user(client, moderator).post(add_url("lessonpage", course), lesson_form())
    assert response.status_code == 302
    assert LessonPage.objects.get().get_parent().pk == course.pk


@pytest.mark.parametrize("who", ["cadre", "east_secretary"])
def test_cadres_and_secretaries_get_no_cms(client, people, who):
    """Neither a cadre nor a secretary enters the Wagtail admin."""
    response = as_user(client, getattr(people, who)).get("/cms/")
    assert response.status_code == 302
    assert response.url.startswith("/cms/login/")
    assert as_user(client, getattr(people, who)).get("/cms/pages/").status_code == 302


def test_admin_approval_publishes_the_course(client, people, catalogue):
    """The admin approves the moderation task and the course goes live."""
    as_user(client, people.lecturer).post(
        add_url("coursepage", catalogue), course_form(**{"action-submit": "submit"})
    )
    course = CoursePage.objects.get(slug="wangge")
    task_state = course.current_workflow_task_state
    client.logout()

    response = as_user(client, people.admin).post(
        f"/cms/pages/workflow/action/{course.pk}/approve/{task_state.pk}/", {"comment": ""}
    )
    assert response.status_code in (200, 302)

    course.refresh_from_db()
    assert course.live
    assert not course.has_unpublished_changes
    state = WorkflowState.objects.for_instance(course).get()
    assert state.status == WorkflowState.STATUS_APPROVED


def test_task_api_approval_publishes_the_course(client, people, catalogue):
    """Approving through Wagtail's task API has the same effect."""
    as_user(client, people.lecturer).post(
        add_url("coursepage", catalogue), course_form(**{"action-submit": "submit"})
    )
    course = CoursePage.objects.get(slug="wangge")
    task_state = course.current_workflow_task_state
    task_state.task.specific.on_action(task_state, people.admin, "approve")
    course.refresh_from_db()
    assert course.live
