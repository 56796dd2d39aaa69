"""The project package: settings, URLs, Celery app, and who is who (organizations, roles)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
