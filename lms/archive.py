"""学习档案 and 考核评价: everything a cadre did in one calendar year, gathered in a fixed number
of queries for the archive page and its PDF, and the yearly evaluation computed from it.

The archive is a dataclass with one field per section, each filled by its own loader below
(courses, ledger, quizzes and mocks, field practice and external training, offline sessions,
qualification claims, certificates).

The evaluation is never a black box: each of its four components is a figure from 0 to 100
computed from the archive in plain arithmetic (see `evaluation_figures`), stored with its
inputs, and shown with them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Attempt, QualificationClaim, Quiz
from certificates.models import Certificate
from courses import selectors as course_selectors
from courses.models import CreditEntry, Enrollment
from courses.selectors import Requirement
from offline.models import Attendance
from practice.models import ExternalClaim, PracticeLog

from .models import (
    Evaluation,
    EvaluationSettings,
    Membership,
    Organization,
    User,
    grade_for,
    round_score,
)
from .selectors import cadre_home_membership, format_hours

ZERO = Decimal("0")
HUNDRED = Decimal("100")
PRACTICE_KINDS = (
    CreditEntry.Kind.PRACTICE,
    CreditEntry.Kind.OFFLINE_CLASS,
    CreditEntry.Kind.EXTERNAL,
)
COMPONENTS = ("hours", "courses", "assessments", "practice")


@dataclass
class CourseRow:
    """A course the cadre was enrolled in during the year, with the hours it earned that year."""

    enrollment: Enrollment
    percent: int
    hours: Decimal
    is_required: bool


@dataclass
class KindTotal:
    kind: str
    label: str
    hours: Decimal


@dataclass
class Ledger:
    """The year's credit-hour ledger: every entry (reversals included) and its totals."""

    entries: list[CreditEntry] = field(default_factory=list)
    by_kind: list[KindTotal] = field(default_factory=list)
    total: Decimal = ZERO
    required_hours: Decimal | None = None
    percent: int = 0

    def hours_of(self, kinds) -> Decimal:
        """The year's hours of these ledger kinds."""
        return sum((row.hours for row in self.by_kind if row.kind in kinds), ZERO)


@dataclass
class Archive:
    """One cadre's learning archive (学习档案) of one calendar year."""

    cadre: User
    year: int
    membership: Membership | None
    requirement: Requirement
    years: list[int]
    courses: list[CourseRow]
    required_done: int
    ledger: Ledger
    quizzes: list[Attempt]
    mocks: list[Attempt]
    practice_logs: list[PracticeLog]
    external_claims: list[ExternalClaim]
    sessions: list[Attendance]
    claims: list[QualificationClaim]
    certificates: list[Certificate]

    @property
    def organization(self) -> Organization | None:
        """The cadre's home organization, if they have one."""
        return self.membership.organization if self.membership else None

    @property
    def name(self) -> str:
        """The name printed on the archive."""
        return self.cadre.name or self.cadre.get_username()

    @property
    def required_total(self) -> int:
        """How many courses the year's requirements make required."""
        return len(self.requirement.required_course_ids)


def learning_archive(cadre: User, *, year: int) -> Archive:
    """The cadre's archive of `year`, in at most 13 queries however many rows it holds."""
    membership = cadre_home_membership(cadre)
    requirement = (
        course_selectors.requirement_for(cadre, year, membership=membership)
        if membership
        else Requirement()
    )
    ledger = _ledger(cadre, year, requirement)
    courses, required_done = _courses(cadre, year, requirement, ledger)
    quizzes, mocks = _attempts(cadre, year)
    return Archive(
        cadre=cadre,
        year=year,
        membership=membership,
        requirement=requirement,
        years=archive_years(cadre, year),
        courses=courses,
        required_done=required_done,
        ledger=ledger,
        quizzes=quizzes,
        mocks=mocks,
        practice_logs=list(
            PracticeLog.objects.filter(cadre=cadre, date__year=year).order_by("date", "pk")
        ),
        external_claims=list(
            ExternalClaim.objects.filter(cadre=cadre, start_date__year=year).order_by(
                "start_date", "pk"
            )
        ),
        sessions=list(
            Attendance.objects.filter(cadre=cadre, session__starts_at__year=year)
            .select_related("session")
            .order_by("session__starts_at", "pk")
        ),
        claims=list(
            QualificationClaim.objects.filter(cadre=cadre)
            .filter(Q(exam_year=year) | Q(created_at__year=year))
            .order_by("created_at", "pk")
        ),
        certificates=list(
            Certificate.objects.filter(cadre=cadre, issued_at__year=year)
            .exclude(status=Certificate.Status.FAILED)
            .order_by("issued_at", "pk")
        ),
    )


def archive_years(cadre: User, year: int) -> list[int]:
    """Years with ledger entries, plus the current and the chosen year, newest first."""
    years = set(
        CreditEntry.objects.filter(cadre=cadre).order_by().values_list("year", flat=True).distinct()
    )
    return sorted(years | {timezone.localdate().year, year}, reverse=True)


def _ledger(cadre: User, year: int, requirement: Requirement) -> Ledger:
    """Every entry of the year, oldest first; totals summed here, exactly, from those rows."""
    entries = list(CreditEntry.objects.filter(cadre=cadre, year=year).order_by("created_at", "pk"))
    sums: dict[str, Decimal] = {}
    for entry in entries:
        sums[entry.kind] = sums.get(entry.kind, ZERO) + entry.hours
    total = sum(sums.values(), ZERO)
    required = requirement.total_hours or None
    return Ledger(
        entries=entries,
        by_kind=[
            KindTotal(kind=kind, label=label, hours=sums[kind])
            for kind, label in CreditEntry.Kind.choices
            if kind in sums
        ],
        total=total,
        required_hours=required,
        percent=course_selectors.percent(total, required),
    )


def _local_year(moment) -> int:
    return timezone.localtime(moment).year


def _courses(
    cadre: User, year: int, requirement: Requirement, ledger: Ledger
) -> tuple[list[CourseRow], int]:
    """Courses under way at some time in the year (enrolled by its end, not completed before
    it), and how many required courses were completed by the year's end."""
    enrollments = list(
        Enrollment.objects.filter(cadre=cadre)
        .select_related("course")
        .order_by("enrolled_at", "pk")
    )
    finished_by_year_end = [
        e for e in enrollments if e.completed_at and _local_year(e.completed_at) <= year
    ]
    required_done = len(
        {e.course_id for e in finished_by_year_end} & requirement.required_course_ids
    )
    during = [
        e
        for e in enrollments
        if _local_year(e.enrolled_at) <= year
        and (e.completed_at is None or _local_year(e.completed_at) >= year)
    ]
    course_selectors._lesson_counts(during, cadre)  # the one way progress is counted
    hours_by_source: dict[str, Decimal] = {}
    for entry in ledger.entries:
        hours_by_source[entry.source] = hours_by_source.get(entry.source, ZERO) + entry.hours
    rows = [
        CourseRow(
            enrollment=e,
            percent=100 if e.completed_at else e.percent,
            hours=hours_by_source.get(f"course:{e.course_id}", ZERO),
            is_required=e.course_id in requirement.required_course_ids,
        )
        for e in during
    ]
    return rows, required_done


def _attempts(cadre: User, year: int) -> tuple[list[Attempt], list[Attempt]]:
    """Submitted quiz and mock-exam attempts finished in the year, oldest first."""
    attempts = list(
        Attempt.objects.filter(
            cadre=cadre,
            quiz__mode__in=(Quiz.Mode.QUIZ, Quiz.Mode.MOCK),
            finished_at__year=year,
        )
        .exclude(state=Attempt.State.IN_PROGRESS)
        .select_related("quiz", "quiz__exam_subject")
        .order_by("finished_at", "pk")
    )
    quizzes = [a for a in attempts if a.quiz.mode == Quiz.Mode.QUIZ]
    mocks = [a for a in attempts if a.quiz.mode == Quiz.Mode.MOCK]
    return quizzes, mocks


# --- 考核评价 -----------------------------------------------------------------------------------


@dataclass
class EvaluationFigures:
    """A computed evaluation: score, grade and every input behind them (JSON-ready)."""

    score: Decimal
    grade: str
    components: dict


def _capped(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole × 100, between 0 and 100, to one decimal."""
    return round_score(max(ZERO, min(HUNDRED, part / whole * HUNDRED)))


def evaluation_figures(archive: Archive, rules: EvaluationSettings) -> EvaluationFigures:
    """The four components, each 0–100 and rounded to one decimal, and their weighted sum:

    - hours: the year's ledger total / the required hours × 100, at most 100 (no requirement:
      100);
    - courses: required courses completed by the year's end / required courses × 100 (none
      required: 100);
    - assessments: the average percentage of the best graded attempt at each quiz and mock
      exam finished in the year (none taken: 0);
    - practice: hours of field practice, offline classes and external training / the target
      hours × 100, at most 100.

    The score is Σ weight × component / 100 over the rounded components, so anyone can redo
    the sum from what the page shows, rounded to one decimal; the grade follows the thresholds.
    """
    ledger = archive.ledger
    weights = rules.weights()
    thresholds = rules.thresholds()
    required = ledger.required_hours
    hours = _capped(ledger.total, required) if required else HUNDRED
    total_courses = archive.required_total
    courses = (
        _capped(Decimal(archive.required_done), Decimal(total_courses))
        if total_courses
        else HUNDRED
    )
    best: dict[int, tuple[Decimal, str]] = {}
    for attempt in archive.quizzes + archive.mocks:
        if attempt.score is None or not attempt.max_score:
            continue  # awaiting marking
        percent = attempt.score / attempt.max_score * HUNDRED
        if attempt.quiz_id not in best or percent > best[attempt.quiz_id][0]:
            best[attempt.quiz_id] = (percent, attempt.quiz.title)
    assessments = (
        round_score(sum((p for p, _title in best.values()), ZERO) / len(best)) if best else ZERO
    )
    practice_hours = ledger.hours_of(PRACTICE_KINDS)
    practice = _capped(practice_hours, rules.practice_target_hours)
    values = {
        key: round_score(value)
        for key, value in (
            ("hours", hours),
            ("courses", courses),
            ("assessments", assessments),
            ("practice", practice),
        )
    }
    score = round_score(sum(weights[key] * values[key] for key in COMPONENTS) / HUNDRED)
    components = {key: {"weight": weights[key], "value": str(values[key])} for key in COMPONENTS}
    components["hours"].update(
        earned=str(ledger.total), required=str(required) if required else None
    )
    components["courses"].update(done=archive.required_done, total=total_courses)
    components["assessments"].update(
        taken=len(best),
        best=[
            {"quiz": title, "percent": str(round_score(p))}
            for p, title in sorted(best.values(), key=lambda item: item[1])
        ],
    )
    components["practice"].update(
        hours=str(practice_hours), target=str(rules.practice_target_hours)
    )
    components["thresholds"] = {str(grade): lowest for grade, lowest in thresholds.items()}
    return EvaluationFigures(score=score, grade=grade_for(score, thresholds), components=components)


def _number(text) -> str:
    return format_hours(Decimal(text))


def _explanation(key: str, data: dict) -> str:
    """What a component's value means, in plain words with its inputs."""
    if key == "hours":
        if data["required"] is None:
            return _("No hours requirement applies this year, so this counts as 100.")
        return _(
            "%(earned)s of the %(required)s required credit hours earned, counted up to 100."
        ) % {"earned": _number(data["earned"]), "required": _number(data["required"])}
    if key == "courses":
        if not data["total"]:
            return _("No required courses this year, so this counts as 100.")
        return _("%(done)s of %(total)s required courses completed by the end of the year.") % {
            "done": data["done"],
            "total": data["total"],
        }
    if key == "assessments":
        if not data["taken"]:
            return _("No quiz or mock exam was taken this year, so this counts as 0.")
        results = "、".join(f"{row['quiz']} {_number(row['percent'])}%" for row in data["best"])
        return _("The average of the best result at each quiz and mock exam: %(results)s.") % {
            "results": results
        }
    return _(
        "%(hours)s hours of field practice, offline classes and external training against a "
        "target of %(target)s hours, counted up to 100."
    ) % {"hours": _number(data["hours"]), "target": _number(data["target"])}


def _labels() -> dict[str, str]:
    return {
        "hours": _("Hours attainment"),
        "courses": _("Required courses completed"),
        "assessments": _("Assessment results"),
        "practice": _("Practice and offline study"),
    }


def evaluation_card(archive: Archive, evaluation: Evaluation | None) -> dict:
    """What the evaluation card shows: the recorded evaluation of the year, or, before one
    is recorded, the figures as they stand now (marked provisional)."""
    if evaluation is None:
        figures = evaluation_figures(archive, EvaluationSettings.load())
        score, grade, components = figures.score, figures.grade, figures.components
    else:
        score, grade, components = evaluation.score, evaluation.grade, evaluation.components
    labels = _labels()
    rows = []
    for key in COMPONENTS:
        data = components[key]
        value = Decimal(data["value"])
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "weight": data["weight"],
                "value": format_hours(value),
                "points": format_hours(value * data["weight"] / HUNDRED),
                "explanation": _explanation(key, data),
            }
        )
    final = evaluation.final_grade if evaluation else grade
    return {
        "evaluation": evaluation,
        "is_provisional": evaluation is None,
        "score": format_hours(Decimal(score)),
        "grade_label": Evaluation.Grade(grade).label,
        "final_grade_label": Evaluation.Grade(final).label,
        "is_adjusted": bool(evaluation and evaluation.adjusted_grade),
        "rows": rows,
        "thresholds": [
            {"label": Evaluation.Grade(g).label, "from": lowest}
            for g, lowest in components["thresholds"].items()
        ],
        "adjustments": [
            {**adjustment, "grade_label": Evaluation.Grade(adjustment["grade"]).label}
            for adjustment in (evaluation.adjustments if evaluation else [])
        ],
    }


def year_evaluation(cadre: User, year: int) -> Evaluation | None:
    """The recorded evaluation of the cadre's year, with who adjusted it."""
    return Evaluation.objects.filter(cadre=cadre, year=year).select_related("adjusted_by").first()
