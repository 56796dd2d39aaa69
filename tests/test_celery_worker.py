"""A real Celery worker process imports a roster sent through the broker, end to end."""

import io

import pytest
from openpyxl import Workbook

from lms.models import RosterImport, User

from .lms.test_roster import HEADERS, row

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_roster_import_runs_in_a_real_worker(client, tree, people, workers, worker):
    """The upload is committed, the task travels through the broker, the worker imports it."""
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for n in range(30):
        workbook.active.append(row(name=f"居民{n}", mobile=f"1391234{n:04d}"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.name = "花名册.xlsx"
    buffer.seek(0)

    client.force_login(people.east_secretary)
    response = client.post(f"/manage/org/{tree.east.pk}/roster/", {"file": buffer})
    assert response.status_code == 302
    roster_import = RosterImport.objects.get()

    def finished():
        roster_import.refresh_from_db()
        return roster_import.is_finished

    workers.wait_until(finished, what="the import to finish", timeout=60)

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert roster_import.created_count == 30
    assert User.objects.filter(mobile__startswith="1391234").count() == 30
