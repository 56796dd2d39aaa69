"""Measure certificate PDFs: warm render times, sizes, and 1,000 certificates issued end to end.

Usage (from the project root)::

    .venv/bin/python bench/certificates.py [--db sqlite|postgres] [--count N] [--rounds N]

The run creates its own database like ``bench/run.py`` (a temporary SQLite file, or the
PostgreSQL database ``lms_bench_certs``, dropped and re-created, dropped afterwards), migrates,
runs ``seed_demo`` and points ``MEDIA_ROOT`` at a temporary folder. The certificate typeface
(``certificates.fonts``) is built first if ``CERTIFICATE_FONT_DIR`` does not hold it yet, so no
timing includes the build. A demo cadre then completes every demo course through
``courses.services.course_complete``, which issues the course certificates (rendered in-process:
no broker is configured at that point) and fills the ledger for a yearly statement.

Render timings, interleaved round by round, warm-up rounds discarded, each round a full
``render_pdf`` call including ``pdf_context`` (QR code, settings, ledger query):

* the course certificate, exactly as ``certificate_render`` makes it;
* the same with a seal image (a synthetic 300×300 PNG rendition) printed over the issuer;
* the yearly statement of that cadre;
* the course certificate set in the full system font "Noto Serif CJK SC" instead of the cut
  typeface (why ``certificates/fonts.py`` exists);
* a Latin-only page: the certificate template with English wording, set in DejaVu Serif.

Every PDF is checked once with ``pdftotext`` (holder's name, serial) and ``pdffonts`` (which
typeface is embedded), so the timings are of correct output.

End to end (``--db postgres`` only): ``--count`` certificates issued with ``certificate_issue``
in one transaction for (cadre, course) pairs, sent through a real Celery broker (Redis) to one
``celery worker --pool=prefork --concurrency=2`` process started for the run, and timed until
all of them are "issued" with their PDF on disk; then the rows, serials and files are counted.
"""

import argparse
import cProfile
import io
import math
import os
import pstats
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import common

DEFAULT_PG_NAME = "lms_bench_certs"
DEFAULT_COUNT = 1000
DEFAULT_BROKER = "redis://127.0.0.1:6379/3"
DEFAULT_TIMEOUT_S = 600.0

RENDER_P50_TARGET_MS = 30.0
PDF_SIZE_TARGET_KB = 100.0
END_TO_END_TARGET_S = 60.0
WORKER_CONCURRENCY = 2

HOLDER_USERNAME = "jd01-sq01_ganbu1"  # a demo cadre: completes every demo course
BENCH_CADRE_PREFIX = "bench_certs_"
# Ledger lines besides the demo courses, so the statement has a realistic year in it.
EXTRA_CREDITS = [
    ("practice", "practice:1", Decimal("4"), "赴桂花园社区开展入户走访实践"),
    ("external", "external:1", Decimal("12"), "区委党校社区书记专题培训班"),
    ("external", "external:2", Decimal("6"), "市民政局基层治理能力提升网络培训"),
]
SEAL_SPEC = "max-300x300"  # what services.pdf_context asks for

LATIN_FAMILY = "DejaVu Serif"
LATIN_HOLDER = "Zhang Xiuying"
LATIN_TITLE = "Community Governance Led by Party Building"
LATIN_ISSUER = "Organization Department, Heping District Committee"
LATIN_SIGNATORY = "Head of the Organization Department"
# The Chinese of certificates/pdf/certificate.html, in English; the Latin page must come out
# without a single CJK character, so a change of the template is caught, not timed.
LATIN_TEMPLATE_TEXT = {
    "培训证书": "Certificate of Training",
    "结业证书": "Certificate of Completion",
    "</strong> 同志：": "</strong>,",
    "证书编号：": "Serial number: ",
    "核验码：": "Verification code: ",
    "扫描二维码或访问以下地址核验真伪：": "Scan the QR code or visit this address to verify:",
    'date:"Y年n月j日"': 'date:"Y-m-d"',
}
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")
FONT_FACE_RULE = re.compile(r"@font-face\s*\{[^}]*\}")
PROFILE_RENDERS = 20
PROFILE_LINES = 14
POLL_INTERVAL_S = 0.1


# --- PDFs ---------------------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    """The second half of ``certificates.pdf.render_pdf`` (same fetcher, same font cache), for
    the variant pages whose HTML is not a project template."""
    from django.conf import settings
    from weasyprint import HTML

    from certificates import pdf

    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=pdf._url_fetcher())
    return document.write_pdf(font_config=pdf._font_config())


def pdf_text(content: bytes) -> str:
    return _poppler("pdftotext", content, "-layout")


def pdf_font_names(content: bytes) -> list[str]:
    lines = _poppler("pdffonts", content).splitlines()[2:]  # two header lines
    return [line.split()[0] for line in lines if line.strip()]


def _poppler(tool: str, content: bytes, *options: str) -> str:
    if shutil.which(tool) is None:
        raise common.BenchError(f"{tool} is missing: install the Debian package poppler-utils")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        command = [tool, *options, handle.name] + (["-"] if tool == "pdftotext" else [])
        done = subprocess.run(command, capture_output=True, check=True)
    return done.stdout.decode()


def squeezed(text: str) -> str:
    """Without white space and hyphens: pdftotext spaces out letter-spaced headings, lines
    wrap, and a serial or code may break at a hyphen (as tests/certificates/conftest.py)."""
    return re.sub(r"[\s-]+", "", text)


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    certificate: object  # the course certificate of the holder (certificates.models.Certificate)
    statement: object  # the holder's yearly statement
    statement_entries: int
    seal_url: str
    seal_kb: float
    problems: list[str]  # certificates that certificate_render could not produce in-process


def build_world() -> World:
    """The holder completes every demo course (certificates issued and rendered in-process, as
    no broker is configured), gets a few more ledger lines and a yearly statement; a seal image
    is uploaded. A certificate the service failed to render is recorded, not fatal: the render
    timings call render_pdf directly."""
    from django.utils import timezone

    from certificates import services
    from certificates.models import Certificate
    from courses import services as course_services
    from courses.models import CoursePage, CreditEntry
    from lms.models import User

    holder = User.objects.get(username=HOLDER_USERNAME)
    courses = list(CoursePage.objects.live().order_by("path"))
    online = [c for c in courses if c.delivery_form == CoursePage.DeliveryForm.ONLINE]
    if not online:
        raise common.BenchError("seed_demo made no online course")
    first = online[0]
    for course in courses:
        enrollment = course_services.enrollment_create(cadre=holder, course=course)
        course_services.course_complete(enrollment=enrollment, by=None)
    for kind, source, hours, description in EXTRA_CREDITS:
        course_services.credit_grant(
            cadre=holder, kind=kind, source=source, hours=hours, description=description
        )
    statement = services.statement_issue(cadre=holder, year=timezone.localdate().year)
    certificate = Certificate.objects.get(cadre=holder, subject=f"course:{first.pk}")
    problems = [
        f"certificate_render failed in-process for {failed.serial}: {failed.last_error}"
        for failed in Certificate.objects.exclude(status=Certificate.Status.ISSUED)
    ]
    entries = CreditEntry.objects.filter(cadre=holder, year=statement.year).count()
    seal_url, seal_kb = make_seal()
    return World(certificate, statement, entries, seal_url, seal_kb, problems)


def make_seal() -> tuple[str, float]:
    """A synthetic red seal (ring, inner ring, star) as a Wagtail image; the URL and size of its
    rendition as pdf_context would print it. A scanned seal weighs more than this clean one."""
    from django.core.files.images import ImageFile
    from PIL import Image as PillowImage
    from PIL import ImageDraw
    from wagtail.images import get_image_model

    from certificates import pdf

    size, red = 600, (200, 30, 30, 235)
    picture = PillowImage.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((10, 10, size - 10, size - 10), outline=red, width=22)
    draw.ellipse((58, 58, size - 58, size - 58), outline=red, width=4)
    centre, outer, inner = size / 2, 110, 44
    star = [
        (
            centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            centre - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = get_image_model().objects.create(
        title="bench seal", file=ImageFile(buffer, name="bench-seal.png")
    )
    url = pdf.image_file_url(image, SEAL_SPEC)
    return url, Path(url.removeprefix("file://")).stat().st_size / 1024


# --- render scenarios ---------------------------------------------------------------------------


@dataclass
class Render:
    """One kind of page: how to make it, and what its PDF must show."""

    name: str
    make: Callable[[], bytes]
    expect_text: list[str]  # each must appear in pdftotext's output (whitespace ignored)
    expect_font: str  # every embedded font's name must contain this
    latin: bool = False
    sizes: list[int] = field(default_factory=list)
    last: bytes = b""

    def scenario(self) -> common.Scenario:
        def action(_state):
            self.last = self.make()
            self.sizes.append(len(self.last))

        return common.Scenario(self.name, action)

    def check(self) -> list[str]:
        """Problems with the last PDF made, if any."""
        if not self.last.startswith(b"%PDF-"):
            return [f"{self.name}: not a PDF"]
        problems = []
        text = pdf_text(self.last)
        for expected in self.expect_text:
            if squeezed(expected) not in squeezed(text):
                problems.append(f"{self.name}: {expected!r} missing from the PDF's text")
        if self.latin and CJK.search(text):
            problems.append(f"{self.name}: CJK text in the Latin-only page")
        fonts_used = pdf_font_names(self.last)
        if not fonts_used or any(self.expect_font not in name for name in fonts_used):
            problems.append(f"{self.name}: fonts {fonts_used}, expected only {self.expect_font}")
        return problems

    @property
    def kb(self) -> float:
        return max(self.sizes) / 1024


def renders(world: World) -> list[Render]:
    from certificates import fonts, pdf, services

    certificate, statement = world.certificate, world.statement
    template = services.template_for(certificate)
    own_font = fonts.FAMILY.replace(" ", "-")
    facts = [certificate.holder_name, certificate.serial, certificate.code_display]

    def course():
        return pdf.render_pdf(template, services.pdf_context(certificate))

    def with_seal():
        return pdf.render_pdf(
            template, {**services.pdf_context(certificate), "seal_url": world.seal_url}
        )

    def yearly():
        return pdf.render_pdf(services.template_for(statement), services.pdf_context(statement))

    system_font = system_font_page(certificate)
    latin = latin_page(certificate)
    return [
        Render("course certificate", course, facts, own_font),
        Render("course certificate + seal image", with_seal, facts, own_font),
        Render(
            f"yearly statement, {world.statement_entries} entries",
            yearly,
            [statement.holder_name, statement.serial],
            own_font,
        ),
        Render(
            f"course certificate in full {fonts.SYSTEM_FAMILY}",
            system_font,
            facts,
            fonts.SYSTEM_FAMILY.replace(" ", "-"),
        ),
        Render(
            f"Latin-only page, {LATIN_FAMILY}",
            latin,
            [LATIN_HOLDER, certificate.serial, "Certificate of Completion"],
            LATIN_FAMILY.replace(" ", "-"),
            latin=True,
        ),
    ]


def system_font_page(certificate) -> Callable[[], bytes]:
    """The certificate template with its @font-face rule removed and the system family named,
    so fontconfig hands WeasyPrint the whole Noto Serif CJK collection."""
    from django.template.loader import render_to_string

    from certificates import fonts, services

    template = services.template_for(certificate)
    families = {"font_family": fonts.SYSTEM_FAMILY, "fallback_family": fonts.SYSTEM_FAMILY}

    def make():
        context = {**services.pdf_context(certificate), "font_url": "", **families}
        html, rules = FONT_FACE_RULE.subn("", render_to_string(template, context))
        if rules != 1:
            raise common.BenchError(f"expected one @font-face rule in {template}, found {rules}")
        return html_to_pdf(html)

    return make


def latin_page(certificate) -> Callable[[], bytes]:
    """The certificate template (same CSS, same layout) with English text in DejaVu Serif."""
    from types import SimpleNamespace

    from django.template import engines
    from django.template.loader import get_template

    from certificates import services

    name = services.template_for(certificate)
    source = get_template(name).template.source
    for chinese, english in LATIN_TEMPLATE_TEXT.items():
        if chinese not in source:
            raise common.BenchError(f"{name} changed: {chinese!r} not found; update the bench")
        source = source.replace(chinese, english)
    template = engines["django"].from_string(source)  # compiled once, like the cached loader
    english = SimpleNamespace(
        issuer=LATIN_ISSUER, first_signatory=LATIN_SIGNATORY, second_signatory=""
    )
    hours = f"{certificate.hours.normalize():f}"
    wording = (
        f"completed the course “{LATIN_TITLE}” on {certificate.completed_on:%d %B %Y}, "
        f"{hours} credit hours in all, passed, and is awarded this certificate."
    )
    latin_certificate = type(certificate).objects.get(pk=certificate.pk)
    latin_certificate.holder_name, latin_certificate.title = LATIN_HOLDER, LATIN_TITLE

    def make():
        context = {
            **services.pdf_context(certificate),
            "certificate": latin_certificate,
            "settings": english,
            "wording": wording,
            "font_url": "",
            "font_family": LATIN_FAMILY,
            "fallback_family": LATIN_FAMILY,
        }
        html = template.render(context).replace('lang="zh-Hans"', 'lang="en"', 1)
        html, rules = FONT_FACE_RULE.subn("", html)
        if rules != 1 or CJK.search(html):
            raise common.BenchError(f"the Latin variant of {name} still has CJK text or fonts")
        return html_to_pdf(html)

    return make


def phase_split(certificate, rounds: int) -> list[tuple[str, float]]:
    """Median milliseconds of each step of render_pdf for the course certificate."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from certificates import fonts, pdf, services

    template = services.template_for(certificate)
    steps: dict[str, list[float]] = {
        "pdf_context (settings, QR code as SVG)": [],
        "Django template": [],
        "WeasyPrint: parse HTML, CSS, layout": [],
        "WeasyPrint: draw, subset font, write PDF": [],
    }
    for _ in range(rounds + 3):
        marks = [time.perf_counter()]
        context = services.pdf_context(certificate)
        marks.append(time.perf_counter())
        context |= {
            "font_url": fonts.certificate_font().resolve().as_uri(),
            "font_family": fonts.FAMILY,
            "fallback_family": fonts.SYSTEM_FAMILY,
        }
        html = render_to_string(template, context)
        marks.append(time.perf_counter())
        document = HTML(
            string=html, base_url=str(settings.BASE_DIR), url_fetcher=pdf._url_fetcher()
        ).render(font_config=pdf._font_config())
        marks.append(time.perf_counter())
        document.write_pdf()
        marks.append(time.perf_counter())
        for timings, start, end in zip(steps.values(), marks, marks[1:], strict=False):
            timings.append((end - start) * 1000)
    return [(step, statistics.median(timings[3:])) for step, timings in steps.items()]


def print_profile(make: Callable[[], bytes]) -> None:
    """Where a warm render spends its time: the functions with the most time of their own."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILE_RENDERS):
        make()
    profile.disable()
    stats = pstats.Stats(profile).stats
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:PROFILE_LINES]
    print(f"cProfile of {PROFILE_RENDERS} course certificates (profiling slows everything down):")
    print(f"{'self ms':>8} {'cum ms':>8}  function (per render)")
    for (filename, line, function), (_cc, _nc, self_time, cumulative, _callers) in rows:
        where = _short_path(filename)
        print(
            f"{self_time * 1000 / PROFILE_RENDERS:>8.2f} "
            f"{cumulative * 1000 / PROFILE_RENDERS:>8.2f}  {where}:{line} {function}"
        )
    print()


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", str(common.PROJECT_ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- end to end ---------------------------------------------------------------------------------


@dataclass
class EndToEnd:
    count: int
    issue_s: float  # certificate_issue × count in one transaction, commit and sending included
    send_s: float  # of which the commit and the on_commit sends to the broker
    issue_queries: int  # SQL statements run while issuing (savepoints included)
    task_ms: tuple[list[float], list[float]]  # run times in the worker (Celery's log): cold, warm
    total_s: float  # from the first certificate_issue until every one is issued (or failed)
    worker_cpu_s: float
    purged: int
    issued: int
    failed: int
    rows: int
    serials: int
    codes: int
    files: int
    attempts: set[int]
    max_kb: float
    mean_kb: float
    load_before: str
    load_after: str
    problems: list[str]

    @property
    def rate(self) -> float:
        return self.issued / self.total_s

    @property
    def complete(self) -> bool:
        return self.issued == self.count and not self.problems


def issue_pairs(count: int) -> list[tuple]:
    """`count` (cadre, course) pairs without a certificate yet: demo cadres first, then as many
    bench cadres (bulk-created, homed round robin in the demo communities) as are needed."""
    from django.contrib.auth.hashers import make_password

    from certificates.models import Certificate
    from courses.models import CoursePage
    from lms.models import Membership, Organization, User

    courses = list(CoursePage.objects.live().order_by("path"))
    needed = math.ceil(count / len(courses))
    cadres = list(
        User.objects.filter(memberships__role=Membership.Role.CADRE)
        .exclude(certificates__isnull=False)
        .order_by("pk")
    )
    if len(cadres) < needed:
        rng = random.Random(2026)
        homes = list(Organization.objects.filter(depth__gt=2).order_by("path"))
        surnames, given = (
            "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
            ["秀英", "建国", "丽娟", "志强", "海燕", "文博", "子涵", "德华"],
        )
        password = make_password(None)
        new = User.objects.bulk_create(
            User(
                username=f"{BENCH_CADRE_PREFIX}{number:05d}",
                name=rng.choice(surnames) + rng.choice(given),
                password=password,
            )
            for number in range(needed - len(cadres))
        )
        Membership.objects.bulk_create(
            Membership(user=user, organization=homes[index % len(homes)], role="cadre")
            for index, user in enumerate(new)
        )
        cadres += new
    already = set(Certificate.objects.values_list("cadre_id", "subject"))
    pairs = [
        (cadre, course)
        for cadre in cadres[:needed]
        for course in courses
        if (cadre.pk, f"course:{course.pk}") not in already
    ]
    if len(pairs) < count:
        raise common.BenchError(f"only {len(pairs)} (cadre, course) pairs without a certificate")
    return pairs[:count]


def celery_app(broker: str):
    """The project's Celery app, sending to `broker` instead of running tasks in-process."""
    from lms.celery import app

    app.conf.broker_url = broker
    app.conf.task_always_eager = False
    # The eager tasks run so far made the connection and producer pools for the default URL
    # (amqp://localhost): drop them, as Celery itself does after a fork, so that sending and
    # remote control (ping) use the broker just set.
    app._pool = None
    app.amqp._producer_pool = None
    return app


def queue_length(app) -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.client.llen(app.conf.task_default_queue)


@contextmanager
def celery_workers(broker: str, log_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """One `celery worker --pool=prefork --concurrency=2` in its own process group; stopped
    (TERM, then KILL of its group after 30 s) on the way out."""
    from django.conf import settings

    hostname = f"bench-certs-{os.getpid()}@{socket.gethostname()}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": common.SETTINGS_MODULE,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CERTIFICATE_FONT_DIR": str(settings.CERTIFICATE_FONT_DIR),
        "DEBUG": str(settings.DEBUG),
        "REDIS_URL": "",
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "lms", "worker"),
        *("--pool=prefork", f"--concurrency={WORKER_CONCURRENCY}", "--loglevel=INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        f"--hostname={hostname}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=common.PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, hostname
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown: the pool children exit too
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group this run started
                process.wait()


TASK_SUCCEEDED = re.compile(
    r"/(\w+-\d+)\] Task certificates\.tasks\.certificate_render_task\[[^\]]+\] "
    r"succeeded in ([0-9.]+)s"
)


def task_times_ms(log_path: Path) -> tuple[list[float], list[float]]:
    """Run times of the render tasks from the worker's INFO log: the first task of each pool
    process (cold: imports, fonts), and all the others."""
    cold, warm, seen = [], [], set()
    for process, seconds in TASK_SUCCEEDED.findall(log_path.read_text(errors="replace")):
        (warm if process in seen else cold).append(float(seconds) * 1000)
        seen.add(process)
    return cold, warm


def wait_for_worker(app, process: subprocess.Popen, hostname: str, log_path: Path) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < 90:
        if process.poll() is not None:
            raise common.BenchError(f"the worker exited:\n{_tail(log_path)}")
        if app.control.ping(destination=[hostname], timeout=1.0):
            return time.perf_counter() - started
    raise common.BenchError(f"the worker did not answer within 90 s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's id
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def end_to_end(args: argparse.Namespace) -> EndToEnd | None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from certificates import services
    from certificates.models import Certificate
    from courses.models import CoursePage
    from courses.selectors import course_hours

    if connection.vendor != "postgresql":
        print(
            "End to end: SKIPPED. It needs --db postgres: the worker processes must share the "
            "database with this one, which is what PostgreSQL is deployed for.\n"
        )
        return None
    print(f"End to end: {args.count} certificates, broker {args.broker}, ", end="")
    print(f"{WORKER_CONCURRENCY} worker processes (celery prefork)", flush=True)
    pairs = issue_pairs(args.count)
    hours = {course.pk: course_hours(course) for course in {course for _, course in pairs}}
    today = timezone.localdate()
    media = Path(settings.MEDIA_ROOT)
    files_before = set(media.rglob("*.pdf"))
    rows_before = Certificate.objects.count()

    app = celery_app(args.broker)
    purged = app.control.purge()
    if queue_length(app):
        raise common.BenchError("the broker queue is not empty after purging")
    log_path = Path(tempfile.mkdtemp(prefix="lms-bench-celery-")) / "worker.log"
    try:
        with celery_workers(args.broker, log_path) as (process, hostname):
            ready_s = wait_for_worker(app, process, hostname, log_path)
            print(f"worker ready in {ready_s:.1f} s (pid {process.pid}); issuing ...", flush=True)
            load_before = common.load_average()
            cpu_before = process_tree_cpu_s(process.pid)
            statements = [0]

            def count(execute, sql, params, many, context):
                statements[0] += 1
                return execute(sql, params, many, context)

            started = time.perf_counter()
            with connection.execute_wrapper(count), transaction.atomic():
                ids = [
                    services.certificate_issue(
                        cadre=cadre,
                        kind=Certificate.Kind.COURSE
                        if course.delivery_form == CoursePage.DeliveryForm.ONLINE
                        else Certificate.Kind.CLASS,
                        subject=f"course:{course.pk}",
                        title=course.title,
                        hours=hours[course.pk],
                        completed_on=today,
                    ).pk
                    for cadre, course in pairs
                ]
                recorded = time.perf_counter()
            issue_s = time.perf_counter() - started  # the on_commit sends are included
            send_s = time.perf_counter() - recorded
            batch = Certificate.objects.filter(pk__gte=min(ids), pk__lte=max(ids))
            last_report = started
            while True:  # until every certificate is issued or has failed for good
                by_status = dict(batch.values_list("status").annotate(n=Count("pk")))
                issued = by_status.get(Certificate.Status.ISSUED, 0)
                failed = by_status.get(Certificate.Status.FAILED, 0)
                now = time.perf_counter()
                if issued + failed == len(ids):
                    break
                if now - started > args.timeout:
                    raise common.BenchError(
                        f"only {issued} of {len(ids)} issued after {args.timeout:.0f} s:\n"
                        f"{_tail(log_path)}"
                    )
                if process.poll() is not None:
                    raise common.BenchError(f"the worker exited:\n{_tail(log_path)}")
                if now - last_report >= 5:
                    print(f"  {now - started:5.1f} s: {issued} issued, {failed} failed", flush=True)
                    last_report = now
                time.sleep(POLL_INTERVAL_S)
            total_s = time.perf_counter() - started
            worker_cpu_s = process_tree_cpu_s(process.pid) - cpu_before
            load_after = common.load_average()
        task_ms = task_times_ms(log_path)  # the worker has stopped: its log is complete
    finally:
        app.control.purge()
        shutil.rmtree(log_path.parent, ignore_errors=True)
    return end_to_end_checks(
        ids,
        files_before=files_before,
        rows_before=rows_before,
        timings=(issue_s, send_s, total_s, worker_cpu_s),
        issue_queries=statements[0],
        task_ms=task_ms,
        purged=purged,
        loads=(load_before, load_after),
    )


def end_to_end_checks(
    ids: list[int],
    *,
    files_before: set[Path],
    rows_before: int,
    timings: tuple[float, float, float, float],
    purged: int,
    loads: tuple[str, str],
    issue_queries: int,
    task_ms: tuple[list[float], list[float]],
) -> EndToEnd:
    """Counts rows, serials, codes and new files; reads a few PDFs back."""
    from collections import Counter

    from django.conf import settings

    from certificates.models import Certificate

    problems = []
    if len(set(ids)) != len(ids):
        problems.append("certificate_issue returned the same certificate twice")
    certificates = list(Certificate.objects.filter(pk__in=ids))
    statuses = Counter(c.status for c in certificates)
    failed = [c for c in certificates if c.status == Certificate.Status.FAILED]
    if failed:
        errors = Counter(c.last_error for c in failed)
        for error, times in errors.most_common(3):
            problems.append(f"{times} certificates FAILED to render: {error}")
    files = set(Path(settings.MEDIA_ROOT).rglob("*.pdf")) - files_before
    sizes = []
    issued = [c for c in certificates if c.status == Certificate.Status.ISSUED]
    for certificate in issued:
        path = Path(certificate.pdf.path) if certificate.pdf else None
        if path is None or path not in files:
            problems.append(f"{certificate.serial}: issued without a new PDF on disk")
            continue
        content = path.read_bytes()
        sizes.append(len(content))
        if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-64:]:
            problems.append(f"{certificate.serial}: {path.name} is not a complete PDF")
    for certificate in random.Random(1).sample(issued, min(5, len(issued))):
        text = squeezed(pdf_text(Path(certificate.pdf.path).read_bytes()))
        if (
            squeezed(certificate.holder_name) not in text
            or squeezed(certificate.serial) not in text
        ):
            problems.append(f"{certificate.serial}: name or serial missing from its PDF")
    if Certificate.objects.count() != rows_before + len(ids):
        problems.append("the number of certificate rows is not what was issued")
    if len(files) != len(issued):
        problems.append(f"{len(files)} new PDF files for {len(issued)} issued certificates")
    issue_s, send_s, total_s, worker_cpu_s = timings
    return EndToEnd(
        count=len(ids),
        issue_s=issue_s,
        send_s=send_s,
        issue_queries=issue_queries,
        task_ms=task_ms,
        total_s=total_s,
        worker_cpu_s=worker_cpu_s,
        purged=purged,
        issued=statuses[Certificate.Status.ISSUED],
        failed=statuses[Certificate.Status.FAILED],
        rows=len(certificates),
        serials=len({c.serial for c in certificates}),
        codes=len({c.code for c in certificates}),
        files=len(files),
        attempts={c.render_attempts for c in certificates},
        max_kb=max(sizes, default=0) / 1024,
        mean_kb=statistics.fmean(sizes) / 1024 if sizes else 0,
        load_before=loads[0],
        load_after=loads[1],
        problems=problems,
    )


# --- reporting ----------------------------------------------------------------------------------


def print_render_table(items: list[Render], results: dict[str, common.Result]) -> None:
    width = max(common.display_width(item.name) for item in items)
    labels = ("p50 ms", "p95 ms", "mean ms", "min ms", "CPU p50", "queries", "PDF KB")
    header = f"{'render':<{width}}" + "".join(f"  {label:>7}" for label in labels)
    print(header)
    print("-" * len(header))
    for item in items:
        result = results[item.name]
        print(
            f"{common.left_justified(item.name, width)}  {result.p50:>7.1f}  {result.p95:>7.1f}  "
            f"{result.mean:>7.1f}  {min(result.samples_ms):>7.1f}  {result.cpu_p50:>7.1f}  "
            f"{result.queries_label:>7}  {item.kb:>7.1f}"
        )
    print("CPU p50: CPU time of this process; PDF KB: the largest PDF of the scenario's rounds.")
    print()


def verdict(value: float, target: float, unit: str) -> str:
    if value <= target:
        return (
            f"met: {value:.1f} {unit}, {target - value:.1f} {unit} ({1 - value / target:.0%}) under"
        )
    return (
        f"MISSED: {value:.1f} {unit}, {value - target:.1f} {unit} ({value / target - 1:.0%}) over"
    )


def print_end_to_end(result: EndToEnd) -> None:
    print(f"purged {result.purged} stale messages before the run")
    print(
        f"certificate_issue × {result.count} in one transaction: {result.issue_s:.1f} s, of "
        f"which commit and {result.count} on_commit sends to the broker {result.send_s:.1f} s; "
        f"{result.issue_queries / result.count:.1f} SQL statements per certificate"
    )
    rendering = result.total_s - result.issue_s
    print(
        f"after the commit, until the last PDF: {rendering:.1f} s = "
        f"{result.issued / rendering:.1f} certificates/s with {WORKER_CONCURRENCY} workers"
    )
    outcome = "all issued with a PDF on disk" if result.complete else "every one issued or failed"
    print(f"until {outcome}: {result.total_s:6.1f} s = {result.rate:.1f} certificates/s")
    per_certificate = result.worker_cpu_s * 1000 / result.count
    print(
        f"worker CPU: {result.worker_cpu_s:.1f} s in all, {per_certificate:.1f} ms per "
        "certificate (worker processes only; PostgreSQL, Redis and this process not included)"
    )
    cold, warm = result.task_ms
    if warm:
        print(
            f"task run time in the worker (Celery's log): p50 {statistics.median(warm):.0f} ms, "
            f"p95 {common.percentile(warm, 0.95):.0f} ms; the first task of each worker process "
            f"(cold) {', '.join(f'{ms:.0f}' for ms in cold)} ms"
        )
    print(
        f"checked: {result.rows} rows ({result.issued} issued, {result.failed} failed), "
        f"{result.serials} distinct serials, {result.codes} distinct codes, {result.files} new "
        f"PDF files (largest {result.max_kb:.1f} KB, mean {result.mean_kb:.1f} KB), render "
        f"attempts per certificate {sorted(result.attempts)}"
    )
    print(f"load average: {result.load_before} before, {result.load_after} after")
    for problem in result.problems:
        print(f"PROBLEM: {problem}")
    print()


def print_targets(
    args: argparse.Namespace,
    items: list[Render],
    results: dict[str, common.Result],
    outcome: EndToEnd | None,
) -> None:
    course, latin = results[items[0].name], results[items[-1].name]
    lines = [
        (
            f"warm render p50 ≤ {RENDER_P50_TARGET_MS:.0f} ms (course certificate)",
            verdict(course.p50, RENDER_P50_TARGET_MS, "ms"),
        )
    ]
    lines += [
        (
            f"PDF ≤ {PDF_SIZE_TARGET_KB:.0f} KB ({item.name})",
            verdict(item.kb, PDF_SIZE_TARGET_KB, "KB"),
        )
        for item in items[:3]
    ]
    # The issue's target is 60 s for 1,000 certificates; another --count gets it pro rata.
    target_s = END_TO_END_TARGET_S * args.count / DEFAULT_COUNT
    label = (
        f"{args.count:,} certificates end to end, {WORKER_CONCURRENCY} workers, ≤ {target_s:.0f} s"
        + ("" if args.count == DEFAULT_COUNT else " (pro rata)")
    )
    if outcome is None:
        lines.append((label, "not measured (needs --db postgres and --count > 0)"))
    elif not outcome.complete:
        lines.append(
            (
                label,
                f"MISSED: {outcome.issued:,} issued correctly, {outcome.failed:,} failed, "
                f"after {outcome.total_s:.1f} s",
            )
        )
    else:
        lines.append((label, f"{verdict(outcome.total_s, target_s, 's')}, {outcome.rate:.1f}/s"))
    lines.append(("ratio to the Latin-only render (p50)", f"×{course.p50 / latin.p50:.2f}"))
    print("Targets")
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"  {label:<{width}}  {value}")
    print(f"load average at the end: {common.load_average()}")


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from certificates import fonts

    print(f"load average at the start: {common.load_average()}")
    started = time.perf_counter()
    font_path = Path(settings.CERTIFICATE_FONT_DIR) / fonts.FILE_NAME
    built = not font_path.exists()
    fonts.certificate_font()
    font_note = f"built in {time.perf_counter() - started:.0f} s" if built else "already built"
    print(f"Preparing the throwaway database ({args.db}): migrate, seed_demo ...", flush=True)
    started = time.perf_counter()
    common.migrate_and_seed()
    world = build_world()
    print(f"ready in {time.perf_counter() - started:.0f} s\n")

    import weasyprint

    common.print_header(
        args,
        extra_rows=(
            ("weasyprint", weasyprint.__version__),
            ("font", f"{font_path} ({font_path.stat().st_size / 1024:.0f} KB, {font_note})"),
        ),
    )
    for problem in world.problems:
        print(f"PROBLEM: {problem}")
    if world.problems:
        print()
    items = renders(world)
    results = common.measure(
        [item.scenario() for item in items], rounds=args.rounds, warmup=args.warmup
    )
    problems = [problem for item in items for problem in item.check()]
    print_render_table(items, results)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if not problems:
        print("checked once with pdftotext and pdffonts: names, serials and typefaces as expected")
    print(f"seal image: a {world.seal_kb:.1f} KB PNG rendition ({SEAL_SPEC})")
    course, latin = results[items[0].name], results[items[-1].name]
    full_font = results[items[3].name]
    print(
        f"course certificate / Latin-only page: ×{course.p50 / latin.p50:.2f} wall p50, "
        f"×{course.cpu_p50 / latin.cpu_p50:.2f} CPU p50; full system font / cut font: "
        f"×{full_font.p50 / course.p50:.2f}"
    )
    print()
    print("where the course certificate's time goes (medians, ms):")
    phases = phase_split(world.certificate, args.rounds)
    total = sum(ms for _step, ms in phases)
    for step, ms in phases:
        print(f"  {step:<44} {ms:6.1f}  {ms / total:4.0%}")
    print()
    if args.profile or course.p50 > RENDER_P50_TARGET_MS:
        print_profile(items[0].make)
    print(f"load average after rendering: {common.load_average()}\n")

    outcome = end_to_end(args) if args.count else None
    if outcome is not None:
        print_end_to_end(outcome)

    print_targets(args, items, results, outcome)
    if problems:
        raise common.BenchError("some PDFs were not right: the render timings are not valid")
    if world.problems or (outcome is not None and not outcome.complete):
        raise common.BenchError("certificate_render failed: see the PROBLEM lines above")


def main(argv: list[str] | None = None) -> int:
    parser = common.argument_parser(__doc__.splitlines()[0])
    parser.set_defaults(pg_name=DEFAULT_PG_NAME)
    parser.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        help=f"certificates issued end to end (default {DEFAULT_COUNT}; 0 skips that part)",
    )
    parser.add_argument(
        "--broker", default=DEFAULT_BROKER, help=f"Celery broker (default {DEFAULT_BROKER})"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="give up on the end-to-end part after this many seconds",
    )
    parser.add_argument(
        "--font-dir",
        help="CERTIFICATE_FONT_DIR for this run and its workers (default: the settings' own)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile summary even if the target is met"
    )
    args = common.parse_args(parser, argv)
    if args.count < 0:
        parser.error("--count must be at least 0")
    if args.font_dir:
        os.environ["CERTIFICATE_FONT_DIR"] = str(Path(args.font_dir).resolve())
    try:
        return common.run_in_throwaway_database(args, run)
    except common.BenchError as error:
        print(f"\nBENCH FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
