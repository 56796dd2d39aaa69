"""Reads of the practice app: who may see which logs and claims, the review queues and the
cadre's own lists, each in a fixed number of queries."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from lms import permissions
from lms.models import Membership

from .models import ExternalClaim, PracticeLog, Reviewable, Status

KINDS: dict[str, type[Reviewable]] = {"log": PracticeLog, "claim": ExternalClaim}


def reviewable(user, model: type[Reviewable]) -> QuerySet:
    """Records `user` may review: their subtree's cadres' (secretaries, admins) and, for
    practice logs, those tied to a course they teach (lecturers); never their own."""
    managed = permissions.cadre_records_visible_to(user, model.objects.all())
    if model is PracticeLog:
        taught = permissions.course_records_taught_by(user, model.objects.all())
        scope = model.objects.filter(pk__in=managed.values("pk")) | model.objects.filter(
            pk__in=taught.values("pk")
        )
    else:
        scope = model.objects.filter(pk__in=managed.values("pk"))
    return scope.exclude(cadre=user)


def reviewable_or_404(user, kind: str, pk) -> Reviewable:
    """One record `user` may review, with what its page shows, or Http404."""
    model = KINDS[kind]
    try:
        return with_details(reviewable(user, model)).get(pk=pk)
    except (model.DoesNotExist, ValueError) as error:
        raise Http404 from error


def own_or_404(user, kind: str, pk) -> Reviewable:
    """One of the user's own records, or Http404."""
    model = KINDS[kind]
    try:
        return with_details(model.objects.filter(cadre=user)).get(pk=pk)
    except (model.DoesNotExist, ValueError) as error:
        raise Http404 from error


def visible_or_404(user, kind: str, pk) -> Reviewable:
    """A record its cadre or one of its reviewers asks for (its files), or Http404."""
    model = KINDS[kind]
    own = model.objects.filter(cadre=user, pk=pk) if user.is_authenticated else model.objects.none()
    try:
        return (own | model.objects.filter(pk__in=reviewable(user, model).values("pk"))).get(pk=pk)
    except (model.DoesNotExist, ValueError) as error:
        raise Http404 from error


def with_details(queryset: QuerySet) -> QuerySet:
    """Adds what a record's page shows: the cadre, the course, photos and history."""
    related = ["cadre", "course"] if queryset.model is PracticeLog else ["cadre"]
    prefetch = ["events__actor"] + (["photos"] if queryset.model is PracticeLog else [])
    return queryset.select_related(*related).prefetch_related(*prefetch)


def home_organization_name():
    """The name of the cadre's home organization, as a subquery annotation."""
    return Subquery(
        Membership.objects.filter(user=OuterRef("cadre"), role=Membership.Role.CADRE).values(
            "organization__name"
        )[:1]
    )


def queue_rows(queryset: QuerySet) -> QuerySet:
    """Rows of a review queue or a cadre's list: the record, its cadre and organization,
    and how many photos it has."""
    queryset = queryset.select_related("cadre").annotate(organization_name=home_organization_name())
    if queryset.model is PracticeLog:
        queryset = queryset.select_related("course").annotate(photo_count=Count("photos"))
    return queryset.order_by(*queryset.model._meta.ordering)  # GROUP BY drops Meta.ordering


def status_counts(queryset: QuerySet) -> dict[str, int]:
    """How many records of `queryset` are in each status (all statuses listed), in one query."""
    counts = dict.fromkeys(Status.values, 0)
    counts.update(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    return counts
