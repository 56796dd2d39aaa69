"""Measure logging in and the home page on a throwaway, freshly seeded database.

Usage (from the project root)::

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--rounds N]

The run creates its own database (a temporary SQLite file, or a PostgreSQL database that is
dropped and re-created), points ``DATABASE_URL`` at it, migrates, runs ``seed_demo`` and then
times full requests through Django's test ``Client`` with ``time.perf_counter``:

* ``check_password`` alone for an Argon2 and a PBKDF2 hash (the hashing cost by itself);
* ``POST /accounts/login/`` for a demo cadre whose stored hash is Argon2 (the project's
  preferred hasher), then the same user with a PBKDF2 hash;
* ``GET /`` anonymously, as a logged-in cadre and as a logged-in community secretary,
  with the number of SQL queries per request;
* opening a new database connection, which every real request pays while ``CONN_MAX_AGE=0``.

django-axes stays enabled: only successful logins are made, and each one resets the counter.
Nothing outside the throwaway database is written; the run exits 0 once the table is printed.
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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "lms.settings.dev"

DEMO_PASSWORD = "Demo@2026"  # what seed_demo gives every demo account
CADRE_USERNAME = "jd01-sq01_ganbu1"
SECRETARY_USERNAME = "jd01-sq01_shuji"
LOGIN_PATH = "/accounts/login/"
HOME_PATH = "/"
LOGOUT_MARKER = b'action="/accounts/logout/"'  # only rendered for a logged-in user

LOGIN_P50_TARGET_MS = 150.0
ARGON2_HASHER = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2_HASHER = "django.contrib.auth.hashers.PBKDF2PasswordHasher"

DEFAULT_ROUNDS = 30
DEFAULT_WARMUP = 3
QUERY_COUNT_SAMPLES = 3
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PG_NAME = "lms_bench"


class BenchError(RuntimeError):
    """A request did not do what the scenario expects, so its timing would be meaningless."""


@dataclass
class Result:
    """Timings (milliseconds) of one scenario, and its SQL queries per request when counted."""

    name: str
    samples_ms: list[float]
    queries: list[int] = field(default_factory=list)

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        "--debug",
        action="store_true",
        help="keep DEBUG=True as in a developer's dev server (default: DEBUG=False, as deployed)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    return args


# --- the throwaway database -------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A database URL for an SQLite file in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    try:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        close_django_connections()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
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
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(drop)


def close_django_connections() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def set_up_django(database_url: str, *, debug: bool) -> None:
    """Point the dev settings at the throwaway database; env vars must be set before setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = str(debug)
    # Same cache, sessions and in-process tasks on every machine, whatever a local .env says.
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_BROKER_URL"] = ""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    # With DEBUG off, WhiteNoise warns that STATIC_ROOT was never collected; irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")

    import django

    django.setup()


def migrate_and_seed() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())


# --- measuring ----------------------------------------------------------------------------------


def time_rounds(
    action: Callable[[object], None],
    *,
    rounds: int,
    warmup: int,
    prepare: Callable[[], object] | None = None,
) -> list[float]:
    """Run `action(prepare())` warm-up + measured times; only `action` is inside the timer."""
    gc.collect()
    samples = []
    for index in range(warmup + rounds):
        state = prepare() if prepare else None
        start = time.perf_counter()
        action(state)
        elapsed_ms = (time.perf_counter() - start) * 1000
        if index >= warmup:
            samples.append(elapsed_ms)
    return samples


def count_queries(
    action: Callable[[object], None], *, prepare: Callable[[], object] | None = None
) -> list[int]:
    """SQL queries of a few extra, untimed runs (capturing them costs time of its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(QUERY_COUNT_SAMPLES):
        state = prepare() if prepare else None
        with CaptureQueriesContext(connection) as captured:
            action(state)
        counts.append(len(captured.captured_queries))
    return counts


def new_client():
    from django.test import Client

    return Client()  # CSRF checks off, as in Django's own tests


def log_in(client, username: str) -> None:
    """The real login POST: form, axes, authentication backends, session, redirect."""
    response = client.post(LOGIN_PATH, {"username": username, "password": DEMO_PASSWORD})
    if response.status_code != 302 or response["Location"] != HOME_PATH:
        raise BenchError(f"login as {username} answered {response.status_code}, not 302 to /")


def get_home(client, *, logged_in: bool) -> None:
    response = client.get(HOME_PATH)
    if response.status_code != 200:
        raise BenchError(f"GET / answered {response.status_code}")
    if (LOGOUT_MARKER in response.content) != logged_in:
        raise BenchError(f"GET / did not render as {'logged in' if logged_in else 'anonymous'}")


def logged_in_client(username: str):
    client = new_client()
    log_in(client, username)
    return client


def measure_password_verify(rounds: int, warmup: int) -> list[Result]:
    """check_password alone: the cost of the hash, without any request around it."""
    from django.contrib.auth.hashers import check_password, make_password

    results = []
    for label, algorithm in (("Argon2", "argon2"), ("PBKDF2-SHA256", "pbkdf2_sha256")):
        encoded = make_password(DEMO_PASSWORD, hasher=algorithm)

        def verify(_state, encoded=encoded):
            if not check_password(DEMO_PASSWORD, encoded):
                raise BenchError("check_password rejected the right password")

        samples = time_rounds(verify, rounds=rounds, warmup=warmup)
        results.append(Result(f"check_password, {label}", samples))
    return results


def measure_login(label: str, rounds: int, warmup: int) -> Result:
    """Full login round trips, each from a fresh browser (a logged-in one is just redirected)."""
    from lms.models import User

    password_before = User.objects.get(username=CADRE_USERNAME).password

    def login_once(client):
        log_in(client, CADRE_USERNAME)

    samples = time_rounds(login_once, rounds=rounds, warmup=warmup, prepare=new_client)
    queries = count_queries(login_once, prepare=new_client)
    if User.objects.get(username=CADRE_USERNAME).password != password_before:
        raise BenchError(f"the stored hash changed during '{label}': an upgrade was timed")
    return Result(f"POST {LOGIN_PATH}, {label}", samples, queries)


def measure_logins(rounds: int, warmup: int) -> list[Result]:
    """Login with the seeded Argon2 hash, then with a PBKDF2 hash of the same password.

    For the PBKDF2 phase PBKDF2 is made the preferred hasher, so Django has no reason to
    upgrade the hash on login (which would add an Argon2 hash and an UPDATE to the timings).
    """
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from lms.models import User

    cadre = User.objects.get(username=CADRE_USERNAME)
    argon2_hash = cadre.password
    if not argon2_hash.startswith("argon2$"):
        raise BenchError(f"seed_demo stored a non-Argon2 hash: {argon2_hash.split('$')[0]}")
    results = [measure_login("Argon2 hash", rounds, warmup)]

    pbkdf2_first = [PBKDF2_HASHER, ARGON2_HASHER]
    with override_settings(PASSWORD_HASHERS=pbkdf2_first):
        User.objects.filter(pk=cadre.pk).update(
            password=make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
        )
        results.append(measure_login("PBKDF2 hash", rounds, warmup))
    User.objects.filter(pk=cadre.pk).update(password=argon2_hash)
    return results


def measure_home(rounds: int, warmup: int) -> list[Result]:
    scenarios = [
        ("anonymous", None),
        ("logged-in cadre", CADRE_USERNAME),
        ("logged-in community secretary", SECRETARY_USERNAME),
    ]
    results = []
    for label, username in scenarios:
        client = logged_in_client(username) if username else new_client()

        def get_once(_state, client=client, logged_in=username is not None):
            get_home(client, logged_in=logged_in)

        samples = time_rounds(get_once, rounds=rounds, warmup=warmup)
        results.append(Result(f"GET {HOME_PATH}, {label}", samples, count_queries(get_once)))
    return results


def measure_db_connect(rounds: int, warmup: int) -> Result:
    """Opening a connection; the test Client keeps one open, a real request with CONN_MAX_AGE=0
    opens (and closes) its own."""
    from django.db import connection

    def connect(_state):
        connection.ensure_connection()

    samples = time_rounds(connect, rounds=rounds, warmup=warmup, prepare=connection.close)
    connection.ensure_connection()
    return Result("open a new DB connection", samples)


# --- reporting ---------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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


def print_header(args: argparse.Namespace) -> None:
    import django
    import wagtail
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher

    argon2 = get_hasher("argon2")
    pbkdf2 = get_hasher("pbkdf2_sha256")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    axes = "on" if getattr(settings, "AXES_ENABLED", True) else "off"
    rows = [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{os.cpu_count()} CPUs ({usable} usable), {cpu_model()}"),
        ("os", platform.platform()),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("stack", f"Django {django.get_version()}, Wagtail {wagtail.__version__}"),
        ("database", database_description()),
        (
            "settings",
            f"{SETTINGS_MODULE}, DEBUG={settings.DEBUG}, sessions={settings.SESSION_ENGINE}, "
            f"axes {axes}",
        ),
        (
            "hashers",
            f"Argon2 time_cost={argon2.time_cost} memory_cost={argon2.memory_cost} KiB "
            f"parallelism={argon2.parallelism}; PBKDF2-SHA256 {pbkdf2.iterations:,} iterations",
        ),
        ("rounds", f"{args.rounds} measured after {args.warmup} warm-up, per scenario"),
    ]
    for key, value in rows:
        print(f"{key:<9}: {value}")
    print()


def print_table(results: list[Result]) -> None:
    name_width = max(len(result.name) for result in results)
    header = f"{'scenario':<{name_width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'mean ms':>8}  queries"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.name:<{name_width}}  {result.p50:>8.1f}  {result.p95:>8.1f}  "
            f"{result.mean:>8.1f}  {result.queries_label:>7}"
        )
    print()


def print_login_summary(verify: list[Result], logins: list[Result]) -> None:
    for check, login in zip(verify, logins, strict=True):
        overhead = login.p50 - check.p50
        print(f"{login.name}: p50 {login.p50:.1f} ms = hash {check.p50:.1f} + rest {overhead:.1f}")
    argon2_login = logins[0]
    verdict = "met" if argon2_login.p50 <= LOGIN_P50_TARGET_MS else "NOT met"
    print(
        f"login p50 target ≤ {LOGIN_P50_TARGET_MS:.0f} ms: {verdict} "
        f"(Argon2, as configured: p50 {argon2_login.p50:.1f} ms)"
    )


def run(args: argparse.Namespace, database_url: str) -> None:
    set_up_django(database_url, debug=args.debug)
    print(f"Preparing the throwaway database ({args.db}): migrate, seed_demo ...", flush=True)
    started = time.perf_counter()
    migrate_and_seed()
    print(f"ready in {time.perf_counter() - started:.0f} s\n")
    print_header(args)

    verify = measure_password_verify(args.rounds, args.warmup)
    logins = measure_logins(args.rounds, args.warmup)
    home = measure_home(args.rounds, args.warmup)
    connect = measure_db_connect(args.rounds, args.warmup)
    print_table([*verify, *logins, *home, connect])
    print_login_summary(verify, logins)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.db == "postgres":
        database = postgres_database(args.pg_server, args.pg_name)
    else:
        database = sqlite_database()
    with database as database_url:
        run(args, database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
