"""Links into the practice pages from other apps' templates, e.g. the organization page."""

from django import template

from .. import selectors
from ..models import PENDING, ExternalClaim, PracticeLog

register = template.Library()


@register.simple_tag
def practice_pending(user, organization) -> dict[str, int]:
    """Practice logs and training claims of the organization's subtree awaiting `user`'s review
    (two COUNT queries): {"logs": n, "claims": m}."""
    return {
        key: selectors.reviewable(user, model)
        .filter(
            status__in=PENDING,
            cadre__memberships__role="cadre",
            cadre__memberships__organization__path__startswith=organization.path,
        )
        .count()
        for key, model in (("logs", PracticeLog), ("claims", ExternalClaim))
    }
