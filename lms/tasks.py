"""Background jobs of the project core; each takes ids and calls a service."""

from celery import shared_task
from django.utils import timezone

from . import selectors, services
from .models import Export, Reminder


@shared_task
def roster_import_run_task(roster_import_id: int, language: str = "zh-hans") -> None:
    services.roster_import_run(roster_import_id=roster_import_id, language=language)


@shared_task
def behind_reminders_weekly() -> int:
    """The periodic job: every cadre behind this year's requirement is reminded once a week."""
    today = timezone.localdate()
    iso_year, week, _day = today.isocalendar()
    return services.behind_reminders_send(
        memberships=selectors.behind_cadres(today.year),
        kind=Reminder.Kind.WEEKLY,
        period=f"{iso_year}-W{week:02d}",
    )


@shared_task
def export_build_task(export_id: int) -> None:
    """Writes an export's file (gone meanwhile: nothing to do)."""
    export = (
        Export.objects.select_related("organization", "requested_by").filter(pk=export_id).first()
    )
    if export is not None:
        services.export_build(export=export)
