"""A real Celery worker process imports a roster sent through the broker, end to end."""

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook

from lms import celery_app
from lms.models import RosterImport, User

from .lms.test_roster import HEADERS, row

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def broker_or_skip() -> str:
    """The configured broker; CI sets LMS_REQUIRE_WORKER so a missing broker fails, not skips."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    shared_db = connection.vendor != "sqlite"
    if broker and shared_db:
        return broker
    reason = "needs CELERY_BROKER_URL and a database a second process can open (PostgreSQL)"
    if os.environ.get("LMS_REQUIRE_WORKER"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def worker(settings):
    """Starts `celery worker` on a private queue against the test database; stops it after."""
    broker = broker_or_skip()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_roster_import_runs_in_a_real_worker(client, tree, people, worker):
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

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        roster_import.refresh_from_db()
        if roster_import.is_finished:
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.3)
    else:
        worker.terminate()
        pytest.fail(f"worker did not finish the import:\n{worker.communicate()[0]}")

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert roster_import.created_count == 30
    assert User.objects.filter(mobile__startswith="1391234").count() == 30
