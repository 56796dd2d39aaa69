"""What the benchmarks in bench/ share: a throwaway database, Django set up against it,
interleaved timing of scenarios, SQL query counts and the printed report.

A benchmark script builds a parser with ``argument_parser``, defines its ``Scenario`` list and
calls ``run_in_throwaway_database(args, run)``: ``run(args)`` then finds Django set up against
a fresh database (a temporary SQLite file, or a PostgreSQL database dropped and re-created)
and a temporary ``MEDIA_ROOT``, both removed afterwards.
"""

import argparse
import gc
import io
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "lms.settings.dev"

DEMO_PASSWORD = "Demo@2026"  # what seed_demo gives every demo account
LOGIN_PATH = "/accounts/login/"

DEFAULT_ROUNDS = 30
DEFAULT_WARMUP = 3
QUERY_COUNT_SAMPLES = 3
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PG_NAME = "lms_bench"


class BenchError(RuntimeError):
    """A request did not do what the scenario expects, so its timing would be meaningless."""


@dataclass
class Result:
    """Timings of one scenario in milliseconds: wall clock, and CPU time of this process (all
    its threads, not the PostgreSQL server); when counted, its SQL queries per request and
    the time spent executing them (both from the untimed counting rounds)."""

    name: str
    samples_ms: list[float]
    cpu_ms: list[float]
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 0.95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_ms)

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def queries_label(self) -> str:
        if not self.queries:
            return "-"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of them at or below."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# --- command line ------------------------------------------------------------------------------


def argument_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark has: database, rounds, warm-up, PostgreSQL server, DEBUG."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="unmeasured rounds")
    parser.add_argument(
        "--pg-server",
        default=DEFAULT_PG_SERVER,
        help=f"PostgreSQL server URL without a database name (default {DEFAULT_PG_SERVER})",
    )
    parser.add_argument(
        "--pg-name",
        default=DEFAULT_PG_NAME,
        help=f"throwaway PostgreSQL database, dropped and re-created (default {DEFAULT_PG_NAME})",
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="leave the database in place after the run, to look into it (its name is printed)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="keep DEBUG=True as in a developer's dev server (default: DEBUG=False, as deployed)",
    )
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    return args


# --- the throwaway database -------------------------------------------------------------------


@contextmanager
def sqlite_database(*, keep: bool = False) -> Iterator[str]:
    """A database URL for an SQLite file in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    try:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        close_django_connections()
        if keep:
            print(f"kept the database {folder / 'bench.sqlite3'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(server_url: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """A freshly created PostgreSQL database (dropped first if it exists, and dropped after)."""
    import psycopg
    from psycopg import sql

    server_url = server_url.rstrip("/")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(create)
    try:
        yield f"{server_url}/{name}"
    finally:
        close_django_connections()
        if keep:
            print(f"kept the database {server_url}/{name}")
        else:
            with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
                admin.execute(drop)


@contextmanager
def media_folder() -> Iterator[str]:
    """A temporary MEDIA_ROOT: seed_demo renders its demo video there (when ffmpeg exists)."""
    folder = tempfile.mkdtemp(prefix="lms-bench-media-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def close_django_connections() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def set_up_django(database_url: str, *, debug: bool, media_root: str) -> None:
    """Point the dev settings at the throwaway database; env vars must be set before setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = str(debug)
    os.environ["MEDIA_ROOT"] = media_root
    # Same cache, sessions and in-process tasks on every machine, whatever a local .env says.
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_BROKER_URL"] = ""
    # The project first: a script's own folder (bench/, first on sys.path) must not shadow an
    # app of the same name, as bench/courses.py would shadow the courses app.
    if str(PROJECT_ROOT) in sys.path:
        sys.path.remove(str(PROJECT_ROOT))
    sys.path.insert(0, str(PROJECT_ROOT))
    # With DEBUG off, WhiteNoise warns that STATIC_ROOT was never collected; irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")

    import django

    django.setup()


def vacuum_analyze() -> None:
    """On PostgreSQL, what autovacuum does soon after bulk loading: fresh planner statistics."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def migrate_and_seed() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())


def run_in_throwaway_database(
    args: argparse.Namespace, run: Callable[[argparse.Namespace], None]
) -> int:
    """Creates the database `args.db` asks for, sets Django up against it, calls `run(args)`."""
    if args.db == "postgres":
        database = postgres_database(args.pg_server, args.pg_name, keep=args.keep_db)
    else:
        database = sqlite_database(keep=args.keep_db)
    with database as database_url, media_folder() as media_root:
        set_up_django(database_url, debug=args.debug, media_root=media_root)
        run(args)
    return 0


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Scenario:
    """One thing to time. `prepare` and `finish` run around each round, outside the timer."""

    name: str
    action: Callable[[Any], None]
    prepare: Callable[[], Any] = lambda: None
    finish: Callable[[Any], None] = lambda state: None
    counts_queries: bool = True


def measure(scenarios: list[Scenario], *, rounds: int, warmup: int) -> dict[str, Result]:
    """Time every scenario round-robin, so a change in machine load hits them all alike."""
    wall: dict[str, list[float]] = {scenario.name: [] for scenario in scenarios}
    cpu: dict[str, list[float]] = {scenario.name: [] for scenario in scenarios}
    gc.collect()
    for round_index in range(warmup + rounds):
        for scenario in scenarios:
            state = scenario.prepare()
            cpu_start = time.process_time()
            start = time.perf_counter()
            scenario.action(state)
            elapsed = time.perf_counter() - start
            cpu_elapsed = time.process_time() - cpu_start
            scenario.finish(state)
            if round_index >= warmup:
                wall[scenario.name].append(elapsed * 1000)
                cpu[scenario.name].append(cpu_elapsed * 1000)
    results = {}
    for scenario in scenarios:
        rounds = QUERY_COUNT_SAMPLES if scenario.counts_queries else 0
        counted = [captured_queries(scenario) for _ in range(rounds)]
        results[scenario.name] = Result(
            scenario.name,
            wall[scenario.name],
            cpu[scenario.name],
            [log.count for log in counted],
            [sum(ms for _sql, ms in log.statements) for log in counted],
        )
    return results


@dataclass
class QueryLog:
    """The SQL of one round: how many queries CaptureQueriesContext counted (transaction
    control such as COMMIT included), and each statement run through a cursor with its
    execution time in milliseconds."""

    count: int
    statements: list[tuple[str, float]]  # (SQL, ms)


def captured_queries(scenario: Scenario) -> QueryLog:
    """The SQL of one extra, untimed round (capturing it costs time of its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            text = (
                sql if many else connection.ops.last_executed_query(context["cursor"], sql, params)
            )
            statements.append((text, elapsed))

    state = scenario.prepare()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
        scenario.action(state)
    scenario.finish(state)
    # BEGIN (on PostgreSQL) and COMMIT bypass cursors; take them, timed to the millisecond
    # only, from what CaptureQueriesContext logged.
    unseen = Counter(sql for sql, _ms in statements)
    for query in captured.captured_queries:
        if query["sql"] in TRANSACTION_CONTROL:
            if unseen[query["sql"]]:
                unseen[query["sql"]] -= 1
            else:
                statements.append((query["sql"], float(query["time"]) * 1000))
    return QueryLog(len(captured.captured_queries), statements)


def new_client():
    from django.test import Client

    return Client()  # CSRF checks off, as in Django's own tests


def log_in(client, username: str) -> None:
    """The real login POST: form, axes, authentication backends, session, redirect."""
    response = client.post(LOGIN_PATH, {"username": username, "password": DEMO_PASSWORD})
    user = response.wsgi_request.user
    if response.status_code != 302 or user.get_username() != username:
        raise BenchError(f"login as {username} failed (HTTP {response.status_code})")


def logged_in_client(username: str):
    client = new_client()
    log_in(client, username)
    return client


# --- reporting ---------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        version = f"{major}.{minor}"
    elif connection.vendor == "sqlite":
        version = connection.Database.sqlite_version
    else:
        version = "?"
    return f"{connection.vendor} {version} ({connection.settings_dict['NAME']})"


def print_header(
    args: argparse.Namespace,
    *,
    settings_note: str = "",
    extra_rows: tuple[tuple[str, str], ...] = (),
) -> None:
    """Date, machine, software, database, settings, rounds and load: what the numbers depend on.

    `settings_note` is appended to the settings line; `extra_rows` come after it.
    """
    import django
    import wagtail
    from django.conf import settings

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    rows = [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{os.cpu_count()} CPUs ({usable} usable), {cpu_model()}"),
        ("os", platform.platform()),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("stack", f"Django {django.get_version()}, Wagtail {wagtail.__version__}"),
        ("database", database_description()),
        (
            "settings",
            f"{SETTINGS_MODULE}, DEBUG={settings.DEBUG}, sessions={settings.SESSION_ENGINE}"
            f"{settings_note}",
        ),
        *extra_rows,
        ("rounds", f"{args.rounds} measured after {args.warmup} warm-up, scenarios interleaved"),
        ("load", f"{load_average()} (1, 5, 15 min; other processes skew the timings)"),
    ]
    for key, value in rows:
        print(f"{key:<9}: {value}")
    print()


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def left_justified(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def print_table(results: list[Result]) -> None:
    name_width = max(display_width(result.name) for result in results)
    labels = ("p50 ms", "p95 ms", "mean ms", "min ms", "CPU p50")
    columns = "".join(f"  {label:>8}" for label in labels)
    header = f"{'scenario':<{name_width}}{columns}  queries"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{left_justified(result.name, name_width)}  {result.p50:>8.1f}  {result.p95:>8.1f}  "
            f"{result.mean:>8.1f}  {min(result.samples_ms):>8.1f}  {result.cpu_p50:>8.1f}  "
            f"{result.queries_label:>7}"
        )
    print("CPU p50: CPU time of this process (all threads; not the PostgreSQL server), in ms.")
    print()
