"""Reads for the certificate pages."""

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from courses.models import CoursePage, CreditEntry, Enrollment
from lms import permissions
from lms.models import Membership

from .models import Certificate, CertificateArchive


def my_certificates(cadre) -> QuerySet[Certificate]:
    return Certificate.objects.filter(cadre=cadre).select_related("replaced_by")


def statement_years(cadre) -> list[int]:
    """Years in which the cadre has ledger entries, newest first."""
    years = CreditEntry.objects.filter(cadre=cadre).values_list("year", flat=True).distinct()
    return sorted(set(years), reverse=True)


def certificate_for_viewer_or_none(user, pk) -> Certificate | None:
    """The certificate if the user is its holder, manages the holder, or is a platform admin."""
    certificate = Certificate.objects.select_related("cadre", "organization").filter(pk=pk).first()
    if certificate is None or not permissions.can_view_cadre(user, certificate.cadre):
        return None
    return certificate


def organization_certificates(organization) -> QuerySet[Certificate]:
    return Certificate.objects.filter(
        organization__path__startswith=organization.path
    ).select_related("organization")


# --- secretaries' pages: certificates of an organization and its classes ---------------------


def subtree_cadre_ids(organization) -> QuerySet:
    """Ids of the cadres whose home organization lies in the organization's subtree (a
    subquery, never fetched on its own)."""
    return Membership.objects.filter(
        role=Membership.Role.CADRE, organization__path__startswith=organization.path
    ).values("user_id")


def course_pk_of(subject: str) -> int | None:
    """The course id of a certificate subject such as ``course:12``; None for other subjects."""
    prefix, _, rest = subject.partition(":")
    return int(rest) if prefix == "course" and rest.isdigit() else None


def organization_certificate_courses(organization) -> list:
    """The courses that certificates held in the subtree are for, by title (two queries)."""
    subjects = (
        Certificate.objects.filter(
            organization__path__startswith=organization.path, subject__startswith="course:"
        )
        .order_by()
        .values_list("subject", flat=True)
        .distinct()
    )
    pks = {pk for pk in map(course_pk_of, subjects) if pk is not None}
    if not pks:
        return []
    return list(CoursePage.objects.filter(pk__in=pks).order_by("title", "pk"))


def organization_course_summaries(organization) -> list[dict]:
    """Courses in which cadres of the subtree are enrolled, each with the number enrolled and
    the number completed, by title; one query."""
    return list(
        Enrollment.objects.filter(cadre_id__in=subtree_cadre_ids(organization))
        .values("course_id", "course__title")
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by("course__title", "course_id")
    )


def class_enrollments(organization, course) -> QuerySet:
    """A class: enrollments in the course of cadres whose home lies in the subtree, each with
    the cadre, their home organization's name and their valid certificate's id and serial;
    one query, ordered by organization and name."""
    certificate = Certificate.objects.filter(
        cadre_id=OuterRef("cadre_id"), subject=f"course:{course.pk}", revoked_at__isnull=True
    )
    return (
        Enrollment.objects.filter(
            course=course,
            cadre__memberships__role=Membership.Role.CADRE,
            cadre__memberships__organization__path__startswith=organization.path,
        )
        .select_related("cadre")
        .annotate(
            home_name=F("cadre__memberships__organization__name"),
            home_path=F("cadre__memberships__organization__path"),
            certificate_pk=Subquery(certificate.values("pk")[:1]),
            certificate_serial=Subquery(certificate.values("serial")[:1]),
        )
        .order_by("home_path", "cadre__name", "cadre_id")
    )


def recent_archives(user, organization, course, limit: int = 5) -> QuerySet:
    """The user's latest ZIP archives of a class, newest first."""
    return CertificateArchive.objects.filter(
        requested_by=user, organization=organization, course=course
    ).order_by("-created_at", "-pk")[:limit]
