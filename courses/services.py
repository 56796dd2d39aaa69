"""Writes that decide what counts: enrollment, lesson heartbeats, completion and the ledger."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from lms.models import Membership, User

from . import selectors, signals
from .models import (
    CoursePage,
    CreditEntry,
    CreditRules,
    CreditTotal,
    Enrollment,
    LessonPage,
    LessonProgress,
    TrainingRequirement,
)

# A heartbeat credits at most this much time since the previous one: a phone that slept,
# or a tab left in the background, does not earn the gap.
MAX_BEAT_GAP = datetime.timedelta(seconds=30)
# A second device sending beats within this window of the first is ignored.
SESSION_WINDOW = datetime.timedelta(seconds=90)
# The video position may run this far ahead of the time credited (buffering, rounding).
POSITION_TOLERANCE = 3.0
# Share of a video that must have been watched, not skipped, to complete the lesson.
VIDEO_COMPLETION_SHARE = 0.95


class LearningError(Exception):
    """A request about learning that is refused; `status` is the HTTP status to answer."""

    status = 400


class NotEnrolled(LearningError):
    status = 403


class OtherSession(LearningError):
    status = 409


class CourseUnavailable(LearningError):
    status = 404


# --- the ledger ------------------------------------------------------------------------------


def credit_grant(
    *,
    cadre: User,
    kind: str,
    source: str,
    hours: Decimal,
    description: str,
    year: int | None = None,
    granted_by: User | None = None,
) -> CreditEntry:
    """Credits `hours` once per (cadre, kind, source); asking again returns the first grant."""
    lookup = {"cadre": cadre, "kind": kind, "source": source, "reversal_of__isnull": True}
    existing = CreditEntry.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            entry = CreditEntry.objects.create(
                cadre=cadre,
                kind=kind,
                source=source,
                hours=hours,
                description=description[:200],
                year=year or timezone.localdate().year,
                granted_by=granted_by,
            )
            _credit_total_add(entry)
            return entry
    except IntegrityError:  # a concurrent grant of the same source committed first
        return CreditEntry.objects.get(**lookup)


@transaction.atomic
def credit_reverse(*, entry: CreditEntry, reason: str, reversed_by: User | None) -> CreditEntry:
    """Cancels a grant with a negative entry; the original stays. Reversing twice is a no-op."""
    if entry.reversal_of_id is not None:
        raise ValueError("a reversal cannot itself be reversed")
    existing = CreditEntry.objects.filter(reversal_of=entry).first()
    if existing is not None:
        return existing
    reversal = CreditEntry.objects.create(
        cadre_id=entry.cadre_id,
        kind=entry.kind,
        source=entry.source,
        year=entry.year,
        hours=-entry.hours,
        description=reason[:200],
        granted_by=reversed_by,
        reversal_of=entry,
    )
    _credit_total_add(reversal)
    return reversal


def _credit_total_add(entry: CreditEntry) -> None:
    """Adds a new ledger entry to its cadre's total of the year, in the caller's transaction.
    The increment happens in the database (UPDATE … SET hours = hours + …), so concurrent
    grants to one cadre serialize on the row and none is lost; get_or_create copes with two
    first grants of a year racing to create the row."""
    total, _created = CreditTotal.objects.get_or_create(
        cadre_id=entry.cadre_id, year=entry.year, defaults={"latest_at": entry.created_at}
    )
    online = entry.hours if entry.kind in CreditTotal.ONLINE_KINDS else Decimal("0")
    CreditTotal.objects.filter(pk=total.pk).update(
        hours=F("hours") + entry.hours,
        online_hours=F("online_hours") + online,
        latest_at=Greatest(F("latest_at"), Value(entry.created_at)),
    )


def credit_totals_rebuild(
    *, using: str = "default", entry_model=CreditEntry, total_model=CreditTotal
) -> int:
    """Recomputes every CreditTotal from the ledger in one INSERT … SELECT … GROUP BY (for
    the migration that creates the totals and for bulk writers that bypass `credit_grant`);
    the models may be a migration's historical ones. Returns the number of totals."""
    entry, total = entry_model._meta, total_model._meta
    connection = connections[using]
    quote = connection.ops.quote_name

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    online_kinds = ", ".join(["%s"] * len(CreditTotal.ONLINE_KINDS))
    hours = column(entry, "hours")
    sql = (
        f"INSERT INTO {quote(total.db_table)} ({column(total, 'cadre')}, {column(total, 'year')}, "
        f"{column(total, 'hours')}, {column(total, 'online_hours')}, "
        f"{column(total, 'latest_at')}) "
        f"SELECT {column(entry, 'cadre')}, {column(entry, 'year')}, SUM({hours}), "
        f"SUM(CASE WHEN {column(entry, 'kind')} IN ({online_kinds}) THEN {hours} ELSE 0 END), "
        f"MAX({column(entry, 'created_at')}) FROM {quote(entry.db_table)} "
        f"GROUP BY {column(entry, 'cadre')}, {column(entry, 'year')}"
    )
    with transaction.atomic(using=using), connection.cursor() as cursor:
        total_model._default_manager.using(using).all().delete()
        cursor.execute(sql, [kind.value for kind in CreditTotal.ONLINE_KINDS])
        return cursor.rowcount


# --- enrollment ------------------------------------------------------------------------------


def enrollment_create(*, cadre: User, course: CoursePage) -> Enrollment:
    """Enrolls a cadre in a published course; enrolling again returns the same enrollment."""
    if not course.live:
        raise CourseUnavailable("course is not published")
    enrollment, _ = Enrollment.objects.get_or_create(cadre=cadre, course=course)
    return enrollment


def required_enrollments_sync(
    *, cadre: User, year: int, requirement: selectors.Requirement | None = None
) -> int:
    """Assigns the cadre every required course of the year they are not enrolled in yet."""
    requirement = requirement or selectors.requirement_for(cadre, year)
    if not requirement.required_course_ids:
        return 0
    live = CoursePage.objects.live().filter(pk__in=requirement.required_course_ids)
    missing = live.exclude(enrollments__cadre=cadre).values_list("pk", flat=True)
    created = Enrollment.objects.bulk_create(
        [
            Enrollment(cadre=cadre, course_id=pk, source=Enrollment.Source.REQUIRED)
            for pk in missing
        ],
        ignore_conflicts=True,
    )
    return len(created)


def requirement_enrollments_sync(*, requirement: TrainingRequirement) -> int:
    """Assigns a requirement's published courses to every cadre it covers (the organization's
    subtree, narrowed by positions and member types), in bulk; already enrolled ones are left
    as they are. Returns how many enrollments were created."""
    cadres = Membership.objects.filter(requirement.membership_filter(), role=Membership.Role.CADRE)
    cadre_ids = list(cadres.values_list("user_id", flat=True))
    course_ids = list(requirement.required_courses.live().values_list("pk", flat=True))
    before = Enrollment.objects.filter(cadre_id__in=cadre_ids, course_id__in=course_ids).count()
    Enrollment.objects.bulk_create(
        [
            Enrollment(cadre_id=cadre_id, course_id=course_id, source=Enrollment.Source.REQUIRED)
            for cadre_id in cadre_ids
            for course_id in course_ids
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    after = Enrollment.objects.filter(cadre_id__in=cadre_ids, course_id__in=course_ids).count()
    return after - before


# --- progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeatResult:
    progress: LessonProgress
    credited_seconds: int
    lesson_completed: bool
    course_completed: bool


def lesson_heartbeat(
    *,
    cadre: User,
    lesson: LessonPage,
    session_key: str,
    visible: bool,
    position: float | None = None,
    now: datetime.datetime | None = None,
) -> BeatResult:
    """Accepts a report from the lesson page; the server alone decides what it is worth."""
    now = now or timezone.now()
    duration = selectors.lesson_duration_seconds(lesson)
    if position is not None and not (0 <= position <= duration + POSITION_TOLERANCE):
        raise LearningError("position outside the video")
    course_path = lesson.path[: -lesson.steplen]  # the parent course, without fetching it
    enrollment = Enrollment.objects.filter(cadre=cadre, course__path=course_path).first()
    if enrollment is None:
        raise NotEnrolled("not enrolled in this lesson's course")

    with transaction.atomic():
        progress, _ = LessonProgress.objects.select_for_update().get_or_create(
            cadre=cadre, lesson=lesson, defaults={"enrollment": enrollment}
        )
        recent = progress.last_beat_at and now - progress.last_beat_at < SESSION_WINDOW
        if progress.session_key and progress.session_key != session_key and recent:
            raise OtherSession("another device is already studying this lesson")
        gap = (now - progress.last_beat_at) if progress.last_beat_at else datetime.timedelta(0)
        # capped at MAX_BEAT_GAP; a clock running backwards (negative gap) earns nothing
        credit = max(0, int(min(gap, MAX_BEAT_GAP).total_seconds())) if visible else 0
        progress.seconds_credited += credit
        if position is not None:
            reachable = progress.furthest_position + credit + POSITION_TOLERANCE
            progress.furthest_position = max(progress.furthest_position, min(position, reachable))
            progress.last_position = min(position, progress.furthest_position)
        progress.last_beat_at = now
        progress.session_key = session_key
        newly_completed = progress.completed_at is None and _lesson_done(
            progress, lesson, duration, video=position is not None
        )
        if newly_completed:
            progress.completed_at = now
        progress.save()

    course_completed = False
    if newly_completed:
        course_completed = course_completion_check(enrollment=enrollment)
    return BeatResult(progress, credit, progress.completed_at is not None, course_completed)


def _lesson_done(progress: LessonProgress, lesson: LessonPage, duration: float, video: bool):
    if video:
        studied = progress.furthest_position >= duration * VIDEO_COMPLETION_SHARE
    else:
        needed = CreditRules.load().reading_seconds(lesson.plain_text, lesson.duration_minutes)
        studied = progress.seconds_credited >= needed
    # a lesson with a test is completed by passing it (lesson_test_passed), not by time
    return studied and not lesson.quizzes.exists()


def lesson_test_passed(*, cadre: User, lesson: LessonPage, source: str, description: str) -> None:
    """The lesson's test was passed: the lesson is complete, the test's hours are credited once,
    and the course completes if this was its last required lesson."""
    course_path = lesson.path[: -lesson.steplen]
    enrollment = Enrollment.objects.filter(cadre=cadre, course__path=course_path).first()
    if enrollment is None:
        raise NotEnrolled("not enrolled in this lesson's course")
    progress, _ = LessonProgress.objects.get_or_create(
        cadre=cadre, lesson=lesson, defaults={"enrollment": enrollment}
    )
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
    hours = CreditRules.load().test_pass_hours
    if hours > 0:
        credit_grant(
            cadre=cadre,
            kind=CreditEntry.Kind.TEST_PASS,
            source=source,
            hours=hours,
            description=description,
        )
    course_completion_check(enrollment=enrollment)


def course_completion_check(*, enrollment: Enrollment) -> bool:
    """Completes the course when every required lesson is done, and credits its hours."""
    if enrollment.completed_at is not None:
        return False
    required = LessonPage.objects.live().child_of(enrollment.course).filter(required=True)
    done = LessonProgress.objects.filter(
        cadre_id=enrollment.cadre_id, lesson__in=required, completed_at__isnull=False
    )
    if done.count() < required.count():
        return False
    course_complete(enrollment=enrollment, by=None)
    return True


@transaction.atomic
def course_complete(*, enrollment: Enrollment, by: User | None) -> CreditEntry:
    """Records completion (by the rules, or by a secretary's hand) and credits the hours once."""
    course = enrollment.course
    if enrollment.completed_at is None:
        enrollment.completed_at = timezone.now()
        enrollment.completed_by = by
        enrollment.save(update_fields=["completed_at", "completed_by"])
    kind = (
        CreditEntry.Kind.ONLINE_COURSE
        if course.delivery_form == CoursePage.DeliveryForm.ONLINE
        else CreditEntry.Kind.OFFLINE_CLASS
    )
    entry = credit_grant(
        cadre=enrollment.cadre,
        kind=kind,
        source=f"course:{course.pk}",
        hours=selectors.course_hours(course),
        description=course.title,
        year=timezone.localtime(enrollment.completed_at).year,
        granted_by=by,
    )
    signals.course_completed.send(sender=Enrollment, enrollment=enrollment)
    return entry
