"""Exam preparation pages for cadres (备考中心): subjects, drills, mocks, daily practice, the
wrong-answer notebook and the mastery view. Every mode runs as an attempt of the engine."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms import permissions
from lms.views import CADRES_PER_PAGE, manager_required

from . import prep_selectors, prep_services, services
from .models import AttemptQuestion, ExamPrepSettings, QualificationClaim, QuestionCategory

NOTEBOOK_PAGE_SIZE = 20


@login_required
def exam_home(request):
    return render(
        request,
        "assessments/exam/home.html",
        {"levels": prep_selectors.subjects_overview(request.user)},
    )


@login_required
def exam_subject(request, code):
    subject = prep_selectors.subject_or_404(code)
    return render(
        request,
        "assessments/exam/subject.html",
        {
            "subject": subject,
            "chapters": prep_selectors.knowledge_tree(subject, request.user),
            "sections": subject.sections.all(),
            "due": prep_selectors.notebook_items(request.user, subject)
            .filter(mastered_at__isnull=True, due_on__lte=timezone.localdate())
            .count(),
        },
    )


def _started(request, subject, start):
    """Runs `start()`; lands on the attempt, or back on the subject with the reason."""
    try:
        attempt = start()
    except prep_services.MockInProgress as refusal:
        messages.warning(request, str(refusal))
        return redirect("attempt_page", pk=refusal.attempt.pk)
    except services.AttemptError as refusal:
        messages.error(request, str(refusal))
        return redirect("exam_subject", code=subject.code)
    return redirect("attempt_page", pk=attempt.pk)


@login_required
@require_POST
def exam_mock(request, code):
    subject = prep_selectors.subject_or_404(code)
    return _started(
        request, subject, lambda: prep_services.mock_start(subject=subject, cadre=request.user)
    )


@login_required
@require_POST
def exam_drill(request, code, chapter_pk):
    subject = prep_selectors.subject_or_404(code)
    chapter = get_object_or_404(QuestionCategory, pk=chapter_pk, bank_id=subject.bank_id)
    return _started(
        request,
        subject,
        lambda: prep_services.drill_start(subject=subject, chapter=chapter, cadre=request.user),
    )


@login_required
@require_POST
def exam_daily(request, code):
    subject = prep_selectors.subject_or_404(code)
    return _started(
        request, subject, lambda: prep_services.daily_start(subject=subject, cadre=request.user)
    )


@login_required
@require_POST
def exam_review(request, code):
    subject = prep_selectors.subject_or_404(code)
    return _started(
        request, subject, lambda: prep_services.review_start(subject=subject, cadre=request.user)
    )


@login_required
def notebook(request):
    """The cadre's own notebook; there is no URL for anyone else's."""
    code = request.GET.get("subject", "")
    subject = prep_selectors.subject_or_404(code) if code else None
    prep = ExamPrepSettings.load()
    page = Paginator(
        prep_selectors.notebook_items(request.user, subject), NOTEBOOK_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/exam/notebook.html",
        {
            "subject": subject,
            "page": page,
            "today": timezone.localdate(),
            "prep": prep,
            "intervals": prep.intervals(),
        },
    )


@login_required
@require_POST
def notebook_add(request, row_pk):
    row = get_object_or_404(
        AttemptQuestion.objects.select_related("attempt"), pk=row_pk, attempt__cadre=request.user
    )
    try:
        prep_services.notebook_add(cadre=request.user, row=row)
    except services.AttemptError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Added to your wrong-answer notebook."))
    return redirect("attempt_review", pk=row.attempt_id)


@login_required
@require_POST
def notebook_remove(request, pk):
    prep_services.notebook_remove(cadre=request.user, item_id=pk)
    messages.success(request, _("Removed from your wrong-answer notebook."))
    code = request.POST.get("subject", "")
    target = reverse("exam_notebook")
    return redirect(
        f"{target}?subject={prep_selectors.subject_or_404(code).code}" if code else target
    )


@login_required
def exam_mastery(request, code):
    subject = prep_selectors.subject_or_404(code)
    context = {"subject": subject, **prep_selectors.mastery(subject, request.user)}
    return render(request, "assessments/exam/mastery.html", context)


@manager_required
def organization_exam(request, pk):
    """For a secretary: who in the subtree prepares for which level, mocks sat, latest scores."""
    organization = permissions.organization_or_404(request.user, pk)
    page = Paginator(prep_selectors.preparing_cadres(organization), CADRES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    prep_selectors.set_exam_progress(page.object_list)
    return render(
        request,
        "assessments/exam/organization.html",
        {"organization": organization, "page": page},
    )


class ClaimForm(forms.ModelForm):
    class Meta:
        model = QualificationClaim
        fields = ["qualification", "exam_year", "certificate_number", "scan"]
        help_texts = {
            "scan": _("A photo (JPEG, PNG, WebP) or a PDF of the certificate, 10 MB at most.")
        }


@login_required
def claims(request):
    """The cadre reports a passed exam with the certificate's scan and follows the verification."""
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            prep_services.claim_submit(cadre=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your claim has been sent to your secretary."))
            return redirect("exam_claims")
    return render(
        request,
        "assessments/exam/claims.html",
        {
            "form": form,
            "claims": QualificationClaim.objects.filter(cadre=request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def claim_scan(request, pk):
    """The scan, for its cadre and for secretaries over them; anybody else gets 404."""
    claim = get_object_or_404(QualificationClaim.objects.select_related("cadre"), pk=pk)
    if not permissions.can_view_cadre(request.user, claim.cadre):
        raise Http404
    response = FileResponse(claim.scan.open("rb"), content_type=claim.scan_type)
    response["Content-Disposition"] = f'attachment; filename="{claim.scan.name.rsplit("/", 1)[-1]}"'
    return response


@manager_required
def organization_claims(request, pk):
    """Claims of the subtree's cadres: pending ones to verify, then the record of reviews."""
    organization = permissions.organization_or_404(request.user, pk)
    in_subtree = QualificationClaim.objects.filter(
        cadre__memberships__organization__path__startswith=organization.path,
        cadre__memberships__role="cadre",
    ).select_related("cadre", "reviewed_by")
    return render(
        request,
        "assessments/exam/organization_claims.html",
        {
            "organization": organization,
            "pending": in_subtree.filter(status=QualificationClaim.Status.PENDING),
            "reviewed": in_subtree.exclude(status=QualificationClaim.Status.PENDING)[:50],
        },
    )


@manager_required
@require_POST
def claim_review(request, pk):
    claim = get_object_or_404(QualificationClaim.objects.select_related("cadre"), pk=pk)
    if claim.cadre_id == request.user.pk:
        raise Http404  # nobody verifies their own claim
    permissions.cadre_or_404(request.user, claim.cadre_id)
    verified = request.POST.get("action") == "verify"
    try:
        prep_services.claim_review(
            claim=claim, verified=verified, reason=request.POST.get("reason", ""), by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The claim has been reviewed."))
    organization = permissions.home_organization(claim.cadre)
    return redirect("organization_claims", pk=organization.pk)
