"""Measure logging in and the home page on a throwaway, freshly seeded database.

Usage (from the project root)::

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--rounds N]

The run creates its own database (a temporary SQLite file, or a PostgreSQL database that is
dropped and re-created), points ``DATABASE_URL`` at it, migrates, runs ``seed_demo`` and then
times full requests through Django's test ``Client`` with ``time.perf_counter``:

* ``check_password`` alone for an Argon2 and a PBKDF2 hash (the hashing cost by itself);
* ``POST /accounts/login/`` for a demo cadre whose stored hash is Argon2 (the project's
  preferred hasher), and for a second demo cadre whose hash is re-made with PBKDF2;
* ``GET /`` anonymously, as a logged-in cadre and as a logged-in community secretary,
  with the number of SQL queries per request;
* opening a new database connection, which every real request pays while ``CONN_MAX_AGE=0``.

The scenarios run interleaved, round by round, so that a change in machine load during the run
affects all of them alike; SQL queries are counted in separate, untimed requests.

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
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "lms.settings.dev"

DEMO_PASSWORD = "Demo@2026"  # what seed_demo gives every demo account
ARGON2_USERNAME = "jd01-sq01_ganbu1"  # a cadre; keeps the Argon2 hash seed_demo gave it
PBKDF2_USERNAME = "jd01-sq01_ganbu2"  # a cadre of the same community, re-hashed with PBKDF2
SECRETARY_USERNAME = "jd01-sq01_shuji"
LOGIN_PATH = "/accounts/login/"
HOME_PATH = "/"

LOGIN_P50_TARGET_MS = 150.0
ARGON2_HASHER = "lms.hashers.Argon2PasswordHasher"
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
    """Timings of one scenario in milliseconds: wall clock, and CPU time of this process (all
    its threads, not the PostgreSQL server); its SQL queries per request when counted."""

    name: str
    samples_ms: list[float]
    cpu_ms: list[float]
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
    return {
        scenario.name: Result(
            scenario.name,
            wall[scenario.name],
            cpu[scenario.name],
            count_queries(scenario) if scenario.counts_queries else [],
        )
        for scenario in scenarios
    }


def count_queries(scenario: Scenario) -> list[int]:
    """SQL queries of a few extra, untimed rounds (capturing them costs time of its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(QUERY_COUNT_SAMPLES):
        state = scenario.prepare()
        with CaptureQueriesContext(connection) as captured:
            scenario.action(state)
        scenario.finish(state)
        counts.append(len(captured.captured_queries))
    return counts


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


def get_home(client, *, logged_in: bool) -> None:
    response = client.get(HOME_PATH)
    if response.status_code != 200:
        raise BenchError(f"GET / answered {response.status_code}")
    if response.wsgi_request.user.is_authenticated != logged_in:
        raise BenchError(f"GET / did not render as {'logged in' if logged_in else 'anonymous'}")


def password_verify_scenario(label: str, hasher) -> Scenario:
    """The hasher's verify alone: the cost of the hash, without any request around it."""
    encoded = hasher.encode(DEMO_PASSWORD, hasher.salt())

    def verify(_state):
        if not hasher.verify(DEMO_PASSWORD, encoded):
            raise BenchError("the hasher rejected the right password")

    return Scenario(f"check_password, {label}", verify, counts_queries=False)


def login_scenario(label: str, username: str) -> Scenario:
    """Full login round trips, each from a fresh browser (a logged-in one is just redirected)."""
    return Scenario(
        f"POST {LOGIN_PATH}, {label}",
        lambda client: log_in(client, username),
        prepare=new_client,
    )


def pbkdf2_login_scenario(label: str, username: str) -> Scenario:
    """Login for a user with a PBKDF2 hash, with PBKDF2 preferred during the round.

    Under the project's settings Django would upgrade that hash to Argon2 on the first login,
    timing an extra Argon2 hash and an UPDATE once and Argon2 ever after. Making PBKDF2 the
    preferred hasher for the duration of each round (switched outside the timer) avoids that.
    """
    from django.contrib.auth.hashers import get_hashers
    from django.test import override_settings

    pbkdf2_first = override_settings(PASSWORD_HASHERS=[PBKDF2_HASHER, ARGON2_HASHER])

    def prepare():
        pbkdf2_first.enable()
        get_hashers()  # rebuild the hasher cache now rather than inside the timer
        return new_client()

    def finish(_client):
        pbkdf2_first.disable()
        get_hashers()

    base = login_scenario(label, username)
    return Scenario(base.name, base.action, prepare=prepare, finish=finish)


def home_scenario(label: str, username: str | None) -> Scenario:
    client = logged_in_client(username) if username else new_client()
    logged_in = username is not None
    return Scenario(
        f"GET {HOME_PATH}, {label}", lambda _state: get_home(client, logged_in=logged_in)
    )


def db_connect_scenario() -> Scenario:
    """Opening a connection: the test Client reuses one, but with CONN_MAX_AGE=0 every real
    request opens (and closes) its own."""
    from django.db import connection

    return Scenario(
        "open a new DB connection",
        lambda _state: connection.ensure_connection(),
        prepare=connection.close,
        counts_queries=False,
    )


def stored_hashes(usernames: list[str]) -> dict[str, str]:
    from lms.models import User

    return dict(User.objects.filter(username__in=usernames).values_list("username", "password"))


def run_scenarios(rounds: int, warmup: int) -> list[Result]:
    """Set up the two login users (Argon2 as seeded, PBKDF2 re-hashed), then time everything."""
    from django.contrib.auth.hashers import (
        Argon2PasswordHasher,
        PBKDF2PasswordHasher,
        make_password,
    )

    from lms.hashers import Argon2PasswordHasher as ProjectArgon2PasswordHasher
    from lms.models import User

    login_users = [ARGON2_USERNAME, PBKDF2_USERNAME]
    seeded = stored_hashes(login_users)
    for username, encoded in seeded.items():
        if not encoded.startswith("argon2$"):
            raise BenchError(f"seed_demo gave {username} a non-Argon2 hash")
    User.objects.filter(username=PBKDF2_USERNAME).update(
        password=make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
    )
    before = stored_hashes(login_users)

    scenarios = [
        password_verify_scenario("Argon2", ProjectArgon2PasswordHasher()),
        password_verify_scenario("Argon2, Django defaults", Argon2PasswordHasher()),
        password_verify_scenario("PBKDF2-SHA256", PBKDF2PasswordHasher()),
        login_scenario("Argon2 hash", ARGON2_USERNAME),
        pbkdf2_login_scenario("PBKDF2 hash", PBKDF2_USERNAME),
        home_scenario("anonymous", None),
        home_scenario("logged-in cadre", ARGON2_USERNAME),
        home_scenario("logged-in community secretary", SECRETARY_USERNAME),
        db_connect_scenario(),
    ]
    results = measure(scenarios, rounds=rounds, warmup=warmup)
    if stored_hashes(login_users) != before:
        raise BenchError("a stored password hash changed: a hash upgrade was timed")
    return list(results.values())


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
        ("rounds", f"{args.rounds} measured after {args.warmup} warm-up, scenarios interleaved"),
        ("load", f"{load_average()} (1, 5, 15 min; other processes skew the timings)"),
    ]
    for key, value in rows:
        print(f"{key:<9}: {value}")
    print()


def print_table(results: list[Result]) -> None:
    name_width = max(len(result.name) for result in results)
    labels = ("p50 ms", "p95 ms", "mean ms", "min ms", "CPU p50")
    columns = "".join(f"  {label:>8}" for label in labels)
    header = f"{'scenario':<{name_width}}{columns}  queries"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.name:<{name_width}}  {result.p50:>8.1f}  {result.p95:>8.1f}  "
            f"{result.mean:>8.1f}  {min(result.samples_ms):>8.1f}  {result.cpu_p50:>8.1f}  "
            f"{result.queries_label:>7}"
        )
    print("CPU p50: CPU time of this process (all threads; not the PostgreSQL server), in ms.")
    print()


def print_login_summary(results: list[Result]) -> None:
    """Split each login into its hash and the rest, from rounds timed back to back."""
    by_name = {result.name: result for result in results}
    pairs = [
        (by_name["check_password, Argon2"], by_name[f"POST {LOGIN_PATH}, Argon2 hash"]),
        (by_name["check_password, PBKDF2-SHA256"], by_name[f"POST {LOGIN_PATH}, PBKDF2 hash"]),
    ]
    for verify, login in pairs:
        rest = statistics.median(
            login_ms - verify_ms
            for verify_ms, login_ms in zip(verify.samples_ms, login.samples_ms, strict=True)
        )
        print(f"{login.name}: p50 {login.p50:.1f} ms, everything but the hash ≈ {rest:.1f} ms")
    argon2_login = pairs[0][1]
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
    results = run_scenarios(args.rounds, args.warmup)
    print_table(results)
    print_login_summary(results)
    print(f"load average after the run: {load_average()}")


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
