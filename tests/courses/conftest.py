"""Course fixtures: a published catalogue with one course of three lessons."""

from decimal import Decimal

import pytest
from wagtail.models import Page
from wagtail.rich_text import RichText

from courses.models import Category, CourseIndexPage, CoursePage, LessonPage


def publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def make_course(catalogue, *, title, slug, lessons=(10, 10), optional=1, **fields) -> CoursePage:
    """A published course with required lessons of the given minutes and optional ones."""
    course = publish(
        catalogue, CoursePage(title=title, slug=slug, summary=f"{title}的简介。", **fields)
    )
    for number, minutes in enumerate(lessons, start=1):
        publish(
            course,
            LessonPage(
                title=f"{title} 第{number}讲",
                slug=f"{slug}-{number}",
                duration_minutes=minutes,
                body=[
                    ("text", RichText(f"<p>{title}：社区治理与居民协商议事的第{number}讲。</p>"))
                ],
            ),
        )
    for number in range(optional):
        publish(
            course,
            LessonPage(
                title=f"{title} 拓展阅读{number + 1}",
                slug=f"{slug}-extra-{number}",
                duration_minutes=5,
                required=False,
                body=[("text", RichText("<p>拓展阅读材料。</p>"))],
            ),
        )
    return course


@pytest.fixture
def catalogue(db):
    """The course catalogue under the home page (the migration creates it when present)."""
    existing = CourseIndexPage.objects.first()
    if existing is not None:
        return existing
    home = Page.objects.get(depth=2)
    return publish(home, CourseIndexPage(title="课程中心", slug="courses"))


@pytest.fixture
def course(catalogue):
    """党建引领社区治理的路径: two required 10-minute lessons and one optional."""
    category, _ = Category.objects.get_or_create(name="社区治理")
    return make_course(catalogue, title="党建引领社区治理的路径", slug="djyl", category=category)


@pytest.fixture
def offline_course(catalogue):
    """A lecture delivered offline, worth 4 hours."""
    return make_course(
        catalogue,
        title="社区应急管理专题讲座",
        slug="yjgl",
        lessons=(30,),
        optional=0,
        delivery_form=CoursePage.DeliveryForm.LECTURE,
        credit_hours=Decimal("4"),
    )


def lessons_of(course) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))
