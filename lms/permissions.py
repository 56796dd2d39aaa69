"""Who may see or act on what. Every view asks here; nothing else decides access.

A platform admin sees everything. A secretary or organization administrator sees the
organizations where they hold that membership and everything below them; anything outside
answers 404, so the existence of other organizations is not revealed. A cadre sees themself.
"""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, Organization, User

MANAGER_ROLES = (Membership.Role.SECRETARY, Membership.Role.ADMIN)
LECTURERS_GROUP = "Lecturers"


def is_platform_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def can_access_cms(user) -> bool:
    """Lecturers and platform admins author in the Wagtail admin; nobody else enters it."""
    return bool(user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


def managed_paths(user) -> tuple[str, ...]:
    """Tree paths of the organizations whose subtrees this user manages (cached per user object)."""
    if not user.is_authenticated:
        return ()
    cached = getattr(user, "_managed_paths", None)
    if cached is None:
        paths = sorted(
            Membership.objects.filter(user=user, role__in=MANAGER_ROLES).values_list(
                "organization__path", flat=True
            )
        )
        roots: list[str] = []
        for path in paths:  # sorted, so an ancestor comes before its descendants
            if not any(path.startswith(root) for root in roots):
                roots.append(path)
        cached = user._managed_paths = tuple(roots)
    return cached


def is_manager(user) -> bool:
    """Secretaries, organization administrators and platform admins use the tracking pages."""
    return is_platform_admin(user) or bool(managed_paths(user))


def _subtree_filter(paths: tuple[str, ...], prefix: str) -> Q:
    return reduce(or_, (Q(**{f"{prefix}path__startswith": path}) for path in paths))


def managed_organizations(user) -> QuerySet[Organization]:
    if is_platform_admin(user):
        return Organization.objects.all()
    paths = managed_paths(user)
    if not paths:
        return Organization.objects.none()
    return Organization.objects.filter(_subtree_filter(paths, ""))


def can_manage_organization(user, organization: Organization) -> bool:
    if is_platform_admin(user):
        return True
    return any(organization.path.startswith(path) for path in managed_paths(user))


def visible_cadres(user) -> QuerySet[User]:
    """Cadres whose home organization lies in the user's managed subtrees."""
    if is_platform_admin(user):
        return User.objects.filter(memberships__role=Membership.Role.CADRE)
    paths = managed_paths(user)
    if not paths:
        return User.objects.none()
    return User.objects.filter(
        Q(memberships__role=Membership.Role.CADRE)
        & _subtree_filter(paths, "memberships__organization__")
    )


def can_view_cadre(user, cadre: User) -> bool:
    if not user.is_authenticated:
        return False
    if user.pk == cadre.pk or is_platform_admin(user):
        return True
    home = home_organization(cadre)
    return home is not None and can_manage_organization(user, home)


def cadre_records_visible_to(user, queryset: QuerySet, *, field: str = "cadre") -> QuerySet:
    """Rows of `queryset` whose cadre (the foreign key `field`) this user oversees as a
    secretary, organization administrator or platform admin; none for anybody else."""
    return queryset.filter(**{f"{field}__in": visible_cadres(user)})


def course_records_taught_by(user, queryset: QuerySet, *, field: str = "course") -> QuerySet:
    """Rows of `queryset` tied through `field` to a course this user teaches: listed among
    its lecturers, or its owner in the CMS."""
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(
        Q(**{f"{field}__lecturers__user": user}) | Q(**{f"{field}__owner": user})
    ).distinct()


def home_organization(user: User) -> Organization | None:
    membership = (
        Membership.objects.filter(user=user, role=Membership.Role.CADRE)
        .select_related("organization")
        .first()
    )
    return membership.organization if membership else None


def organization_or_404(user, pk) -> Organization:
    try:
        return managed_organizations(user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError) as error:
        raise Http404 from error


def cadre_or_404(user, pk) -> User:
    try:
        cadre = User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError) as error:
        raise Http404 from error
    if not can_view_cadre(user, cadre):
        raise Http404
    return cadre
