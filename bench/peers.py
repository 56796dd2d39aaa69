"""Measure comparable pages of peer projects side by side on this machine.

Usage (from the project root)::

    .venv/bin/python bench/peers.py [--cache DIR] [--db sqlite|postgres] [--peers LIST]

Three peers, each in its own virtualenv under the cache folder (default
``~/.cache/lms-bench-peers/``), installed from PyPI at pinned versions:

* ``wagtail`` — a bare Wagtail site (the framework floor): a published ``Page`` subclass with a
  trivial template, anonymous and logged in;
* ``wagtail-lms`` — the wagtail-lms package: its ``CoursePage`` (10 lesson children) and one
  ``H5PLessonPage``, for a logged-in learner enrolled in the course;
* ``kolibri`` — Kolibri (Django 3.2 bundled): the learner's Learn page, the learner lesson API
  (a lesson of 10 resources with progress) and one resource's content-node API, for a
  logged-in learner of a class the lesson is assigned to; the two that Kolibri serves from
  its caches are measured again with every cache emptied before each request.

For each peer the script creates a minimal project and a fresh database (a temporary SQLite
file, or a PostgreSQL database that is dropped and re-created), seeds one course of 10
lessons with Chinese text and one enrolled learner, then runs a generated measurement script
with the peer venv's own Python: Django's test ``Client`` (``force_login``), ``DEBUG=False``,
``time.perf_counter`` around ``client.get`` only, scenarios interleaved round by round, and
SQL queries counted with ``CaptureQueriesContext`` (on every database connection) in three
extra, untimed requests. A peer that cannot be installed or run is reported as such, with
the error, and the others are still measured; the exit status is then 1.

Nothing in the repository is written; everything lives in the cache folder.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import cpu_model, load_average, percentile

DEFAULT_CACHE = Path.home() / ".cache" / "lms-bench-peers"
DEFAULT_ROUNDS = 30
DEFAULT_WARMUP = 3
QUERY_COUNT_SAMPLES = 3
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE_PREFIX = "lms_bench_peer_"

INSTALL_TIMEOUT_S = 1200
STEP_TIMEOUT_S = 900

# The exact versions measured. Django and Wagtail match the project's own (pyproject.toml).
DJANGO_PIN = "Django==5.2.19"
WAGTAIL_PIN = "wagtail==8.0.1"
WAGTAIL_LMS_PIN = "wagtail-lms==0.11.1"
KOLIBRI_PIN = "kolibri==0.19.5"  # bundles its own Django 3.2.25 in kolibri/dist
PSYCOPG_PIN = "psycopg[binary]==3.3.9"  # for the Wagtail peers on PostgreSQL
PSYCOPG2_PIN = "psycopg2-binary==2.9.13"  # Kolibri's bundled Django 3.2 needs psycopg2

RESULT_MARKER = "PEERS-BENCH-JSON "

LEARNER = "learner"
LEARNER_PASSWORD = "Bench-Peer-2026"

# Chinese text shared by every peer's seed, so that all pages carry comparable content.
COURSE_TITLE = "党建引领社区治理"
COURSE_INTRO = "本课程介绍党建引领基层社区治理的基本方法、工作流程与典型案例。"
LESSON_BODY = (
    "社区党组织要发挥战斗堡垒作用，组织居民议事协商，解决群众急难愁盼问题。"
    "网格员每日走访，记录民情，及时上报，形成闭环管理。"
)


class PeerFailed(RuntimeError):
    """A step of one peer failed; the message says which step and why."""

    def __init__(self, step: str, detail: str):
        super().__init__(f"{step} failed: {detail}")
        self.step = step
        self.detail = detail


# --- code that runs inside a peer's venv ----------------------------------------------------
#
# Each generated script is CHILD_PRELUDE followed by a peer's seed body or MEASURE_BODY. It is
# run as `<peer venv>/bin/python script.py CONFIG_JSON`, prints its result as one JSON line
# after RESULT_MARKER on stdout, and must work with Django 3.2 (Kolibri) as well as 5.2
# (Wagtail), so it uses nothing newer than both.

CHILD_PRELUDE = '''\
import gc
import json
import os
import platform
import sys
import time
from contextlib import ExitStack

CONFIG = json.load(open(sys.argv[1], encoding="utf-8"))


def setup_django():
    if CONFIG["kind"] == "kolibri":
        from kolibri.utils.main import initialize

        initialize(skip_update=True)  # `kolibri manage migrate` ran before
    else:
        sys.path.insert(0, CONFIG["project_dir"])
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
        import django

        django.setup()


def write_output(data):
    """The result, as one JSON line after a marker (the peer's own logging shares stdout)."""
    sys.stdout.flush()
    print("%s%s" % (CONFIG["marker"], json.dumps(data, ensure_ascii=True)), flush=True)


setup_django()
'''

WAGTAIL_SEED_BODY = """\
from django.contrib.auth import get_user_model
from wagtail.models import Site

from benchpages.models import PlainPage

home = Site.objects.get(is_default_site=True).root_page
page = home.add_child(
    instance=PlainPage(title=CONFIG["course_title"], slug="plain", body=CONFIG["lesson_body"])
)
page.save_revision().publish()
# Ten children, unused by the page, so that the page tree is as big as the LMS peers' course.
for number in range(1, 11):
    child = page.add_child(
        instance=PlainPage(title="第%d课" % number, slug="lesson-%d" % number,
                           body=CONFIG["lesson_body"])
    )
    child.save_revision().publish()
get_user_model().objects.create_user(CONFIG["learner"], password=CONFIG["password"])
path = page.url
write_output(
    {
        "scenarios": [
            {"name": "plain page, anonymous", "path": path, "user": None,
             "expect": [CONFIG["course_title"]]},
            {"name": "plain page, logged in", "path": path, "user": CONFIG["learner"],
             "expect": [CONFIG["course_title"], CONFIG["learner"]]},
        ],
        "seeded": "1 published PlainPage (title + Chinese text) under the default site's home "
        "page, with 10 published PlainPage children that it does not list; 1 user",
    }
)
"""

WAGTAIL_LMS_SEED_BODY = """\
import json

from django.contrib.auth import get_user_model
from wagtail.models import Site

from wagtail_lms.models import CourseEnrollment, CoursePage, H5PLessonPage

home = Site.objects.get(is_default_site=True).root_page
course = home.add_child(
    instance=CoursePage(
        title=CONFIG["course_title"], slug="course", description="<p>%s</p>" % CONFIG["intro"]
    )
)
course.save_revision().publish()
lessons = []
for number in range(1, 11):
    body = [
        {"type": "paragraph", "value": "<p>%s（第%d段）</p>" % (CONFIG["lesson_body"], part)}
        for part in (1, 2, 3)
    ]
    lesson = course.add_child(
        instance=H5PLessonPage(
            title="第%d课：社区治理实务" % number,
            slug="lesson-%d" % number,
            intro="<p>%s</p>" % CONFIG["intro"],
            body=json.dumps(body, ensure_ascii=False),
        )
    )
    lesson.save_revision().publish()
    lessons.append(lesson)
learner = get_user_model().objects.create_user(CONFIG["learner"], password=CONFIG["password"])
CourseEnrollment.objects.create(user=learner, course=course)
lesson = lessons[4]
write_output(
    {
        "scenarios": [
            {"name": "course page, enrolled learner", "path": course.url,
             "user": CONFIG["learner"],
             "expect": [CONFIG["course_title"], "Enrolled:", "第10课"]},
            {"name": "lesson page, enrolled learner", "path": lesson.url,
             "user": CONFIG["learner"],
             "expect": [lesson.title, CONFIG["course_title"], "第3段"]},
        ],
        "seeded": "1 CoursePage, 10 H5PLessonPage children (intro + 3 rich-text blocks each, "
        "no H5P activity), 1 learner with a CourseEnrollment",
    }
)
"""

KOLIBRI_SEED_BODY = """\
import uuid

from django.urls import reverse
from kolibri.core.auth.models import Classroom, Facility, FacilityUser
from kolibri.core.content.models import ChannelMetadata, ContentNode
from kolibri.core.device.utils import provision_device
from kolibri.core.lessons.models import Lesson, LessonAssignment

facility = Facility.objects.create(name="Bench facility")
provision_device(default_facility=facility)
coach = FacilityUser.objects.create_superuser("coach", CONFIG["password"], facility=facility)
learner = FacilityUser(username=CONFIG["learner"], full_name="学员", facility=facility)
learner.set_password(CONFIG["password"])
learner.save()
classroom = Classroom.objects.create(name="社区干部一班", parent=facility)
classroom.add_member(learner)

# A channel is normally imported from Kolibri Studio (not reachable here): make one by hand,
# a topic with 10 HTML5 resources, all marked available.
channel_id = uuid.uuid4().hex
root = ContentNode.objects.create(
    id=channel_id, title=CONFIG["course_title"], description=CONFIG["intro"],
    content_id=uuid.uuid4().hex, channel_id=channel_id, kind="topic", available=True,
)
ChannelMetadata.objects.create(
    id=channel_id, name=CONFIG["course_title"], description=CONFIG["intro"], root=root,
    min_schema_version="1",
)
nodes = [
    ContentNode.objects.create(
        id=uuid.uuid4().hex, parent=root, title="第%d课：社区治理实务" % number,
        description=CONFIG["lesson_body"] * 3, content_id=uuid.uuid4().hex,
        channel_id=channel_id, kind="html5", available=True, sort_order=number,
    )
    for number in range(1, 11)
]
lesson = Lesson.objects.create(
    title=CONFIG["course_title"], description=CONFIG["intro"], is_active=True,
    collection=classroom, created_by=coach,
    resources=[
        {"contentnode_id": n.id, "content_id": n.content_id, "channel_id": channel_id}
        for n in nodes
    ],
)
LessonAssignment.objects.create(lesson=lesson, collection=classroom, assigned_by=coach)
node = nodes[4]
write_output(
    {
        "scenarios": [
            {"name": "Learn page (SPA shell), learner",
             "path": reverse("kolibri:kolibri.plugins.learn:learn"),
             "user": CONFIG["learner"], "expect": ["<!DOCTYPE html>", "learn"],
             # cache_no_user_data drops the session from this request: no user to check
             "check_user": False},
            {"name": "Learn page, caches emptied first",
             "path": reverse("kolibri:kolibri.plugins.learn:learn"),
             "user": CONFIG["learner"], "expect": ["<!DOCTYPE html>", "learn"],
             "check_user": False, "clear_caches": True},
            {"name": "learner lesson API (10 resources + progress)",
             "path": reverse("kolibri:kolibri.plugins.learn:learnerlesson-detail",
                             kwargs={"pk": lesson.id}),
             "user": CONFIG["learner"], "expect": [CONFIG["course_title"], "第10课"]},
            {"name": "content node API (1 resource)",
             "path": reverse("kolibri:core:contentnode-detail", kwargs={"pk": node.id}),
             "user": CONFIG["learner"], "expect": [node.title]},
            {"name": "content node API, caches emptied first",
             "path": reverse("kolibri:core:contentnode-detail", kwargs={"pk": node.id}),
             "user": CONFIG["learner"], "expect": [node.title], "clear_caches": True},
        ],
        "seeded": "1 facility, 1 classroom, 1 learner (member), 1 coach; a hand-made channel "
        "(topic + 10 html5 nodes, no files); 1 active Lesson of the 10 resources assigned "
        "to the classroom",
    }
)
"""

MEASURE_BODY = '''\
from importlib import metadata

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext


class BenchError(RuntimeError):
    pass


if settings.DEBUG:
    raise BenchError("DEBUG is on; the measurement must run with DEBUG=False")

scenarios = CONFIG["scenarios"]
clients = {}


def client_for(username):
    if username not in clients:
        client = Client()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        clients[username] = client
    return clients[username]


def check(scenario, response):
    """Outside the timer: the page is what the scenario says, for the right user."""
    if response.status_code != 200:
        raise BenchError("%s: HTTP %s (Location: %s)" % (
            scenario["path"], response.status_code, response.get("Location")))
    if scenario.get("check_user", True):
        user = response.wsgi_request.user
        if bool(user.is_authenticated) != bool(scenario["user"]):
            raise BenchError("%s: not served as %s" % (scenario["path"], scenario["user"]))
    body = response.content.decode("utf-8")
    for text in scenario["expect"]:
        if text not in body:
            raise BenchError("%s: %r missing from the response" % (scenario["path"], text))
    return len(response.content)


def clear_caches_if_asked(scenario):
    """For a cold-cache scenario, empty every configured cache (outside the timer)."""
    if scenario.get("clear_caches"):
        for name in settings.CACHES:
            caches[name].clear()


def timed_get(scenario):
    client = client_for(scenario["user"])
    clear_caches_if_asked(scenario)
    cpu_start = time.process_time()
    start = time.perf_counter()
    response = client.get(scenario["path"])
    elapsed = time.perf_counter() - start
    cpu_elapsed = time.process_time() - cpu_start
    size = check(scenario, response)
    return elapsed * 1000, cpu_elapsed * 1000, size


def count_queries(scenario):
    """SQL statements of a few extra, untimed requests, on every configured database."""
    client = client_for(scenario["user"])
    counts = []
    for _ in range(CONFIG["query_samples"]):
        clear_caches_if_asked(scenario)
        with ExitStack() as stack:
            captured = [
                stack.enter_context(CaptureQueriesContext(conn)) for conn in connections.all()
            ]
            response = client.get(scenario["path"])
        check(scenario, response)
        counts.append(sum(len(c.captured_queries) for c in captured))
    sql = [q["sql"] for c in captured for q in c.captured_queries]
    return counts, sql


for scenario in scenarios:
    client_for(scenario["user"])  # log in outside the timer
wall = {s["name"]: [] for s in scenarios}
cpu = {s["name"]: [] for s in scenarios}
sizes = {}
queries = {}  # name: (counts, SQL of the last request)
# Scenarios that empty the caches run in a phase of their own, after the others: interleaved
# with them, they would leave the next scenario's caches cold too.
phases = [
    [s for s in scenarios if not s.get("clear_caches")],
    [s for s in scenarios if s.get("clear_caches")],
]
for phase in phases:
    gc.collect()
    for round_index in range(CONFIG["warmup"] + CONFIG["rounds"]):
        for scenario in phase:
            elapsed_ms, cpu_ms, size = timed_get(scenario)
            sizes[scenario["name"]] = size
            if round_index >= CONFIG["warmup"]:
                wall[scenario["name"]].append(elapsed_ms)
                cpu[scenario["name"]].append(cpu_ms)
    for scenario in phase:
        queries[scenario["name"]] = count_queries(scenario)


def version_of(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


if connection.vendor == "postgresql":
    major, minor = divmod(connection.pg_version, 10000)
    db_version = "%d.%d" % (major, minor)
elif connection.vendor == "sqlite":
    db_version = connection.Database.sqlite_version
else:
    db_version = "?"
write_output(
    {
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "packages": {
                name: version_of(name)
                for name in CONFIG["report_packages"]
                if version_of(name) is not None
            },
            "database": "%s %s" % (connection.vendor, db_version),
            "databases": sorted(connections.databases),
            "debug": settings.DEBUG,
            "session_engine": settings.SESSION_ENGINE,
            "cache": settings.CACHES["default"]["BACKEND"],
        },
        "results": [
            {
                "name": s["name"],
                "path": s["path"],
                "user": s["user"],
                "samples_ms": wall[s["name"]],
                "cpu_ms": cpu[s["name"]],
                "queries": queries[s["name"]][0],
                "sql": queries[s["name"]][1],
                "bytes": sizes[s["name"]],
            }
            for s in scenarios
        ],
    }
)
'''

# --- the minimal Wagtail project shared by the two Wagtail peers ----------------------------

WAGTAIL_SETTINGS = '''\
"""Settings of Wagtail's own project template (wagtail start), trimmed to what serves pages."""

import json
import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "peer-benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    *{extra_apps},
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "benchsite.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

DATABASES = {{"default": json.loads(os.environ["PEERS_BENCH_DATABASE"])}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = PROJECT_DIR / "media"

WAGTAIL_SITE_NAME = "peer benchmark"
WAGTAILADMIN_BASE_URL = "http://localhost"
WAGTAILSEARCH_BACKENDS = {{"default": {{"BACKEND": "wagtail.search.backends.database"}}}}
'''

WAGTAIL_URLS = """\
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    *{extra_urls},
    path("", include(wagtail_urls)),
]
"""

WAGTAIL_MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

# Both Wagtail peers extend this (wagtail-lms's templates extend "base.html" by design).
BASE_TEMPLATE = """\
<!DOCTYPE html>
<html lang="zh-hans">
<head><meta charset="utf-8"><title>{% block title %}{{ page.title }}{% endblock %}</title></head>
<body>
{% if user.is_authenticated %}<header>{{ user.get_username }}</header>{% endif %}
{% block content %}{% endblock %}
</body>
</html>
"""

PLAIN_PAGE_MODELS = """\
from django.db import models
from wagtail.models import Page


class PlainPage(Page):
    body = models.TextField(blank=True)
"""

PLAIN_PAGE_TEMPLATE = """\
{% extends "base.html" %}
{% block content %}<h1>{{ page.title }}</h1>{{ page.body|linebreaks }}{% endblock %}
"""


# --- peers ------------------------------------------------------------------------------------


@dataclass
class Peer:
    key: str
    title: str
    kind: str  # "wagtail" (a generated Wagtail project) or "kolibri"
    requirements: list[str]
    postgres_requirements: list[str]
    report_packages: list[str]
    seed_body: str
    why: str
    extra_apps: list[str] = field(default_factory=list)
    extra_urls: list[str] = field(default_factory=list)


PEERS = {
    "wagtail": Peer(
        key="wagtail",
        title="bare Wagtail",
        kind="wagtail",
        requirements=[DJANGO_PIN, WAGTAIL_PIN],
        postgres_requirements=[PSYCOPG_PIN],
        report_packages=["wagtail"],
        seed_body=WAGTAIL_SEED_BODY,
        extra_apps=["benchpages"],
        why="framework floor: Wagtail's serve path with a trivial template",
    ),
    "wagtail-lms": Peer(
        key="wagtail-lms",
        title="wagtail-lms",
        kind="wagtail",
        requirements=[DJANGO_PIN, WAGTAIL_PIN, WAGTAIL_LMS_PIN],
        postgres_requirements=[PSYCOPG_PIN],
        report_packages=["wagtail", "wagtail-lms"],
        seed_body=WAGTAIL_LMS_SEED_BODY,
        extra_apps=["wagtail_lms"],
        extra_urls=['path("lms/", include("wagtail_lms.urls"))'],
        why="an LMS on the same stack: course page and lesson page of an enrolled learner",
    ),
    "kolibri": Peer(
        key="kolibri",
        title="Kolibri",
        kind="kolibri",
        requirements=[KOLIBRI_PIN],
        postgres_requirements=[PSYCOPG2_PIN],
        report_packages=["kolibri"],
        seed_body=KOLIBRI_SEED_BODY,
        why="a Django LMS: the learner's Learn page and the APIs its lesson view loads",
    ),
}


@dataclass
class Outcome:
    peer: Peer
    results: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    seeded: str = ""
    error: PeerFailed | None = None
    seconds: float = 0.0
    load_before: str = ""
    load_after: str = ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"folder for the peers' venvs, projects and Kolibri home (default {DEFAULT_CACHE})",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help=f"comma-separated subset of {', '.join(PEERS)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="unmeasured rounds")
    parser.add_argument(
        "--pg-server",
        default=DEFAULT_PG_SERVER,
        help=f"PostgreSQL server URL without a database name (default {DEFAULT_PG_SERVER}); "
        f"databases {PG_DATABASE_PREFIX}* are dropped and re-created",
    )
    parser.add_argument(
        "--reinstall", action="store_true", help="delete and re-create the peers' venvs"
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of one request per scenario"
    )
    parser.add_argument("--json", type=Path, help="also write all samples to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    args.peer_keys = [key.strip() for key in args.peers.split(",") if key.strip()]
    unknown = [key for key in args.peer_keys if key not in PEERS]
    if unknown or not args.peer_keys:
        parser.error(f"unknown peer(s) {unknown}; choose from {', '.join(PEERS)}")
    return args


# --- running things -----------------------------------------------------------------------------


def run_step(
    step: str,
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = STEP_TIMEOUT_S,
) -> str:
    """Run a command; on failure raise PeerFailed with the last lines of its output."""
    try:
        completed = subprocess.run(
            command,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PeerFailed(step, f"no answer within {timeout:.0f} s: {' '.join(command)}") from None
    except OSError as error:
        raise PeerFailed(step, f"{error}: {' '.join(command)}") from None
    if completed.returncode != 0:
        output = (completed.stderr or "") + (completed.stdout or "")
        lines = [line for line in output.splitlines() if "is ignored: it is neither" not in line]
        tail = "\n".join(lines[-25:])
        shown = " ".join(Path(part).name if os.sep in part else part for part in command[:4])
        raise PeerFailed(step, f"exit {completed.returncode} from {shown}\n{tail}")
    return completed.stdout


def requirement_name(requirement: str) -> str:
    return requirement.split("==")[0].split("[")[0].strip().lower().replace("_", "-")


def ensure_venv(peer: Peer, folder: Path, requirements: list[str], reinstall: bool) -> Path:
    """The peer's venv with `requirements` installed; reused while it has all of those pins
    (the PostgreSQL driver installed for one run stays for the next)."""
    venv = folder / "venv"
    python = venv / "bin" / "python"
    marker = venv / "peers-requirements.txt"
    freeze_file = folder / "freeze.txt"
    if reinstall and venv.exists():
        shutil.rmtree(venv)
    wanted = set(requirements)
    installed = set(marker.read_text().split()) if python.exists() and marker.exists() else set()
    if wanted <= installed and freeze_file.exists():
        return python
    if not python.exists():
        print(f"  creating {venv}", flush=True)
        run_step("venv", [sys.executable, "-m", "venv", "--clear", str(venv)])
    print(f"  pip install {' '.join(sorted(wanted))}", flush=True)
    started = time.perf_counter()
    run_step(
        "pip install",
        [
            str(python),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *sorted(wanted),
        ],
        timeout=INSTALL_TIMEOUT_S,
    )
    wanted_names = {requirement_name(requirement) for requirement in wanted}
    kept = {pin for pin in installed if requirement_name(pin) not in wanted_names}
    marker.write_text("\n".join(sorted(wanted | kept)) + "\n")
    print(f"  installed in {time.perf_counter() - started:.0f} s", flush=True)
    freeze = run_step("pip freeze", [str(python), "-m", "pip", "freeze", "--all"])
    freeze_file.write_text(freeze)
    return python


def pg_recreate(server_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_parts(server_url: str) -> dict[str, str]:
    from urllib.parse import urlsplit

    url = urlsplit(server_url)
    return {
        "USER": url.username or "postgres",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "127.0.0.1",
        "PORT": str(url.port or 5432),
    }


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def prepare_wagtail(
    peer: Peer, python: Path, folder: Path, database: dict[str, str]
) -> tuple[dict[str, str], Path]:
    """Write a fresh minimal Wagtail project and migrate its database."""
    project = folder / "project"
    shutil.rmtree(project, ignore_errors=True)
    files = {
        "manage.py": WAGTAIL_MANAGE,
        "benchsite/__init__.py": "",
        "benchsite/settings.py": WAGTAIL_SETTINGS.format(extra_apps=peer.extra_apps),
        "benchsite/urls.py": WAGTAIL_URLS.format(extra_urls="[" + ", ".join(peer.extra_urls) + "]"),
        "templates/base.html": BASE_TEMPLATE,
    }
    if "benchpages" in peer.extra_apps:
        files |= {
            "benchpages/__init__.py": "",
            "benchpages/models.py": PLAIN_PAGE_MODELS,
            "benchpages/migrations/__init__.py": "",
            "benchpages/templates/benchpages/plain_page.html": PLAIN_PAGE_TEMPLATE,
        }
    write_files(project, files)
    env = {**os.environ, "PEERS_BENCH_DATABASE": json.dumps(database)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [str(python), "manage.py"]
    if "benchpages" in peer.extra_apps:
        run_step("makemigrations", [*manage, "makemigrations", "benchpages"], env=env, cwd=project)
    run_step("migrate", [*manage, "migrate", "--noinput"], env=env, cwd=project)
    return env, project


def prepare_kolibri(
    python: Path, folder: Path, db: str, pg: dict[str, str] | None
) -> tuple[dict[str, str], Path]:
    """A fresh KOLIBRI_HOME in the cache folder, then `kolibri manage migrate`."""
    home = folder / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if db == "postgres" and pg is not None:
        (home / "options.ini").write_text(
            "[Database]\n"
            "DATABASE_ENGINE = postgres\n"
            f"DATABASE_NAME = {pg['NAME']}\n"
            f"DATABASE_USER = {pg['USER']}\n"
            f"DATABASE_PASSWORD = {pg['PASSWORD']}\n"
            f"DATABASE_HOST = {pg['HOST']}\n"
            f"DATABASE_PORT = {pg['PORT']}\n"
        )
    env = {**os.environ, "KOLIBRI_HOME": str(home)}
    for name in ("DJANGO_SETTINGS_MODULE", "KOLIBRI_DEBUG"):
        env.pop(name, None)
    kolibri = python.parent / "kolibri"
    run_step("kolibri manage migrate", [str(kolibri), "manage", "migrate"], env=env, cwd=home)
    return env, home


def run_child(
    step: str,
    python: Path,
    folder: Path,
    body: str,
    config: dict[str, Any],
    env: dict[str, str],
    cwd: Path,
) -> dict[str, Any]:
    """Write CHILD_PRELUDE + body to a script in the cache folder, run it with the peer's
    Python, and parse the JSON line it prints after RESULT_MARKER."""
    name = step.replace(" ", "_")
    script = folder / f"{name}.py"
    script.write_text(CHILD_PRELUDE + "\n" + body, encoding="utf-8")
    config_path = folder / f"{name}.config.json"
    config = {**config, "marker": RESULT_MARKER}
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    stdout = run_step(step, [str(python), str(script), str(config_path)], env=env, cwd=cwd)
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if not lines:
        raise PeerFailed(step, f"{script.name} printed no {RESULT_MARKER.strip()} line")
    try:
        return json.loads(lines[-1][len(RESULT_MARKER) :])
    except ValueError as error:
        raise PeerFailed(step, f"unreadable result from {script.name}: {error}") from None


def measure_peer(peer: Peer, args: argparse.Namespace) -> Outcome:
    outcome = Outcome(peer, load_before=load_average())
    started = time.perf_counter()
    folder = args.cache.resolve() / peer.key
    folder.mkdir(parents=True, exist_ok=True)
    pg_name = PG_DATABASE_PREFIX + peer.key.replace("-", "_")
    temp_dir = None
    try:
        requirements = peer.requirements + (
            peer.postgres_requirements if args.db == "postgres" else []
        )
        python = ensure_venv(peer, folder, requirements, args.reinstall)
        pg = None
        if args.db == "postgres":
            try:
                pg_recreate(args.pg_server, pg_name)
            except Exception as error:  # any driver or server error ends this peer only
                raise PeerFailed("create the PostgreSQL database", str(error)) from None
            pg = {**pg_parts(args.pg_server), "NAME": pg_name}
        print("  project, database, migrate ...", flush=True)
        if peer.kind == "kolibri":
            env, cwd = prepare_kolibri(python, folder, args.db, pg)
            project_dir = ""
        else:
            if pg is not None:
                database = {"ENGINE": "django.db.backends.postgresql", **pg}
            else:
                temp_dir = Path(tempfile.mkdtemp(prefix=f"lms-peers-{peer.key}-"))
                sqlite_file = str(temp_dir / "db.sqlite3")
                database = {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_file}
            env, cwd = prepare_wagtail(peer, python, folder, database)
            project_dir = str(cwd)
        config = {
            "kind": peer.kind,
            "project_dir": project_dir,
            "learner": LEARNER,
            "password": LEARNER_PASSWORD,
            "course_title": COURSE_TITLE,
            "intro": COURSE_INTRO,
            "lesson_body": LESSON_BODY,
        }
        print("  seeding ...", flush=True)
        seeded = run_child("seed", python, folder, peer.seed_body, config, env, cwd)
        outcome.seeded = seeded["seeded"]
        print(f"  measuring {args.rounds} rounds after {args.warmup} warm-up ...", flush=True)
        config |= {
            "scenarios": seeded["scenarios"],
            "rounds": args.rounds,
            "warmup": args.warmup,
            "query_samples": QUERY_COUNT_SAMPLES,
            "report_packages": peer.report_packages,
        }
        measured = run_child("measure", python, folder, MEASURE_BODY, config, env, cwd)
        outcome.results = measured["results"]
        outcome.environment = measured["environment"]
    except PeerFailed as error:
        outcome.error = error
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
        if args.db == "postgres":
            try:
                pg_recreate(args.pg_server, pg_name, drop_only=True)
            except Exception as error:  # leave it; the next run drops it first anyway
                print(f"  could not drop database {pg_name}: {error}")
    outcome.seconds = time.perf_counter() - started
    outcome.load_after = load_average()
    return outcome


# --- reporting ---------------------------------------------------------------------------------


def print_header(args: argparse.Namespace) -> None:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    rows = [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{os.cpu_count()} CPUs ({usable} usable), {cpu_model()}"),
        ("os", platform.platform()),
        ("python", f"{platform.python_version()} (every peer venv is made from it)"),
        ("database", args.db),
        ("cache", str(args.cache.resolve())),
        ("rounds", f"{args.rounds} measured after {args.warmup} warm-up, scenarios interleaved"),
        ("load", f"{load_average()} (1, 5, 15 min) before the run"),
    ]
    for key, value in rows:
        print(f"{key:<9}: {value}")
    print(flush=True)


def describe_environment(outcome: Outcome) -> str:
    env = outcome.environment
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items())
    return (
        f"{packages}, Django {env['django']}, Python {env['python']}, {env['database']}, "
        f"DEBUG={env['debug']}, sessions={env['session_engine']}"
    )


def query_label(counts: list[int]) -> str:
    if not counts:
        return "-"
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def print_table(outcomes: list[Outcome]) -> None:
    rows = []
    for outcome in outcomes:
        if outcome.error is not None:
            rows.append((outcome.peer.title, f"NOT MEASURED ({outcome.error.step} failed)", None))
            continue
        for result in outcome.results:
            rows.append((outcome.peer.title, result["name"], result))
    peer_width = max(len("peer"), *(len(row[0]) for row in rows))
    name_width = max(len("scenario"), *(len(row[1]) for row in rows))
    labels = ("p50 ms", "p95 ms", "mean ms", "min ms", "CPU p50")
    header = (
        f"{'peer':<{peer_width}}  {'scenario':<{name_width}}"
        + "".join(f"  {label:>8}" for label in labels)
        + "  queries       KB"
    )
    print(header)
    print("-" * len(header))
    for peer_title, name, result in rows:
        line = f"{peer_title:<{peer_width}}  {name:<{name_width}}"
        if result is not None:
            samples = result["samples_ms"]
            line += (
                f"  {statistics.median(samples):>8.1f}  {percentile(samples, 0.95):>8.1f}"
                f"  {statistics.fmean(samples):>8.1f}  {min(samples):>8.1f}"
                f"  {statistics.median(result['cpu_ms']):>8.1f}"
                f"  {query_label(result['queries']):>7}  {result['bytes'] / 1024:>7.1f}"
            )
        print(line)
    print(
        "p95: nearest rank. CPU p50: CPU time of the peer's process over the request, in ms. "
        "queries: SQL statements per request (all databases). KB: response body."
    )
    print()


def shorten(sql: str, width: int = 150) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 3] + "..."


def print_details(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    for outcome in outcomes:
        peer = outcome.peer
        print(f"{peer.title}: {peer.why}")
        if outcome.error is None:
            print(f"  versions: {describe_environment(outcome)}")
            print(f"  seeded:   {outcome.seeded}")
            print(f"  all installed packages: {args.cache.resolve() / peer.key / 'freeze.txt'}")
            for result in outcome.results:
                who = result["user"] or "anonymous"
                print(f"  {result['name']}: GET {result['path']} ({who})")
                if args.show_queries:
                    for sql in result["sql"]:
                        print(f"      {shorten(sql)}")
        else:
            print(f"  NOT MEASURED: {outcome.error.step} failed. Error:")
            print(textwrap.indent(outcome.error.detail.strip(), "    | "))
        print(
            f"  took {outcome.seconds:.0f} s; load average {outcome.load_before} before, "
            f"{outcome.load_after} after"
        )
        print()


def read_freeze(folder: Path) -> list[str]:
    try:
        return (folder / "freeze.txt").read_text().split()
    except OSError:
        return []


def write_json(path: Path, args: argparse.Namespace, outcomes: list[Outcome]) -> None:
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "peers": [
            {
                "peer": outcome.peer.key,
                "requirements": outcome.peer.requirements,
                "freeze": read_freeze(args.cache.resolve() / outcome.peer.key),
                "environment": outcome.environment,
                "results": outcome.results,
                "error": str(outcome.error) if outcome.error else None,
            }
            for outcome in outcomes
        ],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    print_header(args)
    outcomes = []
    for key in args.peer_keys:
        peer = PEERS[key]
        print(f"== {peer.title} ({', '.join(peer.requirements)})", flush=True)
        outcome = measure_peer(peer, args)
        if outcome.error is not None:
            print(f"  FAILED at {outcome.error.step}; see below", flush=True)
        outcomes.append(outcome)
    print()
    print_table(outcomes)
    print_details(outcomes, args)
    if args.json:
        write_json(args.json, args, outcomes)
        print(f"samples written to {args.json}")
    print(f"load average after the run: {load_average()}")
    return 1 if any(outcome.error is not None for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
