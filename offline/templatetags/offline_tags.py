"""Template tags of the offline sessions: the cadre's sessions on 我的学习."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("offline/includes/my_sessions.html")
def my_offline_sessions(user):
    """The person's coming sign-ups and latest attended sessions, for the home page."""
    return {"attendances": selectors.my_sessions(user)}
