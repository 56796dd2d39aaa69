"""Background jobs of the project core; each takes ids and calls a service."""

from celery import shared_task

from . import services


@shared_task
def roster_import_run_task(roster_import_id: int, language: str = "zh-hans") -> None:
    services.roster_import_run(roster_import_id=roster_import_id, language=language)
