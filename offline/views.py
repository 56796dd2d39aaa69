"""Pages of offline sessions: the cadre's list, sign-up and QR check-in; the organizer's list,
form, roster, check-in screen and closing; 在职党员报到 and its report."""

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from certificates.pdf import render_pdf
from certificates.qr import png_data_uri
from lms.views import manager_required

from . import ical, selectors, services, tokens
from .forms import AssignForm, MarkForm, ReportInForm, SessionForm
from .models import Attendance, OfflineSession, OfflineSettings

SESSIONS_PER_PAGE = 30
# A scan made while logged out is kept through the login for this long (the code was fresh
# when it was scanned; typing a password should not make it expire).
PENDING_SCAN_LIMIT = datetime.timedelta(minutes=10)
PENDING_SCAN_KEY = "offline_checkin_scan"


# --- the cadre's pages -----------------------------------------------------------------------


@login_required
def session_list(request):
    """Upcoming sessions the person may join, and their own sign-ups and attendances."""
    sessions = selectors.cadre_sessions(request.user)
    return render(
        request,
        "offline/session_list.html",
        {
            "upcoming": sessions.upcoming,
            "mine": sessions.mine,
            "is_organizer": selectors.is_organizer(request.user),
        },
    )


@login_required
def session_detail(request, pk):
    """A session: when, where, who teaches, places left, and sign-up or cancel."""
    session = selectors.joinable_or_404(request.user, pk)
    attendance = Attendance.objects.filter(session=session, cadre=request.user).first()
    counts = selectors.session_counts(session)
    places_left = None
    if session.capacity is not None:
        places_left = max(0, session.capacity - counts["signed_up"])
    return render(
        request,
        "offline/session_detail.html",
        {
            "session": session,
            "attendance": attendance,
            "can_join": selectors.can_join(request.user, session),
            "places_left": places_left,
            "has_started": timezone.now() >= session.starts_at,
        },
    )


def _refused(request, error: services.SessionRefused, session=None):
    return render(
        request,
        "offline/refused.html",
        {"error": error, "session": session},
        status=error.status,
    )


@login_required
@require_POST
def session_sign_up(request, pk):
    """Signs the person up, within the capacity."""
    session = selectors.joinable_or_404(request.user, pk)
    try:
        services.attendance_sign_up(session=session, cadre=request.user)
    except services.SessionRefused as error:
        return _refused(request, error, session)
    messages.success(request, _("You have signed up for this session."))
    return redirect("offline_session_detail", pk=session.pk)


@login_required
@require_POST
def session_cancel(request, pk):
    """Withdraws the person's sign-up before the session starts."""
    session = selectors.joinable_or_404(request.user, pk)
    try:
        services.attendance_cancel(session=session, cadre=request.user)
    except services.SessionRefused as error:
        return _refused(request, error, session)
    messages.success(request, _("Your sign-up has been withdrawn."))
    return redirect("offline_session_detail", pk=session.pk)


@login_required
def session_ics(request, pk):
    """The session as an iCalendar file for the phone's calendar."""
    session = selectors.joinable_or_404(request.user, pk)
    url = request.build_absolute_uri(reverse("offline_session_detail", args=[session.pk]))
    response = HttpResponse(
        ical.session_calendar(session, url=url, host=request.get_host()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


@never_cache
def checkin(request, token):
    """Where the QR code leads: checks the person in, or says clearly why not. A scan made
    while logged out is remembered through the login (`?next=` brings them back)."""
    try:
        session_id = services.checkin_session(token)
    except services.SessionRefused as error:
        return _refused(request, error)
    now = timezone.now()
    if not request.user.is_authenticated:
        request.session[PENDING_SCAN_KEY] = {"token": token, "at": now.isoformat()}
        return redirect_to_login(request.get_full_path())
    session = get_object_or_404(
        OfflineSession.objects.select_related("organization"), pk=session_id
    )
    scanned_at = now
    pending = request.session.pop(PENDING_SCAN_KEY, None)
    if pending and pending.get("token") == token:
        at = parse_datetime(pending.get("at", ""))
        if at is not None and now - PENDING_SCAN_LIMIT <= at <= now:
            scanned_at = at
    try:
        attendance, new = services.attendance_check_in(
            session=session, cadre=request.user, token=token, now=now, scanned_at=scanned_at
        )
    except services.SessionRefused as error:
        return _refused(request, error, session)
    return render(
        request,
        "offline/checked_in.html",
        {"session": session, "attendance": attendance, "new": new},
    )


# --- the organizer's pages -------------------------------------------------------------------


def organizer_required(view):
    """Secretaries, organization administrators, platform admins and lecturers; 404 for
    everyone else (which sessions each may manage is `selectors.can_manage_session`)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.is_organizer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@organizer_required
def manage_sessions(request):
    """Sessions of the organizer's subtrees, newest first, with counts."""
    page = Paginator(selectors.managed_sessions(request.user), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "offline/manage_sessions.html", {"page": page})


@organizer_required
def session_create(request):
    """Schedules a session for an organization the organizer manages (any, for a lecturer)."""
    return _session_form(request, OfflineSession())


@organizer_required
def session_edit(request, pk):
    """Changes a session that is not closed yet."""
    return _session_form(request, selectors.managed_session_or_404(request.user, pk))


def _session_form(request, session: OfflineSession):
    form = SessionForm(request.POST or None, instance=session, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_save(session=form.save(commit=False), by=request.user)
        except services.SessionRefused as error:
            return _refused(request, error, session)
        messages.success(request, _("The session has been saved."))
        return redirect("offline_session_roster", pk=session.pk)
    return render(request, "offline/session_form.html", {"form": form, "session": session})


@organizer_required
def session_roster(request, pk):
    """Everyone signed up or checked in, their status, counts, manual marking, and assigning
    cadres found by name or mobile (`?q=`)."""
    session = selectors.managed_session_or_404(request.user, pk)
    return _roster(request, session, AssignForm(session=session))


def _roster(request, session: OfflineSession, assign_form: AssignForm, status: int = 200):
    query = request.GET.get("q", "")
    can_assign = not session.is_closed and timezone.now() < session.starts_at
    return render(
        request,
        "offline/session_roster.html",
        {
            "session": session,
            "roster": selectors.session_roster(session),
            "counts": selectors.session_counts(session),
            "mark_choices": MarkForm.base_fields["status"].choices,
            "can_assign": can_assign,
            "assign_form": assign_form,
            "query": query,
            "candidates": selectors.assign_candidates(session, query) if can_assign else [],
        },
        status=status,
    )


@organizer_required
@require_POST
def session_assign(request, pk):
    """Signs up the picked cadres, or everyone of one organization of the subtree, within the
    places left, and notifies them; all or nobody."""
    session = selectors.managed_session_or_404(request.user, pk)
    form = AssignForm(request.POST, session=session)
    if not form.is_valid():
        return _roster(request, session, form, status=400)
    try:
        created = services.attendance_assign(session=session, cadres=form.chosen(), by=request.user)
    except services.SessionRefused as error:
        return _refused(request, error, session)
    messages.success(
        request,
        ngettext(
            "%(count)s cadre has been signed up and notified.",
            "%(count)s cadres have been signed up and notified.",
            len(created),
        )
        % {"count": len(created)},
    )
    return redirect("offline_session_roster", pk=session.pk)


@organizer_required
@require_POST
def attendance_mark(request, pk, attendance_pk):
    """Marks one person present, late, excused or absent by hand."""
    session = selectors.managed_session_or_404(request.user, pk)
    attendance = get_object_or_404(Attendance, pk=attendance_pk, session=session)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    attendance.session = session
    try:
        services.attendance_mark(
            attendance=attendance, status=form.cleaned_data["status"], by=request.user
        )
    except services.SessionRefused as error:
        return _refused(request, error, session)
    return redirect("offline_session_roster", pk=session.pk)


@organizer_required
@require_POST
def session_close(request, pk):
    """Closes the session and credits the hours of those who attended."""
    session = selectors.managed_session_or_404(request.user, pk)
    try:
        credited = services.session_close(session=session, by=request.user)
    except services.SessionRefused as error:
        return _refused(request, error, session)
    messages.success(
        request,
        _("The session is closed; %(count)s attendees were credited.") % {"count": credited},
    )
    return redirect("offline_session_roster", pk=session.pk)


def _code(request, session: OfflineSession) -> dict:
    url = request.build_absolute_uri(
        reverse("offline_checkin", args=[tokens.checkin_token(session.pk)])
    )
    counts = selectors.session_counts(session)
    return {
        "url": url,
        "qr": png_data_uri(url),
        "refresh_seconds": tokens.REFRESH_SECONDS,
        "present": counts["present"],
        "late": counts["late"],
    }


@organizer_required
@never_cache
def checkin_screen(request, pk):
    """The screen at the venue: a QR code that changes every half minute, and the count."""
    session = selectors.managed_session_or_404(request.user, pk)
    return render(
        request,
        "offline/checkin_screen.html",
        {"session": session, "code": _code(request, session)},
    )


@organizer_required
@never_cache
def checkin_code(request, pk):
    """The current code of the screen, as JSON for its script."""
    session = selectors.managed_session_or_404(request.user, pk)
    return JsonResponse(_code(request, session))


# --- 在职党员报到 --------------------------------------------------------------------------------


@login_required
def report_in(request):
    """An in-service member registers with the community where they live."""
    current = selectors.current_report_in(request.user)
    form = ReportInForm(request.POST or None, instance=None, initial=_report_initial(current))
    if request.method == "POST" and form.is_valid():
        services.report_in_register(
            member=request.user,
            community=form.cleaned_data["community"],
            work_unit=form.cleaned_data["work_unit"],
        )
        messages.success(request, _("You have reported to the community."))
        return redirect("offline_report_in")
    return render(request, "offline/report_in.html", {"form": form, "current": current})


def _report_initial(current) -> dict:
    if current is None:
        return {}
    return {"community": current.community_id, "work_unit": current.work_unit}


@manager_required
def reporting_members(request):
    """In-service members reporting to the organizer's communities, with their participation."""
    page = Paginator(selectors.reporting_members(request.user), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "offline/reporting_members.html", {"page": page})


@manager_required
def reporting_member_pdf(request, pk):
    """One member's participation as a PDF for their work unit."""
    report = selectors.report_in_or_404(request.user, pk)
    pdf = render_pdf(
        "offline/pdf/report.html",
        {
            "report": report,
            "attendances": selectors.report_in_attendances(report),
            "practice_logs": selectors.report_in_practice_logs(report),
            "today": timezone.localdate(),
            "rules": OfflineSettings.load(),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-in-{report.pk}.pdf"'
    return response
