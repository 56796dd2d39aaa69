"""The demo courses: a real catalogue of Chinese lessons, built once however often seeded."""

import io
import re

import pytest
from django.core.management import call_command
from wagtail.models import Revision

from courses.models import Category, CourseIndexPage, CoursePage, LecturerProfile, LessonPage
from lms.permissions import LECTURERS_GROUP

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Category.objects.count(),
        LecturerProfile.objects.count(),
        CourseIndexPage.objects.count(),
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        CoursePage.objects.filter(lecturers__isnull=False).count(),
        Revision.objects.count(),
    )


@pytest.fixture
def seeded():
    """Seeds twice and returns the printed output of both runs and the counts after each."""
    first = seed()
    after_first = counts()
    second = seed()
    return first, after_first, second, counts()


def test_catalogue_has_courses_with_lessons(seeded):
    """At least eight live courses under one catalogue, each with three to six live lessons."""
    assert CourseIndexPage.objects.count() == 1
    catalogue = CourseIndexPage.objects.get()
    assert catalogue.live
    courses = CoursePage.objects.child_of(catalogue).live()
    assert courses.count() >= 8
    assert CoursePage.objects.count() == courses.count()
    for course in courses:
        lessons = LessonPage.objects.child_of(course).live()
        assert 3 <= lessons.count() <= 6, course.title


def test_every_lesson_has_chinese_text(seeded):
    """Every text lesson's body is Chinese text, and its plain text is filled in for search."""
    lessons = LessonPage.objects.exclude(slug="video-intro")
    assert lessons.exists()
    for lesson in lessons:
        assert [block.block_type for block in lesson.body] == ["text"], lesson.title
        assert len(CJK.findall(lesson.plain_text)) >= 100, lesson.title
        assert "<" not in lesson.plain_text, lesson.title
        assert 5 <= lesson.duration_minutes <= 45, lesson.title


def test_one_lesson_plays_a_generated_video(seeded):
    """The demo has one video lesson whose file is a real, short video."""
    lesson = LessonPage.objects.get(slug="video-intro")
    assert lesson.video is not None and 20 <= lesson.video.duration <= 30
    assert lesson.video.file.size > 10_000


def test_seeding_twice_creates_nothing_new(seeded):
    """The second run leaves every count (revisions too) as it was; same summary printed."""
    first, after_first, second, after_second = seeded
    assert after_first == after_second
    summary = [line for line in first.splitlines() if line.startswith("Courses:")]
    assert summary == [f"Courses: {after_first[3]} courses, {after_first[4]} lessons."]
    assert summary[0] in second.splitlines()


def test_every_course_has_category_and_lecturer(seeded):
    """Each course is filed under a category and taught by at least one lecturer."""
    assert set(Category.objects.values_list("name", flat=True)) >= {
        "党建理论",
        "社区治理",
        "法律法规",
        "社会工作实务",
        "群众工作",
        "应急管理",
    }
    for course in CoursePage.objects.all():
        assert course.category is not None, course.title
        assert course.lecturers.exists(), course.title
        assert CJK.search(course.summary), course.title


def test_lecturers_are_linked_to_lecturer_accounts(seeded):
    """The five lecturer profiles belong to accounts in the Lecturers group."""
    profiles = LecturerProfile.objects.select_related("user")
    assert profiles.count() == 5
    for profile in profiles:
        assert profile.user is not None, profile.name
        assert profile.user.groups.filter(name=LECTURERS_GROUP).exists(), profile.name
        assert profile.user.name == profile.name
    kinds = sorted(profiles.values_list("kind", flat=True))
    assert kinds == ["expert", "expert", "practitioner", "university", "university"]
