"""Reads for learning pages and reports: requirements, hours, progress, catalogue search."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Length, Substr
from django.utils import timezone

from lms.models import Membership

from .models import (
    Category,
    CourseIndexPage,
    CoursePage,
    CreditEntry,
    CreditRules,
    Enrollment,
    LessonPage,
    LessonProgress,
    TrainingRequirement,
)

RECENT_CREDITS = 5
ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass
class Requirement:
    """What applies to one cadre in one year, merged from every matching requirement."""

    total_hours: Decimal = ZERO
    online_hours: Decimal = ZERO
    required_course_ids: set[int] = field(default_factory=set)
    names: list[str] = field(default_factory=list)


def requirement_for(cadre, year: int, *, membership: Membership | None = None) -> Requirement:
    """The strictest hours and the union of required courses of all requirements that apply.

    `membership` is the cadre's home membership with organization and profile, when the
    caller already has it.
    """
    if membership is None:
        membership = (
            Membership.objects.filter(user=cadre, role=Membership.Role.CADRE)
            .select_related("organization", "user__cadre_profile")
            .first()
        )
    merged = Requirement()
    if membership is None:
        return merged
    home = membership.organization
    profile = getattr(membership.user, "cadre_profile", None)
    candidates = (
        TrainingRequirement.objects.filter(year=year)
        .select_related("organization")
        .prefetch_related("required_courses")
    )
    for requirement in candidates:
        if not requirement.applies_to(profile, home):
            continue
        merged.total_hours = max(merged.total_hours, requirement.total_hours)
        merged.online_hours = max(merged.online_hours, requirement.online_hours)
        merged.required_course_ids |= {c.pk for c in requirement.required_courses.all()}
        merged.names.append(requirement.name)
    return merged


def hours_by_kind(cadre, year: int) -> dict[str, Decimal]:
    """Hours earned in a year, per ledger kind: sums over the entries, reversals included.

    Rounded to the ledger's two places: SQLite sums decimals as floating point.
    """
    rows = (
        CreditEntry.objects.filter(cadre=cadre, year=year)
        .values_list("kind")
        .annotate(total=Sum("hours"))
    )
    return {kind: Decimal(total).quantize(CENT) for kind, total in rows}


def course_hours(course: CoursePage) -> Decimal:
    """The course's own figure, or one derived from its lessons' length by the credit rules."""
    if course.credit_hours is not None:
        return course.credit_hours
    minutes = (
        LessonPage.objects.live().child_of(course).aggregate(total=Sum("duration_minutes"))["total"]
        or 0
    )
    return CreditRules.load().hours_for_minutes(minutes)


def lesson_duration_seconds(lesson: LessonPage) -> float:
    video = lesson.video
    if video is not None and video.duration:
        return float(video.duration)
    return lesson.duration_minutes * 60.0


def percent(part, whole) -> int:
    if not whole:
        return 100 if part else 0
    return max(0, min(100, int(100 * Decimal(part) / Decimal(whole))))


def _lesson_counts(enrollments: list[Enrollment], cadre) -> None:
    """Sets `.done` and `.total` required-lesson counts on each enrollment, in two queries."""
    paths = {e.course.path: e for e in enrollments}
    for enrollment in enrollments:
        enrollment.done = enrollment.total = 0
    if not paths:
        return
    done = LessonProgress.objects.filter(
        cadre=cadre, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    rows = (
        LessonPage.objects.live()
        .filter(required=True)
        .annotate(course_path=parent_path(), is_done=Exists(done))
        .filter(course_path__in=list(paths))
        .values_list("course_path", "is_done")
    )
    for course_path, is_done in rows:
        enrollment = paths[course_path]
        enrollment.total += 1
        enrollment.done += bool(is_done)
    for enrollment in enrollments:
        enrollment.percent = percent(enrollment.done, enrollment.total)


def my_learning(cadre, year: int, requirement: Requirement) -> dict:
    """我的学习: hours against the requirement by kind, required courses, courses in progress."""
    by_kind = hours_by_kind(cadre, year)
    total = sum(by_kind.values(), ZERO)
    online = by_kind.get(CreditEntry.Kind.ONLINE_COURSE, ZERO) + by_kind.get(
        CreditEntry.Kind.TEST_PASS, ZERO
    )
    enrollments = list(
        Enrollment.objects.filter(cadre=cadre, course__live=True)
        .select_related("course")
        .order_by("completed_at", "-enrolled_at")
    )
    _lesson_counts(enrollments, cadre)
    required = [e for e in enrollments if e.course_id in requirement.required_course_ids]
    kinds = [
        {"label": label, "hours": by_kind.get(kind, ZERO)}
        for kind, label in CreditEntry.Kind.choices
        if by_kind.get(kind)
    ]
    return {
        "year": year,
        "requirement": requirement,
        "hours_total": total,
        "hours_online": online,
        "hours_percent": percent(total, requirement.total_hours),
        "online_percent": percent(online, requirement.online_hours),
        "hours_by_kind": kinds,
        "required_enrollments": required,
        "required_done": sum(1 for e in required if e.completed_at),
        "in_progress": [e for e in enrollments if not e.completed_at and e not in required],
        "recent_credits": list(
            CreditEntry.objects.filter(cadre=cadre).order_by("-created_at", "-pk")[:RECENT_CREDITS]
        ),
    }


CJK = re.compile(r"[\u3400-\u9fff]")


def _contains(field: str, word: str) -> Q:
    """Substring match; case-insensitive only when the word has letter case (Chinese has
    none, and a plain LIKE scans text about three times faster than ILIKE)."""
    lookup = "icontains" if word.lower() != word.upper() else "contains"
    return Q(**{f"{field}__{lookup}": word})


def catalogue_search(query: str, index: CourseIndexPage) -> tuple[Q, list]:
    """Courses and lessons under `index` containing every word; substring matching, so
    Chinese works as-is, on SQLite and PostgreSQL alike.

    Full-text backends split text on spaces and punctuation, which leaves a Chinese sentence
    as one token. Lesson text is scanned once: the matching lessons' ids and course paths come
    back together, and the course filter is built from those paths.
    Returns the course filter and the first matching lessons.
    """
    course_filter, lesson_filter = Q(), Q()
    for word in query.split():
        course_filter &= _contains("title", word) | _contains("summary", word)
        # the text match stands alone, so PostgreSQL can answer it from the trigram index
        text_matches = LessonPage.objects.filter(_contains("plain_text", word)).values("pk")
        lesson_filter &= _contains("title", word) | Q(pk__in=text_matches)
    matches = list(
        LessonPage.objects.live()
        .descendant_of(index)
        .filter(lesson_filter)
        .annotate(course_path=parent_path())
        .order_by("path")
        .values_list("pk", "course_path")
    )
    course_paths = {course_path for _, course_path in matches}
    first = [pk for pk, _ in matches[:MATCHING_LESSONS_SHOWN]]
    lessons = LessonPage.objects.filter(pk__in=first).order_by("path") if first else []
    return course_filter | Q(path__in=course_paths), list(lessons)


def parent_path():
    """The tree path of a page's parent, computed in the database (no extra query)."""
    return Substr("path", 1, Length("path") - LessonPage.steplen)


CATALOGUE_PAGE_SIZE = 20
MATCHING_LESSONS_SHOWN = 20


def _set_lesson_counts(courses) -> None:
    """`.lesson_count` on each course shown, in one grouped query over their lessons."""
    by_path = {course.path: course for course in courses}
    for course in courses:
        course.lesson_count = 0
    if not by_path:
        return
    rows = (
        LessonPage.objects.live()
        .annotate(course_path=parent_path())
        .filter(course_path__in=list(by_path))
        .order_by()  # pages sort by path, which would split the groups
        .values_list("course_path")
        .annotate(n=Count("pk"))
    )
    for course_path, count in rows:
        by_path[course_path].lesson_count = count


def catalogue_context(index, request) -> dict:
    """The catalogue page: categories, the chosen filter or search, one page of courses."""
    from django.core.paginator import Paginator

    query = request.GET.get("q", "").strip()[:50]
    category_id = request.GET.get("category", "")
    courses = CoursePage.objects.live().child_of(index)
    lessons = []
    if query:
        course_filter, lessons = catalogue_search(query, index)
        courses = courses.filter(course_filter)
    if category_id.isdigit():
        courses = courses.filter(category_id=int(category_id))
    courses = courses.select_related("category", "cover").order_by("-first_published_at", "pk")
    page = Paginator(courses, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    _set_lesson_counts(page.object_list)
    user = request.user
    enrolled, required = set(), set()
    if user.is_authenticated:
        enrolled = set(
            Enrollment.objects.filter(cadre=user, course__in=[c.pk for c in page]).values_list(
                "course_id", flat=True
            )
        )
        required = requirement_for(user, timezone.localdate().year).required_course_ids
    for course in page:
        course.is_enrolled = course.pk in enrolled
        course.is_required = course.pk in required
    return {
        "categories": Category.objects.all(),
        "category_id": int(category_id) if category_id.isdigit() else None,
        "query": query,
        "courses": page,
        "matching_lessons": lessons,
    }


def course_context(course: CoursePage, user) -> dict:
    """A course page: its lessons with the reader's status, enrollment and hours."""
    lessons = LessonPage.objects.live().child_of(course).order_by("path")
    enrollment = None
    if user.is_authenticated:
        progress = LessonProgress.objects.filter(cadre=user, lesson=OuterRef("pk"))
        lessons = lessons.annotate(
            is_done=Exists(progress.filter(completed_at__isnull=False)),
            is_started=Exists(progress),
        )
        enrollment = Enrollment.objects.filter(cadre=user, course=course).first()
    lessons = list(lessons)
    required_ids = (
        requirement_for(user, timezone.localdate().year).required_course_ids
        if user.is_authenticated
        else set()
    )
    required_lessons = [lesson for lesson in lessons if lesson.required]
    done = sum(1 for lesson in required_lessons if getattr(lesson, "is_done", False))
    return {
        "lessons": lessons,
        "enrollment": enrollment,
        "is_required": course.pk in required_ids,
        "hours": course_hours(course),
        "lecturers": list(course.lecturers.all()),
        "done_count": done,
        "required_count": len(required_lessons),
        "percent": percent(done, len(required_lessons)),
        "resume": next(
            (lesson for lesson in lessons if not getattr(lesson, "is_done", False)), None
        ),
    }


def lesson_context(lesson: LessonPage, user) -> dict:
    """A lesson page: where to resume, whether the reader may study it, what comes next."""
    course = lesson.get_parent().specific
    siblings = list(
        LessonPage.objects.live()
        .child_of(course)
        .order_by("path")
        .only("pk", "title", "url_path", "path", "depth")
    )
    index = next((i for i, page in enumerate(siblings) if page.pk == lesson.pk), 0)
    enrollment = progress = None
    if user.is_authenticated:
        enrollment = Enrollment.objects.filter(cadre=user, course=course).first()
        progress = LessonProgress.objects.filter(cadre=user, lesson=lesson).first()
    return {
        "course": course,
        "enrollment": enrollment,
        "progress": progress,
        "video": lesson.video,
        "duration_seconds": lesson_duration_seconds(lesson),
        "previous_lesson": siblings[index - 1] if index > 0 else None,
        "next_lesson": siblings[index + 1] if index + 1 < len(siblings) else None,
        "position": index + 1,
        "lesson_total": len(siblings),
    }
