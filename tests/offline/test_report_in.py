"""在职党员报到: registering with a community (one active registration), joining its sessions,
the community secretary's list with participation (sessions and approved field practice), and
the per-member PDF report."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from courses import services as course_services
from offline import services, tokens
from offline.models import ReportIn
from practice.models import PracticeLog, Status

from ..certificates.conftest import read_pdf
from ..factories import UserFactory
from ..queries import page_queries
from .conftest import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    """An in-service party member employed at a bureau, with no home organization here."""
    return UserFactory(username="zaizhi", name="李建国", mobile="13900000001")


def approved_practice(cadre, date, place, hours, *, status=Status.APPROVED):
    """A volunteering practice log of `cadre` on `date`, approved for `hours` by default."""
    return PracticeLog.objects.create(
        cadre=cadre, date=date, place=place, activity=PracticeLog.Activity.VOLUNTEERING,
        description="协助社区开展垃圾分类宣传", reflection="收获很多。" * 12,
        hours=Decimal("3"), status=status, hours_approved=hours,
    )  # fmt: skip


def attend_and_close(session, cadre, secretary):
    """Checks `cadre` in at the start and closes the session."""
    services.attendance_check_in(
        session=session,
        cadre=cadre,
        token=tokens.checkin_token(session.pk, now=session.starts_at),
        now=session.starts_at,
    )
    services.session_close(session=session, by=secretary, now=session.ends_at)


class TestRegistering:
    def test_registers_through_the_page(self, client, member, tree):
        """The member picks the community and names the work unit."""
        client.force_login(member)
        response = client.post(
            reverse("offline_report_in"),
            {"community": tree.sakura.pk, "work_unit": "市税务局第二分局"},
        )
        assert response.status_code == 302
        report = ReportIn.objects.get()
        assert (report.member, report.community, report.active) == (member, tree.sakura, True)
        page = client.get(reverse("offline_report_in"))
        assert page.context["current"] == report
        assert page.context["form"].initial["community"] == tree.sakura.pk

    def test_moving_ends_the_previous_registration(self, member, tree):
        """Registering with another community keeps one active registration."""
        services.report_in_register(member=member, community=tree.sakura, work_unit="税务局")
        services.report_in_register(member=member, community=tree.xinhua, work_unit="税务局")
        assert ReportIn.objects.filter(member=member, active=True).get().community == tree.xinhua
        assert ReportIn.objects.count() == 2

    def test_one_active_registration_is_a_database_rule(self, member, tree):
        """A second active row for the same member is refused by the database."""
        ReportIn.objects.create(member=member, community=tree.sakura, work_unit="a")
        with pytest.raises(IntegrityError):
            ReportIn.objects.create(member=member, community=tree.xinhua, work_unit="b")

    def test_registered_member_may_join_the_communitys_sessions(self, client, member, people, tree):
        """Reported to sakura, the member sees and signs up for its sessions, not osmanthus'."""
        services.report_in_register(member=member, community=tree.sakura, work_unit="税务局")
        sakura = make_session(tree.sakura, people.east_secretary, title="樱花路议事会")
        osmanthus = make_session(tree.osmanthus, people.east_secretary, title="桂花园议事会")
        client.force_login(member)
        upcoming = client.get(reverse("offline_session_list")).context["upcoming"]
        assert [s.pk for s in upcoming] == [sakura.pk]
        assert client.post(reverse("offline_session_sign_up", args=[sakura.pk])).status_code == 302
        response = client.post(reverse("offline_session_sign_up", args=[osmanthus.pk]))
        assert response.status_code == 404


class TestReporting:
    def test_list_shows_participation_in_the_communitys_sessions(
        self, client, member, people, tree
    ):
        """Sessions attended and hours credited by the community's sessions (net of a
        reversal); a session of another community does not count."""
        services.report_in_register(member=member, community=tree.sakura, work_unit="税务局")
        past = -datetime.timedelta(days=3)
        first = make_session(tree.sakura, people.east_secretary, starts_in=past)
        second = make_session(tree.sakura, people.east_secretary, starts_in=past, title="二")
        for session in (first, second):
            attend_and_close(session, member, people.east_secretary)
        entry = member.credit_entries.get(source=second.credit_source)
        course_services.credit_reverse(entry=entry, reason="误录", reversed_by=None)
        client.force_login(people.east_secretary)
        row = client.get(reverse("offline_reporting")).context["page"][0]
        assert row.member == member
        assert row.sessions_attended == 2
        assert row.session_hours == Decimal("4")

    def test_sibling_secretary_sees_nothing_and_gets_404(self, client, member, people, tree):
        """The osmanthus secretary neither lists the sakura member nor prints their report."""
        report = services.report_in_register(member=member, community=tree.sakura, work_unit="x")
        client.force_login(people.osmanthus_secretary)
        assert len(client.get(reverse("offline_reporting")).context["page"]) == 0
        assert client.get(reverse("offline_reporting_pdf", args=[report.pk])).status_code == 404

    def test_query_count_is_flat(self, client, people, tree):
        """The reporting list costs the same with 2 or 12 members, each with approved field
        practice."""
        client.force_login(people.east_secretary)

        def add(start, count):
            for index in range(start, start + count):
                user = UserFactory(username=f"m{index}", mobile=f"1360000{index:04d}")
                services.report_in_register(member=user, community=tree.sakura, work_unit="局")
                approved_practice(user, timezone.localdate(), "樱花路小区", Decimal("2"))

        add(0, 2)
        small = page_queries(client, reverse("offline_reporting"))
        add(2, 10)
        assert page_queries(client, reverse("offline_reporting")) == small

    def test_report_pdf_names_the_member_and_the_community(
        self, client, member, people, tree, tmp_path
    ):
        """The PDF for the work unit carries its Chinese title, the member, the community,
        the work unit and the session attended."""
        report = services.report_in_register(
            member=member, community=tree.sakura, work_unit="市税务局第二分局"
        )
        session = make_session(
            tree.sakura, people.east_secretary, starts_in=-datetime.timedelta(days=1)
        )
        attend_and_close(session, member, people.east_secretary)
        client.force_login(people.east_secretary)
        response = client.get(reverse("offline_reporting_pdf", args=[report.pk]))
        assert response["Content-Type"] == "application/pdf"
        path = tmp_path / "report.pdf"
        path.write_bytes(response.content)
        pdf = read_pdf(path)
        for text in ("在职党员到社区报到参与情况", "李建国", "樱花路社区党委", "市税务局第二分局"):
            assert text in pdf.compact
        assert session.title in pdf.compact

    def test_approved_practice_since_reporting_counts_in_list_and_pdf(
        self, client, member, people, tree, tmp_path
    ):
        """Field practice approved since the member reported shows in the list (count and
        hours) and in the PDF; practice dated before reporting, or still awaiting review, does
        not."""
        report = services.report_in_register(member=member, community=tree.sakura, work_unit="局")
        today = timezone.localdate()
        approved_practice(member, today, "樱花路小区", Decimal("2"))
        approved_practice(member, today - datetime.timedelta(days=5), "报到前的活动", Decimal("3"))
        approved_practice(member, today, "待审核的活动", None, status=Status.SUBMITTED)
        client.force_login(people.east_secretary)
        row = client.get(reverse("offline_reporting")).context["page"][0]
        assert (row.practice_count, row.practice_hours) == (1, Decimal("2"))
        response = client.get(reverse("offline_reporting_pdf", args=[report.pk]))
        path = tmp_path / "report.pdf"
        path.write_bytes(response.content)
        text = read_pdf(path).compact
        assert "实践活动" in text and "樱花路小区" in text
        assert "共参加实践活动1次，核定2学时" in text
        assert "报到前的活动" not in text and "待审核的活动" not in text
