"""Measure the background export of a whole district: wall time and peak memory of the build.

Usage (from the project root)::

    .venv/bin/python bench/exports.py [--db sqlite|postgres] [--rounds N]
                                      [--cadres N] [--courses N] [--ledger N]

The run creates its own database and grows the large world of ``bench/courses.py`` (its
functions, imported: by default 10,000 cadres, 200 courses, 300,000 ledger entries). Then, for
the district (the root organization, all 10,000 cadres), it runs the export build exactly as a
Celery worker does — ``lms.tasks.export_build_task(export_id)``, which calls
``lms.services.export_build`` — for the per-cadre table as xlsx and csv and for the summary per
sub-organization as xlsx and csv.

Each build runs in a fresh Python process (this script, ``--child``), so its memory is its own:
after ``django.setup()`` and importing everything the build uses, the child notes its peak
resident set size so far (``VmHWM`` in ``/proc/self/status``, Linux), runs the build, and
reports the wall time of the build (``time.perf_counter``), its SQL queries and the growth of
the peak RSS over that baseline — the memory the build itself needed. (Not ``ru_maxrss``:
Linux carries the parent's high-water mark over fork and exec, so a child started by this
large process would report the parent's.) Targets: ≤ 10 s and ≤ 300 MB.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common

WALL_TARGET_S = 10.0
MEMORY_TARGET_MB = 300.0
DEFAULT_ROUNDS = 3
BUILDS = (  # (report, format)
    ("cadres", "xlsx"),
    ("cadres", "csv"),
    ("summary", "xlsx"),
    ("summary", "csv"),
)


def bench_courses():
    """bench/courses.py, loaded under another name: as `courses` it would shadow the app."""
    spec = importlib.util.spec_from_file_location(
        "bench_courses", Path(__file__).with_name("courses.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the child: one build in a fresh process --------------------------------------------------


def peak_rss_kb() -> int:
    """This process's peak resident set size so far, in KiB (Linux: VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise common.BenchError("no VmHWM in /proc/self/status (Linux only)")


def child(export_id: int) -> None:
    """Runs one export build as the worker does and prints its figures as JSON."""
    common.set_up_django(
        os.environ["DATABASE_URL"],
        debug=os.environ.get("DEBUG") == "True",
        media_root=os.environ["MEDIA_ROOT"],
    )
    from django.db import connection

    import lms.exports  # noqa: F401  (imported before the baseline, as a worker has it)
    from lms.models import Export
    from lms.tasks import export_build_task

    connection.ensure_connection()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    baseline_kb = peak_rss_kb()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        export_build_task(export_id)
        seconds = time.perf_counter() - started
    peak_kb = peak_rss_kb()
    export = Export.objects.get(pk=export_id)
    print(
        json.dumps(
            {
                "status": export.status,
                "error": export.error,
                "rows": export.rows_done,
                "bytes": export.file.size if export.file else 0,
                "seconds": seconds,
                "queries": queries,
                "baseline_mb": baseline_kb / 1024,
                "growth_mb": (peak_kb - baseline_kb) / 1024,
            }
        )
    )


def run_child(export_id: int) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(export_id)],
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise common.BenchError(f"the build failed:\n{completed.stderr[-3000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    if figures["status"] != "done":
        raise common.BenchError(f"the export ended {figures['status']}: {figures['error']}")
    return figures


# --- the parent -------------------------------------------------------------------------------


def new_export(report: str, format: str, district, admin) -> int:
    """A queued export as `export_create` records it, without sending it to a worker here."""
    from django.utils import timezone

    from lms.models import Export

    return Export.objects.create(
        requested_by=admin,
        organization=district,
        report=report,
        format=format,
        params={"year": timezone.localdate().year},
    ).pk


def run(args: argparse.Namespace) -> None:
    courses = bench_courses()
    print(f"Preparing the throwaway database ({args.db}): migrate, seed_demo, the large world ...")
    started = time.perf_counter()
    common.migrate_and_seed()
    world = courses.seed_world(args)
    print(f"prepared in {time.perf_counter() - started:.0f} s\n")

    from lms.models import Membership, Organization, User

    district = Organization.get_root_nodes().first()
    admin = User.objects.filter(is_superuser=True).first()
    cadres = Membership.objects.filter(
        role="cadre", organization__path__startswith=district.path
    ).count()
    common.print_header(
        args,
        extra_rows=(
            *courses.world_sizes(world.heavy_username)[:2],
            ("exported", f"{district.name}: {cadres:,} cadres, {district.get_children_count()} "
                         "sub-organizations"),
            ("memory", "peak RSS growth of a fresh process over the build (VmHWM)"),
        ),
    )  # fmt: skip
    results = {build: [] for build in BUILDS}
    for _round in range(args.rounds):
        for report, format in BUILDS:
            results[report, format].append(run_child(new_export(report, format, district, admin)))
    print_results(results)


def print_results(results: dict[tuple[str, str], list[dict]]) -> None:
    header = (
        f"{'build':<14}  {'rows':>7}  {'file KB':>8}  {'wall s p50':>10}  {'max':>6}  "
        f"{'RSS growth MB max':>17}  {'baseline MB':>11}  {'queries':>7}  targets"
    )
    print(header)
    print("-" * len(header))
    for (report, format), runs in results.items():
        wall = [r["seconds"] for r in runs]
        growth = max(r["growth_mb"] for r in runs)
        meets = max(wall) <= WALL_TARGET_S and growth <= MEMORY_TARGET_MB
        print(
            f"{report + '.' + format:<14}  {runs[0]['rows']:>7,}  {runs[0]['bytes'] / 1024:>8.0f}  "
            f"{statistics.median(wall):>10.2f}  {max(wall):>6.2f}  {growth:>17.1f}  "
            f"{runs[0]['baseline_mb']:>11.1f}  {runs[0]['queries']:>7}  "
            f"{'met' if meets else 'MISSED'}"
        )
    print(
        f"targets: every build ≤ {WALL_TARGET_S:.0f} s and ≤ {MEMORY_TARGET_MB:.0f} MB of peak "
        "RSS growth; queries include the export's own status and progress updates."
    )
    print(f"load average after the run: {common.load_average()}")


def parse_cli(argv: list[str] | None) -> argparse.Namespace:
    courses = bench_courses()
    parser = common.argument_parser(__doc__.splitlines()[0])
    parser.set_defaults(rounds=DEFAULT_ROUNDS, warmup=0)
    parser.add_argument("--cadres", type=int, default=courses.DEFAULT_CADRES)
    parser.add_argument("--courses", type=int, default=courses.DEFAULT_COURSES)
    parser.add_argument("--ledger", type=int, help=f"default {courses.LEDGER_PER_CADRE} per cadre")
    args = common.parse_args(parser, argv)
    if args.ledger is None:
        args.ledger = courses.LEDGER_PER_CADRE * args.cadres
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
        return 0
    return common.run_in_throwaway_database(parse_cli(argv), run)


if __name__ == "__main__":
    sys.exit(main())
