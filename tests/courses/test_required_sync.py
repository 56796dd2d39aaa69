"""Required courses are assigned when requirements change, when a required course is
published and when a cadre logs in — never by opening a page."""

import pytest
from django.utils import timezone

from courses import services
from courses.models import Enrollment, TrainingRequirement
from courses.tasks import required_enrollments_sync_all

from ..factories import make_cadre

pytestmark = pytest.mark.django_db


def required(cadre):
    return set(
        Enrollment.objects.filter(cadre=cadre, source=Enrollment.Source.REQUIRED).values_list(
            "course_id", flat=True
        )
    )


@pytest.fixture
def east_requirement(tree):
    return TrainingRequirement.objects.create(
        name="年度学习", year=timezone.localdate().year, organization=tree.east, total_hours=32
    )


def test_a_requirement_reaches_everyone_it_covers_once(people, tree, course, east_requirement):
    """The street's subtree, narrowed by position: the sibling street's cadre is untouched."""
    east_requirement.required_courses.add(course)
    assert services.requirement_enrollments_sync(requirement=east_requirement) == 2
    assert required(people.cadre) == required(people.sakura_cadre) == {course.pk}
    assert required(people.xinhua_cadre) == set()
    assert services.requirement_enrollments_sync(requirement=east_requirement) == 0

    east_requirement.positions = ["secretary"]
    east_requirement.save()
    newcomer = make_cadre(tree.branch, username="new", mobile="13800000077")
    assert services.requirement_enrollments_sync(requirement=east_requirement) == 0
    assert required(newcomer) == set()  # a grid worker, not a secretary


def test_adding_courses_to_a_requirement_assigns_them(
    people, course, east_requirement, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        east_requirement.required_courses.add(course)
    assert required(people.cadre) == {course.pk}


def test_publishing_a_required_course_assigns_it(
    people, course, east_requirement, django_capture_on_commit_callbacks
):
    course.unpublish()
    east_requirement.required_courses.add(course)
    services.requirement_enrollments_sync(requirement=east_requirement)
    assert required(people.cadre) == set()  # not while it is unpublished
    with django_capture_on_commit_callbacks(execute=True):
        course.save_revision().publish()
    assert required(people.cadre) == {course.pk}


def test_logging_in_assigns_and_opening_pages_does_not(client, people, course, east_requirement):
    east_requirement.required_courses.add(course)  # its on-commit sync never runs here
    client.force_login(people.sakura_cadre)
    assert required(people.sakura_cadre) == {course.pk}
    other = client.__class__()
    other.cookies = client.cookies  # the same browser, already logged in: no login signal
    Enrollment.objects.all().delete()
    assert other.get("/").status_code == 200
    assert not Enrollment.objects.exists()


def test_the_nightly_job_covers_this_years_requirements(people, course, east_requirement):
    east_requirement.required_courses.add(course)
    assert required_enrollments_sync_all() == 2
    assert required_enrollments_sync_all() == 0
