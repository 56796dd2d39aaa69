"""The exam part of a cadre's record, for the secretaries' cadre page."""

from django import template

from ..models import QualificationClaim

register = template.Library()


@register.inclusion_tag("assessments/exam/includes/qualification_record.html")
def qualification_record(cadre):
    """The cadre's qualification claims and how they were decided, newest first."""
    return {"claims": QualificationClaim.objects.filter(cadre=cadre).select_related("reviewed_by")}
