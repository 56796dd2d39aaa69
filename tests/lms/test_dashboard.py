"""书记工作台 on the organization page: headline figures over a subtree (hand-computed), the
drill-down into sub-organizations, the charts' numbers, the cadre table's filters, sort and
columns, scoped access, and query counts that stay flat as organizations, cadres and the
ledger grow."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django.utils.dates import MONTHS

from assessments.models import Attempt, QualificationClaim, Quiz
from courses.models import CreditEntry, Enrollment, LessonProgress
from courses.services import credit_totals_rebuild
from lms import charts, dashboard, selectors
from lms.models import CadreProfile
from lms.services import organization_create

from ..assessments.conftest import make_quiz
from ..courses.conftest import catalogue, lessons_of, make_course  # noqa: F401  (a fixture)
from ..factories import make_cadre
from ..queries import page_queries
from .test_tracking import YEAR, grant, requirement, rows_by_user

pytestmark = pytest.mark.django_db


def at(month: int, day: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(YEAR, month, day, 10))


def mock_attempt(cadre, quiz, *, state=Attempt.State.GRADED, finished_at=None, number=1):
    finished = finished_at or timezone.now()
    return Attempt.objects.create(
        quiz=quiz,
        cadre=cadre,
        number=number,
        state=state,
        finished_at=None if state == Attempt.State.IN_PROGRESS else finished,
        score=Decimal("60"),
        max_score=Decimal("100"),
        passed=True,
    )


def claim(cadre, status=QualificationClaim.Status.PENDING):
    return QualificationClaim.objects.create(
        cadre=cadre,
        qualification="assistant",
        exam_year=YEAR,
        scan="qualifications/scan.jpg",
        scan_type="image/jpeg",
        status=status,
        reason="" if status != QualificationClaim.Status.REJECTED else "看不清",
    )


@pytest.fixture
def world(people, tree, catalogue):  # noqa: F811
    """东湖街道 with four cadres in two communities, requirements, ledger, mocks and claims.

    * 东湖 (20 h, course A) applies to everyone under 东湖; 桂花园's secretaries also have
      30 h and course B. 新华里 (南湖) has no requirement.
    * 张秀英 (branch under 桂花园): 20 h, meets 20; A done; mocks this year; a verified claim.
    * 桂花园 secretary cadre: 25 h of 30 → behind; A done, B not.
    * 樱花路 cadre: 5 h of 20; A enrolled, not done; a mock in progress; a pending claim.
    * 新华里 cadre: 3 h, no requirement; a mock finished last year.
    """
    course_a = make_course(catalogue, title="社区治理", slug="zl")
    course_b = make_course(catalogue, title="应急管理", slug="yj")
    requirement(tree.east, "20", courses=[course_a], online_hours=Decimal("10"))
    requirement(
        tree.osmanthus, "30", courses=[course_b], positions=[CadreProfile.Position.SECRETARY]
    )
    osm_secretary = make_cadre(tree.osmanthus, name="李书记", mobile="13900000009")
    CadreProfile.objects.filter(user=osm_secretary).update(
        position=CadreProfile.Position.SECRETARY, party_status=CadreProfile.PartyStatus.FULL
    )
    CadreProfile.objects.filter(user=people.sakura_cadre).update(
        member_type=CadreProfile.MemberType.STAFF,
        party_status=CadreProfile.PartyStatus.PROBATIONARY,
    )
    grant(people.cadre, "12", "class:1")
    grant(people.cadre, "8", "course:1", kind=CreditEntry.Kind.ONLINE_COURSE)
    grant(osm_secretary, "25", "class:1")
    grant(people.sakura_cadre, "5", "class:1")
    grant(people.xinhua_cadre, "3", "class:1")
    grant(people.xinhua_cadre, "9", "class:old", year=YEAR - 1)  # another year
    now = timezone.now()
    for cadre, course, completed_at in [
        (people.cadre, course_a, now),
        (osm_secretary, course_a, now),
        (osm_secretary, course_b, None),
        (people.sakura_cadre, course_a, None),
    ]:  # (required courses may already be assigned: courses/receivers.py)
        Enrollment.objects.update_or_create(
            cadre=cadre, course=course, defaults={"completed_at": completed_at}
        )
    mock = make_quiz(people.lecturer, [], title="模拟考试", mode=Quiz.Mode.MOCK)
    chapter = make_quiz(people.lecturer, [], title="章节练习", mode=Quiz.Mode.DRILL)
    mock_attempt(people.cadre, mock)
    mock_attempt(people.cadre, mock, number=2)  # one participant, however many mocks
    mock_attempt(people.sakura_cadre, mock, state=Attempt.State.IN_PROGRESS)
    mock_attempt(people.sakura_cadre, chapter)  # not a mock exam
    last_year = timezone.make_aware(datetime.datetime(YEAR - 1, 6, 1))
    mock_attempt(people.xinhua_cadre, mock, finished_at=last_year)
    claim(people.sakura_cadre)
    claim(people.cadre, QualificationClaim.Status.VERIFIED)
    return SimpleNamespace(course_a=course_a, course_b=course_b, osm_secretary=osm_secretary)


def as_tuple(figures: dashboard.Figures) -> tuple:
    return (
        figures.cadres,
        figures.with_requirement,
        figures.meeting_hours,
        figures.required_total,
        figures.required_done,
        figures.mock_participants,
        figures.claims_pending,
        figures.hours_total,
    )


class TestFigures:
    def test_hand_computed_figures_of_each_subtree(self, people, tree, world):
        """Cadres, requirement met, required courses, mock participants, pending claims and
        hours are summed over each organization's whole subtree, in one call."""
        organizations = [tree.district, tree.east, tree.osmanthus, tree.sakura, tree.xinhua]
        figures = dashboard.organization_figures(organizations, year=YEAR)
        assert as_tuple(figures[tree.district.pk]) == (4, 3, 1, 4, 2, 1, 1, Decimal("53"))
        assert as_tuple(figures[tree.east.pk]) == (3, 3, 1, 4, 2, 1, 1, Decimal("50"))
        assert as_tuple(figures[tree.osmanthus.pk]) == (2, 2, 1, 3, 2, 1, 0, Decimal("45"))
        assert as_tuple(figures[tree.sakura.pk]) == (1, 1, 0, 1, 0, 0, 1, Decimal("5"))
        assert as_tuple(figures[tree.xinhua.pk]) == (1, 0, 0, 0, 0, 0, 0, Decimal("3"))
        east = figures[tree.east.pk]
        assert (east.meeting_percent, east.required_percent, east.mock_percent) == (33, 50, 33)
        empty = figures[tree.xinhua.pk]
        assert (empty.meeting_percent, empty.required_percent) == (0, 0)  # no denominator

    def test_figures_agree_with_the_table(self, people, tree, world):
        """The same numbers as the per-cadre table (`set_tracking`) added up."""
        requirements = selectors.year_requirements(YEAR)
        rows = list(selectors.with_year_hours(selectors.organization_cadres(tree.district), YEAR))
        selectors.set_tracking(rows, requirements)
        figures = dashboard.organization_figures([tree.district], year=YEAR)[tree.district.pk]
        assert figures.cadres == len(rows)
        assert figures.with_requirement == sum(r.has_requirement for r in rows)
        assert figures.meeting_hours == sum(r.has_requirement and not r.is_behind for r in rows)
        assert figures.required_total == sum(r.required_total for r in rows)
        assert figures.required_done == sum(r.required_done for r in rows)
        assert figures.hours_total == sum(r.hours for r in rows)

    def test_distribution_of_hours_against_the_requirement(self, people, tree, world):
        """Bands of the table's whole percentage; cadres without a requirement apart."""
        assert dict(dashboard.hours_distribution(tree.district, year=YEAR)) == {
            "0%": 0,
            "1%–24%": 0,
            "25%–49%": 1,  # 樱花路: 5 of 20
            "50%–74%": 0,
            "75%–99%": 1,  # 桂花园 secretary: 25 of 30
            "100% 及以上": 1,  # 张秀英: 20 of 20
            "无学时要求": 1,  # 新华里
        }

    def test_monthly_trend_sums_the_years_ledger_by_month(self, people, tree, world):
        """Hours credited each month of the year to the subtree's cadres; reversals count."""
        CreditEntry.objects.filter(cadre=people.cadre).update(created_at=at(3))
        CreditEntry.objects.filter(cadre=world.osm_secretary).update(created_at=at(7))
        CreditEntry.objects.filter(cadre=people.sakura_cadre).update(created_at=at(7))
        CreditEntry.objects.filter(cadre=people.xinhua_cadre).update(created_at=at(3))
        trend = dict(dashboard.monthly_trend(tree.east, year=YEAR))
        assert list(trend) == list(range(1, 13))
        assert trend[3] == Decimal("20") and trend[7] == Decimal("30")
        assert sum(trend.values()) == Decimal("50")


class TestWorkbenchPage:
    def test_headline_cards_and_the_claims_link(self, client, people, tree, world):
        """The east secretary sees the subtree's figures at the top, and a link to the claims."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        html = response.content.decode()
        assert as_tuple(response.context["figures"])[:7] == (3, 3, 1, 4, 2, 1, 1)
        assert 'data-figure="meeting">33%' in html
        assert 'data-figure="required">50%' in html
        assert 'data-figure="claims">1' in html
        assert f'href="/manage/org/{tree.east.pk}/qualifications/"' in html

    def test_drill_down_shows_each_child_with_its_own_figures(self, client, people, tree, world):
        """Each community with its figures and a link to its own workbench, down to the branch."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        children = {c.pk: c.figures for c in response.context["children"]}
        assert list(children) == [tree.osmanthus.pk, tree.sakura.pk]
        assert as_tuple(children[tree.osmanthus.pk])[:5] == (2, 2, 1, 3, 2)
        assert as_tuple(children[tree.sakura.pk])[:5] == (1, 1, 0, 1, 0)
        html = response.content.decode()
        assert f'href="/manage/org/{tree.osmanthus.pk}/"' in html
        community = client.get(f"/manage/org/{tree.osmanthus.pk}/")
        assert [c.pk for c in community.context["children"]] == [tree.branch.pk]
        assert as_tuple(community.context["figures"])[:5] == (2, 2, 1, 3, 2)

    def test_a_community_secretary_cannot_reach_a_sibling(self, client, people, tree, world):
        """桂花园's secretary opens 桂花园 and its branch; 樱花路 and 东湖 answer 404."""
        client.force_login(people.osmanthus_secretary)
        assert client.get(f"/manage/org/{tree.osmanthus.pk}/").status_code == 200
        assert client.get(f"/manage/org/{tree.branch.pk}/").status_code == 200
        assert client.get(f"/manage/org/{tree.sakura.pk}/").status_code == 404
        assert client.get(f"/manage/org/{tree.east.pk}/").status_code == 404

    def test_charts_carry_their_numbers_as_text(self, client, people, tree, world):
        """The bars and the trend have their figures in the page, not only in the drawing."""
        CreditEntry.objects.filter(cadre=people.cadre).update(created_at=at(3))
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{tree.east.pk}/")
        completion = {bar.label: bar for bar in response.context["completion_bars"]}
        assert completion[tree.osmanthus.name].width == 50
        assert completion[tree.osmanthus.name].text == "50%（1 / 2）"
        assert completion[tree.sakura.name].width == 0
        distribution = {bar.label: bar.text for bar in response.context["distribution_bars"]}
        assert distribution["100% 及以上"] == "1"
        html = response.content.decode()
        assert "<figcaption" in html and 'role="img"' in html
        assert "cdn" not in html.lower() and '<script src="http' not in html
        march_label, march_hours = response.context["trend"]["caption_rows"][2]
        expected = "50" if timezone.localdate().month == 3 else "20"  # the rest: this month
        assert (march_label, march_hours) == (MONTHS[3], expected)
        assert f"{march_label}：{expected}" in html


class TestCadreTable:
    def url(self, tree, query=""):
        return f"/manage/org/{tree.east.pk}/{query}"

    def test_filters_by_position_member_type_and_party_status(self, client, people, tree, world):
        """Each filter narrows the table; they combine with search and the behind filter."""
        client.force_login(people.east_secretary)
        get = lambda query: list(rows_by_user(client.get(self.url(tree, query))))  # noqa: E731
        assert get("?position=secretary") == [world.osm_secretary.pk]
        assert get("?member_type=staff") == [people.sakura_cadre.pk]
        assert get("?party_status=probationary") == [people.sakura_cadre.pk]
        assert set(get("?party_status=full")) == {people.cadre.pk, world.osm_secretary.pk}
        assert get("?behind=1&position=secretary") == [world.osm_secretary.pk]
        assert get("?behind=1&q=张") == []
        assert get("?position=nonsense") == get("")  # a stale value is ignored

    def test_sort_by_name_hours_percent_and_activity(self, client, people, tree, world):
        """Both directions of every sort; cadres without a value last."""
        LessonProgress.objects.create(
            cadre=people.sakura_cadre,
            lesson=lessons_of(world.course_a)[0],
            enrollment=Enrollment.objects.get(cadre=people.sakura_cadre),
            last_beat_at=timezone.now() + datetime.timedelta(hours=1),
        )
        CreditEntry.objects.filter(cadre=world.osm_secretary).update(created_at=at(1, 2))
        credit_totals_rebuild()  # the entries were moved back in time behind the services' back
        client.force_login(people.east_secretary)
        get = lambda query: list(rows_by_user(client.get(self.url(tree, query))))  # noqa: E731
        cadre, sakura, secretary = people.cadre.pk, people.sakura_cadre.pk, world.osm_secretary.pk
        assert get("?sort=-hours") == [secretary, cadre, sakura]  # 25, 20, 5
        assert get("?sort=hours") == [sakura, cadre, secretary]
        assert get("?sort=-percent") == [cadre, secretary, sakura]  # 100 %, 83 %, 25 %
        assert get("?sort=percent") == [sakura, secretary, cadre]
        assert get("?sort=-activity") == [sakura, cadre, secretary]  # lesson beat newest
        assert get("?sort=activity") == [secretary, cadre, sakura]
        names = get("?sort=name")
        assert names == list(reversed(get("?sort=-name")))

    def test_latest_activity_is_the_newest_ledger_entry_or_lesson_beat(
        self, client, people, tree, world
    ):
        """One annotation: the later of the ledger and lesson progress; none shows a dash."""
        beat = timezone.now() + datetime.timedelta(days=1)
        LessonProgress.objects.create(
            cadre=people.sakura_cadre,
            lesson=lessons_of(world.course_a)[0],
            enrollment=Enrollment.objects.get(cadre=people.sakura_cadre),
            last_beat_at=beat,
        )
        nobody = make_cadre(tree.sakura, name="新来的", mobile="13900000077")
        client.force_login(people.east_secretary)
        rows = rows_by_user(client.get(self.url(tree)))
        assert rows[people.sakura_cadre.pk].latest_activity == beat
        ledger = CreditEntry.objects.filter(cadre=people.cadre).latest("created_at").created_at
        assert rows[people.cadre.pk].latest_activity == ledger
        assert rows[nobody.pk].latest_activity is None

    def test_online_hours_and_overdue_badges(self, client, people, tree, world):
        """Online hours beside the total, against the requirement's online part; an overdue
        badge for hours behind or required courses outstanding."""
        client.force_login(people.east_secretary)
        response = client.get(self.url(tree))
        rows = rows_by_user(response)
        zhang, secretary = rows[people.cadre.pk], rows[world.osm_secretary.pk]
        assert (zhang.online_hours, zhang.required_online_hours) == (Decimal("8"), Decimal("10"))
        assert not zhang.is_overdue
        assert secretary.is_behind and secretary.courses_overdue and secretary.is_overdue
        sakura = rows[people.sakura_cadre.pk]
        assert sakura.is_behind and sakura.courses_overdue
        html = response.content.decode()
        assert "线上 8 / 10" in html
        assert html.count('class="badge required overdue"') == 4  # 2 cadres × 2 reasons

    def test_filters_survive_paging(self, client, people, tree, world):
        """The next-page link keeps search, filters and sort."""
        for n in range(31):
            make_cadre(tree.sakura, mobile=f"135{n:08d}")
        client.force_login(people.east_secretary)
        response = client.get(self.url(tree, "?position=grid_worker&sort=-hours&behind=1"))
        assert response.context["page"].paginator.count == 32  # 31 + 樱花路's first cadre
        html = response.content.decode()
        assert "?position=grid_worker&amp;sort=-hours&amp;behind=1&amp;page=2" in html
        second = client.get(self.url(tree, "?position=grid_worker&sort=-hours&behind=1&page=2"))
        assert len(rows_by_user(second)) == 2

    def test_query_count_is_flat_as_organizations_cadres_and_ledger_grow(
        self, client, people, tree, world
    ):
        """Same queries with 4 cadres in 7 organizations, or 40 in 13 with 5× the ledger,
        mocks and claims; with and without filters and sort."""
        client.force_login(people.east_secretary)
        urls = [self.url(tree), self.url(tree, "?behind=1&sort=-percent&position=grid_worker")]
        small = [page_queries(client, url) for url in urls]
        mock = Quiz.objects.get(mode=Quiz.Mode.MOCK)
        for n in range(6):
            parent = tree.osmanthus if n % 2 else tree.east
            organization = organization_create(
                name=f"新组织{n}", code=f"new{n}", level="branch", parent=parent
            )
            for m in range(6):
                cadre = make_cadre(organization, mobile=f"134{n:04d}{m:04d}")
                for k in range(5):
                    grant(cadre, "1.5", f"class:{k}")
                mock_attempt(cadre, mock)
                if m % 3 == 0:
                    claim(cadre)
                Enrollment.objects.create(
                    cadre=cadre, course=world.course_a, completed_at=timezone.now()
                )
        large = [page_queries(client, url) for url in urls]
        assert len(client.get(self.url(tree)).context["children"]) == 5
        # test_tracking's 20 (with required courses), then nothing more for filters and sort
        assert small == large == [20, 20]


def test_chart_geometry():
    """Bars scale to the largest value (or a given top); a line chart's top is a round number
    at or above its largest value, with a label under each point."""
    bars = charts.bars([("甲", 2, "2"), ("乙", 8, "8", "/x/")])
    assert [(bar.width, bar.url) for bar in bars] == [(25, ""), (100, "/x/")]
    assert [bar.width for bar in charts.bars([("甲", 0, "0")])] == [0]
    assert [charts.nice_top(v) for v in (0, 0.3, 7, 12, 180, 2600)] == [1, 0.5, 10, 20, 200, 5000]
    chart = charts.line_chart([0, 6, 3], ["1", "2", "3"])
    assert chart["top"] == 10
    assert [y for _x, y, _v in chart["points"]] == [120, 48, 84]
    assert [text for _x, text in chart["x_labels"]] == ["1", "2", "3"]
