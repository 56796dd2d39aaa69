"""Exam preparation pages for cadres (备考中心): subjects, drills, mocks, daily practice, the
wrong-answer notebook and the mastery view. Every mode runs as an attempt of the engine."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms import permissions
from lms.views import CADRES_PER_PAGE, manager_required

from . import prep_selectors, prep_services, services
from .models import AttemptQuestion, ExamPrepSettings, QuestionCategory

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
