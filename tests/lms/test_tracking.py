"""学时完成情况 on the organization page and its Excel export: hours from the ledger against
the requirement that applies, required courses done, flat query counts, scoped access."""

from decimal import Decimal

import pytest
from django.utils import timezone

from courses import services as course_services
from courses.models import CreditEntry, Enrollment, TrainingRequirement
from lms.models import CadreProfile

from ..courses.conftest import catalogue, make_course  # noqa: F401  (catalogue: a fixture)
from ..factories import make_cadre
from ..queries import page_queries

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def grant(cadre, hours, source, *, year=YEAR, kind=CreditEntry.Kind.OFFLINE_CLASS):
    return course_services.credit_grant(
        cadre=cadre,
        kind=kind,
        source=source,
        hours=Decimal(hours),
        description="测试学时",
        year=year,
    )


def requirement(organization, hours, *, courses=(), **fields):
    created = TrainingRequirement.objects.create(
        name=f"{organization.name}年度要求",
        year=YEAR,
        organization=organization,
        total_hours=Decimal(hours),
        **fields,
    )
    created.required_courses.add(*courses)
    return created


def rows_by_user(response):
    return {membership.user_id: membership for membership in response.context["page"]}


class TestHoursOnTheOrganizationPage:
    def test_hours_are_the_ledger_sum_of_the_year_with_reversals(self, client, people, tree):
        requirement(tree.east, "32")
        grant(people.cadre, "10", "class:1")
        reversed_entry = grant(people.cadre, "4.5", "class:2")
        course_services.credit_reverse(entry=reversed_entry, reason="误录", reversed_by=None)
        grant(people.cadre, "2.5", "class:3")
        grant(people.cadre, "7", "class:old", year=YEAR - 1)  # another year: not counted
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        row = rows_by_user(response)[people.cadre.pk]
        ledger = sum(
            CreditEntry.objects.filter(cadre=people.cadre, year=YEAR).values_list(
                "hours", flat=True
            )
        )
        assert row.hours == ledger == Decimal("12.5")
        assert row.required_hours == Decimal("32")
        assert "12.5 / 32" in response.content.decode()
        assert 'role="progressbar"' in response.content.decode()

    def test_the_requirement_applies_per_subtree_and_position(self, client, people, tree):
        requirement(tree.district, "12")
        requirement(tree.osmanthus, "20")
        requirement(tree.east, "50", positions=[CadreProfile.Position.SECRETARY])
        client.force_login(people.admin)
        rows = rows_by_user(client.get(f"/manage/org/{tree.district.pk}/"))
        assert rows[people.cadre.pk].required_hours == Decimal("20")  # branch under 桂花园
        assert rows[people.sakura_cadre.pk].required_hours == Decimal("12")
        assert rows[people.xinhua_cadre.pk].required_hours == Decimal("12")

    def test_no_requirement_shows_a_dash(self, client, people, tree):
        requirement(tree.south, "12")
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        row = rows_by_user(response)[people.cadre.pk]
        assert row.required_hours is None and not row.is_behind
        assert "0 / —" in response.content.decode()

    def test_required_courses_done_of_total(self, client, people, tree, catalogue):  # noqa: F811
        first = make_course(catalogue, title="社区治理", slug="zl")
        second = make_course(catalogue, title="应急管理", slug="yj")
        optional = make_course(catalogue, title="选修课", slug="xx")
        requirement(tree.east, "32", courses=[first, second])
        now = timezone.now()
        Enrollment.objects.create(cadre=people.cadre, course=first, completed_at=now)
        Enrollment.objects.create(cadre=people.cadre, course=second)
        Enrollment.objects.create(cadre=people.cadre, course=optional, completed_at=now)
        Enrollment.objects.create(cadre=people.sakura_cadre, course=second, completed_at=now)
        client.force_login(people.east_secretary)
        rows = rows_by_user(client.get(f"/manage/org/{tree.east.pk}/"))
        assert (rows[people.cadre.pk].required_done, rows[people.cadre.pk].required_total) == (1, 2)
        assert rows[people.sakura_cadre.pk].required_done == 1

    def test_behind_filter_keeps_only_cadres_below_their_requirement(self, client, people, tree):
        requirement(tree.osmanthus, "20")
        requirement(tree.east, "8", member_types=[CadreProfile.MemberType.RETIRED])
        grant(people.cadre, "10", "class:1")  # 20 required (strictest): behind
        grant(people.sakura_cadre, "9", "class:1")  # 8 required: done
        no_requirement = make_cadre(tree.sakura, mobile="13900000001")
        CadreProfile.objects.filter(user=no_requirement).update(
            member_type=CadreProfile.MemberType.STAFF
        )
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/?behind=1")
        assert list(rows_by_user(response)) == [people.cadre.pk]
        assert rows_by_user(response)[people.cadre.pk].is_behind
        everyone = rows_by_user(client.get(f"/manage/org/{tree.east.pk}/"))
        assert set(everyone) == {people.cadre.pk, people.sakura_cadre.pk, no_requirement.pk}
        assert [pk for pk, row in everyone.items() if row.is_behind] == [people.cadre.pk]

    def test_query_count_is_flat_with_2_or_12_cadres(self, client, people, tree, catalogue):  # noqa: F811
        course = make_course(catalogue, title="社区治理", slug="zl")
        requirement(tree.east, "32", courses=[course])
        requirement(tree.osmanthus, "20")
        for cadre in (people.cadre, people.sakura_cadre):
            grant(cadre, "3", "class:1")
            Enrollment.objects.create(cadre=cadre, course=course, completed_at=timezone.now())
        client.force_login(people.east_secretary)
        url = f"/manage/org/{tree.east.pk}/"
        small = page_queries(client, url)
        for n in range(10):
            cadre = make_cadre(tree.sakura if n % 2 else tree.branch, mobile=f"136{n:08d}")
            grant(cadre, "2", "class:1")
            grant(cadre, "1.5", "class:2")
            Enrollment.objects.create(cadre=cadre, course=course, completed_at=timezone.now())
        assert len(rows_by_user(client.get(url))) == 12
        # the pinned 17 of test_pages (with the notification badge, the year's requirements
        # and the workbench), then the requirements' required courses, the page's completed
        # required enrollments and the workbench's, summed by group
        assert small == page_queries(client, url) == 20
        assert small == page_queries(client, url + "?behind=1") == 20


class TestExcelExport:
    def test_secretaries_outside_the_subtree_get_404(self, client, people, tree):
        client.force_login(people.south_secretary)
        assert client.get(f"/manage/org/{tree.east.pk}/export.xlsx").status_code == 404
        client.force_login(people.osmanthus_secretary)
        assert client.get(f"/manage/org/{tree.east.pk}/export.xlsx").status_code == 404
        assert client.get(f"/manage/org/{tree.osmanthus.pk}/export.xlsx").status_code == 200

    def test_the_organization_page_links_to_it(self, client, people, tree):
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        assert f"/manage/org/{tree.east.pk}/export.xlsx" in response.content.decode()
