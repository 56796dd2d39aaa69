"""Template tags of the secretaries' certificate pages."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("certificates/manage/organization_classes.html")
def organization_classes(organization):
    """The courses cadres of the subtree are enrolled in, with counts, linking to each class."""
    return {
        "organization": organization,
        "classes": selectors.organization_course_summaries(organization),
    }
