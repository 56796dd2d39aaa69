"""Reads for pages about people and organizations, with their joins and counts in one place."""

from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from courses import selectors as course_selectors
from courses.models import CourseIndexPage, Enrollment, TrainingRequirement

from . import permissions
from .models import Membership, Organization, RosterImport, User


def home_memberships() -> QuerySet[Membership]:
    """Cadres as their home memberships, joined to person, profile and organization."""
    return (
        Membership.objects.filter(role=Membership.Role.CADRE)
        .select_related("user", "user__cadre_profile", "organization")
        .order_by("user__name", "user_id")
    )


def home_context_for(user, *, year: int) -> dict:
    """What the home page shows a logged-in person: 我的学习 for cadres, managed organizations.
    (Required courses are assigned at login and when requirements change: courses/receivers.py.)
    """
    if not user.is_authenticated:
        return {}
    membership = cadre_home_membership(user)
    context = {
        "home_organization": membership.organization if membership else None,
        "profile": getattr(membership.user, "cadre_profile", None) if membership else None,
    }
    if membership:
        requirement = course_selectors.requirement_for(user, year, membership=membership)
        context["learning"] = course_selectors.my_learning(user, year, requirement)
    context["catalogue"] = CourseIndexPage.objects.live().first()
    if permissions.is_manager(user):
        context["managed_roots"] = managed_root_summaries(user)
    return context


def managed_root_summaries(user) -> list[Organization]:
    """The top organizations a user manages, each with counts over its subtree."""
    if permissions.is_platform_admin(user):
        roots = Organization.get_root_nodes()
    else:
        roots = Organization.objects.filter(path__in=permissions.managed_paths(user))
    return [_with_subtree_counts(root) for root in roots]


def _with_subtree_counts(organization: Organization) -> Organization:
    organization.cadre_count = Membership.objects.filter(
        role=Membership.Role.CADRE, organization__path__startswith=organization.path
    ).count()
    return organization


def organization_cadres(organization: Organization, *, query: str = "") -> QuerySet[Membership]:
    """Home memberships of cadres anywhere in the organization's subtree, optionally searched."""
    cadres = home_memberships().filter(organization__path__startswith=organization.path)
    return search_cadres(cadres, query) if query else cadres


def search_cadres(memberships: QuerySet[Membership], query: str) -> QuerySet[Membership]:
    """Memberships whose person's name contains `query` or whose mobile starts with it."""
    return memberships.filter(Q(user__name__icontains=query) | Q(user__mobile__startswith=query))


def cadre_home_membership(cadre: User) -> Membership | None:
    return home_memberships().filter(user=cadre).first()


def roster_imports_for(organization: Organization) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(organization=organization).select_related("uploaded_by")[:10]


# 学时完成情况: hours of the year against the requirement, for many cadres at once.

HOURS = DecimalField(max_digits=8, decimal_places=2)


def year_requirements(year: int) -> list[TrainingRequirement]:
    """The year's requirements with their organizations and required course ids (2 queries)."""
    return list(
        TrainingRequirement.objects.filter(year=year)
        .select_related("organization")
        .prefetch_related("required_courses")
    )


def with_year_hours(memberships: QuerySet[Membership], year: int) -> QuerySet[Membership]:
    """Annotates `year_hours` and `year_online_hours`: the cadre's ledger sums for the year,
    reversals included, read from its CreditTotal (the ledger's sum kept beside it) through one
    LEFT JOIN, which the database can hash over thousands of cadres at once."""
    zero = Value(Decimal("0"))
    return memberships.annotate(
        year_total=FilteredRelation(
            "user__credit_totals", condition=Q(user__credit_totals__year=year)
        ),
        year_hours=Coalesce(F("year_total__hours"), zero, output_field=HOURS),
        year_online_hours=Coalesce(F("year_total__online_hours"), zero, output_field=HOURS),
    )


def behind_requirement(
    memberships: QuerySet[Membership], requirements: list[TrainingRequirement]
) -> QuerySet[Membership]:
    """Only cadres with a requirement whose year's hours are below it; `memberships` must
    carry `year_hours`. The strictest applicable requirement comes first in the CASE."""
    if not requirements:
        return memberships.none()
    return memberships.annotate(required_hours=required_hours(requirements)).filter(
        year_hours__lt=F("required_hours")
    )


def required_hours(requirements: list[TrainingRequirement]) -> Case:
    """The hours of the strictest requirement applying to a home membership, NULL for none
    (the same answer as `set_tracking`, as a SQL expression)."""
    strictest_first = sorted(requirements, key=lambda r: r.total_hours, reverse=True)
    return Case(
        *(When(r.membership_filter(), then=Value(r.total_hours)) for r in strictest_first),
        default=None,
        output_field=HOURS,
    )


def format_hours(hours: Decimal) -> str:
    """12.50 → "12.5", 32.0 → "32"."""
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def set_tracking(memberships, requirements: list[TrainingRequirement], *, cadre_ids=None) -> None:
    """Sets on each membership (annotated by `with_year_hours`): `hours`, `required_hours`,
    `required_online_hours`, `hours_percent`, `is_behind`, `required_total` and `required_done`.

    Requirements are matched in Python with `applies_to`; completed required courses come
    from one query over the cadres' enrollments (`cadre_ids`: a list or a values() queryset,
    by default the memberships' users).
    """
    memberships = list(memberships)
    required_ids: dict[int, set[int]] = {}
    for membership in memberships:
        profile = getattr(membership.user, "cadre_profile", None)
        applying = [r for r in requirements if r.applies_to(profile, membership.organization)]
        membership.hours = Decimal(membership.year_hours or 0).quantize(course_selectors.CENT)
        membership.has_requirement = bool(applying)
        membership.required_hours = max((r.total_hours for r in applying), default=None)
        membership.required_online_hours = max((r.online_hours for r in applying), default=None)
        required_ids[membership.user_id] = {
            course.pk for r in applying for course in r.required_courses.all()
        }
        membership.required_total = len(required_ids[membership.user_id])
        membership.required_done = 0
        membership.hours_percent = course_selectors.percent(
            membership.hours, membership.required_hours
        )
        membership.hours_label = format_hours(membership.hours)
        membership.required_label = format_hours(membership.required_hours) if applying else "—"
        membership.is_behind = (
            membership.required_hours is not None and membership.hours < membership.required_hours
        )
    all_required = set().union(*required_ids.values()) if required_ids else set()
    if not all_required:
        return
    if cadre_ids is None:
        cadre_ids = list(required_ids)
    done = Enrollment.objects.filter(
        cadre_id__in=cadre_ids, course_id__in=all_required, completed_at__isnull=False
    ).values_list("cadre_id", "course_id")
    by_cadre = {m.user_id: m for m in memberships}
    for cadre_id, course_id in done:
        membership = by_cadre.get(cadre_id)
        if membership is not None and course_id in required_ids[cadre_id]:
            membership.required_done += 1


def behind_cadres(year: int, organization: Organization | None = None) -> QuerySet[Membership]:
    """Home memberships of cadres behind the year's requirement that applies to them, in the
    organization's subtree (everywhere without one), with `year_hours` and `required_hours`."""
    memberships = (
        organization_cadres(organization) if organization is not None else home_memberships()
    )
    return behind_requirement(with_year_hours(memberships, year), year_requirements(year))
