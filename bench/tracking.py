"""Measure the secretary's workbench (书记工作台, the organization page) in a large world.

Usage (from the project root)::

    .venv/bin/python bench/tracking.py [--db sqlite|postgres] [--rounds N]
                                       [--cadres N] [--courses N] [--ledger N]

The world is `bench/courses.py`'s, built by its own functions (imported, not copied): the demo
of ``seed_demo`` grown to 10,000 cadres, 200 courses and 300,000 ledger entries by default.
On top of it this script adds what the workbench also counts: a graded mock exam this year for
a quarter of the cadres and a pending qualification claim for one in a hundred. A district
secretary is created (the demo has street and community secretaries only). Logged in as that
secretary, it times through Django's test ``Client``:

* the district's page: headline figures, the streets' drill-down, the charts and the first
  page of the cadre table over every cadre;
* the same filtered to the cadres behind their requirement and sorted by hours, most first;
* the same sorted by latest activity (the one sort that needs every cadre's newest ledger
  entry and lesson heartbeat);
* a community's page.

Target: p95 ≤ 200 ms for each. Query counts come from separate, untimed requests.
"""

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

import common

if str(common.PROJECT_ROOT) not in sys.path:  # to import bench/courses.py as bench.courses
    sys.path.append(str(common.PROJECT_ROOT))
from bench import courses as large_world  # its world-building functions, reused

P95_TARGET_MS = 200.0
MOCK_SHARE = 0.25  # cadres with a graded mock exam this year
CLAIM_EVERY = 100  # one cadre in this many has a claim awaiting review
DISTRICT_SECRETARY = "bench_qu_shuji"
RANDOM_SEED = 2027


def add_exam_activity(rng: random.Random) -> tuple[int, int]:
    """Graded mock attempts this year and pending qualification claims, bulk-inserted."""
    from django.utils import timezone

    from assessments.models import Attempt, QualificationClaim, Quiz
    from lms.models import Membership

    cadre_ids = list(
        Membership.objects.filter(role="cadre")
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    mock = Quiz.objects.filter(mode=Quiz.Mode.MOCK).first()
    attempts = []
    if mock is not None:
        start = timezone.make_aware(datetime(timezone.localdate().year, 1, 1))
        span = max(1, (timezone.now() - start).days)
        for cadre_id in rng.sample(cadre_ids, int(len(cadre_ids) * MOCK_SHARE)):
            finished = start + timedelta(days=rng.randrange(span), hours=10)
            score = Decimal(rng.randint(30, 95))
            attempts.append(
                Attempt(
                    quiz=mock,
                    cadre_id=cadre_id,
                    number=1,
                    state=Attempt.State.GRADED,
                    started_at=finished - timedelta(hours=2),
                    finished_at=finished,
                    score=score,
                    max_score=Decimal(100),
                    passed=score >= 60,
                )
            )
        Attempt.objects.bulk_create(attempts, batch_size=2000)
    claims = QualificationClaim.objects.bulk_create(
        QualificationClaim(
            cadre_id=cadre_id,
            qualification="assistant",
            exam_year=timezone.localdate().year - 1,
            scan="qualifications/bench.jpg",
            scan_type="image/jpeg",
        )
        for cadre_id in cadre_ids[::CLAIM_EVERY]
    )
    return len(attempts), len(claims)


def add_district_secretary():
    """A secretary of the district's organization department, with the demo password."""
    from django.contrib.auth.hashers import make_password

    from lms.models import Organization, User
    from lms.services import membership_grant

    district = Organization.get_root_nodes().get()
    secretary, _ = User.objects.get_or_create(
        username=DISTRICT_SECRETARY,
        defaults={"name": "区委组织部书记", "password": make_password(common.DEMO_PASSWORD)},
    )
    membership_grant(user=secretary, organization=district, role="secretary")
    return district


def run(args: argparse.Namespace) -> None:
    from lms.models import Membership, Organization

    print(
        f"Preparing the throwaway database ({args.db}): migrate, seed_demo, the large world ...",
        flush=True,
    )
    started = time.perf_counter()
    common.migrate_and_seed()
    demo_seconds = time.perf_counter() - started
    world = large_world.seed_world(args)
    started = time.perf_counter()
    mocks, claims = add_exam_activity(random.Random(RANDOM_SEED))
    district = add_district_secretary()
    common.vacuum_analyze()
    print(
        f"migrate + seed_demo {demo_seconds:.0f} s; "
        f"large world {sum(world.timings.values()):.0f} s; "
        f"mocks and claims {time.perf_counter() - started:.0f} s\n"
    )
    community = Organization.objects.filter(level="community").order_by("path").first()
    community_cadres = Membership.objects.filter(
        role="cadre", organization__path__startswith=community.path
    ).count()
    common.print_header(
        args,
        extra_rows=(
            *large_world.world_sizes(world.heavy_username),
            ("exam", f"{mocks:,} graded mock exams this year, {claims:,} claims pending"),
            ("as", f"{DISTRICT_SECRETARY}, secretary of {district.name}"),
        ),
    )
    client = common.logged_in_client(DISTRICT_SECRETARY)
    base = f"/manage/org/{district.pk}/"
    table = 'class="table cadre-table"'
    scenarios = [
        large_world.page_scenario("GET district workbench", client, base, table, "data-figure="),
        large_world.page_scenario(
            "GET district, behind, by hours", client, f"{base}?behind=1&sort=-hours", table
        ),
        large_world.page_scenario(
            "GET district, by latest activity", client, f"{base}?sort=-activity", table
        ),
        large_world.page_scenario(
            f"GET community ({community_cadres} cadres)",
            client,
            f"/manage/org/{community.pk}/",
            table,
        ),
    ]
    results = list(common.measure(scenarios, rounds=args.rounds, warmup=args.warmup).values())
    common.print_table(results)
    print_targets(results)
    if args.slow_queries:
        large_world.print_slow_queries(scenarios, args.slow_queries)
    if args.profile:
        large_world.print_profiles(scenarios, args.profile)
    print(f"load average after the run: {common.load_average()}")


def print_targets(results: list[common.Result]) -> None:
    """Each scenario's p95 against the target."""
    print(f"Target: p95 ≤ {P95_TARGET_MS:.0f} ms for each page.")
    width = max(common.display_width(result.name) for result in results)
    for result in results:
        margin = P95_TARGET_MS - result.p95
        verdict = f"met, {margin:.1f} ms to spare" if margin >= 0 else f"MISSED by {-margin:.1f} ms"
        print(f"  {common.left_justified(result.name, width)}  p95 {result.p95:6.1f} ms: {verdict}")
    print()


def parse_cli(argv: list[str] | None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=large_world.DEFAULT_CADRES)
    parser.add_argument("--courses", type=int, default=large_world.DEFAULT_COURSES)
    parser.add_argument(
        "--ledger",
        type=int,
        help=f"ledger entries in all (default {large_world.LEDGER_PER_CADRE} a cadre)",
    )
    parser.add_argument(
        "--slow-queries",
        type=int,
        default=0,
        metavar="N",
        help="print each scenario's N slowest SQL statements and its slowest SELECT's plan",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print each scenario's N costliest functions (cProfile)",
    )
    args = common.parse_args(parser, argv)
    if args.ledger is None:
        args.ledger = large_world.LEDGER_PER_CADRE * args.cadres
    return args


def main(argv: list[str] | None = None) -> int:
    return common.run_in_throwaway_database(parse_cli(argv), run)


if __name__ == "__main__":
    sys.exit(main())
