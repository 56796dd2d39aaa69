"""Sessions for cadres and organizers: the lists, sign-up and cancel within the capacity, the
.ics file, scheduling, the roster, the check-in screen, who may see what, and query counts."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from icalendar import Calendar

from offline import services, tokens
from offline.models import Attendance, OfflineSession

from ..factories import make_cadre
from ..queries import page_queries
from .conftest import NOW, make_session

pytestmark = pytest.mark.django_db


class TestCadreList:
    def test_lists_sessions_of_ancestors_not_of_other_branches(self, client, people, tree):
        """The branch cadre sees the district's, street's and community's sessions, not a
        sibling community's, another street's, or a closed one."""
        by = people.east_secretary
        mine = [
            make_session(tree.district, people.admin, title="区级讲座"),
            make_session(tree.east, by, title="街道培训班"),
            make_session(tree.osmanthus, by, title="社区座谈"),
        ]
        make_session(tree.sakura, by, title="樱花路研讨")
        make_session(tree.south, people.south_secretary, title="南湖参观")
        closed = make_session(tree.east, by, title="已结束", starts_in=-datetime.timedelta(days=2))
        services.session_close(session=closed, by=by)
        client.force_login(people.cadre)
        response = client.get(reverse("offline_session_list"))
        assert [s.pk for s in response.context["upcoming"]] == [s.pk for s in mine]

    def test_query_count_is_flat(self, client, people, tree):
        """The cadre's list costs the same with 2 or 20 sessions and sign-ups."""
        client.force_login(people.cadre)

        def add(count):
            for index in range(count):
                session = make_session(tree.east, people.east_secretary, title=f"培训{index}")
                services.attendance_sign_up(session=session, cadre=people.cadre)

        add(2)
        small = page_queries(client, reverse("offline_session_list"))
        add(18)
        assert page_queries(client, reverse("offline_session_list")) == small
        assert len(client.get(reverse("offline_session_list")).context["upcoming"]) == 20


class TestSignUp:
    def test_sign_up_and_cancel(self, client, people, east_class):
        """Signing up shows on the page; withdrawing removes it."""
        client.force_login(people.cadre)
        detail = reverse("offline_session_detail", args=[east_class.pk])
        client.post(reverse("offline_session_sign_up", args=[east_class.pk]))
        response = client.get(detail)
        assert response.context["attendance"].signed_up
        assert 'name="cancel"' in response.content.decode()
        client.post(reverse("offline_session_cancel", args=[east_class.pk]))
        assert not Attendance.objects.exists()

    def test_capacity_is_enforced(self, client, people, tree):
        """With one place, the second cadre is refused with 409 and nothing is stored."""
        session = make_session(tree.east, people.east_secretary, capacity=1)
        services.attendance_sign_up(session=session, cadre=people.cadre)
        client.force_login(people.sakura_cadre)
        response = client.post(reverse("offline_session_sign_up", args=[session.pk]))
        assert response.status_code == 409
        assert 'data-refusal="full"' in response.content.decode()
        assert Attendance.objects.count() == 1

    def test_no_sign_up_after_the_start(self, people, tree):
        """Once the session has started, sign-up and cancelling are closed."""
        session = make_session(tree.east, people.east_secretary)
        with pytest.raises(services.SessionStarted):
            services.attendance_sign_up(session=session, cadre=people.cadre, now=session.starts_at)

    def test_outsiders_get_404(self, client, people, east_class):
        """A cadre of another street neither sees nor signs up for the session."""
        client.force_login(people.xinhua_cadre)
        for name in ("offline_session_detail", "offline_session_ics"):
            assert client.get(reverse(name, args=[east_class.pk])).status_code == 404
        assert (
            client.post(reverse("offline_session_sign_up", args=[east_class.pk])).status_code == 404
        )
        assert not Attendance.objects.exists()


class TestCalendar:
    def test_ics_parses_back_with_the_right_times(self, client, people, east_class):
        """One VEVENT with UID, UTC start and end, summary, location and description."""
        client.force_login(people.cadre)
        response = client.get(reverse("offline_session_ics", args=[east_class.pk]))
        assert response["Content-Type"].startswith("text/calendar")
        events = Calendar.from_ical(response.content).walk("VEVENT")
        assert len(events) == 1
        event = events[0]
        assert event.decoded("dtstart") == east_class.starts_at
        assert event.decoded("dtend") == east_class.ends_at
        assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
        assert str(event["summary"]) == east_class.title
        assert str(event["location"]) == east_class.place
        assert east_class.organization.name in str(event["description"])
        assert str(event["uid"]).startswith(f"offline-session-{east_class.pk}@")


class TestOrganizer:
    def test_schedules_a_session_with_the_default_hours(self, client, people, tree, rules):
        """The form offers the setting's hours and only the organizer's organizations."""
        client.force_login(people.osmanthus_secretary)
        url = reverse("offline_session_create")
        form = client.get(url).context["form"]
        assert form.initial["hours"] == rules.default_hours
        assert list(form.fields["organization"].queryset) == [tree.osmanthus, tree.branch]
        start = (NOW + datetime.timedelta(days=3)).astimezone(datetime.UTC)
        data = {
            "title": "垃圾分类实地演练",
            "kind": OfflineSession.Kind.FIELD_DRILL,
            "organization": tree.osmanthus.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "place": "桂花园小区",
            "audience": OfflineSession.Audience.SUBTREE,
            "hours": "4",
        }
        assert client.post(url, {**data, "organization": tree.sakura.pk}).status_code == 200
        response = client.post(url, data)
        session = OfflineSession.objects.get()
        assert response.url == reverse("offline_session_roster", args=[session.pk])
        assert session.created_by == people.osmanthus_secretary

    def test_sibling_secretary_gets_404(self, client, people, tree):
        """The sakura community's affairs are hidden from the osmanthus secretary."""
        session = make_session(tree.sakura, people.east_secretary)
        client.force_login(people.osmanthus_secretary)
        for name in (
            "offline_session_roster",
            "offline_checkin_screen",
            "offline_checkin_code",
            "offline_session_edit",
        ):
            assert client.get(reverse(name, args=[session.pk])).status_code == 404, name
        response = client.post(reverse("offline_session_close", args=[session.pk]))
        assert response.status_code == 404
        assert client.get(reverse("offline_manage")).context["page"].object_list.count() == 0

    def test_cadres_cannot_reach_organizer_pages(self, client, people, east_class):
        """A cadre gets 404 on the manage list and the check-in screen."""
        client.force_login(people.cadre)
        assert client.get(reverse("offline_manage")).status_code == 404
        screen = reverse("offline_checkin_screen", args=[east_class.pk])
        assert client.get(screen).status_code == 404

    def test_checkin_screen_shows_a_signed_url(self, client, people, east_class):
        """The screen's QR element carries the check-in URL; the JSON gives a fresh one."""
        client.force_login(people.east_secretary)
        response = client.get(reverse("offline_checkin_screen", args=[east_class.pk]))
        url = response.context["code"]["url"]
        assert f'data-url="{url}"' in response.content.decode()
        assert response.context["code"]["qr"].startswith("data:image/png;base64,")
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert tokens.checkin_token_session(token, max_age=60) == east_class.pk
        code = client.get(reverse("offline_checkin_code", args=[east_class.pk])).json()
        assert code["url"].startswith("http://testserver/sessions/checkin/")
        assert code["refresh_seconds"] == tokens.REFRESH_SECONDS

    def test_roster_counts_and_flat_queries(self, client, people, tree, east_class):
        """The roster lists everyone with counts, in the same number of queries for 3 or 30."""
        client.force_login(people.east_secretary)
        url = reverse("offline_session_roster", args=[east_class.pk])

        def add(start, count):
            for index in range(start, start + count):
                cadre = make_cadre(tree.sakura, username=f"r{index}", mobile=f"139{index:08d}")
                services.attendance_sign_up(session=east_class, cadre=cadre)

        add(0, 3)
        small = page_queries(client, url)
        add(3, 27)
        assert page_queries(client, url) == small
        response = client.get(url)
        assert response.context["counts"]["signed_up"] == 30
        assert response.context["roster"][0].home_name == tree.sakura.name

    def test_manage_list_counts_are_flat(self, client, people, tree):
        """The organizer's list costs the same with 2 or 12 sessions."""
        client.force_login(people.east_secretary)
        url = reverse("offline_manage")
        for index in range(2):
            make_session(tree.east, people.east_secretary, title=f"a{index}")
        small = page_queries(client, url)
        for index in range(10):
            session = make_session(tree.osmanthus, people.east_secretary, title=f"b{index}")
            services.attendance_sign_up(session=session, cadre=people.cadre)
        assert page_queries(client, url) == small


class TestHomeSnippet:
    def test_my_sessions_lists_coming_and_attended(self, people, tree, django_assert_num_queries):
        """The 我的学习 snippet shows a coming sign-up and an attended past session, in two
        queries however many there are."""
        coming = make_session(tree.east, people.east_secretary, title="下周讲座")
        services.attendance_sign_up(session=coming, cadre=people.cadre)
        past = make_session(
            tree.east,
            people.east_secretary,
            title="上周研讨",
            starts_in=-datetime.timedelta(days=7),
        )
        services.attendance_check_in(
            session=past,
            cadre=people.cadre,
            token=tokens.checkin_token(past.pk, now=past.starts_at),
            now=past.starts_at,
        )
        template = Template("{% load offline_tags %}{% my_offline_sessions user %}")
        with django_assert_num_queries(2):
            html = template.render(Context({"user": people.cadre}))
        assert html.index("下周讲座") < html.index("上周研讨")
        assert 'data-status="present"' in html
