"""Template context shared by every page: what the navigation may offer this user."""

from django.utils.functional import SimpleLazyObject

from . import permissions
from .models import Notification


def roles(request):
    """Navigation entries for this user, each computed only if the page shows it."""
    user = request.user
    return {
        "nav_is_manager": SimpleLazyObject(lambda: permissions.is_manager(user)),
        "nav_can_access_cms": SimpleLazyObject(lambda: permissions.can_access_cms(user)),
        "nav_unread_notifications": SimpleLazyObject(lambda: unread_notifications(user)),
    }


def unread_notifications(user) -> int:
    """The header badge: one count query for a logged-in user, none for a visitor."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def display(request):
    """The reader's chosen text size, kept in a cookie so the first paint is already right."""
    return {"large_text": request.COOKIES.get("text_size") == "large"}
