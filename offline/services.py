"""Writes of offline sessions: scheduling, sign-up, QR check-in, marking, closing (which credits
the ledger) and in-service members reporting to a community.

Every refusal is a `SessionRefused` carrying the HTTP status and a message for the person;
views show it as it is. After a session is closed its roster is final: marking is refused, and
a correction of hours goes through the ledger (courses.services.credit_reverse), never here.
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from courses.models import CreditEntry
from courses.services import credit_grant
from lms import permissions
from lms.models import Organization, User
from lms.services import notification_send

from . import selectors, tokens
from .models import Attendance, OfflineSession, OfflineSettings, ReportIn


class SessionRefused(Exception):
    """A request about a session that is refused; `status` is the HTTP status to answer and
    `code` a stable name for pages and tests."""

    status = 400
    code = "refused"
    message = _("This request cannot be accepted.")

    def __str__(self):
        return str(self.message)


class CodeInvalid(SessionRefused):
    code = "invalid"
    message = _("This QR code is not valid. Please scan the code on the screen at the venue.")


class CodeExpired(SessionRefused):
    status = 410
    code = "expired"
    message = _("This QR code has expired. Please scan the latest code on the screen at the venue.")


class NotEligible(SessionRefused):
    status = 403
    code = "not_eligible"
    message = _("This session is not open to you.")


class NotSignedUp(SessionRefused):
    status = 403
    code = "not_signed_up"
    message = _("Only those who signed up for this session can check in.")


class NotOpenYet(SessionRefused):
    status = 409
    code = "not_open"
    message = _("Check-in for this session has not opened yet.")


class CheckinClosed(SessionRefused):
    status = 409
    code = "closed"
    message = _("Check-in for this session has closed.")


class SessionFull(SessionRefused):
    status = 409
    code = "full"
    message = _("Sorry, all places for this session are taken.")


class SessionStarted(SessionRefused):
    status = 409
    code = "started"
    message = _("This session has already started; sign-up and cancelling are closed.")


class NotAssignable(SessionRefused):
    status = 403
    code = "not_assignable"
    message = _("Only cadres of the session's organization can be assigned to it.")


class TooManyAssigned(SessionRefused):
    """Assigning would take more places than are left; nobody is assigned."""

    status = 409
    code = "over_capacity"

    def __init__(self, *, wanted: int, left: int):
        super().__init__()
        self.message = ngettext(
            "Assigning %(wanted)s people would exceed the places: only %(left)s place is left. "
            "Nobody has been assigned.",
            "Assigning %(wanted)s people would exceed the places: only %(left)s places are "
            "left. Nobody has been assigned.",
            left,
        ) % {"wanted": wanted, "left": left}


class RosterFinal(SessionRefused):
    status = 409
    code = "final"
    message = _("This session is closed; its attendance can no longer be changed.")


class NotStarted(SessionRefused):
    status = 409
    code = "not_started"
    message = _("A session can only be closed after it has started.")


# --- scheduling ------------------------------------------------------------------------------


@transaction.atomic
def session_save(*, session: OfflineSession, by: User) -> OfflineSession:
    """Schedules a new session or saves changes to one; a closed session stays as it was. A
    lecturer scheduling outside any subtree they manage is the session's platform lecturer."""
    if session.pk and OfflineSession.objects.filter(pk=session.pk, closed_at__isnull=False):
        raise RosterFinal
    if not session.pk:
        session.created_by = by
        profile = selectors.lecturer_profile(by)
        if profile is not None and not permissions.can_manage_organization(
            by, session.organization
        ):
            session.lecturer = profile
    session.save()
    return session


# --- sign-up ---------------------------------------------------------------------------------


def _locked(session: OfflineSession) -> OfflineSession:
    """The session row, locked until the transaction ends (serializes sign-ups and closing)."""
    return OfflineSession.objects.select_for_update().get(pk=session.pk)


def _sign_up_open(session: OfflineSession, now: datetime.datetime) -> OfflineSession:
    """The session locked, refusing once it has started or closed."""
    session = _locked(session)
    if session.is_closed or now >= session.starts_at:
        raise SessionStarted
    return session


def _places_left(session: OfflineSession) -> int | None:
    """Places not yet taken by sign-ups (None without a capacity); count under the lock."""
    if session.capacity is None:
        return None
    taken = Attendance.objects.filter(session=session, signed_up=True).count()
    return max(0, session.capacity - taken)


@transaction.atomic
def attendance_sign_up(
    *, session: OfflineSession, cadre: User, now: datetime.datetime | None = None
) -> Attendance:
    """Signs the cadre up; the capacity holds under concurrent sign-ups (the session row is
    locked while counting). Signing up again returns the same sign-up."""
    now = now or timezone.now()
    if not selectors.can_join(cadre, session):
        raise NotEligible
    session = _sign_up_open(session, now)
    existing = Attendance.objects.filter(session=session, cadre=cadre).first()
    if existing is not None:
        return existing
    if _places_left(session) == 0:
        raise SessionFull
    return Attendance.objects.create(session=session, cadre=cadre, signed_up=True)


@transaction.atomic
def attendance_assign(
    *, session: OfflineSession, cadres, by: User, now: datetime.datetime | None = None
) -> list[Attendance]:
    """The organizer signs `cadres` up for the session (all of them or, when that would
    exceed the places left or someone is outside the session's organization, none) and
    notifies each one newly assigned of the time and place. Those already on the roster are
    left as they are. Returns the new sign-ups."""
    now = now or timezone.now()
    wanted = {cadre.pk: cadre for cadre in cadres}
    eligible = selectors.cadres_below(session.organization.path).filter(pk__in=wanted)
    if eligible.count() != len(wanted):
        raise NotAssignable
    session = _sign_up_open(session, now)
    on_roster = set(
        Attendance.objects.filter(session=session, cadre__in=wanted).values_list("cadre", flat=True)
    )
    new = [cadre for pk, cadre in wanted.items() if pk not in on_roster]
    left = _places_left(session)
    if left is not None and len(new) > left:
        raise TooManyAssigned(wanted=len(new), left=left)
    created = Attendance.objects.bulk_create(
        Attendance(session=session, cadre=cadre, signed_up=True) for cadre in new
    )
    url = reverse("offline_session_detail", args=[session.pk])
    when = date_format(timezone.localtime(session.starts_at), "Y-m-d H:i")
    for cadre in new:
        notification_send(
            user=cadre,
            title=gettext("You have been signed up for %(title)s") % {"title": session.title},
            body=gettext("Time: %(when)s. Place: %(place)s.")
            % {"when": when, "place": session.place},
            url=url,
        )
    return created


@transaction.atomic
def attendance_cancel(
    *, session: OfflineSession, cadre: User, now: datetime.datetime | None = None
) -> bool:
    """Withdraws the cadre's sign-up before the session starts; False if there was none."""
    now = now or timezone.now()
    session = _sign_up_open(session, now)
    deleted, _ = Attendance.objects.filter(
        session=session, cadre=cadre, checked_in_at__isnull=True
    ).delete()
    return bool(deleted)


# --- check-in --------------------------------------------------------------------------------


def checkin_session(token: str) -> int:
    """The session a scanned token names, checking only its signature (to find the page)."""
    try:
        return tokens.checkin_token_session(token)
    except tokens.TokenInvalid as error:
        raise CodeInvalid from error
    except tokens.TokenExpired as error:  # pragma: no cover - no max age here
        raise CodeExpired from error


def attendance_check_in(
    *,
    session: OfflineSession,
    cadre: User,
    token: str,
    now: datetime.datetime | None = None,
    scanned_at: datetime.datetime | None = None,
    rules: OfflineSettings | None = None,
) -> tuple[Attendance, bool]:
    """Checks the cadre in with a scanned token: genuine, young enough when scanned, for this
    session, the cadre may attend, and now is inside the check-in window. Present or late by
    the time. Scanning again keeps the first check-in; returns (attendance, whether this scan
    checked in). `scanned_at` is when a logged-out phone scanned it, before logging in."""
    now = now or timezone.now()
    rules = rules or OfflineSettings.load()
    try:
        token_session = tokens.checkin_token_session(
            token, max_age=rules.code_max_age_seconds, now=scanned_at or now
        )
    except tokens.TokenExpired as error:
        raise CodeExpired from error
    except tokens.TokenInvalid as error:
        raise CodeInvalid from error
    if token_session != session.pk:
        raise CodeInvalid
    if not selectors.can_join(cadre, session):
        raise NotEligible
    with transaction.atomic():
        # the session row is locked so that a check-in and a close cannot interleave: a scan
        # either lands before the close (and is credited) or sees the session closed
        session = _locked(session)
        opens, late_from, closes = session.checkin_window(rules)
        attendance = Attendance.objects.filter(session=session, cadre=cadre).first()
        if attendance is not None and attendance.checked_in_at is not None:
            return attendance, False
        if now < opens:
            raise NotOpenYet
        if now > closes or session.is_closed:
            raise CheckinClosed
        if attendance is None and session.audience == OfflineSession.Audience.ENROLLED:
            raise NotSignedUp
        status = Attendance.Status.PRESENT if now <= late_from else Attendance.Status.LATE
        if attendance is None:
            try:
                with transaction.atomic():
                    attendance = Attendance.objects.create(
                        session=session,
                        cadre=cadre,
                        signed_up=False,
                        status=status,
                        checked_in_at=now,
                    )
                    return attendance, True
            except IntegrityError:  # the same person's second phone scanned at the same time
                return Attendance.objects.get(session=session, cadre=cadre), False
        attendance.status = status
        attendance.checked_in_at = now
        attendance.save(update_fields=["status", "checked_in_at"])
        return attendance, True


@transaction.atomic
def attendance_mark(*, attendance: Attendance, status: str, by: User) -> Attendance:
    """The organizer marks one person by hand (the fallback when a phone fails)."""
    session = _locked(attendance.session)
    if session.is_closed:
        raise RosterFinal
    attendance.status = Attendance.Status(status)
    attendance.marked_by = by
    attendance.save(update_fields=["status", "marked_by"])
    return attendance


# --- closing ---------------------------------------------------------------------------------


def session_close(
    *,
    session: OfflineSession,
    by: User,
    now: datetime.datetime | None = None,
    rules: OfflineSettings | None = None,
) -> int:
    """Closes the session: those not marked become absent; the present (and the late, as the
    late policy says) are credited once through the ledger. Closing again, or a second close
    racing this one, credits nothing more. Returns how many were credited by this call."""
    now = now or timezone.now()
    rules = rules or OfflineSettings.load()
    with transaction.atomic():
        session = _locked(session)
        if session.is_closed:
            return 0
        if now < session.starts_at:
            raise NotStarted
        session.closed_at = now
        session.closed_by = by
        session.save(update_fields=["closed_at", "closed_by"])
        session.attendances.filter(status=Attendance.Status.UNMARKED).update(
            status=Attendance.Status.ABSENT
        )
        earned = {
            Attendance.Status.PRESENT: session.hours,
            Attendance.Status.LATE: rules.late_hours(session.hours),
        }
        credited = 0
        attendances = session.attendances.filter(status__in=earned).select_related("cadre")
        year = timezone.localtime(session.starts_at).year
        for attendance in attendances:
            hours = earned[attendance.status]
            if hours <= Decimal("0"):
                continue
            credit_grant(
                cadre=attendance.cadre,
                kind=CreditEntry.Kind.OFFLINE_CLASS,
                source=session.credit_source,
                hours=hours,
                description=f"{session.get_kind_display()}：{session.title}",
                year=year,
                granted_by=by,
            )
            credited += 1
    return credited


# --- 在职党员报到 --------------------------------------------------------------------------------


@transaction.atomic
def report_in_register(*, member: User, community: Organization, work_unit: str) -> ReportIn:
    """Registers the member with the community where they live; a registration elsewhere ends
    (one active registration per member, held by a database constraint)."""
    current = ReportIn.objects.select_for_update().filter(member=member, active=True).first()
    if current is not None and current.community_id == community.pk:
        if current.work_unit != work_unit:
            current.work_unit = work_unit
            current.save(update_fields=["work_unit"])
        return current
    ReportIn.objects.filter(Q(member=member) & Q(active=True)).update(active=False)
    return ReportIn.objects.create(member=member, community=community, work_unit=work_unit)
