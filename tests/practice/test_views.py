"""Who sees which logs, claims and photos (everything outside scope answers 404), the review
pages and their decisions, and query counts pinned at two sizes."""

import datetime
from decimal import Decimal

import pytest

from courses.models import CreditEntry
from practice.models import PracticeLog, Status
from practice.services import review_approve
from practice.templatetags.practice_tags import practice_pending

from ..factories import make_cadre, make_secretary
from ..queries import page_queries
from .conftest import submit_log

pytestmark = pytest.mark.django_db
# user, the paginator's count, the rows (photos counted, organization as a subquery), plus
# the layout's notification badge, managed paths and two permission lookups
LIST_QUERIES = 7
# the list's, plus the organizations of the filter and the counts per status
QUEUE_QUERIES = 9


@pytest.fixture
def log(people):
    """A submitted log of the branch cadre with one photo."""
    return submit_log(people.cadre, photos=1)


def status(client, user, url, method="get", data=None) -> int:
    client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


class TestPermissions:
    def test_cadre_sees_only_own_logs_and_photos(self, client, people, log):
        """Another cadre gets 404 on the log, its edit page and its photo."""
        photo = log.photos.get()
        for url in (f"/practice/{log.pk}/", f"/practice/photo/{photo.pk}/"):
            assert status(client, people.cadre, url) == 200
            assert status(client, people.sakura_cadre, url) == 404
        client.force_login(people.sakura_cadre)
        assert str(log.place) not in client.get("/practice/").content.decode()

    @pytest.mark.parametrize("who", ["osmanthus_secretary", "east_secretary", "admin"])
    def test_secretaries_over_the_cadre_review_and_see_photos(self, client, people, log, who):
        """The community, street and platform admins reach the log, its photo and thumbnail."""
        photo = log.photos.get()
        user = getattr(people, who)
        for url in (
            f"/practice/review/{log.pk}/",
            f"/practice/photo/{photo.pk}/",
            f"/practice/photo/{photo.pk}/thumb/",
        ):
            assert status(client, user, url) == 200

    @pytest.mark.parametrize("who", ["south_secretary", "sakura_cadre", "lecturer"])
    def test_outsiders_get_404(self, client, people, log, who):
        """A secretary of a sibling tree, another cadre, an unrelated lecturer: 404 on the
        review page, the decision, the photo; the queue does not list the log."""
        photo = log.photos.get()
        user = getattr(people, who)
        assert status(client, user, f"/practice/review/{log.pk}/") == 404
        assert status(client, user, f"/practice/photo/{photo.pk}/thumb/") == 404
        data = {"decision": "approve", "hours": "2"}
        assert status(client, user, f"/practice/review/{log.pk}/", "post", data) == 404
        assert status(client, user, "/practice/review/approve/", "post", {"ids": [log.pk]}) in (
            302,
            404,
        )
        log.refresh_from_db()
        assert log.status == Status.SUBMITTED

    def test_sibling_community_secretary_gets_404(self, client, people, tree, log):
        """The sakura community's secretary cannot reach a log of the osmanthus branch."""
        sakura_secretary = make_secretary(tree.sakura, username="sakura_sec")
        assert status(client, sakura_secretary, f"/practice/review/{log.pk}/") == 404
        assert status(client, sakura_secretary, f"/practice/photo/{log.photos.get().pk}/") == 404
        client.force_login(sakura_secretary)
        assert f'data-record="{log.pk}"' not in client.get("/practice/review/").content.decode()

    def test_lecturer_sees_only_logs_of_own_courses(self, client, people, taught_course, log):
        """A lecturer reviews logs tied to their course and nothing else."""
        tied = submit_log(people.xinhua_cadre, course=taught_course, photos=1)
        client.force_login(people.lecturer)
        html = client.get("/practice/review/").content.decode()
        assert f'data-record="{tied.pk}"' in html and f'data-record="{log.pk}"' not in html
        assert status(client, people.lecturer, f"/practice/photo/{tied.photos.get().pk}/") == 200
        response = client.post(
            f"/practice/review/{tied.pk}/", {"decision": "approve", "hours": "1.5"}
        )
        assert response.status_code == 302
        assert CreditEntry.objects.get(cadre=people.xinhua_cadre).hours == Decimal("1.5")
        assert status(client, people.lecturer, f"/practice/review/{log.pk}/") == 404

    def test_claims_private_to_cadre_and_secretaries(self, client, people, claim):
        """A claim's page and proof: its cadre and secretaries above; others 404."""
        for url in (f"/practice/claims/{claim.pk}/", f"/practice/claims/{claim.pk}/proof/"):
            assert status(client, people.cadre, url) == 200
            assert status(client, people.sakura_cadre, url) == 404
        assert status(client, people.east_secretary, f"/practice/claims/review/{claim.pk}/") == 200
        assert status(client, people.south_secretary, f"/practice/claims/review/{claim.pk}/") == 404
        assert status(client, people.lecturer, f"/practice/claims/review/{claim.pk}/") == 404
        assert status(client, people.south_secretary, f"/practice/claims/{claim.pk}/proof/") == 404

    def test_plain_cadre_cannot_open_the_queue(self, client, people):
        """The review queue is not for cadres."""
        assert status(client, people.cadre, "/practice/review/") == 404
        assert status(client, people.cadre, "/practice/claims/review/") == 404


class TestFiles:
    def test_photo_served_inline_with_nosniff(self, client, people, log):
        """The photo comes with its type, inline, nosniff; /media/ never serves it."""
        photo = log.photos.get()
        client.force_login(people.cadre)
        response = client.get(f"/practice/photo/{photo.pk}/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
        assert client.get(f"/media/{photo.image.name}").status_code == 404
        assert client.get(f"/media/{photo.thumbnail.name}").status_code == 404


class TestReviewPages:
    def test_return_needs_a_comment_then_cadre_edits_and_resubmits(self, client, people, log):
        """Returning without a comment is refused; with one, the cadre edits and resubmits."""
        client.force_login(people.osmanthus_secretary)
        url = f"/practice/review/{log.pk}/"
        assert client.post(url, {"decision": "decline", "comment": ""}).status_code == 400
        assert (
            client.post(url, {"decision": "decline", "comment": "请写明走访户数"}).status_code
            == 302
        )
        client.force_login(people.cadre)
        page = client.get(f"/practice/{log.pk}/").content.decode()
        assert "请写明走访户数" in page and 'id="practice-edit"' in page
        response = client.post(
            f"/practice/{log.pk}/edit/",
            {
                "date": log.date.isoformat(),
                "activity": log.activity,
                "place": log.place,
                "hours": "3",
                "description": "走访五户独居老人。",
                "reflection": log.reflection,
                "remove_photos": [log.photos.get().pk],
            },
        )
        assert response.status_code == 302
        log.refresh_from_db()
        assert (log.status, log.hours, log.photos.count()) == (Status.RESUBMITTED, 3, 0)

    def test_approved_log_is_locked(self, client, people, log):
        """Once approved, the edit page answers 404 and the figure shown is the approved one."""
        client.force_login(people.osmanthus_secretary)
        url = f"/practice/review/{log.pk}/"
        assert client.post(url, {"decision": "approve", "hours": "1.5"}).status_code == 302
        assert status(client, people.cadre, f"/practice/{log.pk}/edit/") == 404
        page = client.get(f"/practice/{log.pk}/").content.decode()
        assert 'data-hours="1.5"' in page and "申报 2.0" in page

    def test_bulk_approval_ignores_records_outside_scope(self, client, people, log):
        """The street secretary approves two logs at once; a log of another street is untouched."""
        other = submit_log(people.sakura_cadre, hours=Decimal("1"))
        foreign = submit_log(people.xinhua_cadre)
        client.force_login(people.east_secretary)
        response = client.post(
            "/practice/review/approve/", {"ids": [log.pk, other.pk, foreign.pk, "x"]}
        )
        assert response.status_code == 302
        statuses = dict(PracticeLog.objects.values_list("pk", "status"))
        assert statuses == {log.pk: "approved", other.pk: "approved", foreign.pk: "submitted"}
        assert CreditEntry.objects.filter(kind="practice").count() == 2

    def test_queue_counts_and_filters(self, client, people, tree):
        """Counts per status; filters by status, kind, organization and dates."""
        visit = submit_log(people.cadre, activity="site_visit")
        drill = submit_log(people.sakura_cadre, activity="field_drill")
        old = submit_log(people.sakura_cadre, date=datetime.date(2025, 3, 1))
        client.force_login(people.east_secretary)
        client.post(f"/practice/review/{old.pk}/", {"decision": "approve", "hours": "2"})

        def listed(query=""):
            html = client.get("/practice/review/" + query).content.decode()
            return {pk for pk in (visit.pk, drill.pk, old.pk) if f'data-record="{pk}"' in html}

        assert listed() == {visit.pk, drill.pk}
        assert listed("?status=approved") == {old.pk}
        assert listed("?status=&activity=field_drill") == {drill.pk}
        assert listed(f"?status=&organization={tree.sakura.pk}") == {drill.pk, old.pk}
        assert listed("?status=&date_to=2025-12-31") == {old.pk}
        html = client.get("/practice/review/").content.decode()
        assert 'data-count="submitted" href="?status=submitted">' in html


class TestQueryCounts:
    def add_logs(self, tree, count, offset):
        for n in range(count):
            cadre = make_cadre(tree.sakura if n % 2 else tree.branch, mobile=f"135{offset + n:08d}")
            submit_log(cadre, photos=1)

    def test_review_queue_flat_with_2_or_12_logs(self, client, people, tree):
        """The secretary's queue costs the same with 2 or 12 logs."""
        self.add_logs(tree, 2, 0)
        client.force_login(people.east_secretary)
        small = page_queries(client, "/practice/review/")
        self.add_logs(tree, 10, 100)
        assert small == page_queries(client, "/practice/review/") == QUEUE_QUERIES
        assert small == page_queries(client, "/practice/review/?status=&activity=home_visit")

    def test_cadre_list_flat_with_2_or_12_logs(self, client, people):
        """The cadre's own list costs the same with 2 or 12 logs."""
        for _ in range(2):
            submit_log(people.cadre, photos=1)
        client.force_login(people.cadre)
        small = page_queries(client, "/practice/")
        for _ in range(10):
            submit_log(people.cadre, photos=1)
        assert small == page_queries(client, "/practice/") == LIST_QUERIES


class TestClaimReview:
    def test_secretary_approves_a_claim_from_the_queue(self, client, people, claim):
        """The claim is listed in the street's claim queue and approved with fewer hours."""
        client.force_login(people.east_secretary)
        assert (
            f'data-record="{claim.pk}"' in client.get("/practice/claims/review/").content.decode()
        )
        url = f"/practice/claims/review/{claim.pk}/"
        assert client.post(url, {"decision": "approve", "hours": "6"}).status_code == 302
        entry = CreditEntry.objects.get(cadre=people.cadre)
        assert (entry.kind, entry.hours) == ("external", Decimal("6"))
        client.force_login(people.cadre)
        assert 'data-hours="6.0"' in client.get("/practice/claims/").content.decode()


class TestPendingTag:
    def test_counts_pending_records_of_the_subtree(self, people, tree, claim):
        """The organization page's tag counts what awaits review below that organization."""
        submit_log(people.cadre)
        submit_log(people.sakura_cadre)
        approved = submit_log(people.sakura_cadre)
        review_approve(item=approved, by=people.east_secretary)
        assert practice_pending(people.east_secretary, tree.east) == {"logs": 2, "claims": 1}
        assert practice_pending(people.east_secretary, tree.osmanthus) == {"logs": 1, "claims": 1}
        assert practice_pending(people.south_secretary, tree.east) == {"logs": 0, "claims": 0}
