"""Background jobs of courses; each takes ids and calls a service."""

from celery import shared_task
from django.utils import timezone

from . import services
from .models import TrainingRequirement


@shared_task
def requirement_enrollments_sync_task(requirement_id: int) -> int:
    requirement = TrainingRequirement.objects.filter(pk=requirement_id).first()
    if requirement is None:  # deleted before the task ran
        return 0
    return services.requirement_enrollments_sync(requirement=requirement)


@shared_task
def required_enrollments_sync_all() -> int:
    """Nightly: this year's requirements assigned to everyone they cover, catching cadres who
    moved, changed position or were added by hand since."""
    year = timezone.localdate().year
    return sum(
        services.requirement_enrollments_sync(requirement=requirement)
        for requirement in TrainingRequirement.objects.filter(year=year)
    )
