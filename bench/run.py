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
import statistics
import sys
import time

from common import (
    DEMO_PASSWORD,
    LOGIN_PATH,
    BenchError,
    Result,
    Scenario,
    argument_parser,
    load_average,
    log_in,
    logged_in_client,
    measure,
    migrate_and_seed,
    new_client,
    parse_args,
    print_header,
    print_table,
    run_in_throwaway_database,
)

ARGON2_USERNAME = "jd01-sq01_ganbu1"  # a cadre; keeps the Argon2 hash seed_demo gave it
PBKDF2_USERNAME = "jd01-sq01_ganbu2"  # a cadre of the same community, re-hashed with PBKDF2
SECRETARY_USERNAME = "jd01-sq01_shuji"
HOME_PATH = "/"

LOGIN_P50_TARGET_MS = 150.0
ARGON2_HASHER = "lms.hashers.Argon2PasswordHasher"
PBKDF2_HASHER = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


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


def hasher_description() -> str:
    from django.contrib.auth.hashers import get_hasher

    argon2 = get_hasher("argon2")
    pbkdf2 = get_hasher("pbkdf2_sha256")
    return (
        f"Argon2 time_cost={argon2.time_cost} memory_cost={argon2.memory_cost} KiB "
        f"parallelism={argon2.parallelism}; PBKDF2-SHA256 {pbkdf2.iterations:,} iterations"
    )


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


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    print(f"Preparing the throwaway database ({args.db}): migrate, seed_demo ...", flush=True)
    started = time.perf_counter()
    migrate_and_seed()
    print(f"ready in {time.perf_counter() - started:.0f} s\n")
    axes = "on" if getattr(settings, "AXES_ENABLED", True) else "off"
    print_header(
        args, settings_note=f", axes {axes}", extra_rows=(("hashers", hasher_description()),)
    )
    results = run_scenarios(args.rounds, args.warmup)
    print_table(results)
    print_login_summary(results)
    print(f"load average after the run: {load_average()}")


def main(argv: list[str] | None = None) -> int:
    return run_in_throwaway_database(
        parse_args(argument_parser(__doc__.splitlines()[0]), argv), run
    )


if __name__ == "__main__":
    sys.exit(main())
