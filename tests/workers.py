"""Real `celery worker` processes for tests that send tasks through the broker.

A test asks the `workers` fixture for workers (or `worker` for one). They consume a queue of
their own test, open the test database, and write their output to a log file that a failed wait
shows. Tests using them need a transactional database (the worker reads committed rows only) and
the `worker` mark. Without a broker or on SQLite (which a second process cannot share) they skip,
except under LMS_REQUIRE_WORKER, where they fail.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.db import connection
from kombu.exceptions import OperationalError

from lms import celery_app

ROOT = Path(__file__).resolve().parents[1]


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


class Worker:
    """One `celery worker` process; `killed` once the test has killed it on purpose."""

    def __init__(self, name: str, process: subprocess.Popen, log_path: Path):
        self.name, self.process, self.log_path = name, process, log_path
        self.killed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def received(self, task_id: str) -> int:
        """How many times this worker has taken the message of `task_id` from the broker."""
        return self.log().count(f"[{task_id}] received")

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.log()

    def pool_processes(self) -> list[int]:
        """The pids of the processes the worker has forked to run tasks (prefork pool)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:  # the process has just gone
                continue
            if int(fields[1]) == self.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool_process(self) -> int:
        """SIGKILL to the one process of a prefork pool; the worker itself lives on."""
        (pool_process,) = self.pool_processes()
        os.kill(pool_process, signal.SIGKILL)
        return pool_process

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once (its own process group): no
        warm shutdown, nothing handed back to the broker, no cleanup at all."""
        self.killed = True
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (the worker stops its pool processes); SIGKILL to all after 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Workers:
    """Starts workers on one private queue and waits on them; the fixture stops them all."""

    def __init__(self, *, broker: str, media_root: Path, log_dir: Path):
        self.broker = broker
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.media_root = media_root
        self.log_dir = log_dir
        self.started: list[Worker] = []

    def start(self, *, pool: str = "solo", env: dict[str, str] | None = None) -> Worker:
        """A worker with one pool process; `env` adds to its environment (e.g. the visibility
        timeout). `--pool=solo` runs tasks in the worker process itself, prefork in a child."""
        database = connection.settings_dict
        name = f"w{len(self.started) + 1}-{self.queue}"
        log_path = self.log_dir / f"{name}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
                f"/{database['NAME']}"
            ),
            "CELERY_BROKER_URL": self.broker,
            "MEDIA_ROOT": str(self.media_root),
            **(env or {}),
        }
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "lms", "worker", f"--pool={pool}",
                 "--concurrency=1", "-Q", self.queue, "-n", f"{name}@%h",
                 "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, for kill()
            )  # fmt: skip
        worker = Worker(name, process, log_path)
        self.started.append(worker)
        return worker

    def wait_until(self, condition: Callable, *, what: str, timeout: float = 30):
        """Polls `condition` until it gives something true and returns that; fails with the
        workers' output if the time runs out or a worker not killed on purpose exits."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            for worker in self.started:
                code = worker.process.poll()
                if code is not None and not worker.killed:
                    self.fail(f"{worker.name} exited ({code}) while waiting for {what}")
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.2)

    def fail(self, message: str):
        logs = "\n".join(f"--- {worker.name}\n{worker.log()[-6000:]}" for worker in self.started)
        pytest.fail(f"{message}\n{logs}", pytrace=False)

    def unacknowledged(self) -> list[SimpleNamespace]:
        """Messages of the queue a worker has taken and not acknowledged, as the Redis transport
        keeps them (to deliver again once older than the visibility timeout): task id, args and
        when it was taken."""
        with redis.Redis.from_url(self.broker) as client:
            taken_at = dict(client.zrange("unacked_index", 0, -1, withscores=True))
            held = []
            for tag, raw in client.hgetall("unacked").items():
                message, _exchange, routing_key = json.loads(raw)
                if routing_key == self.queue:
                    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                    task_id = message["headers"]["id"]
                    held.append(SimpleNamespace(tag=tag, task_id=task_id, args=args,
                                                taken_at=taken_at.get(tag, 0.0)))  # fmt: skip
            return held

    def stop_all(self) -> None:
        """Stops the workers and removes what the queue left in Redis, even after a failure."""
        for worker in self.started:
            worker.stop()
        held = self.unacknowledged()
        with redis.Redis.from_url(self.broker) as client:
            for message in held:
                client.zrem("unacked_index", message.tag)
                client.hdel("unacked", message.tag)
            keys = list(client.scan_iter(match=f"*{self.queue}*"))  # the queue, its bindings
            if keys:
                client.delete(*keys)


@pytest.fixture
def workers(settings, tmp_path):
    """Starts workers on demand; while the test runs, tasks it sends go to their queue."""
    group = Workers(broker=broker_or_skip(), media_root=settings.MEDIA_ROOT, log_dir=tmp_path)
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = group.queue
    try:
        yield group
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        group.stop_all()


@pytest.fixture
def worker(workers):
    """One worker, started before the test."""
    return workers.start()


def _send_to(url: str | None) -> None:
    """Points the app's sending at `url` (None: the configured broker). Not `broker_url`,
    which the CELERY_BROKER_URL variable overrides; the app looks its connection and producer
    pools up again on next use (kombu keeps them open per URL, the real broker's for after)."""
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_unreachable():
    """Tasks are sent (not run in-process) to a Redis address that refuses every connection: a
    local port held bound but not listening, so nothing else can answer there meanwhile."""
    previous = celery_app.conf.broker_write_url, celery_app.conf.task_always_eager
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        _send_to(f"redis://127.0.0.1:{port}/0")
        celery_app.conf.task_always_eager = False
        try:
            with celery_app.connection_for_write() as sending:
                assert sending.port == port, sending.as_uri()
                with pytest.raises(OperationalError):
                    sending.ensure_connection(max_retries=1, interval_start=0)
            yield
        finally:
            _send_to(previous[0])
            celery_app.conf.task_always_eager = previous[1]
