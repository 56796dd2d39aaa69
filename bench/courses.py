"""Measure the course pages and the lesson heartbeat in a large, freshly seeded world.

Usage (from the project root)::

    .venv/bin/python bench/courses.py [--db sqlite|postgres] [--rounds N]
                                      [--cadres N] [--courses N] [--ledger N]

The run creates its own database like ``bench/run.py`` (a temporary SQLite file, or a
PostgreSQL database that is dropped and re-created), migrates, runs ``seed_demo`` and then
grows the demo into a large world with bulk inserts: by default 10,000 cadres over the demo's
communities and branches, 200 published courses with 2,000 lessons, enrollments and lesson
progress for most cadres, and 300,000 entries in the credit-hour ledger. One demo cadre is a
heavy user: enrolled in 30 courses, with 400 ledger entries. Logged in as that cadre, it times
through Django's test ``Client`` with ``time.perf_counter``:

* the catalogue (first page, a later page of one category, a Chinese search for 社区治理);
* a course page and a lesson page of a course the cadre is studying;
* the home page, which carries 我的学习 (hours against the year's requirement, courses);
* the lesson heartbeat (``POST /learn/lessons/<pk>/heartbeat/``), each one accepted and
  credited 15 seconds of study, as the lesson page's script sends it every 15 seconds;
* and, as a floor, the home page for an anonymous visitor: a Wagtail page with no custom
  context (the project has no plainer published page).

Scenarios run interleaved, round by round; SQL queries are counted in separate, untimed
requests. Each scenario states whether its p95 meets the target (pages ≤ 50 ms, heartbeat
≤ 15 ms). Nothing outside the throwaway database and a temporary media folder is written.
"""

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import common

DEFAULT_CADRES = 10_000
DEFAULT_COURSES = 200
LESSONS_PER_COURSE = 10
LEDGER_PER_CADRE = 30  # 300,000 entries for 10,000 cadres

HEAVY_USERNAME = "jd01-sq01_ganbu1"  # the measured cadre: a demo committee member
HEAVY_COURSES = 30
HEAVY_LEDGER = 400

PAGE_P95_TARGET_MS = 50.0
HEARTBEAT_P95_TARGET_MS = 15.0
SEARCH_QUERY = "社区治理"

# The heartbeat: lesson.js reports every 15 s; the bench lesson's video lasts 30 minutes.
BEAT_SECONDS = 15
VIDEO_SECONDS = 1800
RESUME_AT = 600  # where the heavy cadre is in that video; beats go on from here
BEATS_PER_CYCLE = 60  # then start again at RESUME_AT, far from the 95 % that completes it

PROFILE_ROUNDS = 5
# What --profile lists: the project's own code, template rendering, and waiting for the database.
PROFILED_FUNCTIONS = (
    r"/(courses|lms)/\w+\.py|response\.py:\d+\(render\)|connection\.py:\d+\(wait\)"
    r"|sqlite3/base\.py:\d+\(execute\)"
)
RANDOM_SEED = 2026
BATCH_SIZE = 2000
CADRES_PER_CHUNK = 1000
YEARS_OF_LEDGER = 5
ELECTIVE_COUNTS = (0, 1, 2, 2, 3, 3, 4, 5, 6, 8)
SHARE_NEVER_STARTED = 0.15  # cadres who never opened the platform this year
SHARE_COMPLETED, SHARE_IN_PROGRESS = 0.35, 0.45  # of enrollments; the rest not started
REVERSAL_EVERY = 40  # about one ledger entry in 40 is a correction (a reversed grant)

COMPLETED, IN_PROGRESS, NOT_STARTED = "completed", "in_progress", "not_started"
CURRENT = "current"  # in progress: the heavy cadre's course, at RESUME_AT in its first lesson

# --- text for the generated courses and lessons ------------------------------------------------

TOPICS = {
    "社区治理": [
        "社区治理要坚持党建引领，把党的组织优势转化为社区治理效能。",
        "推进社区治理，需要居委会、业委会、物业服务企业和驻区单位协同发力。",
        "社区治理的重心在小区和楼栋，网格员要把居民的诉求及时收集上来。",
    ],
    "居民协商议事": [
        "协商议事会议要提前公布议题，让居民有时间了解情况、准备意见。",
        "议事规则应当简明易行，做到人人能发言、事事有回应、结果有公示。",
        "对协商形成的共识，要明确责任人和完成时限，并向居民反馈办理情况。",
    ],
    "网格化管理": [
        "网格员每日巡查，发现问题分类上报，形成发现、派单、处置、反馈的闭环。",
        "网格划分要考虑楼栋分布、人口数量和服务半径，做到边界清楚、责任明确。",
        "网格信息要定期更新，重点人群和特殊困难家庭要做到底数清、情况明。",
    ],
    "矛盾纠纷化解": [
        "矛盾纠纷排查要做到早发现、早介入，把问题化解在萌芽状态。",
        "调解邻里纠纷时，要耐心听取双方意见，依法依规提出解决办法。",
        "对涉及多个部门的复杂纠纷，要及时上报街道，协调相关部门共同处理。",
    ],
    "应急管理": [
        "社区应急预案要明确组织体系、报告程序、疏散路线和物资储备。",
        "定期开展应急演练，让居民熟悉避难场所位置和自救互救方法。",
        "突发事件发生后，社区要第一时间核实情况、上报信息、组织先期处置。",
    ],
    "养老服务": [
        "社区居家养老服务要摸清老年人需求，提供助餐、助洁、助医等服务。",
        "对独居、失能老人要建立定期探访制度，落实包联责任人。",
        "发挥志愿者和低龄老人的作用，发展互助养老，让老人老有所乐。",
    ],
    "法律法规": [
        "社区工作者要熟悉居民委员会组织法、民法典中与社区生活相关的规定。",
        "依法开展工作，既要保护居民合法权益，也要引导居民依法表达诉求。",
        "在处理物业纠纷时，要准确把握业主大会和业主委员会的法定职责。",
    ],
    "党员教育管理": [
        "严格落实“三会一课”制度，增强党内组织生活的政治性和时代性。",
        "在职党员到社区报到，要认领服务岗位，参与社区志愿服务。",
        "加强流动党员管理，利用信息化手段保持联系，做到离乡不离党。",
    ],
    "志愿服务": [
        "建立志愿服务积分制度，激发居民参与社区公益活动的积极性。",
        "志愿服务项目要贴近居民需求，做到小切口、常态化、可持续。",
        "加强志愿者培训和保障，为志愿者购买保险，做好服务记录。",
    ],
    "物业管理": [
        "推动物业服务融入社区治理，建立社区、业委会、物业三方联席会议制度。",
        "对老旧小区物业管理问题，可以探索准物业管理和居民自治相结合的方式。",
        "物业服务质量要接受居民评议，评议结果作为续聘和考核的依据。",
    ],
    "社会工作方法": [
        "个案工作要遵循接案、预估、计划、介入、评估、结案的基本流程。",
        "小组工作适合开展兴趣培养、能力提升和互助支持类活动。",
        "社区工作方法强调居民参与和能力建设，促进社区关系的改善。",
    ],
    "群众工作": [
        "走访群众要带着感情、带着问题，做到家底清、情况明、诉求知。",
        "做群众工作要讲群众听得懂的话，把政策讲清楚、把道理讲透彻。",
        "对群众反映的问题，能解决的马上解决，一时解决不了的要说明情况。",
    ],
}
GENERAL_SENTENCES = [
    "学习过程中，要结合本社区实际，思考可以借鉴的做法和需要改进的地方。",
    "本讲最后提供了思考题，请学员结合工作实际作答，并在小组内交流。",
    "基层工作千头万绪，关键是要抓住主要矛盾，集中力量办好居民最关心的事。",
    "各地在实践中积累了许多好经验，值得认真总结、推广运用。",
    "工作中要注意保护居民个人信息，不得随意公开或者转发。",
    "要建立健全工作台账，做到有计划、有记录、有总结、有反馈。",
    "通过典型案例分析，可以帮助学员把原则要求转化为具体的工作步骤。",
    "社区干部要不断提高政治素质和业务能力，做居民信得过的贴心人。",
]
TITLE_PREFIXES = ["", "新时代", "基层", "城市", "实务：", "专题：", "案例研讨："]
TITLE_SUFFIXES = ["基础", "实务", "能力提升", "案例分析", "方法与技巧", "工作规范", "专题讲座"]
LESSON_SUFFIXES = ["概述", "政策要点", "工作流程", "常见问题", "典型案例", "方法技巧", "实践练习"]
LESSON_MINUTES = (10, 15, 20, 20, 30, 30, 45)
OFFLINE_FORMS = ("lecture", "offline_class", "seminar", "site_visit", "field_drill")
LEDGER_KINDS = {  # kind: (weight, source prefix, hours, description)
    "online_course": (45, "legacy-course", ("0.25", "0.5", "1.00"), "线上课程（往年记录）"),
    "test_pass": (15, "legacy-test", ("0.5",), "课程测试通过（往年记录）"),
    "offline_class": (15, "class", ("2.00", "4.00"), "线下课堂"),
    "practice": (10, "practice", ("1.00", "2.00"), "实践锻炼"),
    "external": (15, "external", ("2.00", "4.00", "8.00"), "外部培训"),
}


def lesson_html(rng: random.Random, topic: str, title: str) -> str:
    """A lesson of about 1,000–1,500 characters: three sections of topic and general sentences."""
    sections = []
    for heading in ("学习目标", "主要内容", "工作要点"):
        paragraphs = []
        for _ in range(3):
            sentences = rng.choices(TOPICS[topic], k=3) + rng.choices(GENERAL_SENTENCES, k=2)
            rng.shuffle(sentences)
            paragraphs.append(f"<p>{''.join(sentences)}</p>")
        sections.append(f"<h3>{title}：{heading}</h3>{''.join(paragraphs)}")
    return "".join(sections)


# --- seeding the large world -------------------------------------------------------------------


@dataclass
class Plan:
    """What one cadre has done: enrollments (course, status, dates) and ledger entries to make."""

    user_id: int
    enrollments: list[tuple[int, str, datetime, datetime | None]] = field(default_factory=list)
    extra_entries: int = 0  # ledger entries besides the grants of completed courses


@dataclass
class World:
    """What the scenarios need from the seeded world."""

    heavy_username: str
    catalogue_path: str
    category_id: int
    course_path: str
    lesson_pk: int
    lesson_path: str
    progress_pk: int
    timings: dict[str, float]


@contextmanager
def timestamps_as_given(*fields) -> Iterator[None]:
    """Lets bulk_create store the given dates in `auto_now_add` fields (seeding the past)."""
    with ExitStack() as stack:
        for model_field in fields:
            stack.enter_context(_attribute(model_field, "auto_now_add", False))
        yield


@contextmanager
def _attribute(target, name: str, value) -> Iterator[None]:
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


def add_cadres(count: int, rng: random.Random) -> None:
    """`count` cadres over the demo's communities and branches: user, home membership, profile.

    Every one gets the same, once computed password hash (the demo password).
    """
    from django.contrib.auth.hashers import make_password

    from lms.management.commands.seed_demo import CADRE_KINDS, GIVEN, SURNAMES
    from lms.models import CadreProfile, Membership, Organization, User

    homes = list(Organization.objects.filter(level__in=["community", "branch"]).order_by("path"))
    password = make_password(common.DEMO_PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench{number:05d}",
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                mobile=f"135{number:08d}",
                password=password,
            )
            for number in range(count)
        ],
        batch_size=BATCH_SIZE,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, organization=homes[index % len(homes)], role="cadre")
            for index, user in enumerate(users)
        ],
        batch_size=BATCH_SIZE,
    )
    profiles = []
    for user in users:
        position, member_type, party, born, education, qualification, service = rng.choice(
            CADRE_KINDS
        )
        profiles.append(
            CadreProfile(
                user=user,
                gender=rng.choice(["male", "female"]),
                birth_year=rng.randint(*born),
                position=position,
                party_status=party,
                member_type=member_type,
                years_of_service=rng.randint(*service),
                education=education,
                qualification=qualification,
            )
        )
    CadreProfile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)


def add_pages(parent, pages: list) -> None:
    """Publishes `pages` (unsaved, of one specific type) as the last children of `parent`.

    Wagtail's `add_child` + `save_revision().publish()` costs dozens of queries a page. Here
    the tree columns (path, depth, numchild, url_path) are computed as treebeard and Wagtail
    would, the wagtailcore_page rows are bulk-inserted, and each specific row is inserted on
    its own the way `loaddata` does (`save_base(raw=True)`, which also tells Wagtail's search
    and reference-index handlers to skip it). The pages are live, without revisions.
    """
    from django.db.models import F
    from wagtail.models import Page

    last = parent.get_last_child()
    first_step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
    for offset, page in enumerate(pages):
        page.path = Page._get_path(parent.path, parent.depth + 1, first_step + offset)
        page.depth = parent.depth + 1
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.draft_title = page.title
        page.locale_id = parent.locale_id
        page.live = True
        page.has_unpublished_changes = False
    base_fields = [f.attname for f in Page._meta.concrete_fields if not f.primary_key]
    bases = Page.objects.bulk_create(
        [Page(**{name: getattr(page, name) for name in base_fields}) for page in pages],
        batch_size=BATCH_SIZE,
    )
    for page, base in zip(pages, bases, strict=True):
        page.id = page.page_ptr_id = base.id
        page.save_base(raw=True, force_insert=True)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(pages))
    parent.refresh_from_db(fields=["numchild"])


def check_page_tree() -> None:
    """Raises BenchError unless treebeard finds the tree sound (paths, depth, numchild) and
    every page's url_path is its parent's plus its slug, as Wagtail would have set it."""
    from wagtail.models import Page

    problems = Page.find_problems()
    if any(problems):
        raise common.BenchError(f"the page tree is inconsistent: {problems}")
    url_paths = dict(Page.objects.values_list("path", "url_path"))
    for path, slug, url_path in Page.objects.filter(depth__gt=1).values_list(
        "path", "slug", "url_path"
    ):
        if url_path != f"{url_paths[path[: -Page.steplen]]}{slug}/":
            raise common.BenchError(f"page {path} has the url_path {url_path}")


def add_courses(count: int, lessons_total: int, rng: random.Random) -> None:
    """`count` published courses under the catalogue with `lessons_total` lessons among them.

    Online courses open with a 30-minute video lesson; the others are text lessons of 10 to
    45 minutes, the last one optional in every third course.
    """
    from django.utils import timezone
    from wagtail.rich_text import RichText, get_text_for_indexing
    from wagtailmedia.models import Media

    from courses.models import Category, CourseIndexPage, CoursePage, LecturerProfile, LessonPage

    if count <= 0:
        return
    catalogue = CourseIndexPage.objects.get()
    categories = list(Category.objects.values_list("pk", flat=True))
    lecturers = list(LecturerProfile.objects.values_list("pk", flat=True))
    # A media row only: no file is needed, as none of the measured requests reads it.
    video = Media.objects.create(
        title="课程讲座视频", file="media/bench-lecture.mp4", type="video", duration=VIDEO_SECONDS
    )
    now = timezone.now()
    topics = list(TOPICS)
    courses, lesson_counts, course_topics = [], [], []
    for number in range(count):
        topic = topics[number % len(topics)]
        title = f"{rng.choice(TITLE_PREFIXES)}{topic}{rng.choice(TITLE_SUFFIXES)}"
        offline = number % 7 == 6
        published = now - timedelta(days=rng.randint(1, 1000), minutes=number)
        courses.append(
            CoursePage(
                title=title,
                slug=f"bench-{number + 1:03d}",
                summary="".join(rng.sample(TOPICS[topic], 2)) + rng.choice(GENERAL_SENTENCES),
                category_id=rng.choice(categories),
                delivery_form=rng.choice(OFFLINE_FORMS) if offline else "online",
                credit_hours=Decimal(rng.choice(["2", "4"])) if offline else None,
                first_published_at=published,
                last_published_at=published,
            )
        )
        lesson_counts.append(lessons_total // count + (number < lessons_total % count))
        course_topics.append(topic)
    add_pages(catalogue, courses)
    CoursePage.lecturers.through.objects.bulk_create(
        [
            CoursePage.lecturers.through(coursepage_id=course.pk, lecturerprofile_id=lecturer)
            for course in courses
            for lecturer in rng.sample(lecturers, rng.choice([1, 1, 2]))
        ]
    )
    for course, lessons, topic in zip(courses, lesson_counts, course_topics, strict=True):
        pages = []
        for number in range(1, lessons + 1):
            title = f"{topic}{rng.choice(LESSON_SUFFIXES)}（第{number}讲）"
            html = lesson_html(rng, topic, title)
            with_video = number == 1 and course.delivery_form == "online"
            pages.append(
                LessonPage(
                    title=title,
                    slug=f"lesson-{number}",
                    duration_minutes=VIDEO_SECONDS // 60
                    if with_video
                    else rng.choice(LESSON_MINUTES),
                    required=not (number == lessons > 1 and course.pk % 3 == 0),
                    body=[("video", video), ("text", RichText(html))]
                    if with_video
                    else [("text", RichText(html))],
                    plain_text=get_text_for_indexing(html),
                    first_published_at=course.first_published_at,
                    last_published_at=course.first_published_at,
                )
            )
        add_pages(course, pages)


@dataclass
class Catalogue:
    """The live courses as the learning seed needs them, read back once."""

    lessons: dict[int, list[tuple[int, bool, int, bool]]]  # course: (pk, required, s, video)
    online: list[int]
    bench_online: list[int]  # the generated online courses, which open with a video lesson
    hours: dict[int, Decimal]
    kinds: dict[int, str]
    titles: dict[int, str]
    requirements: list


def read_catalogue() -> Catalogue:
    from django.utils import timezone

    from courses import selectors
    from courses.models import CoursePage, LessonPage, TrainingRequirement

    courses = list(CoursePage.objects.live().order_by("path"))
    by_path = {course.path: course.pk for course in courses}
    lessons = defaultdict(list)
    for lesson in LessonPage.objects.live().order_by("path"):
        lessons[by_path[lesson.path[: -lesson.steplen]]].append(
            (
                lesson.pk,
                lesson.required,
                int(selectors.lesson_duration_seconds(lesson)),
                bool(lesson.video),
            )
        )
    online = [c.pk for c in courses if c.delivery_form == "online" and lessons[c.pk]]
    return Catalogue(
        lessons=lessons,
        online=online,
        bench_online=[c.pk for c in courses if c.pk in online and c.slug.startswith("bench-")],
        hours={course.pk: selectors.course_hours(course) for course in courses},
        kinds={
            c.pk: "online_course" if c.delivery_form == "online" else "offline_class"
            for c in courses
        },
        titles={course.pk: course.title for course in courses},
        requirements=list(
            TrainingRequirement.objects.filter(year=timezone.localdate().year)
            .select_related("organization")
            .prefetch_related("required_courses")
        ),
    )


def required_courses(catalogue: Catalogue, profile, home) -> list[int]:
    """The cadre's required courses this year, by the requirements' own rule (`applies_to`)."""
    found = set()
    for requirement in catalogue.requirements:
        if requirement.applies_to(profile, home):
            found |= {course.pk for course in requirement.required_courses.all()}
    return sorted(found)


def dated_status(rng: random.Random, status: str, now: datetime):
    enrolled = now - timedelta(days=rng.randint(20, 300), minutes=rng.randint(0, 1440))
    completed = enrolled + timedelta(days=rng.randint(1, 19)) if status == COMPLETED else None
    return enrolled, completed


def plan_learning(catalogue: Catalogue, heavy_id: int, rng: random.Random) -> list[Plan]:
    """Who is enrolled in what, and how far they are: decided up front, created in chunks.

    Enrollments seed_demo already made (a demo class's completions) are kept and not repeated.
    """
    from django.utils import timezone

    from courses.models import Enrollment
    from lms.models import Membership

    now = timezone.now()
    plans = []
    enrolled = defaultdict(set)
    for cadre, course in Enrollment.objects.values_list("cadre_id", "course_id"):
        enrolled[cadre].add(course)
    homes = Membership.objects.filter(role="cadre").select_related(
        "organization", "user__cadre_profile"
    )
    for membership in homes.order_by("user_id"):
        user_id = membership.user_id
        profile = getattr(membership.user, "cadre_profile", None)
        required = required_courses(catalogue, profile, membership.organization)
        required = [course for course in required if course not in enrolled[user_id]]
        plan = Plan(user_id)
        plans.append(plan)
        if user_id == heavy_id:
            room = HEAVY_COURSES - len(enrolled[user_id])
            plan.enrollments = heavy_enrollments(catalogue, required, room, rng, now)
            continue
        if rng.random() < SHARE_NEVER_STARTED:
            continue
        taken = {*required, *enrolled[user_id]}
        electives = [pk for pk in catalogue.online if pk not in taken]
        chosen = required + rng.sample(electives, min(len(electives), rng.choice(ELECTIVE_COUNTS)))
        for course in chosen:
            draw = rng.random()
            status = (
                COMPLETED
                if draw < SHARE_COMPLETED
                else IN_PROGRESS
                if draw < SHARE_COMPLETED + SHARE_IN_PROGRESS
                else NOT_STARTED
            )
            plan.enrollments.append((course, status, *dated_status(rng, status, now)))
    return plans


def heavy_enrollments(
    catalogue: Catalogue, required: list[int], room: int, rng: random.Random, now
) -> list:
    """The required courses and generated online ones, `room` in all, a third done; the
    first generated course is the one the cadre studies now (CURRENT)."""
    electives = [pk for pk in catalogue.bench_online if pk not in required]
    if not electives:
        raise common.BenchError(
            "no generated online course: ask for more --courses than the demo has"
        )
    chosen = rng.sample(electives, min(len(electives), room - len(required)))
    pattern = [COMPLETED, IN_PROGRESS, COMPLETED, IN_PROGRESS, IN_PROGRESS, NOT_STARTED]
    courses = chosen + required
    statuses = [CURRENT] + [pattern[i % len(pattern)] for i in range(len(courses) - 1)]
    return [
        (course, status, *dated_status(rng, status, now))
        for course, status in zip(courses, statuses, strict=True)
    ]


def share_ledger(plans: list[Plan], total: int, heavy_id: int, rng: random.Random) -> None:
    """Spread `total` new ledger rows over the cadres: the heavy one ends with HEAVY_LEDGER
    (counting what it has), the others get a random share each; grants of completed courses
    are part of everyone's count."""
    from courses.models import CreditEntry

    grants = {plan.user_id: sum(e[1] == COMPLETED for e in plan.enrollments) for plan in plans}
    others = [plan for plan in plans if plan.user_id != heavy_id]
    heavy = next(plan for plan in plans if plan.user_id == heavy_id)
    has = CreditEntry.objects.filter(cadre_id=heavy_id).count()
    heavy.extra_entries = max(0, HEAVY_LEDGER - has - grants[heavy_id])
    left = total - sum(grants.values()) - heavy.extra_entries
    weights = [rng.uniform(0.3, 1.7) for _ in others]
    scale = max(0, left) / sum(weights) if others else 0
    for plan, weight in zip(others, weights, strict=True):
        plan.extra_entries = int(weight * scale)
    for plan in others[: max(0, left - sum(plan.extra_entries for plan in others))]:
        plan.extra_entries += 1


def progress_rows(catalogue: Catalogue, enrollment, status: str, rng: random.Random) -> list:
    """LessonProgress of one enrollment: every lesson done, or some done and the next begun."""
    from courses.models import LessonProgress

    lessons = catalogue.lessons[enrollment.course_id]
    if status == NOT_STARTED:
        return []
    if status == COMPLETED:
        done = len(lessons)
    elif status == CURRENT:
        done = 0
    else:
        done = rng.randrange(len(lessons))
    rows = []
    beat = enrollment.enrolled_at
    for index, (lesson, _required, seconds, video) in enumerate(lessons[: done + 1]):
        beat += timedelta(hours=rng.randint(1, 30))
        finished = index < done
        watched = seconds if finished else rng.randint(30, max(31, seconds // 2))
        if status == CURRENT:
            watched = RESUME_AT
        rows.append(
            LessonProgress(
                cadre_id=enrollment.cadre_id,
                lesson_id=lesson,
                enrollment=enrollment,
                seconds_credited=watched,
                furthest_position=watched if video else 0,
                last_position=watched if video else 0,
                last_beat_at=enrollment.completed_at if status == COMPLETED else beat,
                completed_at=(enrollment.completed_at or beat) if finished else None,
            )
        )
    return rows


def ledger_rows(catalogue: Catalogue, plan: Plan, enrollments: list, rng: random.Random):
    """The cadre's grants for completed courses, and older entries of every kind."""
    from django.utils import timezone

    from courses.models import CreditEntry

    this_year = timezone.localdate().year
    rows = [
        CreditEntry(
            cadre_id=plan.user_id,
            year=timezone.localtime(e.completed_at).year,
            hours=catalogue.hours[e.course_id],
            kind=catalogue.kinds[e.course_id],
            source=f"course:{e.course_id}",
            description=catalogue.titles[e.course_id][:200],
            created_at=e.completed_at,
        )
        for e in enrollments
        if e.completed_at
    ]
    kinds = list(LEDGER_KINDS)
    weights = [LEDGER_KINDS[kind][0] for kind in kinds]
    originals = plan.extra_entries - plan.extra_entries // REVERSAL_EVERY
    for number in range(originals):
        kind = rng.choices(kinds, weights)[0]
        _weight, prefix, hours, description = LEDGER_KINDS[kind]
        year = this_year - rng.randrange(YEARS_OF_LEDGER)
        new_year = timezone.make_aware(datetime(year, 1, 1))
        days = 360 if year < this_year else max(1, (timezone.now() - new_year).days)
        rows.append(
            CreditEntry(
                cadre_id=plan.user_id,
                year=year,
                hours=Decimal(rng.choice(hours)),
                kind=kind,
                source=f"{prefix}:{year}-{number}",
                description=description,
                created_at=new_year + timedelta(days=rng.randrange(days), hours=number % 24),
            )
        )
    return rows


def reversal_rows(originals: list, count: int, rng: random.Random) -> list:
    from courses.models import CreditEntry

    return [
        CreditEntry(
            cadre_id=entry.cadre_id,
            year=entry.year,
            hours=-entry.hours,
            kind=entry.kind,
            source=entry.source,
            description="更正：重复录入，冲销",
            reversal_of_id=entry.pk,
            created_at=entry.created_at + timedelta(days=3),
        )
        for entry in rng.sample(originals, min(count, len(originals)))
    ]


def add_learning(plans: list[Plan], catalogue: Catalogue, rng: random.Random) -> None:
    """Enrollments, lesson progress and the ledger, bulk-inserted a thousand cadres at a time."""
    from courses.models import CreditEntry, Enrollment, LessonProgress

    given = timestamps_as_given(
        Enrollment._meta.get_field("enrolled_at"), CreditEntry._meta.get_field("created_at")
    )
    with given:
        for start in range(0, len(plans), CADRES_PER_CHUNK):
            chunk = plans[start : start + CADRES_PER_CHUNK]
            planned = [(plan, *e) for plan in chunk for e in plan.enrollments]
            enrollments = Enrollment.objects.bulk_create(
                [
                    Enrollment(
                        cadre_id=plan.user_id,
                        course_id=course,
                        enrolled_at=enrolled,
                        completed_at=completed,
                    )
                    for plan, course, _status, enrolled, completed in planned
                ],
                batch_size=BATCH_SIZE,
            )
            LessonProgress.objects.bulk_create(
                [
                    row
                    for enrollment, (_plan, _c, status, _e, _d) in zip(
                        enrollments, planned, strict=True
                    )
                    for row in progress_rows(catalogue, enrollment, status, rng)
                ],
                batch_size=BATCH_SIZE,
            )
            by_cadre = defaultdict(list)
            for enrollment in enrollments:
                by_cadre[enrollment.cadre_id].append(enrollment)
            entries = {
                plan.user_id: ledger_rows(catalogue, plan, by_cadre[plan.user_id], rng)
                for plan in chunk
            }
            CreditEntry.objects.bulk_create(
                list(itertools.chain.from_iterable(entries.values())), batch_size=BATCH_SIZE
            )
            CreditEntry.objects.bulk_create(
                [
                    reversal
                    for plan in chunk
                    for reversal in reversal_rows(
                        [e for e in entries[plan.user_id] if not e.source.startswith("course:")],
                        plan.extra_entries // REVERSAL_EVERY,
                        rng,
                    )
                ],
                batch_size=BATCH_SIZE,
            )


def seed_world(args: argparse.Namespace) -> World:
    """Grows the demo into the large world; returns where the scenarios look and the timings."""
    from django.db import connection, transaction

    from courses.models import CoursePage, CreditEntry, LessonPage
    from courses.services import credit_totals_rebuild
    from lms.models import Membership, User

    rng = random.Random(RANDOM_SEED)
    timings: dict[str, float] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    with transaction.atomic():
        with step("cadres"):
            add_cadres(max(0, args.cadres - Membership.objects.filter(role="cadre").count()), rng)
        with step("courses and lessons"):
            new_courses = max(0, args.courses - CoursePage.objects.live().count())
            lessons = args.courses * LESSONS_PER_COURSE - LessonPage.objects.live().count()
            add_courses(new_courses, max(new_courses, lessons), rng)
            check_page_tree()
        with step("enrollments, progress, ledger"):
            catalogue = read_catalogue()
            heavy = User.objects.get(username=HEAVY_USERNAME)
            plans = plan_learning(catalogue, heavy.pk, rng)
            share_ledger(plans, args.ledger - CreditEntry.objects.count(), heavy.pk, rng)
            add_learning(plans, catalogue, rng)
        with step("credit totals"):  # bulk_create bypassed credit_grant's running totals
            credit_totals_rebuild()
    if connection.vendor == "postgresql":
        with step("VACUUM ANALYZE"):
            common.vacuum_analyze()
    heavy_plan = next(plan for plan in plans if plan.user_id == heavy.pk)
    current = next(course for course, status, *_ in heavy_plan.enrollments if status == CURRENT)
    return locate_world(heavy, current, timings)


def locate_world(heavy, course_pk: int, timings: dict[str, float]) -> World:
    from django.db.models import Count, Q

    from courses.models import Category, CourseIndexPage, CoursePage, LessonPage, LessonProgress

    course = CoursePage.objects.get(pk=course_pk)
    lesson = LessonPage.objects.child_of(course).order_by("path").first()
    progress = LessonProgress.objects.get(cadre=heavy, lesson=lesson, completed_at__isnull=True)
    category = (
        Category.objects.annotate(n=Count("courses", filter=Q(courses__live=True)))
        .order_by("-n", "pk")
        .first()
    )
    return World(
        heavy_username=heavy.username,
        catalogue_path=CourseIndexPage.objects.get().url,
        category_id=category.pk,
        course_path=course.url,
        lesson_pk=lesson.pk,
        lesson_path=lesson.url,
        progress_pk=progress.pk,
        timings=timings,
    )


def world_sizes(username: str) -> list[tuple[str, str]]:
    """The world as the database holds it after seeding, counted back."""
    from courses.models import CoursePage, CreditEntry, Enrollment, LessonPage, LessonProgress
    from lms.models import Membership, Organization, User

    heavy = User.objects.get(username=username)
    return [
        (
            "world",
            f"{Membership.objects.filter(role='cadre').count():,} cadres in "
            f"{Organization.objects.count()} organizations, "
            f"{CoursePage.objects.live().count():,} courses, "
            f"{LessonPage.objects.live().count():,} lessons",
        ),
        (
            "learning",
            f"{Enrollment.objects.count():,} enrollments, "
            f"{LessonProgress.objects.count():,} lesson progress rows, "
            f"{CreditEntry.objects.count():,} ledger entries "
            f"({CreditEntry.objects.filter(reversal_of__isnull=False).count():,} reversals)",
        ),
        (
            "cadre",
            f"{username}: {Enrollment.objects.filter(cadre=heavy).count()} enrollments "
            f"({Enrollment.objects.filter(cadre=heavy, completed_at__isnull=False).count()} "
            f"completed), {CreditEntry.objects.filter(cadre=heavy).count()} ledger entries",
        ),
    ]


# --- the scenarios -----------------------------------------------------------------------------


def page_scenario(
    name: str, client, path: str, *markers: str, at_least: int = 1
) -> common.Scenario:
    """GET `path`; the answer must be a 200 showing each marker at least `at_least` times."""

    def action(state: dict) -> None:
        state["response"] = client.get(path)

    def finish(state: dict) -> None:
        response = state["response"]
        if response.status_code != 200:
            raise common.BenchError(f"{name}: GET {path} answered {response.status_code}")
        html = response.content.decode()
        for marker in markers:
            if html.count(marker) < at_least:
                raise common.BenchError(f"{name}: {marker!r} shown {html.count(marker)} times")

    return common.Scenario(name, action, prepare=dict, finish=finish)


def heartbeat_scenario(client, world: World) -> common.Scenario:
    """A beat 15 s after the previous one, 15 s further into the video, as lesson.js sends it.

    Before each round (outside the timer) the progress row is put where the previous beat
    would have left it: at `position`, last beat 15 s ago, from this browser's session. The
    timed beat must then be accepted and credited 15 s (the server's clock decides).
    """
    from django.urls import reverse
    from django.utils import timezone

    from courses.models import LessonProgress

    url = reverse("lesson_heartbeat", args=[world.lesson_pk])
    session_key = client.session.session_key
    beats = itertools.count()

    def prepare() -> dict:
        position = RESUME_AT + BEAT_SECONDS * (next(beats) % BEATS_PER_CYCLE)
        LessonProgress.objects.filter(pk=world.progress_pk).update(
            seconds_credited=position,
            furthest_position=position,
            last_position=position,
            last_beat_at=timezone.now() - timedelta(seconds=BEAT_SECONDS),
            session_key=session_key,
            completed_at=None,
        )
        return {"position": position + BEAT_SECONDS}

    def action(state: dict) -> None:
        payload = json.dumps({"position": state["position"], "visible": True})
        state["response"] = client.post(url, payload, content_type="application/json")

    def finish(state: dict) -> None:
        response = state["response"]
        if response.status_code != 200:
            raise common.BenchError(
                f"heartbeat refused: HTTP {response.status_code} {response.content!r}"
            )
        data = response.json()
        credited_ok = BEAT_SECONDS <= data["credited"] <= BEAT_SECONDS + 1
        if not credited_ok or data["furthest"] != state["position"] or data["lesson_completed"]:
            raise common.BenchError(f"heartbeat not credited as a 15 s beat: {data}")

    return common.Scenario(f"POST heartbeat, {BEAT_SECONDS} s credited", action, prepare, finish)


def run_scenarios(
    world: World, rounds: int, warmup: int
) -> tuple[list[common.Scenario], list[common.Result]]:
    from courses.models import CoursePage
    from courses.selectors import CATALOGUE_PAGE_SIZE

    client = common.logged_in_client(world.heavy_username)
    catalogue = world.catalogue_path
    in_category = CoursePage.objects.live().filter(category_id=world.category_id).count()
    page = 2 if in_category > CATALOGUE_PAGE_SIZE else 1
    card = 'class="card course-card"'
    full_page = min(CATALOGUE_PAGE_SIZE, CoursePage.objects.live().count())
    scenarios = [
        page_scenario(f"GET {catalogue}", client, catalogue, card, at_least=full_page),
        page_scenario(
            f"GET {catalogue}?category={world.category_id}&page={page}",
            client,
            f"{catalogue}?category={world.category_id}&page={page}",
            card,
        ),
        page_scenario(
            f"GET {catalogue}?q={SEARCH_QUERY}", client, f"{catalogue}?q={SEARCH_QUERY}", card
        ),
        page_scenario("GET course page, studying", client, world.course_path, 'class="progress"'),
        page_scenario(
            "GET lesson page, video",
            client,
            world.lesson_path,
            "data-heartbeat-url=",
            "data-lesson-video",
        ),
        page_scenario("GET / with 我的学习", client, "/", 'class="card my-learning"'),
        heartbeat_scenario(client, world),
        page_scenario("GET / anonymous (floor)", common.new_client(), "/", 'class="card hero"'),
    ]
    results = common.measure(scenarios, rounds=rounds, warmup=warmup)
    return scenarios, list(results.values())


# --- reporting ---------------------------------------------------------------------------------


def target_ms(result: common.Result) -> float:
    return HEARTBEAT_P95_TARGET_MS if result.name.startswith("POST") else PAGE_P95_TARGET_MS


def print_targets(results: list[common.Result]) -> None:
    """Each scenario's p95 against its target, and how much of its time was SQL."""
    print(
        f"Targets: p95 ≤ {PAGE_P95_TARGET_MS:.0f} ms for each page, "
        f"≤ {HEARTBEAT_P95_TARGET_MS:.0f} ms for the heartbeat."
    )
    width = max(common.display_width(result.name) for result in results)
    for result in results:
        target = target_ms(result)
        margin = target - result.p95
        verdict = f"met, {margin:.1f} ms to spare" if margin >= 0 else f"MISSED by {-margin:.1f} ms"
        sql = statistics.median(result.sql_ms)
        name = common.left_justified(result.name, width)
        print(
            f"  {name}  p95 {result.p95:6.1f} ms ≤ {target:.0f}: {verdict:<24}"
            f"  SQL {sql:5.1f} ms in {result.queries_label} queries"
        )
    missed = [result.name for result in results if result.p95 > target_ms(result)]
    print("All targets met." if not missed else f"Missed: {', '.join(missed)}.")
    print()


def print_slow_queries(scenarios: list[common.Scenario], count: int) -> None:
    """The slowest statements of one more untimed round per scenario, and the plan of the
    slowest SELECT (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)."""
    from django.db import connection

    explain = "EXPLAIN ANALYZE" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    for scenario in scenarios:
        log = common.captured_queries(scenario)
        statements = sorted(log.statements, key=lambda statement: statement[1], reverse=True)
        total = sum(ms for _sql, ms in statements)
        print(f"{scenario.name}: {log.count} queries, {total:.1f} ms executing statements")
        for sql, ms in statements[:count]:
            print(f"  {ms:6.2f} ms  {sql[:300]}")
        select = next((sql for sql, _ms in statements if sql.lstrip().startswith("SELECT")), None)
        if select is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"{explain} {select}")
                for row in cursor.fetchall():
                    print(f"    | {' '.join(str(column) for column in row)}")
        print()


def print_profiles(scenarios: list[common.Scenario], top: int) -> None:
    """Where the time goes: cProfile over PROFILE_ROUNDS more rounds of each scenario, the `top`
    functions by cumulative time among the project's code, template rendering and database
    waits (psycopg's `wait`, SQLite's `execute`)."""
    import cProfile
    import pstats

    for scenario in scenarios:
        profiler = cProfile.Profile()
        for _ in range(PROFILE_ROUNDS):
            state = scenario.prepare()
            profiler.enable()
            scenario.action(state)
            profiler.disable()
            scenario.finish(state)
        print(f"{scenario.name}: cProfile of {PROFILE_ROUNDS} rounds, the project's functions")
        stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
        stats.print_stats(PROFILED_FUNCTIONS, top)


def run(args: argparse.Namespace) -> None:
    print(
        f"Preparing the throwaway database ({args.db}): migrate, seed_demo, the large world ...",
        flush=True,
    )
    started = time.perf_counter()
    common.migrate_and_seed()
    demo_seconds = time.perf_counter() - started
    world = seed_world(args)
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in world.timings.items())
    print(
        f"migrate + seed_demo {demo_seconds:.0f} s; large world {sum(world.timings.values()):.0f} s"
        f" ({steps})\n"
    )
    common.print_header(args, extra_rows=tuple(world_sizes(world.heavy_username)))
    scenarios, results = run_scenarios(world, args.rounds, args.warmup)
    common.print_table(results)
    print_targets(results)
    if args.slow_queries:
        print_slow_queries(scenarios, args.slow_queries)
    if args.profile:
        print_profiles(scenarios, args.profile)
    print(f"load average after the run: {common.load_average()}")


def parse_cli(argv: list[str] | None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--cadres",
        type=int,
        default=DEFAULT_CADRES,
        help=f"cadres in all (default {DEFAULT_CADRES:,})",
    )
    parser.add_argument(
        "--courses",
        type=int,
        default=DEFAULT_COURSES,
        help=f"published courses in all, {LESSONS_PER_COURSE} lessons each "
        f"(default {DEFAULT_COURSES})",
    )
    parser.add_argument(
        "--ledger",
        type=int,
        help=f"credit-ledger entries in all (default {LEDGER_PER_CADRE} per cadre)",
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
        help=f"print each scenario's N costliest functions ({PROFILE_ROUNDS} rounds, cProfile)",
    )
    args = common.parse_args(parser, argv)
    if args.ledger is None:
        args.ledger = LEDGER_PER_CADRE * args.cadres
    return args


def main(argv: list[str] | None = None) -> int:
    return common.run_in_throwaway_database(parse_cli(argv), run)


if __name__ == "__main__":
    sys.exit(main())
