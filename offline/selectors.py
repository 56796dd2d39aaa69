"""Reads of offline sessions: who may join what, the cadre's list, rosters, the organizer's
list and the community's reporting members, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models import Value as V
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from courses.models import CreditEntry, LecturerProfile
from lms import permissions
from lms.models import Membership, Organization, User
from practice.models import PracticeLog, Status

from .models import Attendance, OfflineSession, ReportIn

ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)
UPCOMING_LIMIT = 50
HISTORY_LIMIT = 20
HOME_LIMIT = 5


def join_paths(user) -> tuple[str, ...]:
    """Tree paths a person belongs to for sessions: their home organization and the community
    they report to as an in-service member (cached on the user object)."""
    if not user.is_authenticated:
        return ()
    cached = getattr(user, "_offline_join_paths", None)
    if cached is None:
        home = Membership.objects.filter(user=user, role=Membership.Role.CADRE).values_list(
            "organization__path", flat=True
        )
        reported = ReportIn.objects.filter(member=user, active=True).values_list(
            "community__path", flat=True
        )
        combined = home.order_by().union(reported.order_by())
        cached = user._offline_join_paths = tuple(combined)
    return cached


def _ancestor_paths(paths: tuple[str, ...]) -> set[str]:
    """Every path on the way from the root to each of `paths`, including them."""
    step = Organization.steplen
    return {path[:end] for path in paths for end in range(step, len(path) + 1, step)}


def can_join(user, session: OfflineSession) -> bool:
    """Whether the person belongs to the session's organization subtree (home or report-in)."""
    return any(path.startswith(session.organization.path) for path in join_paths(user))


def lecturer_profile(user) -> LecturerProfile | None:
    """The user's lecturer profile, if they are a lecturer (cached on the user object)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_offline_lecturer"):
        user._offline_lecturer = LecturerProfile.objects.filter(user=user).first()
    return user._offline_lecturer


def is_organizer(user) -> bool:
    """Secretaries, organization administrators, platform admins and lecturers schedule."""
    return permissions.is_manager(user) or lecturer_profile(user) is not None


def _lecturer_sessions(user) -> Q:
    """Sessions a lecturer manages: those they created and those they teach on the platform."""
    return Q(created_by=user) | Q(lecturer__user=user)


def can_manage_session(user, session: OfflineSession) -> bool:
    """Managers of the session's subtree, and the lecturer who created or teaches it."""
    if permissions.can_manage_organization(user, session.organization):
        return True
    profile = lecturer_profile(user)
    return profile is not None and (
        session.created_by_id == user.pk or session.lecturer_id == profile.pk
    )


def joinable_or_404(user, pk) -> OfflineSession:
    """A session the person may join, or that they organize; 404 for everyone else."""
    session = get_object_or_404(OfflineSession.objects.select_related("organization"), pk=pk)
    if can_join(user, session) or can_manage_session(user, session):
        return session
    raise Http404


def managed_session_or_404(user, pk) -> OfflineSession:
    """A session the user manages (see `can_manage_session`); 404 for everyone else."""
    try:
        session = OfflineSession.objects.select_related("organization").get(pk=pk)
    except (OfflineSession.DoesNotExist, ValueError) as error:
        raise Http404 from error
    if not can_manage_session(user, session):
        raise Http404
    return session


def schedulable_organizations(user) -> QuerySet[Organization]:
    """Where the user may schedule: any organization for a lecturer (invited by the district),
    their managed subtrees for everyone else."""
    if lecturer_profile(user) is not None:
        return Organization.objects.all()
    return permissions.managed_organizations(user)


def cadres_below(path: str) -> QuerySet[User]:
    """People who may join a session of the organization at `path`: cadres whose home lies
    below it and in-service members reporting to a community below it."""
    home = Membership.objects.filter(
        role=Membership.Role.CADRE, organization__path__startswith=path
    ).values("user")
    reported = ReportIn.objects.filter(active=True, community__path__startswith=path).values(
        "member"
    )
    return User.objects.filter(Q(pk__in=home) | Q(pk__in=reported), is_active=True)


ASSIGN_SEARCH_LIMIT = 30


def assign_candidates(session: OfflineSession, query: str) -> list[User]:
    """Up to ASSIGN_SEARCH_LIMIT people of the session's subtree matching `query` by name or
    mobile, not on its roster yet, each with their home organization's name (one query)."""
    query = query.strip()
    if not query:
        return []
    home = Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.CADRE)
    return list(
        cadres_below(session.organization.path)
        .filter(Q(name__icontains=query) | Q(mobile__icontains=query))
        .exclude(attendances__session=session)
        .annotate(home_name=Subquery(home.values("organization__name")[:1]))
        .order_by("name", "username")[:ASSIGN_SEARCH_LIMIT]
    )


def _with_sign_up_count(sessions: QuerySet) -> QuerySet:
    signed_up = (
        Attendance.objects.filter(session=OuterRef("pk"), signed_up=True)
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return sessions.annotate(signed_up_count=Coalesce(Subquery(signed_up), 0))


@dataclass
class CadreSessions:
    upcoming: list[OfflineSession]
    mine: list[Attendance]


def cadre_sessions(user, *, now: datetime.datetime | None = None) -> CadreSessions:
    """Upcoming sessions of the person's organizations (with their own sign-up, if any) and
    their own sign-ups and attendances, newest first."""
    now = now or timezone.now()
    mine = Attendance.objects.filter(session=OuterRef("pk"), cadre=user)
    upcoming = _with_sign_up_count(
        OfflineSession.objects.filter(
            organization__path__in=_ancestor_paths(join_paths(user)),
            closed_at__isnull=True,
            ends_at__gte=now,
        )
    ).annotate(
        my_status=Subquery(mine.values("status")[:1]),
        my_checked_in_at=Subquery(mine.values("checked_in_at")[:1]),
        my_signed_up=Subquery(mine.values("signed_up")[:1]),
    )
    history = Attendance.objects.filter(cadre=user).select_related(
        "session", "session__organization"
    )
    return CadreSessions(
        upcoming=list(upcoming.select_related("organization")[:UPCOMING_LIMIT]),
        mine=list(history.order_by("-session__starts_at", "-pk")[:HISTORY_LIMIT]),
    )


def my_sessions(user, *, now: datetime.datetime | None = None) -> list[Attendance]:
    """For 我的学习 on the home page: the person's coming sign-ups, then the latest attended."""
    now = now or timezone.now()
    rows = Attendance.objects.filter(cadre=user).select_related("session")
    coming = rows.filter(session__ends_at__gte=now, session__closed_at__isnull=True)
    past = rows.filter(status__in=ATTENDED).exclude(pk__in=coming.values("pk"))
    return list(coming.order_by("session__starts_at")[:HOME_LIMIT]) + list(
        past.order_by("-session__starts_at")[:HOME_LIMIT]
    )


def session_counts(session: OfflineSession) -> dict[str, int]:
    """How many signed up, and how many of each attendance status (one query)."""
    rows = session.attendances.aggregate(
        signed_up=Count("pk", filter=Q(signed_up=True)),
        present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
        late=Count("pk", filter=Q(status=Attendance.Status.LATE)),
        excused=Count("pk", filter=Q(status=Attendance.Status.EXCUSED)),
        absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
        unmarked=Count("pk", filter=Q(status=Attendance.Status.UNMARKED)),
    )
    return rows


def session_roster(session: OfflineSession) -> list[Attendance]:
    """Everyone signed up or checked in, with their home organization, by name."""
    home = Membership.objects.filter(user=OuterRef("cadre"), role=Membership.Role.CADRE)
    return list(
        session.attendances.select_related("cadre")
        .annotate(home_name=Subquery(home.values("organization__name")[:1]))
        .order_by("cadre__name", "cadre__username")
    )


def managed_sessions(user) -> QuerySet[OfflineSession]:
    """Sessions the user manages (their subtrees', and a lecturer's own), newest first, with
    sign-up and attendance counts."""
    attended = (
        Attendance.objects.filter(session=OuterRef("pk"), status__in=ATTENDED)
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        _with_sign_up_count(OfflineSession.objects.filter(_managed_sessions_filter(user)))
        .annotate(attended_count=Coalesce(Subquery(attended), 0))
        .select_related("organization")
        .order_by("-starts_at", "-pk")
    )


def _managed_sessions_filter(user) -> Q:
    scope = Q(organization__in=permissions.managed_organizations(user))
    if lecturer_profile(user) is not None:
        scope |= _lecturer_sessions(user)
    return scope


def _community_sessions(community_path) -> QuerySet[OfflineSession]:
    return OfflineSession.objects.filter(organization__path__startswith=community_path)


def reporting_members(user) -> QuerySet[ReportIn]:
    """Active report-ins to communities of the user's subtrees, each with the sessions of that
    community (and below) attended and the hours those sessions credited (net of reversals)."""
    attended = (
        Attendance.objects.filter(
            cadre=OuterRef("member"),
            status__in=ATTENDED,
            session__in=_community_sessions(OuterRef(OuterRef("community__path"))),
        )
        .values("cadre")
        .annotate(count=Count("pk"))
        .values("count")
    )
    sources = _community_sessions(OuterRef(OuterRef("community__path"))).annotate(
        source=Concat(V("session:"), Cast("pk", CharField()), output_field=CharField())
    )
    hours = (
        CreditEntry.objects.filter(
            cadre=OuterRef("member"),
            kind=CreditEntry.Kind.OFFLINE_CLASS,
            source__in=sources.values("source"),
        )
        .values("cadre")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    practice = (
        _approved_practice(OuterRef("member"), OuterRef("registered_at__date"))
        .values("cadre")
        .annotate(count=Count("pk"), total=Sum("hours_approved"))
    )
    zero = V(Decimal("0"), output_field=DecimalField(max_digits=8, decimal_places=2))
    return (
        ReportIn.objects.filter(active=True, community__in=permissions.managed_organizations(user))
        .select_related("member", "community")
        .annotate(
            sessions_attended=Coalesce(Subquery(attended), 0),
            session_hours=Coalesce(Subquery(hours), zero),
            practice_count=Coalesce(Subquery(practice.values("count")), 0),
            practice_hours=Coalesce(Subquery(practice.values("total")), zero),
        )
        .order_by("community__path", "member__name", "pk")
    )


def _approved_practice(member, since) -> QuerySet[PracticeLog]:
    """The member's approved field-practice logs dated on or after `since` (the day they
    reported)."""
    return PracticeLog.objects.filter(
        cadre=member, status=Status.APPROVED, date__gte=since
    ).order_by()


def report_in_or_404(user, pk) -> ReportIn:
    """One reporting member's registration with participation figures, for a manager of the
    community; 404 for anyone else."""
    try:
        return reporting_members(user).get(pk=pk)
    except (ReportIn.DoesNotExist, ValueError) as error:
        raise Http404 from error


def report_in_attendances(report: ReportIn) -> list[Attendance]:
    """The member's attendances at the community's sessions, oldest first."""
    return list(
        Attendance.objects.filter(
            cadre=report.member,
            status__in=ATTENDED,
            session__in=_community_sessions(report.community.path),
        )
        .select_related("session")
        .order_by("session__starts_at")
    )


def report_in_practice_logs(report: ReportIn) -> list[PracticeLog]:
    """The member's approved field practice since they reported, oldest first."""
    since = timezone.localdate(report.registered_at)
    return list(_approved_practice(report.member, since).order_by("date", "pk"))


def current_report_in(user) -> ReportIn | None:
    """The person's active report-in, if any."""
    return ReportIn.objects.filter(member=user, active=True).select_related("community").first()
