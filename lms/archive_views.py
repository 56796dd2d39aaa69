"""学习档案 pages and PDFs — a secretary's view of a cadre in their subtree, and the cadre's own —
and the secretary's actions on the yearly evaluation (recompute, adjust with a reason)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from certificates.pdf import render_pdf

from . import permissions, services
from .archive import evaluation_card, learning_archive, year_evaluation
from .models import Evaluation, User
from .views import manager_required

FIRST_YEAR = 2000


class EvaluationAdjustForm(forms.Form):
    """The grade a secretary sets and why; the reason's rules live in the service."""

    grade = forms.ChoiceField(label=gettext_lazy("Grade that counts"), choices=Evaluation.Grade)
    reason = forms.CharField(
        label=gettext_lazy("Reason for the adjustment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("At least ten characters; the cadre is told this reason."),
    )


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404
    return year


def _chosen_year(value: str | None) -> int:
    """The year asked for in the query string; the current year when missing or unusable."""
    try:
        return _year_or_404(int(value))
    except (TypeError, ValueError, Http404):
        return timezone.localdate().year


def _may_adjust(user, cadre: User) -> bool:
    return user.pk != cadre.pk and permissions.is_manager(user)


def _render_archive(request, cadre: User, year: int, *, manage: bool, form=None, status=200):
    archive = learning_archive(cadre, year=year)
    evaluation = year_evaluation(cadre, year)
    may_adjust = manage and _may_adjust(request.user, cadre)
    if may_adjust and form is None and evaluation is not None:
        form = EvaluationAdjustForm(
            initial={"grade": evaluation.final_grade, "reason": evaluation.adjustment_reason}
        )
    if manage:
        base_url = reverse("cadre_archive", args=[cadre.pk])
        pdf_url = reverse("cadre_archive_pdf", args=[cadre.pk, year])
    else:
        base_url = reverse("my_archive")
        pdf_url = reverse("my_archive_pdf", args=[year])
    return render(
        request,
        "lms/archive.html",
        {
            "archive": archive,
            "card": evaluation_card(archive, evaluation),
            "manage": manage,
            "may_adjust": may_adjust,
            "form": form,
            "base_url": base_url,
            "pdf_url": pdf_url,
        },
        status=status,
    )


def _pdf_response(cadre: User, year: int) -> HttpResponse:
    """The archive as an A4 PDF through the project's one PDF entry point."""
    archive = learning_archive(cadre, year=year)
    context = {
        "archive": archive,
        "card": evaluation_card(archive, year_evaluation(cadre, year)),
        "printed_on": timezone.localdate(),
    }
    response = HttpResponse(render_pdf("lms/pdf/archive.html", context), "application/pdf")
    filename = f"{archive.name}-{year}年度学习档案.pdf".replace("/", "-").replace("\\", "-")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@manager_required
def cadre_archive(request, pk):
    """A cadre's 学习档案 and 考核评价 for a secretary whose subtree holds them; ?year= picks
    the year."""
    cadre = permissions.cadre_or_404(request.user, pk)
    return _render_archive(request, cadre, _chosen_year(request.GET.get("year")), manage=True)


@manager_required
def cadre_archive_pdf(request, pk, year):
    """The same archive as a PDF download."""
    cadre = permissions.cadre_or_404(request.user, pk)
    return _pdf_response(cadre, _year_or_404(year))


def _adjustable_cadre_or_404(request, pk) -> User:
    cadre = permissions.cadre_or_404(request.user, pk)
    if not _may_adjust(request.user, cadre):
        raise Http404
    return cadre


def _archive_url(cadre: User, year: int) -> str:
    return f"{reverse('cadre_archive', args=[cadre.pk])}?year={year}"


@manager_required
@require_POST
def cadre_evaluation_compute(request, pk):
    """Computes (again) the cadre's evaluation of the posted year; an adjustment stays."""
    cadre = _adjustable_cadre_or_404(request, pk)
    year = _chosen_year(request.POST.get("year"))
    services.evaluation_compute(cadre=cadre, year=year)
    messages.success(request, _("The evaluation has been computed from the current records."))
    return redirect(_archive_url(cadre, year))


@manager_required
@require_POST
def cadre_evaluation_adjust(request, pk):
    """Sets the grade that counts with a required reason; without one nothing changes."""
    cadre = _adjustable_cadre_or_404(request, pk)
    year = _chosen_year(request.POST.get("year"))
    evaluation = Evaluation.objects.filter(cadre=cadre, year=year).first()
    if evaluation is None:
        raise Http404
    form = EvaluationAdjustForm(request.POST)
    if form.is_valid():
        try:
            services.evaluation_adjust(
                evaluation=evaluation,
                grade=form.cleaned_data["grade"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The grade has been adjusted and the cadre informed."))
            return redirect(_archive_url(cadre, year))
    return _render_archive(request, cadre, year, manage=True, form=form, status=400)


@login_required
def my_archive(request):
    """The person's own 学习档案 and evaluation (read-only); ?year= picks the year."""
    year = _chosen_year(request.GET.get("year"))
    return _render_archive(request, request.user, year, manage=False)


@login_required
def my_archive_pdf(request, year):
    """The person's own archive as a PDF download."""
    return _pdf_response(request.user, _year_or_404(year))
