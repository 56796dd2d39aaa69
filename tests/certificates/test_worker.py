"""Certificates through the broker and real workers: a worker killed mid-render, a broker that
is down when a course is completed.

The worker tests need Redis and PostgreSQL (see tests/workers.py); the last test needs neither.
"""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from certificates import services
from certificates.models import Certificate
from certificates.tasks import certificate_render_task
from courses import services as course_services
from courses.models import CreditEntry, Enrollment

from ..factories import make_cadre
from ..workers import broker_unreachable

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VISIBILITY_TIMEOUT = 5  # seconds; the broker gives an unacknowledged message back after this


def complete_for(cadres, course) -> list[Certificate]:
    """Completes the course for each cadre in one transaction; on commit a render task per
    certificate goes to the broker, in this order."""
    with transaction.atomic():
        for cadre in cadres:
            enrollment = course_services.enrollment_create(cadre=cadre, course=course)
            course_services.course_complete(enrollment=enrollment, by=None)
    return list(Certificate.objects.order_by("pk"))


def cadres(tree, count: int):
    return [
        make_cadre(tree.branch, username=f"kill{n}", name=f"学员{n}", mobile=f"1397777{n:04d}")
        for n in range(count)
    ]


@contextmanager
def row_locked(certificate):
    """Holds the certificate's row lock from a connection of its own, as a second renderer
    would; yields that connection's backend pid."""
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
    ) as holder:
        holder.execute(
            "SELECT id FROM certificates_certificate WHERE id = %s FOR UPDATE", [certificate.pk]
        )
        yield holder.info.backend_pid
        holder.rollback()


def waiting_on(holder_pid: int) -> list[int]:
    """The database backends waiting for a lock that `holder_pid` holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [holder_pid]
        )
        return [pid for (pid,) in cursor.fetchall()]


def held_for(workers, certificate) -> list:
    """The one message the broker holds unacknowledged for the worker: the certificate's."""
    held = workers.unacknowledged()
    assert [message.args for message in held] == [[certificate.pk]], (
        "the broker no longer holds the message being worked on: acknowledged before the work?"
    )
    return held


def statuses(certificates) -> list[str]:
    return [
        Certificate.objects.values_list("status", flat=True).get(pk=certificate.pk)
        for certificate in certificates
    ]


def all_issued(count: int):
    return lambda: Certificate.objects.filter(status=Certificate.Status.ISSUED).count() == count


def assert_issued_once_each(certificates, media_root: Path) -> None:
    """One certificate per (cadre, subject), distinct serials, each rendered by exactly one
    attempt that counted, into one PDF file; no stray files from attempts that died."""
    rows = list(Certificate.objects.order_by("pk"))
    assert [row.pk for row in rows] == [certificate.pk for certificate in certificates]
    assert len({(row.cadre_id, row.kind, row.subject) for row in rows}) == len(rows)
    assert len({row.serial for row in rows}) == len(rows)
    assert all(row.status == Certificate.Status.ISSUED and row.last_error == "" for row in rows)
    assert [row.render_attempts for row in rows] == [1] * len(rows)
    paths = [Path(row.pdf.path) for row in rows]
    assert [path.name for path in paths] == [f"{row.serial}.pdf" for row in rows]
    assert all(path.read_bytes().startswith(b"%PDF-") for path in paths)
    assert sorted((media_root / "certificates").rglob("*.pdf")) == sorted(paths)


@pytest.mark.worker
def test_worker_killed_mid_render_the_task_runs_again_once(workers, tree, course, settings):
    """kill -9 of a whole worker (main process and pool process) in the middle of a render.

    The moment is made exact rather than guessed: the test holds the row lock of the sixth
    certificate, so the worker renders five, takes the sixth message, enters
    `certificate_render` and waits there (seen in pg_stat_activity) when it is killed.

    Late acknowledgement is what saves the task: the broker still holds the message as taken but
    not acknowledged, and delivers it again once it is older than the visibility timeout (the
    worker's CELERY_VISIBILITY_TIMEOUT, 5 s here) to the next worker, which renders it once.
    With acks_late off the worker acknowledges a message as its pool process starts the task:
    the check that the broker still holds it fails at once (and without that check the sixth
    certificate would stay pending, and the wait for all issued time out). A render that counted
    twice or left a second file, or a second certificate, fails the final checks.

    The prefork pool, as in production: with --pool=solo Celery defers even an early
    acknowledgement until the task returns (the task blocks the loop that would send it), so a
    solo worker killed mid-task loses nothing with acks_late off either, and could not tell.
    """
    count, victim_index = 20, 5
    certificates = complete_for(cadres(tree, count), course)
    assert statuses(certificates) == [Certificate.Status.PENDING] * count
    victim = certificates[victim_index]
    timeout = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}

    with row_locked(victim) as holder:
        first = workers.start(pool="prefork", env=timeout)
        workers.wait_until(lambda: waiting_on(holder), what="the worker to wait for the locked row")
        rendered, waiting = certificates[:victim_index], certificates[victim_index:]
        assert set(statuses(rendered)) == {"issued"} and set(statuses(waiting)) == {"pending"}
        (message,) = held_for(workers, victim)
        first.kill()
    assert first.received(message.task_id) == 1 and not first.succeeded(message.task_id)

    victim.refresh_from_db()
    assert (victim.status, victim.pdf.name, victim.render_attempts) == ("pending", "", 0)
    # The killed worker acknowledged nothing, so the message is still held for it.
    assert [m.task_id for m in workers.unacknowledged()] == [message.task_id]

    # A worker gives back, when it starts, messages taken longer ago than the visibility timeout
    # (then only every ~100 s): start the next one once that much time has passed.
    time.sleep(max(0.0, message.taken_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))
    second = workers.start(pool="prefork", env=timeout)
    workers.wait_until(all_issued(count), what=f"{count} certificates to be issued")

    assert second.received(message.task_id) == 1 and second.succeeded(message.task_id)
    assert workers.unacknowledged() == []
    assert_issued_once_each(certificates, Path(settings.MEDIA_ROOT))

    # Delivered yet again (as after a lost acknowledgement): the work is found done.
    victim.refresh_from_db()
    before = Path(victim.pdf.path).read_bytes()
    again = certificate_render_task.delay(victim.pk)
    workers.wait_until(lambda: second.succeeded(again.id), what="the duplicate to be handled")
    assert_issued_once_each(certificates, Path(settings.MEDIA_ROOT))
    assert Path(victim.pdf.path).read_bytes() == before


@pytest.mark.worker
def test_pool_process_killed_mid_render_the_task_is_given_back(workers, tree, course, settings):
    """kill -9 of the prefork pool process that runs the task, while the worker lives on.

    Same exact moment as above (the test holds the row lock of the second certificate). The
    worker sees its pool process lost; with acks_late and reject_on_worker_lost it gives the
    message back to the broker at once and takes it again, which its log shows as a second
    receipt of the same task id. With reject_on_worker_lost off it would acknowledge the message
    as failed (with acks_late off it was acknowledged on receipt): no second receipt, the wait
    fails, and the certificate stays pending.
    """
    count, victim_index = 4, 1
    certificates = complete_for(cadres(tree, count), course)
    victim = certificates[victim_index]

    with row_locked(victim) as holder:
        worker = workers.start(pool="prefork")
        workers.wait_until(lambda: waiting_on(holder), what="the worker to wait for the locked row")
        (message,) = held_for(workers, victim)
        worker.kill_pool_process()
        workers.wait_until(
            lambda: worker.received(message.task_id) == 2,
            what="the task to be given back and taken again",
        )
    workers.wait_until(all_issued(count), what=f"{count} certificates to be issued")

    assert "WorkerLostError" in worker.log() and worker.succeeded(message.task_id)
    assert_issued_once_each(certificates, Path(settings.MEDIA_ROOT))


def complete_while_broker_down(cadre, course, caplog) -> Certificate:
    """Completes the course with the broker refusing connections; checks what is committed."""
    enrollment = course_services.enrollment_create(cadre=cadre, course=course)
    with broker_unreachable():
        with transaction.atomic():
            course_services.course_complete(enrollment=enrollment, by=None)
        assert any(
            record.name == "certificates.services" and record.levelno == logging.WARNING
            for record in caplog.records
        ), "the send that failed is logged"
        # The sweep cannot reach the broker either: it reports nothing sent.
        assert services.pending_sweep(now=timezone.now() + timedelta(minutes=5)) == 0

    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    assert enrollment.completed_at is not None
    assert CreditEntry.objects.filter(cadre=cadre, source=f"course:{course.pk}").count() == 1
    certificate = Certificate.objects.get()
    assert (certificate.status, certificate.pdf.name) == (Certificate.Status.PENDING, "")
    return certificate


@pytest.mark.worker
def test_broker_down_at_completion_the_sweep_has_it_rendered(workers, people, course, caplog):
    """The completion commits without the broker; the certificate waits as pending and is
    rendered by a worker once the broker is back and the periodic sweep sends it."""
    certificate = complete_while_broker_down(people.cadre, course, caplog)

    worker = workers.start()
    # The sweep as beat runs it, but in this process: run by the worker, it would send the
    # renders to the default queue, not to this test's.
    assert services.pending_sweep() == 0  # younger than the grace period: left alone
    assert services.pending_sweep(now=timezone.now() + services.PENDING_GRACE * 2) == 1

    def issued():
        certificate.refresh_from_db()
        return certificate.status == Certificate.Status.ISSUED

    workers.wait_until(issued, what="the certificate to be issued")
    assert Path(certificate.pdf.path).read_bytes().startswith(b"%PDF-")
    assert certificate.render_attempts == 1
    assert "certificate_render_task" in worker.log()


def test_broker_down_at_completion_leaves_the_certificate_pending(people, course, caplog):
    """The same without a worker (any database): pending after the completion commits, then
    rendered by the sweep with tasks run in-process."""
    certificate = complete_while_broker_down(people.cadre, course, caplog)

    assert services.pending_sweep() == 0
    assert services.pending_sweep(now=timezone.now() + services.PENDING_GRACE * 2) == 1
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ISSUED, certificate.last_error
    assert Path(certificate.pdf.path).read_bytes().startswith(b"%PDF-")
