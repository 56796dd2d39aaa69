"""QR check-in: the signed token (fresh, expired, tampered, of another session), the check-in
window, who may check in, idempotent re-scans, and closing that credits the ledger once."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse

from courses.models import CreditEntry
from offline import services, tokens
from offline.models import Attendance, OfflineSession, OfflineSettings

from ..factories import make_cadre
from .conftest import make_session

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)


def check_in(session, cadre, *, at, token_at=None, rules=None):
    """Checks in at `at` with a code the screen showed at `token_at` (default: the same time)."""
    token = tokens.checkin_token(session.pk, now=token_at or at)
    return services.attendance_check_in(
        session=session, cadre=cadre, token=token, now=at, rules=rules
    )


class TestToken:
    def test_a_fresh_token_names_its_session(self, east_class):
        """A token read within its age names the session it was made for."""
        token = tokens.checkin_token(east_class.pk)
        assert tokens.checkin_token_session(token, max_age=60) == east_class.pk

    def test_a_token_older_than_the_max_age_is_expired(self, east_class):
        """61 seconds after the screen showed it, a 60-second code is refused as expired."""
        shown = east_class.starts_at
        token = tokens.checkin_token(east_class.pk, now=shown)
        assert tokens.checkin_token_session(token, max_age=60, now=shown + 60 * SECOND)
        with pytest.raises(tokens.TokenExpired):
            tokens.checkin_token_session(token, max_age=60, now=shown + 61 * SECOND)

    def test_a_tampered_token_is_invalid(self, east_class):
        """Changing any character of the token breaks the signature."""
        token = tokens.checkin_token(east_class.pk)
        other = "A" if token[0] != "A" else "B"
        with pytest.raises(tokens.TokenInvalid):
            tokens.checkin_token_session(other + token[1:])
        with pytest.raises(tokens.TokenInvalid):
            tokens.checkin_token_session(token + "x")

    def test_a_token_from_the_future_is_invalid(self, east_class):
        """A timestamp ahead of the server's clock beyond the skew is not accepted."""
        token = tokens.checkin_token(east_class.pk, now=east_class.starts_at)
        with pytest.raises(tokens.TokenInvalid):
            tokens.checkin_token_session(token, now=east_class.starts_at - MINUTE)

    def test_the_token_of_another_session_is_refused(self, people, tree, east_class, rules):
        """A code shown for one session does not check anyone into another."""
        other = make_session(tree.east, people.east_secretary, title="另一场")
        token = tokens.checkin_token(other.pk, now=east_class.starts_at)
        with pytest.raises(services.CodeInvalid):
            services.attendance_check_in(
                session=east_class, cadre=people.cadre, token=token, now=east_class.starts_at
            )


class TestWindowAndStatus:
    def test_on_time_is_present_and_after_the_late_mark_is_late(self, people, east_class, rules):
        """Up to 15 minutes past the start counts present; after that, late."""
        start = east_class.starts_at
        attendance, new = check_in(east_class, people.cadre, at=start + 15 * MINUTE)
        assert new and attendance.status == Attendance.Status.PRESENT
        attendance, new = check_in(east_class, people.sakura_cadre, at=start + 16 * MINUTE)
        assert new and attendance.status == Attendance.Status.LATE

    def test_too_early_and_after_the_end_are_refused(self, people, east_class, rules):
        """Check-in opens 30 minutes before the start and closes at the end."""
        start = east_class.starts_at
        with pytest.raises(services.NotOpenYet):
            check_in(east_class, people.cadre, at=start - 31 * MINUTE)
        attendance, _ = check_in(east_class, people.cadre, at=start - 30 * MINUTE)
        assert attendance.status == Attendance.Status.PRESENT
        with pytest.raises(services.CheckinClosed):
            check_in(east_class, people.sakura_cadre, at=east_class.ends_at + MINUTE)

    def test_an_expired_code_is_refused(self, people, east_class, rules):
        """A photo of the screen taken 61 seconds ago no longer checks anyone in."""
        at = east_class.starts_at
        with pytest.raises(services.CodeExpired):
            check_in(east_class, people.cadre, at=at, token_at=at - 61 * SECOND)
        assert not Attendance.objects.exists()

    def test_the_max_age_is_a_setting(self, people, east_class, rules):
        """With a 120-second maximum, a 90-second-old code still works."""
        rules.code_max_age_seconds = 120
        rules.save()
        at = east_class.starts_at
        attendance, _ = check_in(east_class, people.cadre, at=at, token_at=at - 90 * SECOND)
        assert attendance.checked_in_at == at

    def test_scanning_again_keeps_the_first_check_in(self, people, east_class, rules):
        """The second scan, later, changes nothing: same row, first time and status."""
        start = east_class.starts_at
        first, new = check_in(east_class, people.cadre, at=start)
        again, new_again = check_in(east_class, people.cadre, at=start + 40 * MINUTE)
        assert new and not new_again
        assert again.pk == first.pk
        assert again.checked_in_at == start and again.status == Attendance.Status.PRESENT
        assert Attendance.objects.count() == 1

    def test_a_signed_up_cadre_is_checked_in_on_their_sign_up(self, people, east_class, rules):
        """Checking in turns the sign-up into an attendance (one row, still signed up)."""
        services.attendance_sign_up(
            session=east_class, cadre=people.cadre, now=east_class.starts_at - 60 * MINUTE
        )
        attendance, _ = check_in(east_class, people.cadre, at=east_class.starts_at)
        assert attendance.signed_up and attendance.status == Attendance.Status.PRESENT


class TestWhoMayCheckIn:
    def test_outside_the_subtree_is_refused(self, people, east_class, rules):
        """A cadre of the south street cannot check in to an east street class."""
        with pytest.raises(services.NotEligible):
            check_in(east_class, people.xinhua_cadre, at=east_class.starts_at)

    def test_a_sign_up_only_session_refuses_walk_ins(self, people, tree, rules):
        """When only those signed up may check in, someone who did not sign up is refused."""
        session = make_session(
            tree.east, people.east_secretary, audience=OfflineSession.Audience.ENROLLED
        )
        with pytest.raises(services.NotSignedUp):
            check_in(session, people.cadre, at=session.starts_at)
        services.attendance_sign_up(
            session=session, cadre=people.sakura_cadre, now=session.starts_at - MINUTE
        )
        attendance, _ = check_in(session, people.sakura_cadre, at=session.starts_at)
        assert attendance.status == Attendance.Status.PRESENT


class TestCheckinPage:
    def in_window(self, session):
        """Moves the session so that now lies five minutes after its start."""
        start = datetime.datetime.now(datetime.UTC) - 5 * MINUTE
        OfflineSession.objects.filter(pk=session.pk).update(
            starts_at=start, ends_at=start + datetime.timedelta(hours=2)
        )

    def test_the_scan_checks_the_cadre_in(self, client, people, east_class, rules):
        """The QR's URL, opened by a logged-in cadre, answers with their check-in."""
        self.in_window(east_class)
        client.force_login(people.cadre)
        response = client.get(
            reverse("offline_checkin", args=[tokens.checkin_token(east_class.pk)])
        )
        assert response.status_code == 200
        assert 'data-status="present"' in response.content.decode()
        assert Attendance.objects.get().cadre == people.cadre

    def test_logged_out_scan_comes_back_after_login(self, client, login, people, east_class, rules):
        """Logged out, the scan leads to the login with ?next=; after logging in the scan
        counts even if the code has aged meanwhile."""
        self.in_window(east_class)
        url = reverse("offline_checkin", args=[tokens.checkin_token(east_class.pk)])
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={quote(url, safe='/')}"
        rules.code_max_age_seconds = 10
        rules.save()
        login(people.cadre)
        session = client.session
        scan = session["offline_checkin_scan"]
        scan["at"] = (datetime.datetime.now(datetime.UTC) - 5 * SECOND).isoformat()
        session["offline_checkin_scan"] = scan
        session.save()
        stale = tokens.checkin_token(
            east_class.pk, now=datetime.datetime.now(datetime.UTC) - MINUTE
        )
        assert client.get(reverse("offline_checkin", args=[stale])).status_code == 410
        assert client.get(url).status_code == 200

    @pytest.mark.parametrize(
        ("case", "status", "code"),
        [
            ("expired", 410, "expired"),
            ("tampered", 400, "invalid"),
            ("outsider", 403, "not_eligible"),
            ("early", 409, "not_open"),
        ],
    )
    def test_refusals_are_clear_pages(self, client, people, east_class, rules, case, status, code):
        """Each refusal answers its HTTP status with a page naming the reason."""
        now = datetime.datetime.now(datetime.UTC)
        if case != "early":
            self.in_window(east_class)
        token = tokens.checkin_token(
            east_class.pk, now=now - 2 * MINUTE if case == "expired" else now
        )
        if case == "tampered":
            token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        client.force_login(people.xinhua_cadre if case == "outsider" else people.cadre)
        response = client.get(reverse("offline_checkin", args=[token]))
        assert response.status_code == status
        assert f'data-refusal="{code}"' in response.content.decode()
        assert not Attendance.objects.exists()


class TestClosing:
    def attend(self, session, people):
        """张秀英 on time, the sakura cadre late, a signed-up cadre who never came."""
        no_show = make_cadre(session.organization, username="noshow", mobile="13800000099")
        services.attendance_sign_up(session=session, cadre=no_show, now=session.starts_at - MINUTE)
        check_in(session, people.cadre, at=session.starts_at)
        check_in(session, people.sakura_cadre, at=session.starts_at + 20 * MINUTE)
        return no_show

    def test_closing_credits_present_and_late_by_the_policy(self, people, east_class, rules):
        """Present earns the hours, late half of them (the default policy), absent nothing;
        those never marked become absent."""
        no_show = self.attend(east_class, people)
        credited = services.session_close(
            session=east_class, by=people.east_secretary, now=east_class.ends_at
        )
        assert credited == 2
        ledger = {
            entry.cadre_id: entry.hours
            for entry in CreditEntry.objects.filter(source=f"session:{east_class.pk}")
        }
        assert ledger == {people.cadre.pk: Decimal("4"), people.sakura_cadre.pk: Decimal("2")}
        entry = CreditEntry.objects.get(cadre=people.cadre)
        assert entry.kind == CreditEntry.Kind.OFFLINE_CLASS
        assert entry.granted_by == people.east_secretary
        assert Attendance.objects.get(cadre=no_show).status == Attendance.Status.ABSENT

    @pytest.mark.parametrize(
        ("policy", "late_hours"),
        [(OfflineSettings.LateCredit.FULL, Decimal("4")), (OfflineSettings.LateCredit.NONE, None)],
    )
    def test_late_policy(self, people, east_class, rules, policy, late_hours):
        """Late arrivals earn the full hours, or none, as the setting says."""
        rules.late_credit = policy
        rules.save()
        self.attend(east_class, people)
        services.session_close(session=east_class, by=people.east_secretary, now=east_class.ends_at)
        late = CreditEntry.objects.filter(cadre=people.sakura_cadre).first()
        assert (late.hours if late else None) == late_hours

    def test_closing_twice_credits_once(self, people, east_class, rules):
        """A second close credits nothing and the ledger keeps one entry per person."""
        self.attend(east_class, people)
        close = {"session": east_class, "by": people.east_secretary, "now": east_class.ends_at}
        assert services.session_close(**close) == 2
        assert services.session_close(**close) == 0
        assert CreditEntry.objects.count() == 2

    def test_after_closing_marking_and_check_in_are_refused(self, people, east_class, rules):
        """The roster is final once closed: no marks, no scans."""
        self.attend(east_class, people)
        services.session_close(session=east_class, by=people.east_secretary, now=east_class.ends_at)
        attendance = Attendance.objects.get(cadre=people.sakura_cadre)
        with pytest.raises(services.RosterFinal):
            services.attendance_mark(
                attendance=attendance, status="present", by=people.east_secretary
            )
        other = make_cadre(east_class.organization, username="later", mobile="13800000098")
        with pytest.raises(services.CheckinClosed):
            check_in(east_class, other, at=east_class.starts_at + 30 * MINUTE)

    def test_a_session_cannot_be_closed_before_it_starts(self, people, east_class, rules):
        """Closing before the start would mark everyone absent; it is refused."""
        with pytest.raises(services.NotStarted):
            services.session_close(
                session=east_class, by=people.east_secretary, now=east_class.starts_at - MINUTE
            )

    def test_a_manual_mark_counts_at_closing(self, client, people, east_class, rules):
        """A phone that failed: the organizer marks the cadre present on the roster."""
        services.attendance_sign_up(
            session=east_class, cadre=people.cadre, now=east_class.starts_at - MINUTE
        )
        attendance = Attendance.objects.get()
        client.force_login(people.east_secretary)
        url = reverse("offline_attendance_mark", args=[east_class.pk, attendance.pk])
        assert client.post(url, {"status": "present"}).status_code == 302
        OfflineSession.objects.filter(pk=east_class.pk).update(
            starts_at=east_class.starts_at - datetime.timedelta(days=2),
            ends_at=east_class.ends_at - datetime.timedelta(days=2),
        )
        response = client.post(reverse("offline_session_close", args=[east_class.pk]))
        assert response.status_code == 302
        assert CreditEntry.objects.get().cadre == people.cadre
