"""Periodic jobs of the attempt engine."""

from celery import shared_task

from . import services


@shared_task
def attempts_close_overdue() -> int:
    """Closes attempts left open past their deadline and grace, as of the deadline."""
    return services.attempts_close_overdue()
