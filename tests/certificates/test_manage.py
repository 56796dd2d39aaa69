"""Secretaries' certificate pages: the list by organization, a class completed in bulk, and
the ZIP of a class's certificates packed in the background with a progress bar."""

import io
import zipfile

import pytest
from django.contrib.messages import get_messages

from certificates.models import Certificate, CertificateArchive
from certificates.services import certificate_reissue, certificate_revoke, statement_issue
from courses import services as course_services
from courses.models import CreditEntry, Enrollment

from ..factories import make_cadre
from ..queries import page_queries
from .conftest import read_pdf

pytestmark = pytest.mark.django_db

# user, managed paths, the organization, the courses certified in the subtree (subjects, then
# pages), count, page of certificates, the two permission lookups of the navigation, the
# unread-notification badge
LIST_QUERIES = 10
# user, managed paths, the organization, the course, the class with certificates in one query,
# the two permission lookups of the navigation, the secretary's recent archives, the
# unread-notification badge
CLASS_QUERIES = 9


def enroll(course, *cadres):
    for cadre in cadres:
        course_services.enrollment_create(cadre=cadre, course=course)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def east(client, people, settings):
    """The street secretary of 东湖街道 (communities 桂花园 and 樱花路 below), logged in, reading
    in English so that the assertions do not follow the Chinese catalogue's progress."""
    client.force_login(people.east_secretary)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def archive_of(django_capture_on_commit_callbacks):
    """Asks for a class's ZIP and runs the packing task committed after the request."""

    def ask(client, organization, course):
        url = f"/manage/org/{organization.pk}/courses/{course.pk}/archive/"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        assert response.status_code == 302, response.status_code
        return CertificateArchive.objects.latest("pk"), response["Location"]

    return ask


class TestCertificateList:
    def test_street_secretary_sees_certificates_of_the_communities_below(
        self, east, tree, people, offline_course, complete
    ):
        """The street lists its communities' certificates with serial, hours and status."""
        for cadre in (people.cadre, people.sakura_cadre, people.xinhua_cadre):
            complete(cadre, offline_course)
        response = east.get(f"/manage/org/{tree.east.pk}/certificates/")
        assert response.status_code == 200
        holders = {c.holder_name for c in response.context["page"]}
        assert holders == {people.cadre.name, people.sakura_cadre.name}
        text = response.content.decode()
        mine = Certificate.objects.get(cadre=people.cadre)
        assert mine.serial in text and tree.branch.name in text
        assert f"/certificates/{mine.pk}/pdf/" in text
        assert people.xinhua_cadre.name not in text

    def test_community_secretary_sees_only_their_community(
        self, client, tree, people, offline_course, complete
    ):
        """桂花园's secretary sees 桂花园 and its branch, nothing of the sibling 樱花路."""
        complete(people.cadre, offline_course)
        complete(people.sakura_cadre, offline_course)
        client.force_login(people.osmanthus_secretary)
        response = client.get(f"/manage/org/{tree.osmanthus.pk}/certificates/")
        assert [c.cadre for c in response.context["page"]] == [people.cadre]
        assert client.get(f"/manage/org/{tree.sakura.pk}/certificates/").status_code == 404

    def test_sibling_street_parent_and_cadres_get_404(self, client, east, tree, people):
        """Outside the subtree, or for a cadre, every certificate page answers 404."""
        for organization in (tree.south, tree.xinhua, tree.district):
            assert east.get(f"/manage/org/{organization.pk}/certificates/").status_code == 404
        client.force_login(people.cadre)
        assert client.get(f"/manage/org/{tree.branch.pk}/certificates/").status_code == 404

    def test_filters_by_kind_and_by_course(
        self, east, tree, people, course, offline_course, complete
    ):
        """Kind and course narrow the list; a course filter links to the class page."""
        complete(people.cadre, course)
        complete(people.cadre, offline_course)
        complete(people.sakura_cadre, offline_course)
        url = f"/manage/org/{tree.east.pk}/certificates/"

        response = east.get(url, {"kind": Certificate.Kind.COURSE})
        assert [c.title for c in response.context["page"]] == [course.title]

        response = east.get(url, {"course": offline_course.pk})
        assert {c.cadre for c in response.context["page"]} == {people.cadre, people.sakura_cadre}
        assert f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/" in (
            response.content.decode()
        )
        listed = [title for _, title in response.context["form"].fields["course"].choices]
        assert course.title in listed and offline_course.title in listed

        response = east.get(url, {"kind": "bogus"})
        assert response.context["page"].paginator.count == 3  # an invalid filter is not applied

    def test_revoked_certificates_are_listed_as_revoked(
        self, east, tree, people, offline_course, complete
    ):
        """A revoked certificate stays in the list, marked revoked."""
        complete(people.cadre, offline_course)
        certificate = Certificate.objects.get(cadre=people.cadre)
        certificate_revoke(certificate=certificate, reason="信息有误", by=people.admin)
        response = east.get(f"/manage/org/{tree.east.pk}/certificates/")
        [row] = response.context["page"]
        assert not row.is_valid
        assert "status-failed" in response.content.decode()

    def test_paginated_by_25_keeping_the_filter(self, east, tree, offline_course):
        """Pages of 25; the page links keep the filters."""
        for n in range(26):
            cadre = make_cadre(tree.sakura, mobile=f"136{n:08d}")
            enrollment = course_services.enrollment_create(cadre=cadre, course=offline_course)
            course_services.course_complete(enrollment=enrollment, by=None)
        url = f"/manage/org/{tree.east.pk}/certificates/"
        response = east.get(url, {"kind": Certificate.Kind.CLASS})
        assert len(response.context["page"]) == 25
        assert "?kind=class&amp;page=2" in response.content.decode()
        assert len(east.get(url, {"kind": Certificate.Kind.CLASS, "page": 2}).context["page"]) == 1

    def test_query_count_is_flat(self, east, tree, people, course, offline_course):
        """The list costs the same queries with 2 or 12 certificates of every kind and status."""
        url = f"/manage/org/{tree.east.pk}/certificates/"
        east.get(url)  # the first request of the process loads content types

        def certify(cadre, course_page):
            enrollment = course_services.enrollment_create(cadre=cadre, course=course_page)
            course_services.course_complete(enrollment=enrollment, by=people.east_secretary)

        certify(people.cadre, course)
        certify(people.sakura_cadre, offline_course)
        small = page_queries(east, url)
        filtered = page_queries(east, f"{url}?course={offline_course.pk}&kind=class")
        for n in range(4):
            cadre = make_cadre(tree.branch if n % 2 else tree.sakura, mobile=f"136{n:08d}")
            certify(cadre, course)
            certify(cadre, offline_course)
        statement_issue(cadre=people.cadre, year=Certificate.objects.first().year)
        certificate_reissue(
            certificate=Certificate.objects.filter(cadre=people.sakura_cadre).get(),
            reason="信息有误",
            by=people.admin,
        )
        assert Certificate.objects.count() == 12  # 2 + 8 + a statement + a reissue
        assert small == page_queries(east, url) == LIST_QUERIES
        assert filtered == page_queries(east, f"{url}?course={offline_course.pk}&kind=class")
        assert filtered == LIST_QUERIES


class TestOrganizationPageLinks:
    def test_organization_page_links_certificates_and_classes_with_counts(
        self, east, tree, people, course, offline_course, complete
    ):
        """The organization page links to its certificates and its classes; the classes page
        lists the subtree's courses with enrolled/completed counts."""
        enroll(course, people.cadre, people.sakura_cadre, people.xinhua_cadre)
        complete(people.cadre, offline_course)
        text = east.get(f"/manage/org/{tree.east.pk}/").content.decode()
        assert f"/manage/org/{tree.east.pk}/certificates/" in text
        assert f"/manage/org/{tree.east.pk}/courses/" in text
        text = east.get(f"/manage/org/{tree.east.pk}/courses/").content.decode()
        assert f"/manage/org/{tree.east.pk}/courses/{course.pk}/" in text
        assert f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/" in text
        assert "2 enrolled · 0 completed" in text  # 新华里 is not counted
        assert "1 enrolled · 1 completed" in text


class TestClassPage:
    def test_lists_the_subtrees_enrolled_cadres_with_state_and_serial(
        self, east, tree, people, offline_course, complete
    ):
        """Enrolled cadres of the subtree with their organization, completion and serial."""
        enroll(offline_course, people.sakura_cadre, people.xinhua_cadre)
        complete(people.cadre, offline_course)
        response = east.get(f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/")
        assert response.status_code == 200
        rows = {e.cadre: e for e in response.context["enrollments"]}
        assert set(rows) == {people.cadre, people.sakura_cadre}
        serial = Certificate.objects.get(cadre=people.cadre).serial
        assert rows[people.cadre].certificate_serial == serial
        assert rows[people.cadre].home_name == tree.branch.name
        assert rows[people.sakura_cadre].completed_at is None
        assert rows[people.sakura_cadre].certificate_serial is None
        text = response.content.decode()
        assert serial in text and people.xinhua_cadre.name not in text
        # a checkbox for the cadre still to complete only
        assert f'name="cadre" value="{people.sakura_cadre.pk}"' in text
        assert f'name="cadre" value="{people.cadre.pk}"' not in text
        assert "data-check-all" in text

    def test_sibling_street_and_cadres_get_404(self, client, east, tree, people, offline_course):
        """The class of another street, and any class for a cadre, answers 404."""
        for organization in (tree.south, tree.xinhua):
            url = f"/manage/org/{organization.pk}/courses/{offline_course.pk}/"
            assert east.get(url).status_code == 404
            assert (
                east.post(f"{url}complete/", {"cadre": [people.xinhua_cadre.pk]}).status_code == 404
            )
            assert east.post(f"{url}archive/").status_code == 404
        assert east.get(f"/manage/org/{tree.east.pk}/courses/999999/").status_code == 404
        client.force_login(people.cadre)
        url = f"/manage/org/{tree.branch.pk}/courses/{offline_course.pk}/"
        assert client.get(url).status_code == 404

    def test_query_count_is_flat(self, east, tree, people, offline_course, complete):
        """The class page costs the same queries with 2 or 12 enrolled cadres."""
        url = f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/"
        east.get(url)
        enroll(offline_course, people.sakura_cadre)
        complete(people.cadre, offline_course)
        small = page_queries(east, url)
        for n in range(10):
            cadre = make_cadre(tree.branch if n % 2 else tree.sakura, mobile=f"136{n:08d}")
            enrollment = course_services.enrollment_create(cadre=cadre, course=offline_course)
            if n % 3 == 0:
                course_services.course_complete(enrollment=enrollment, by=None)
        assert len(east.get(url).context["enrollments"]) == 12
        assert small == page_queries(east, url) == CLASS_QUERIES


class TestBulkComplete:
    @pytest.fixture
    def post(self, east, tree, offline_course, django_capture_on_commit_callbacks):
        """Posts selected cadre ids to the class of 东湖街道 and runs the on-commit work."""

        def do_post(*cadres, course=offline_course):
            url = f"/manage/org/{tree.east.pk}/courses/{course.pk}/complete/"
            with django_capture_on_commit_callbacks(execute=True):
                response = east.post(url, {"cadre": [c.pk for c in cadres]})
            return response

        return do_post

    def test_completes_credits_and_certifies_exactly_once(self, post, tree, people, offline_course):
        """Selected cadres are completed by the secretary, credited once, certified once."""
        enroll(offline_course, people.cadre, people.sakura_cadre)
        response = post(people.cadre, people.sakura_cadre)
        assert response.status_code == 302
        assert response["Location"] == f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/"
        assert "2 cadres marked complete" in messages_of(response)[0]
        response = post(people.cadre, people.sakura_cadre)  # submitted twice
        assert "2 cadres had already completed the course." in messages_of(response)

        for cadre in (people.cadre, people.sakura_cadre):
            enrollment = Enrollment.objects.get(cadre=cadre, course=offline_course)
            assert enrollment.completed_at is not None
            assert enrollment.completed_by == people.east_secretary
            [entry] = CreditEntry.objects.filter(cadre=cadre)
            assert (entry.kind, entry.source) == ("offline_class", f"course:{offline_course.pk}")
            assert entry.hours == 4 and entry.granted_by == people.east_secretary
            [certificate] = Certificate.objects.filter(cadre=cadre)
            assert certificate.kind == Certificate.Kind.CLASS
            assert certificate.status == Certificate.Status.ISSUED and certificate.pdf

    def test_refuses_outsiders_and_the_unenrolled_without_side_effects(
        self, post, people, offline_course
    ):
        """Another street's cadre and a cadre not enrolled are left unchanged, with a message
        that names the secretary's own cadre and only counts the outsider."""
        enroll(offline_course, people.cadre, people.xinhua_cadre)
        response = post(people.cadre, people.xinhua_cadre, people.sakura_cadre, people.admin)
        texts = messages_of(response)
        assert "1 cadre marked complete" in texts[0]
        assert any("Not enrolled" in t and people.sakura_cadre.name in t for t in texts)
        assert any(t.startswith("2 selected people are not cadres of") for t in texts)
        assert not any(people.xinhua_cadre.name in t for t in texts)

        assert Certificate.objects.get().cadre == people.cadre
        assert CreditEntry.objects.get().cadre == people.cadre
        outsider = Enrollment.objects.get(cadre=people.xinhua_cadre)
        assert outsider.completed_at is None and outsider.completed_by is None
        assert not Enrollment.objects.filter(cadre=people.sakura_cadre).exists()

    def test_nothing_selected_changes_nothing(self, post, people, offline_course):
        """Posting without a selection asks for one."""
        enroll(offline_course, people.cadre)
        response = post()
        assert messages_of(response) == ["Select the cadres to mark complete."]
        assert not Enrollment.objects.filter(completed_at__isnull=False).exists()

    def test_online_courses_are_not_completed_by_hand(self, east, post, tree, people, course):
        """As on the cadre page, an online course is completed by studying it: 404."""
        enroll(course, people.cadre)
        assert post(people.cadre, course=course).status_code == 404
        assert Enrollment.objects.get(cadre=people.cadre).completed_at is None
        assert not Certificate.objects.exists()
        text = east.get(f"/manage/org/{tree.east.pk}/courses/{course.pk}/").content.decode()
        assert 'name="cadre"' not in text


class TestArchive:
    def test_zip_holds_one_pdf_per_certificate_named_by_serial_and_holder(
        self, east, client, tree, people, offline_course, complete, archive_of, tmp_path
    ):
        """The ZIP of the class has each valid certificate of the subtree once, as a PDF."""
        for cadre in (people.cadre, people.sakura_cadre, people.xinhua_cadre):
            complete(cadre, offline_course)
        archive, location = archive_of(east, tree.east, offline_course)
        assert location == f"/manage/archive/{archive.pk}/"
        archive.refresh_from_db()
        assert archive.status == CertificateArchive.Status.DONE
        assert archive.requested_by == people.east_secretary

        page = east.get(location).content.decode()
        assert f"/manage/archive/{archive.pk}/download/" in page
        assert "data-poll" not in page

        response = east.get(f"/manage/archive/{archive.pk}/download/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        expected = {
            f"{c.serial}-{c.holder_name}.pdf"
            for c in Certificate.objects.filter(cadre__in=[people.cadre, people.sakura_cadre])
        }
        assert set(bundle.namelist()) == expected
        for name in bundle.namelist():
            content = bundle.read(name)
            assert content.startswith(b"%PDF")
        mine = next(n for n in bundle.namelist() if people.cadre.name in n)
        (tmp_path / "mine.pdf").write_bytes(bundle.read(mine))
        assert people.cadre.name in "".join(read_pdf(tmp_path / "mine.pdf").text.split())

    def test_progress_endpoint_reports_counts(
        self, east, tree, people, offline_course, complete, archive_of
    ):
        """The progress JSON feeds the progress bar, as for roster imports."""
        complete(people.cadre, offline_course)
        complete(people.sakura_cadre, offline_course)
        archive, location = archive_of(east, tree.east, offline_course)
        data = east.get(f"/manage/archive/{archive.pk}/progress/").json()
        assert data == {
            "status": "done",
            "status_label": data["status_label"],
            "total": 2,
            "processed": 2,
            "finished": True,
            "url": location,
        }

    def test_pending_archive_page_polls(self, east, tree, people, offline_course, complete):
        """Before the task has run, the page polls its progress URL and offers no download."""
        complete(people.cadre, offline_course)
        response = east.post(f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/archive/")
        archive = CertificateArchive.objects.get()
        assert archive.status == CertificateArchive.Status.PENDING  # on_commit not run
        page = east.get(response["Location"]).content.decode()
        assert "data-poll" in page
        assert f'data-progress-url="/manage/archive/{archive.pk}/progress/"' in page
        data = east.get(f"/manage/archive/{archive.pk}/progress/").json()
        assert (data["status"], data["finished"], data["processed"]) == ("pending", False, 0)
        download = east.get(f"/manage/archive/{archive.pk}/download/")
        assert download.status_code == 302 and download["Location"] == response["Location"]

    def test_archive_is_404_for_anyone_but_the_requester(
        self, east, client, tree, people, offline_course, complete, archive_of
    ):
        """Another secretary — even one of a community inside the subtree — gets 404."""
        complete(people.cadre, offline_course)
        archive, _ = archive_of(east, tree.east, offline_course)
        for other in (people.south_secretary, people.osmanthus_secretary, people.cadre):
            client.force_login(other)
            for suffix in ("", "progress/", "download/"):
                assert client.get(f"/manage/archive/{archive.pk}/{suffix}").status_code == 404

    def test_class_without_certificates_gets_no_archive(self, east, tree, people, offline_course):
        """Asking for the ZIP of a class without certificates says so and creates nothing."""
        enroll(offline_course, people.cadre)
        url = f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/"
        response = east.post(f"{url}archive/")
        assert response["Location"] == url
        assert messages_of(response) == ["This class has no certificates to download yet."]
        assert not CertificateArchive.objects.exists()

    def test_class_page_lists_the_requesters_archives(
        self, east, tree, people, offline_course, complete, archive_of
    ):
        """The class page links the secretary's recent ZIPs."""
        complete(people.cadre, offline_course)
        _archive, location = archive_of(east, tree.east, offline_course)
        page = east.get(f"/manage/org/{tree.east.pk}/courses/{offline_course.pk}/")
        assert location in page.content.decode()
