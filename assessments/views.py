"""Quiz pages for cadres: the quiz, the attempt (works without JavaScript), submit and review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import prep_selectors, selectors, services
from .models import Attempt, Quiz


@login_required
def quiz_detail(request, pk):
    quiz = selectors.quiz_for(request.user, pk)
    attempts = list(Attempt.objects.filter(quiz=quiz, cadre=request.user).order_by("number"))
    current = next((a for a in attempts if a.state == Attempt.State.IN_PROGRESS), None)
    used = len(attempts)
    left = None if not quiz.attempts_allowed else max(0, quiz.attempts_allowed - used)
    return render(
        request,
        "assessments/quiz_detail.html",
        {
            "quiz": quiz,
            "attempts": [(a, selectors.review_for(a)) for a in reversed(attempts)],
            "current": current,
            "attempts_left": left,
            "grade": selectors.quiz_grade(quiz, attempts),
            "enrolled": selectors.is_enrolled_for(request.user, quiz),
            "is_open": quiz.is_open(),
        },
    )


@login_required
@require_POST
def quiz_start(request, pk):
    quiz = selectors.quiz_for(request.user, pk)
    if not selectors.is_enrolled_for(request.user, quiz):
        messages.error(request, _("Enroll in the course first."))
        return redirect("quiz_detail", pk=quiz.pk)
    try:
        attempt = services.attempt_start(quiz=quiz, cadre=request.user)
    except services.AttemptError as error:
        messages.error(request, str(error))
        return redirect("quiz_detail", pk=quiz.pk)
    return redirect("attempt_page", pk=attempt.pk)


def _page_number(request) -> int:
    try:
        return int(request.GET.get("page") or request.POST.get("page") or 1)
    except ValueError:
        return 1


def _finished_redirect(request, attempt, message=None):
    if message:
        messages.warning(request, message)
    return redirect("attempt_review", pk=attempt.pk)


@login_required
def attempt_page(request, pk):
    """One page of questions. Posting saves that page's answers, then moves as asked."""
    attempt = selectors.attempt_of(request.user, pk)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return _finished_redirect(request, attempt)
    if services.is_overdue(attempt):
        services.attempt_close(attempt_id=attempt.pk)
        return _finished_redirect(request, attempt, _("Time was up; the attempt has been closed."))
    page = _page_number(request)
    error = None
    if request.method == "POST":
        answers = _posted_answers(request)
        try:
            services.attempt_answers_save(attempt=attempt, answers=answers)
        except (services.TooLate, services.AttemptFinished) as refusal:
            return _finished_redirect(request, attempt, str(refusal))
        except services.AttemptError as refusal:
            error = str(refusal)
        else:
            target = request.POST.get("go", "")
            if target == "submit":  # the timer ran out in the page
                return attempt_submit(request, attempt.pk)
            if target == "finish":
                return redirect("attempt_summary", pk=attempt.pk)
            if target.isdigit():
                page = int(target)
            return redirect(f"{reverse('attempt_page', args=[attempt.pk])}?page={page}")
    rows, pages = selectors.page_rows(attempt, page)
    page = min(max(page, 1), pages)
    review = selectors.review_for(attempt)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "questions": selectors.question_views(rows, review, in_progress=True),
        "page": page,
        "pages": range(1, pages + 1),
        "page_count": pages,
        "seconds_left": selectors.seconds_left(attempt),
        "practice": review.correctness or review.right_answer,
        "error": error,
    }
    return render(request, "assessments/attempt.html", context, status=400 if error else 200)


def _posted_answers(request) -> dict[int, list[str]]:
    """Answers of the questions shown on the page: `q-<position>` fields. Each question posts
    an empty value as well, so that clearing every box of a multiple choice is saved too."""
    answers = {}
    for key in request.POST:
        if key.startswith("q-") and key[2:].isdigit():
            answers[int(key[2:])] = request.POST.getlist(key)
    return answers


@login_required
@require_POST
def attempt_answer(request, pk):
    """Autosave of one question from the page's script: `position` and `answer` values."""
    attempt = selectors.attempt_of(request.user, pk)
    try:
        position = int(request.POST.get("position", ""))
    except ValueError:
        return JsonResponse({"error": _("The answer could not be read.")}, status=400)
    try:
        services.attempt_answers_save(
            attempt=attempt, answers={position: request.POST.getlist("answer")}
        )
    except services.AttemptError as refusal:
        review_url = reverse("attempt_review", args=[attempt.pk])
        body = {"error": str(refusal)}
        if isinstance(refusal, services.TooLate | services.AttemptFinished):
            body["redirect"] = review_url
        return JsonResponse(body, status=refusal.status)
    return JsonResponse(
        {
            "saved": timezone.localtime().strftime("%H:%M:%S"),
            "seconds_left": selectors.seconds_left(attempt),
        }
    )


@login_required
def attempt_summary(request, pk):
    attempt = selectors.attempt_of(request.user, pk)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return _finished_redirect(request, attempt)
    rows = list(attempt.questions.all())
    views = selectors.question_views(rows, selectors.Review(), in_progress=True)
    items = [item for view in views for item in (view.parts or [view]) if item.answerable]
    per_page = attempt.quiz.questions_per_page
    pages = {view.position: index // per_page + 1 for index, view in enumerate(views)}
    pages.update({part.position: pages[view.position] for view in views for part in view.parts})
    return render(
        request,
        "assessments/attempt_summary.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "questions": [(item, pages[item.position]) for item in items],
            "unanswered": sum(1 for item in items if not item.answered),
            "seconds_left": selectors.seconds_left(attempt),
        },
    )


@login_required
@require_POST
def attempt_submit(request, pk):
    """Finishes the attempt; a second click, a second tab or a retry lands on the same result."""
    attempt = selectors.attempt_of(request.user, pk)
    attempt = services.attempt_submit(attempt=attempt)
    if attempt.closed_by_deadline:
        messages.warning(request, _("Time was up; the answers saved by the deadline count."))
    return redirect("attempt_review", pk=attempt.pk)


@login_required
def attempt_review(request, pk):
    attempt = selectors.attempt_of(request.user, pk)
    if attempt.state == Attempt.State.IN_PROGRESS:
        if not services.is_overdue(attempt):
            return redirect("attempt_page", pk=attempt.pk)
        attempt = services.attempt_close(attempt_id=attempt.pk)
    review = selectors.review_for(attempt)
    rows = list(attempt.questions.all())
    breakdown = None
    if attempt.quiz.mode == Quiz.Mode.MOCK and attempt.state == Attempt.State.GRADED:
        breakdown = prep_selectors.mock_breakdown(attempt, rows)
    return render(
        request,
        "assessments/attempt_review.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "review": review,
            "questions": selectors.question_views(rows, review, in_progress=False),
            "breakdown": breakdown,
        },
    )
