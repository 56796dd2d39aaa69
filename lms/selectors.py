"""Reads for pages about people and organizations, with their joins and counts in one place."""

from django.db.models import Count, Q, QuerySet

from courses import selectors as course_selectors
from courses.models import CourseIndexPage

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


def organization_children(organization: Organization) -> list[Organization]:
    """Direct children, each with its number of cadres across its own subtree, in one query."""
    children = list(organization.get_children())
    if not children:
        return children
    counts = dict(
        Membership.objects.filter(
            role=Membership.Role.CADRE, organization__path__startswith=organization.path
        )
        .exclude(organization=organization)
        .values_list("organization__path")
        .annotate(n=Count("pk"))
    )
    for child in children:
        child.cadre_count = sum(n for path, n in counts.items() if path.startswith(child.path))
    return children


def organization_cadres(organization: Organization, *, query: str = "") -> QuerySet[Membership]:
    """Home memberships of cadres anywhere in the organization's subtree, optionally searched."""
    cadres = home_memberships().filter(organization__path__startswith=organization.path)
    if query:
        cadres = cadres.filter(Q(user__name__icontains=query) | Q(user__mobile__startswith=query))
    return cadres


def cadre_home_membership(cadre: User) -> Membership | None:
    return home_memberships().filter(user=cadre).first()


def roster_imports_for(organization: Organization) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(organization=organization).select_related("uploaded_by")[:10]
