"""Who organizes sessions besides secretaries (lecturers, for any organization, only their own
sessions), and the organizer assigning cadres on the roster within the places, with a
notification for each."""

import datetime

import pytest
from django.urls import reverse

from courses.models import LecturerProfile
from lms.models import Notification
from offline import services
from offline.models import Attendance, OfflineSession

from ..factories import make_cadre, make_lecturer
from ..queries import page_queries
from .conftest import NOW, make_session

pytestmark = pytest.mark.django_db

ORGANIZER_PAGES = (
    "offline_session_roster",
    "offline_checkin_screen",
    "offline_checkin_code",
    "offline_session_edit",
)


def lecturer_with_profile(username, mobile, name):
    """A lecturer account with its lecturer profile (what makes it a lecturer here)."""
    user = make_lecturer(username=username, mobile=mobile, name=name)
    LecturerProfile.objects.create(user=user, name=name, kind=LecturerProfile.Kind.EXPERT)
    return user


@pytest.fixture
def professor(db):
    """A university lecturer invited by the district; not a member of the tree."""
    return lecturer_with_profile("prof_wang", "13700000001", "王教授")


@pytest.fixture
def other_professor(db):
    """Another lecturer, who must not see the first one's sessions."""
    return lecturer_with_profile("prof_li", "13700000002", "李教授")


def session_data(organization, **fields):
    """The session form's fields for a three-hour drill in three days."""
    start = (NOW + datetime.timedelta(days=3)).astimezone(datetime.UTC)
    return {
        "title": "应急疏散实地演练",
        "kind": OfflineSession.Kind.FIELD_DRILL,
        "organization": organization.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "place": "新华社区广场",
        "audience": OfflineSession.Audience.SUBTREE,
        "hours": "4",
        **fields,
    }


class TestLecturers:
    def test_lecturer_schedules_for_any_organization_as_its_lecturer(
        self, client, professor, other_professor, tree
    ):
        """Every organization is offered; the session's platform lecturer is the lecturer
        themself even if the form names another."""
        client.force_login(professor)
        url = reverse("offline_session_create")
        form = client.get(url).context["form"]
        assert form.fields["organization"].queryset.count() == 7
        assert form.initial["lecturer"] == professor.lecturer_profile.pk
        data = session_data(tree.xinhua, lecturer=other_professor.lecturer_profile.pk)
        response = client.post(url, data)
        session = OfflineSession.objects.get()
        assert response.url == reverse("offline_session_roster", args=[session.pk])
        assert (session.organization, session.created_by) == (tree.xinhua, professor)
        assert session.lecturer == professor.lecturer_profile

    def test_lecturer_manages_own_and_taught_sessions_only(
        self, client, professor, other_professor, people, tree
    ):
        """The lecturer lists and opens the sessions they created or teach; another
        lecturer's, and a secretary's they do not teach, answer 404."""
        own = make_session(tree.xinhua, professor, title="自己安排的")
        taught = make_session(
            tree.sakura, people.east_secretary, lecturer=professor.lecturer_profile, title="主讲"
        )
        others = make_session(tree.sakura, other_professor, title="别人的")
        plain = make_session(tree.sakura, people.east_secretary, title="书记安排的")
        client.force_login(professor)
        listed = client.get(reverse("offline_manage")).context["page"].object_list
        assert {s.pk for s in listed} == {own.pk, taught.pk}
        for session in (own, taught):
            for name in ORGANIZER_PAGES:
                assert client.get(reverse(name, args=[session.pk])).status_code == 200, name
        for session in (others, plain):
            for name in ORGANIZER_PAGES:
                assert client.get(reverse(name, args=[session.pk])).status_code == 404, name
            assert (
                client.post(reverse("offline_session_close", args=[session.pk])).status_code == 404
            )
            assign = reverse("offline_session_assign", args=[session.pk])
            assert client.post(assign, {"organization": tree.sakura.pk}).status_code == 404
        assert not OfflineSession.objects.filter(closed_at__isnull=False).exists()
        assert not Attendance.objects.exists()

    def test_lecturer_closes_own_session(self, client, professor, people, tree):
        """Closing their own session after it started credits the attendees."""
        session = make_session(tree.xinhua, professor, starts_in=-datetime.timedelta(hours=1))
        services.attendance_mark(
            attendance=Attendance.objects.create(session=session, cadre=people.xinhua_cadre),
            status=Attendance.Status.PRESENT,
            by=professor,
        )
        client.force_login(professor)
        response = client.post(reverse("offline_session_close", args=[session.pk]))
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.closed_by == professor
        assert people.xinhua_cadre.credit_entries.filter(source=session.credit_source).exists()

    def test_secretary_manages_a_lecturers_session_in_the_subtree(
        self, client, professor, people, tree
    ):
        """The east secretary lists and opens a session a lecturer scheduled for sakura; the
        south secretary does not."""
        session = make_session(tree.sakura, professor)
        client.force_login(people.east_secretary)
        listed = client.get(reverse("offline_manage")).context["page"].object_list
        assert [s.pk for s in listed] == [session.pk]
        for name in ORGANIZER_PAGES:
            assert client.get(reverse(name, args=[session.pk])).status_code == 200, name
        client.force_login(people.south_secretary)
        assert client.get(reverse("offline_session_roster", args=[session.pk])).status_code == 404

    def test_lecturer_has_no_reporting_pages(self, client, professor, tree):
        """The in-service reporting list and its PDF answer 404 to a lecturer, and the manage
        page does not link to them."""
        report = services.report_in_register(
            member=make_cadre(tree.sakura, username="m", mobile="13600000001"),
            community=tree.sakura,
            work_unit="局",
        )
        client.force_login(professor)
        assert client.get(reverse("offline_reporting")).status_code == 404
        assert client.get(reverse("offline_reporting_pdf", args=[report.pk])).status_code == 404
        assert 'id="reporting-link"' not in client.get(reverse("offline_manage")).content.decode()

    def test_lecturer_group_without_profile_is_not_an_organizer(self, client, people):
        """Being in the Lecturers group is not enough: without a profile, 404."""
        client.force_login(people.lecturer)
        assert client.get(reverse("offline_manage")).status_code == 404
        assert client.get(reverse("offline_session_create")).status_code == 404

    def test_manage_list_is_flat_for_a_lecturer(self, client, professor, tree):
        """The lecturer's list costs the same with 2 or 12 sessions."""
        client.force_login(professor)
        url = reverse("offline_manage")
        for index in range(2):
            make_session(tree.east, professor, title=f"a{index}")
        small = page_queries(client, url)
        for index in range(10):
            make_session(tree.south, professor, title=f"b{index}")
        assert page_queries(client, url) == small


def assign(client, session, **data):
    """Posts the roster's assign form."""
    return client.post(reverse("offline_session_assign", args=[session.pk]), data)


class TestAssigning:
    def test_search_finds_cadres_of_the_subtree_not_yet_signed_up(self, client, people, tree):
        """A search by name or mobile offers cadres below the session, not those outside it
        nor those already on the roster."""
        session = make_session(tree.east, people.east_secretary)
        make_cadre(tree.sakura, username="a", name="张晓梅", mobile="13911110001")
        make_cadre(tree.xinhua, username="b", name="张晓兰", mobile="13911110002")
        signed = make_cadre(tree.osmanthus, username="c", name="张晓云", mobile="13911110003")
        services.attendance_sign_up(session=session, cadre=signed)
        client.force_login(people.east_secretary)
        url = reverse("offline_session_roster", args=[session.pk])
        by_name = client.get(url, {"q": "张晓"}).context["candidates"]
        assert [c.name for c in by_name] == ["张晓梅"]
        assert by_name[0].home_name == tree.sakura.name
        by_mobile = client.get(url, {"q": "1391111000"}).context["candidates"]
        assert [c.username for c in by_mobile] == ["a"]

    def test_assigns_picked_cadres_and_notifies_them(self, client, people, tree):
        """The picked cadres are signed up and each gets a notification linking the session
        with its place; assigning them again changes nothing."""
        session = make_session(tree.east, people.east_secretary)
        client.force_login(people.east_secretary)
        picked = [people.cadre.pk, people.sakura_cadre.pk]
        response = assign(client, session, cadres=picked)
        assert response.url == reverse("offline_session_roster", args=[session.pk])
        rows = Attendance.objects.filter(session=session)
        assert sorted(rows.values_list("cadre", flat=True)) == sorted(picked)
        assert all(row.signed_up and row.status == "" for row in rows)
        notes = Notification.objects.filter(
            url=reverse("offline_session_detail", args=[session.pk])
        )
        assert sorted(notes.values_list("user", flat=True)) == sorted(picked)
        assert all(session.place in note.body for note in notes)
        assign(client, session, cadres=picked)
        assert rows.count() == 2 and notes.count() == 2

    def test_assigns_everyone_of_an_organization(self, client, people, tree):
        """Choosing osmanthus signs up its cadres and those of the branch below it."""
        session = make_session(tree.east, people.east_secretary)
        extra = make_cadre(tree.osmanthus, username="o1", mobile="13922220001")
        client.force_login(people.east_secretary)
        assign(client, session, organization=tree.osmanthus.pk)
        assigned = set(Attendance.objects.values_list("cadre", flat=True))
        assert assigned == {people.cadre.pk, extra.pk}

    def test_cadre_outside_the_subtree_cannot_be_assigned(self, client, people, tree):
        """A xinhua cadre or organization is refused for an east session (400) and nothing is
        created; the service refuses too."""
        session = make_session(tree.east, people.east_secretary)
        client.force_login(people.east_secretary)
        both = [people.cadre.pk, people.xinhua_cadre.pk]
        assert assign(client, session, cadres=both).status_code == 400
        assert assign(client, session, organization=tree.xinhua.pk).status_code == 400
        assert assign(client, session).status_code == 400
        with pytest.raises(services.NotAssignable):
            services.attendance_assign(
                session=session, cadres=[people.xinhua_cadre], by=people.east_secretary
            )
        assert not Attendance.objects.exists() and not Notification.objects.exists()

    def test_capacity_refuses_the_whole_assignment(self, client, people, tree):
        """Two places, one taken: assigning two more is refused (409) and creates nothing;
        re-assigning the one already signed up plus one more fits."""
        session = make_session(tree.east, people.east_secretary, capacity=2)
        services.attendance_sign_up(session=session, cadre=people.sakura_cadre)
        extra = make_cadre(tree.osmanthus, username="o1", mobile="13922220001")
        client.force_login(people.east_secretary)
        response = assign(client, session, cadres=[people.cadre.pk, extra.pk])
        assert response.status_code == 409
        assert 'data-refusal="over_capacity"' in response.content.decode()
        assert Attendance.objects.count() == 1 and not Notification.objects.exists()
        response = assign(client, session, cadres=[people.sakura_cadre.pk, extra.pk])
        assert response.status_code == 302
        assert Attendance.objects.filter(session=session, signed_up=True).count() == 2
        assert list(Notification.objects.values_list("user", flat=True)) == [extra.pk]

    def test_no_assigning_once_started(self, client, people, tree):
        """After the start the roster offers no assigning and a post is refused."""
        session = make_session(
            tree.east, people.east_secretary, starts_in=-datetime.timedelta(minutes=5)
        )
        client.force_login(people.east_secretary)
        roster = client.get(reverse("offline_session_roster", args=[session.pk]))
        assert roster.context["can_assign"] is False
        assert 'id="assign-cadres"' not in roster.content.decode()
        assert assign(client, session, cadres=[people.cadre.pk]).status_code == 409
        assert not Attendance.objects.exists()

    def test_roster_with_search_is_flat(self, client, people, tree):
        """The roster with a search costs the same with 3 or 23 matching cadres."""
        session = make_session(tree.east, people.east_secretary)
        client.force_login(people.east_secretary)
        url = reverse("offline_session_roster", args=[session.pk]) + "?q=1385"

        def add(start, count):
            for index in range(start, start + count):
                make_cadre(tree.sakura, username=f"s{index}", mobile=f"1385{index:07d}")

        add(0, 3)
        small = page_queries(client, url)
        add(3, 20)
        assert page_queries(client, url) == small
        assert len(client.get(url).context["candidates"]) == 23
