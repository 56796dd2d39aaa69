"""Pages for logging in, notifications, and secretaries managing organizations and rosters."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import dashboard, notifications, permissions, selectors, services
from .forms import CadreFilterForm, LoginForm, RosterUploadForm
from .models import Notification, Reminder, RosterImport
from .roster import build_template, format_error

CADRES_PER_PAGE = 30
NOTIFICATIONS_PER_PAGE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Choose a new password; an imported account on its first login skips the old one."""

    success_url = "/"

    def get_form_class(self):
        return SetPasswordForm if self.request.user.must_change_password else PasswordChangeForm

    def form_valid(self, form):
        services.user_password_set(
            user=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.get_success_url())


@login_required
def notification_list(request):
    """The person's notifications, newest first; unread ones stand out."""
    page = Paginator(request.user.notifications.all(), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "lms/notification_list.html", {"page": page})


@login_required
def notification_open(request, pk):
    """Marks the notification read and follows its link; only ever to a path on this site."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        services.notifications_mark_read(user=request.user, ids=[notification.pk])
    if notifications.is_site_path(notification.url):
        return redirect(notification.url)
    return redirect("notification_list")


@login_required
@require_POST
def notifications_mark_all_read(request):
    """Marks every notification of the person read."""
    services.notifications_mark_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notification_list")


def manager_required(view):
    """Only secretaries, organization administrators and platform admins; others get 404."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not permissions.is_manager(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@manager_required
def manage_index(request):
    """The organizations a secretary manages; with a single one, go straight to it."""
    roots = selectors.managed_root_summaries(request.user)
    if len(roots) == 1:
        return redirect("organization_detail", pk=roots[0].pk)
    return render(request, "lms/manage_index.html", {"roots": roots})


@manager_required
def organization_detail(request, pk):
    """书记工作台: the subtree's headline figures, its sub-organizations with theirs, charts,
    and the cadre table with search, filters, sort and pages."""
    organization = permissions.organization_or_404(request.user, pk)
    year = timezone.localdate().year
    requirements = selectors.year_requirements(year)
    form = CadreFilterForm(request.GET)
    cadres = form.apply(
        selectors.organization_cadres(organization), year=year, requirements=requirements
    )
    page = Paginator(cadres, CADRES_PER_PAGE).get_page(request.GET.get("page"))
    dashboard.set_table_rows(page.object_list, requirements)
    ancestors = [
        a
        for a in organization.get_ancestors()
        if permissions.can_manage_organization(request.user, a)
    ]
    filters = form.filters()
    return render(
        request,
        "lms/organization_detail.html",
        {
            "organization": organization,
            "ancestors": ancestors,
            "page": page,
            "form": form,
            "query": filters["q"],
            "behind": filters["behind"],
            "year": year,
            **dashboard.workbench(organization, year=year, requirements=requirements),
        },
    )


@manager_required
@require_POST
def organization_remind(request, pk):
    """Reminds the cadres of the table as filtered (its query string) who are behind their
    requirement; once a day each."""
    organization = permissions.organization_or_404(request.user, pk)
    today = timezone.localdate()
    query = request.GET.copy()
    query["behind"] = "1"  # whatever the table shows, only those behind are reminded
    cadres = CadreFilterForm(query).apply(
        selectors.organization_cadres(organization),
        year=today.year,
        requirements=selectors.year_requirements(today.year),
    )
    reminded = services.behind_reminders_send(
        memberships=cadres,
        kind=Reminder.Kind.SECRETARY,
        period=today.isoformat(),
        sent_by=request.user,
    )
    messages.success(
        request,
        ngettext(
            "%(count)s cadre behind the requirement was reminded (nobody twice a day).",
            "%(count)s cadres behind the requirement were reminded (nobody twice a day).",
            reminded,
        )
        % {"count": reminded},
    )
    return redirect(f"{reverse('organization_detail', args=[organization.pk])}?{query.urlencode()}")


@manager_required
def cadre_detail(request, pk):
    cadre = permissions.cadre_or_404(request.user, pk)
    membership = selectors.cadre_home_membership(cadre)
    return render(request, "lms/cadre_detail.html", {"cadre": cadre, "membership": membership})


@manager_required
@require_http_methods(["GET", "POST"])
def roster_upload(request, pk):
    organization = permissions.organization_or_404(request.user, pk)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        roster_import = services.roster_import_create(
            organization=organization,
            uploaded_by=request.user,
            file=form.cleaned_data["file"],
            language=get_language(),
        )
        return redirect("roster_import_detail", pk=roster_import.pk)
    return render(
        request,
        "lms/roster_upload.html",
        {
            "organization": organization,
            "form": form,
            "imports": selectors.roster_imports_for(organization),
        },
    )


@manager_required
def roster_template(request, pk):
    organization = permissions.organization_or_404(request.user, pk)
    workbook = build_template(organization.get_tree(organization))
    response = HttpResponse(content_type=XLSX)
    filename = f"roster-template-{organization.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    workbook.save(response)
    return response


def _roster_import_or_404(user, pk) -> RosterImport:
    roster_import = get_object_or_404(RosterImport.objects.select_related("organization"), pk=pk)
    if not permissions.can_manage_organization(user, roster_import.organization):
        raise Http404
    return roster_import


@manager_required
def roster_import_detail(request, pk):
    roster_import = _roster_import_or_404(request.user, pk)
    errors = [format_error(e) if e["row"] else e["message"] for e in roster_import.errors]
    return render(
        request,
        "lms/roster_import_detail.html",
        {"roster_import": roster_import, "errors": errors},
    )


@manager_required
def roster_import_progress(request, pk):
    roster_import = _roster_import_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": roster_import.status,
            "status_label": roster_import.get_status_display(),
            "total": roster_import.total_rows,
            "processed": roster_import.processed_rows,
            "finished": roster_import.is_finished,
            "url": reverse("roster_import_detail", args=[roster_import.pk]),
        }
    )


def rate_limited(request, exception=None):
    """Too many requests from one address (django-ratelimit): 429 with a Chinese page."""
    return render(request, "429.html", status=429)
