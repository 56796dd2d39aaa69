"""Catalogue, course, lesson and 我的学习 pages: Chinese search, requirements, query counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from courses import services
from courses.models import Enrollment, LessonProgress, TrainingRequirement

from ..queries import page_queries
from .conftest import lessons_of, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def requirement(tree, course):
    """2026 for the whole east street: 32 hours, 20 online, the course required."""
    requirement = TrainingRequirement.objects.create(
        name="党员年度学习", year=2026, organization=tree.east, total_hours=32, online_hours=20
    )
    requirement.required_courses.add(course)
    return requirement


class TestRequirements:
    def test_requirement_covers_the_subtree_and_assigns_required_courses(
        self, people, course, requirement
    ):
        """Cadres below the organization get the course assigned once; others do not."""
        assert services.required_enrollments_sync(cadre=people.cadre, year=2026) == 1
        assert services.required_enrollments_sync(cadre=people.cadre, year=2026) == 0
        assert services.required_enrollments_sync(cadre=people.xinhua_cadre, year=2026) == 0
        enrollment = Enrollment.objects.get(cadre=people.cadre)
        assert enrollment.source == Enrollment.Source.REQUIRED

    def test_positions_and_member_types_narrow_a_requirement(self, people, requirement):
        """A requirement for secretaries only does not apply to a grid worker."""
        from courses.selectors import requirement_for

        requirement.positions = ["secretary"]
        requirement.save()
        assert requirement_for(people.cadre, 2026).total_hours == 0
        requirement.positions = ["grid_worker"]
        requirement.member_types = ["retired"]
        requirement.save()
        assert requirement_for(people.cadre, 2026).total_hours == Decimal("32")

    def test_unpublished_required_courses_are_not_assigned(self, people, course, requirement):
        """A required course taken offline is not assigned."""
        course.unpublish()
        assert services.required_enrollments_sync(cadre=people.cadre, year=2026) == 0


class TestCatalogue:
    def test_chinese_search_finds_courses_and_lessons(self, client, catalogue, course):
        """Searching 协商 finds the course through its lesson text, and the lessons."""
        make_course(catalogue, title="网格化管理实务", slug="wgh")
        response = client.get(catalogue.url, {"q": "协商"})
        titles = [c.title for c in response.context["courses"]]
        assert "党建引领社区治理的路径" in titles
        assert len(response.context["matching_lessons"]) == 4  # two lessons in each course
        response = client.get(catalogue.url, {"q": "社区治理 路径"})
        assert [c.title for c in response.context["courses"]] == ["党建引领社区治理的路径"]
        assert (
            client.get(catalogue.url, {"q": "不存在的词"}).context["courses"].paginator.count == 0
        )

    def test_category_filter(self, client, catalogue, course):
        """Choosing a category lists only its courses."""
        make_course(catalogue, title="网格化管理实务", slug="wgh")
        response = client.get(catalogue.url, {"category": course.category_id})
        assert [c.title for c in response.context["courses"]] == [course.title]

    def test_catalogue_marks_required_and_enrolled(
        self, client, people, catalogue, course, requirement
    ):
        """A cadre sees which courses are required for them and which they are in."""
        client.force_login(people.cadre)
        services.enrollment_create(cadre=people.cadre, course=course)
        text = client.get(catalogue.url).content.decode()
        assert "必修" in text and "已报名" in text

    def test_catalogue_query_count_is_flat(self, client, people, catalogue, course):
        """Twenty more courses (a full page) cost no extra queries."""
        client.force_login(people.cadre)
        client.get(catalogue.url)
        small = page_queries(client, catalogue.url)
        for n in range(20):
            make_course(catalogue, title=f"课程{n}", slug=f"c{n}", lessons=(5,), optional=0)
        assert page_queries(client, catalogue.url) == small


class TestCourseAndLesson:
    def test_enroll_then_lessons_show_status(self, client, people, course):
        """Enrolling from the course page; done lessons are marked."""
        client.force_login(people.cadre)
        assert "报名学习" in client.get(course.url).content.decode()
        assert client.post(f"/learn/courses/{course.pk}/enroll/").status_code == 302
        first = lessons_of(course)[0]
        for t in range(0, 301, 15):
            services.lesson_heartbeat(
                cadre=people.cadre,
                lesson=first,
                session_key="s",
                visible=True,
                now=timezone.now() + datetime.timedelta(seconds=t),
            )
        response = client.get(course.url)
        assert response.context["done_count"] == 1 and response.context["percent"] == 50
        assert "继续学习" in response.content.decode()

    def test_enrolling_in_unpublished_or_missing_courses_is_404(self, client, people, course):
        """An unpublished or unknown course cannot be enrolled in."""
        client.force_login(people.cadre)
        course.unpublish()
        assert client.post(f"/learn/courses/{course.pk}/enroll/").status_code == 404
        assert client.post("/learn/courses/999999/enroll/").status_code == 404
        assert not Enrollment.objects.exists()

    def test_lessons_need_a_login(self, client, course):
        """An anonymous visitor is sent to log in."""
        response = client.get(lessons_of(course)[0].url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    def test_lesson_page_resumes_and_links_on(self, client, people, course):
        """The lesson page carries the heartbeat address and the next lesson."""
        client.force_login(people.cadre)
        services.enrollment_create(cadre=people.cadre, course=course)
        first, second, _ = lessons_of(course)
        response = client.get(first.url)
        assert f"/learn/lessons/{first.pk}/heartbeat/" in response.content.decode()
        assert response.context["next_lesson"].pk == second.pk

    def test_page_query_counts_are_flat(self, client, people, catalogue, course):
        """Course, lesson and home pages cost the same with 1 or 15 courses and more credits."""
        client.force_login(people.cadre)
        services.enrollment_create(cadre=people.cadre, course=course)
        lesson = lessons_of(course)[0]
        urls = [course.url, lesson.url, "/"]
        for url in urls:
            client.get(url)
        small = [page_queries(client, url) for url in urls]
        for n in range(14):
            other = make_course(
                catalogue, title=f"课程{n}", slug=f"c{n}", lessons=(5, 5), optional=0
            )
            services.enrollment_create(cadre=people.cadre, course=other)
            services.credit_grant(
                cadre=people.cadre, kind="online_course", source=f"x:{n}", hours=Decimal("1"),
                description="x",
            )  # fmt: skip
        assert [page_queries(client, url) for url in urls] == small


class TestHeartbeatEndpoint:
    def post(self, client, lesson_pk, payload):
        return client.post(
            f"/learn/lessons/{lesson_pk}/heartbeat/",
            json.dumps(payload),
            content_type="application/json",
        )

    def test_status_codes(self, client, people, course):
        """401 logged out, 404 unknown lesson, 403 not enrolled, 400 garbage, 200 accepted."""
        lesson = lessons_of(course)[0]
        assert self.post(client, lesson.pk, {"visible": True}).status_code == 401
        client.force_login(people.cadre)
        assert self.post(client, 999999, {"visible": True}).status_code == 404
        assert self.post(client, lesson.pk, {"visible": True}).status_code == 403
        services.enrollment_create(cadre=people.cadre, course=course)
        assert self.post(client, lesson.pk, {"position": "soon"}).status_code == 400
        assert self.post(client, lesson.pk, {"position": -5}).status_code == 400
        response = self.post(client, lesson.pk, {"visible": True})
        assert response.status_code == 200
        assert response.json()["credited"] == 0  # the first beat opens the session
        assert LessonProgress.objects.get().seconds_credited == 0

    def test_second_browser_gets_409(self, client, people, course):
        """The same account in a second browser is told its time is not counted."""
        from django.test import Client

        lesson = lessons_of(course)[0]
        services.enrollment_create(cadre=people.cadre, course=course)
        client.force_login(people.cadre)
        assert self.post(client, lesson.pk, {"visible": True}).status_code == 200
        other = Client()
        other.force_login(people.cadre)
        response = self.post(other, lesson.pk, {"visible": True})
        assert response.status_code == 409
        assert "另一台设备" in response.json()["error"]


class TestMyLearning:
    def test_home_shows_hours_against_the_requirement(self, client, people, course, requirement):
        """我的学习 shows the yearly bar, the required course and recent credits."""
        services.credit_grant(
            cadre=people.cadre, kind="offline_class", source="session:1", hours=Decimal("8"),
            description="社区治理培训班", year=2026,
        )  # fmt: skip
        client.force_login(people.cadre)
        response = client.get("/")
        learning = response.context["learning"]
        assert learning["hours_total"] == Decimal("8.00")
        assert learning["hours_percent"] == 25
        assert [e.course_id for e in learning["required_enrollments"]] == [course.pk]
        text = response.content.decode()
        assert "社区治理培训班" in text and "必修课程" in text


def test_other_cadres_cannot_be_made_to_learn(people, course):
    """Services act for the given cadre only; a second cadre's progress stays untouched."""
    services.enrollment_create(cadre=people.cadre, course=course)
    with pytest.raises(services.NotEnrolled):
        services.lesson_heartbeat(
            cadre=people.sakura_cadre, lesson=lessons_of(course)[0], session_key="x", visible=True
        )
    assert not LessonProgress.objects.exists()
