"""Reads for the certificate pages."""

from django.db.models import QuerySet

from courses.models import CreditEntry
from lms import permissions

from .models import Certificate


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
