"""Where notifications go besides the notification centre: e-mail, a log standing in for SMS."""

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_CHANNELS = ["lms.notifications.EmailChannel", "lms.notifications.LogChannel"]


class Channel(Protocol):
    """Delivers one notification to one person; `url` is a path on this site, or empty."""

    def send(self, *, user, title: str, body: str, url: str) -> None: ...


class EmailChannel:
    """Mails the notification to the person's address, when they have one."""

    def send(self, *, user, title: str, body: str, url: str) -> None:
        """Sends one plain-text mail with the absolute link below the body."""
        if not user.email:
            return
        message = "\n\n".join(part for part in (body, absolute_url(url)) if part)
        send_mail(title, message, None, [user.email])


class LogChannel:
    """Writes the notification to the log: the place for an SMS or WeChat provider later."""

    def send(self, *, user, title: str, body: str, url: str) -> None:
        """Logs who would be told what, without the body (it may be personal)."""
        logger.info("notification for user %s: %s %s", user.pk, title, url)


def deliver(*, user, title: str, body: str, url: str) -> None:
    """Sends through every channel in NOTIFICATION_CHANNELS; one failing does not stop the rest."""
    for path in getattr(settings, "NOTIFICATION_CHANNELS", DEFAULT_CHANNELS):
        try:
            channel: Channel = import_string(path)()
            channel.send(user=user, title=title, body=body, url=url)
        except Exception:
            logger.exception("notification channel %s failed for user %s", path, user.pk)


def is_site_path(url: str) -> bool:
    """True for a path on this site (`/learn/`), never for another host or a scheme."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


def absolute_url(url: str) -> str:
    """The path as a full link for messages read outside the site; empty stays empty."""
    if not url:
        return ""
    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{url}"
