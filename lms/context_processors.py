"""Template context shared by every page: what the navigation may offer this user."""

from django.utils.functional import SimpleLazyObject

from . import permissions


def roles(request):
    user = request.user
    return {
        "nav_is_manager": SimpleLazyObject(lambda: permissions.is_manager(user)),
        "nav_can_access_cms": SimpleLazyObject(lambda: permissions.can_access_cms(user)),
    }


def display(request):
    """The reader's chosen text size, kept in a cookie so the first paint is already right."""
    return {"large_text": request.COOKIES.get("text_size") == "large"}
