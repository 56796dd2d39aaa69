"""Pages of the practice app. Cadres submit and follow their practice logs and external
claims; reviewers (secretaries over the cadre, lecturers of the log's course) work through a
queue. Logs and claims share the queue, detail, decision and private-file views, told apart
by `kind` ("log" or "claim", see selectors.KINDS)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lms import permissions

from . import selectors, services
from .forms import DecisionForm, ExternalClaimForm, PracticeLogForm, QueueFilterForm
from .models import PracticePhoto, Status

PER_PAGE = 20
# URL names of each kind's pages, for redirects and templates
URLS = {
    "log": {
        "mine": "practice_log_detail",
        "new": "practice_log_new",
        "queue": "practice_review_queue",
        "bulk": "practice_review_bulk",
        "review": "practice_review_detail",
    },
    "claim": {
        "mine": "practice_claim_detail",
        "new": "practice_claim_new",
        "queue": "practice_claim_queue",
        "bulk": "practice_claim_bulk",
        "review": "practice_claim_review",
    },
}


def _may_review(user, kind: str) -> bool:
    if permissions.is_manager(user):
        return True
    return kind == "log" and permissions.can_access_cms(user)  # lecturers: their courses' logs


def reviewer_required(view):
    """Secretaries, organization administrators and platform admins (and, for practice logs,
    lecturers); anybody else gets 404."""

    @wraps(view)
    @login_required
    def wrapped(request, kind, *args, **kwargs):
        if not _may_review(request.user, kind):
            raise Http404
        return view(request, kind, *args, **kwargs)

    return wrapped


# --- the cadre's side --------------------------------------------------------------------------


@login_required
def my_list(request, kind):
    """The cadre's own logs (or claims), newest first, with where each stands."""
    model = selectors.KINDS[kind]
    rows = selectors.queue_rows(model.objects.filter(cadre=request.user))
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "practice/my_list.html", {"kind": kind, "urls": URLS[kind], "page": page}
    )


@login_required
def log_form(request, pk=None):
    """A new practice log, or a returned one corrected and sent back for review."""
    log = selectors.own_or_404(request.user, "log", pk) if pk else None
    if log is not None and log.status != Status.RETURNED:
        raise Http404  # only a returned log can be edited; an approved one is locked
    form = PracticeLogForm(request.POST or None, request.FILES or None, instance=log)
    if request.method == "POST" and form.is_valid():
        saved = form.submit(request.user)
        if saved is not None:
            messages.success(request, _("Your practice log has been sent for review."))
            return redirect("practice_log_detail", pk=saved.pk)
    return render(
        request,
        "practice/log_form.html",
        {"form": form, "log": log},
        status=400 if form.errors else 200,
    )


@login_required
def claim_form(request):
    """A new claim for training done elsewhere."""
    form = ExternalClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and form.submit(request.user) is not None:
        messages.success(request, _("Your training claim has been sent for review."))
        return redirect("practice_claim_list")
    return render(
        request, "practice/claim_form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def my_detail(request, kind, pk):
    """One of the cadre's own records with its photos or proof and its history."""
    item = selectors.own_or_404(request.user, kind, pk)
    return render(request, "practice/detail.html", {"kind": kind, "urls": URLS[kind], "item": item})


# --- the reviewer's side -----------------------------------------------------------------------


@reviewer_required
def review_queue(request, kind):
    """Records awaiting review (or filtered otherwise), counts per status, and bulk approval."""
    model = selectors.KINDS[kind]
    scope = selectors.reviewable(request.user, model)
    form = QueueFilterForm(
        request.GET or None,
        model=model,
        organizations=permissions.managed_organizations(request.user),
    )
    rows = selectors.queue_rows(form.apply(scope))
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "practice/review_queue.html",
        {
            "kind": kind,
            "urls": URLS[kind],
            "form": form,
            "page": page,
            "counts": [
                (status, Status(status).label, count)
                for status, count in selectors.status_counts(scope).items()
                if status in model.statuses()
            ],
            "is_manager": permissions.is_manager(request.user),
        },
    )


@reviewer_required
@require_POST
def review_bulk(request, kind):
    """Approves the ticked records at their claimed hours; records outside scope are ignored."""
    model = selectors.KINDS[kind]
    ids = [value for value in request.POST.getlist("ids") if value.isdigit()]
    items = selectors.reviewable(request.user, model).filter(pk__in=ids).select_related("cadre")
    approved = services.review_bulk_approve(items=items, by=request.user)
    messages.success(
        request,
        ngettext("%(n)s record approved.", "%(n)s records approved.", approved) % {"n": approved},
    )
    return redirect(URLS[kind]["queue"])


@reviewer_required
def review_detail(request, kind, pk):
    """One record for its reviewer: facts, photos or proof, history, and the decision."""
    item = selectors.reviewable_or_404(request.user, kind, pk)
    form = DecisionForm(request.POST or None, initial={"hours": item.hours})
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data
        try:
            if decision["decision"] == "approve":
                services.review_approve(item=item, by=request.user, hours=decision["hours"])
            else:
                services.review_decline(item=item, by=request.user, comment=decision["comment"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your decision has been recorded."))
            return redirect(URLS[kind]["queue"])
    return render(
        request,
        "practice/detail.html",
        {"kind": kind, "urls": URLS[kind], "item": item, "form": form, "reviewing": True},
        status=400 if form.errors else 200,
    )


# --- private files -----------------------------------------------------------------------------


def _private_file(file, content_type: str):
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{file.name.rsplit("/", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def photo(request, pk, variant):
    """A practice photo or its thumbnail, for the log's cadre and its reviewers; others 404."""
    picture = get_object_or_404(PracticePhoto, pk=pk)
    selectors.visible_or_404(request.user, "log", picture.log_id)
    if variant == "thumb":
        return _private_file(picture.thumbnail, "image/jpeg")
    return _private_file(picture.image, picture.content_type)


@login_required
def claim_proof(request, pk):
    """The proof of a claim, for its cadre and its reviewers; others 404."""
    claim = selectors.visible_or_404(request.user, "claim", pk)
    return _private_file(claim.proof, claim.proof_type)
