"""书记工作台: headline figures of an organization subtree (and of its sub-organizations at
once), the distribution of hours, the monthly trend, and the per-cadre table's extra columns —
reads only, in a fixed number of grouped queries whatever the number of organizations, cadres
or ledger rows.

The figures' queries group by the cadre's home organization, position and member type (which
decide the requirement that applies, found in Python as `set_tracking` finds it); the rows
are then added into each requested organization whose tree path prefixes the home's.
"""

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from types import SimpleNamespace

from django.db.models import (
    Count,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from assessments.models import Attempt, QualificationClaim, Quiz
from courses import selectors as course_selectors
from courses.models import CreditEntry, CreditTotal, LessonProgress, TrainingRequirement

from . import charts
from .models import Membership, Organization
from .selectors import (
    format_hours,
    required_hours,
    set_tracking,
    with_year_hours,
    year_requirements,
)


def _percent(part: int, whole: int) -> int:
    return round(part * 100 / whole) if whole else 0


@dataclass
class Figures:
    """What the workbench shows of one organization's subtree for a year."""

    cadres: int = 0
    with_requirement: int = 0
    meeting_hours: int = 0  # cadres whose year hours ≥ their requirement
    required_total: int = 0  # required-course enrolments due, summed over cadres
    required_done: int = 0  # … and completed
    mock_participants: int = 0  # distinct cadres with a submitted mock exam this year
    claims_pending: int = 0  # qualification claims awaiting review
    hours_total: Decimal = Decimal("0")

    @property
    def meeting_percent(self) -> int:
        return _percent(self.meeting_hours, self.with_requirement)

    @property
    def required_percent(self) -> int:
        return _percent(self.required_done, self.required_total)

    @property
    def mock_percent(self) -> int:
        return _percent(self.mock_participants, self.cadres)


def _subtree(organizations: list[Organization], prefix: str) -> Q:
    """Home memberships (reached through `prefix`) anywhere below the organizations."""
    return reduce(
        or_, (Q(**{f"{prefix}organization__path__startswith": o.path}) for o in organizations)
    )


# Bands of a cadre's hours as a share of the requirement, as the table's percentage shows it
# (an integer, rounded down): the upper bound of each band, exclusive.
HOURS_BANDS = (
    (1, _("0 %")),
    (25, _("1–24 %")),
    (50, _("25–49 %")),
    (75, _("50–74 %")),
    (100, _("75–99 %")),
)
FULL_BAND = _("at least 100 %")
NO_REQUIREMENT_BAND = _("No requirement")


class _Totals:
    """The Figures of each requested organization, and its cadres by band of hours (see
    HOURS_BANDS), found by a home organization's path."""

    def __init__(self, organizations: list[Organization]):
        self.organizations = organizations
        self.figures = {organization.pk: Figures() for organization in organizations}
        self.bands = {
            organization.pk: [0] * (len(HOURS_BANDS) + 2) for organization in organizations
        }
        self._holders: dict[str, list[int]] = {}

    def holding(self, path: str) -> list[int]:
        """The pks of every requested organization whose subtree holds `path`."""
        if path not in self._holders:
            self._holders[path] = [o.pk for o in self.organizations if path.startswith(o.path)]
        return self._holders[path]

    def cadres(self):
        """Home memberships anywhere in the requested subtrees."""
        return Membership.objects.filter(
            _subtree(self.organizations, ""), role=Membership.Role.CADRE
        )


def organization_figures(
    organizations: list[Organization],
    *,
    year: int,
    requirements: list[TrainingRequirement] | None = None,
) -> dict[int, Figures]:
    """Figures over each organization's whole subtree, keyed by organization pk, in a fixed
    number of queries whatever the number of organizations, cadres or ledger rows: 4, or 5
    with required courses (and the year's requirements' 2 when `requirements` is not given)."""
    totals = _Totals(organizations)
    if organizations:
        if requirements is None:
            requirements = year_requirements(year)
        _add_everything(totals, year, requirements)
    return totals.figures


def _add_everything(totals: _Totals, year: int, requirements) -> None:
    required = _add_hours(totals, year, requirements)
    _add_required_done(totals, required)
    _add_mock_participants(totals, year)
    _add_pending_claims(totals)


# The cadres of one group share their home organization, position and member type, hence the
# requirements that apply to them.
GROUP = ("organization__path", "user__cadre_profile__position", "user__cadre_profile__member_type")


def _add_hours(totals: _Totals, year: int, requirements) -> dict[tuple, set[int]]:
    """Cadres, hours, who meets the requirement, bands of hours and required courses due, in
    1 query: cadres counted by GROUP and year's hours (the ledger sum is evaluated once a
    cadre); the requirement of each group is found in Python, as `set_tracking` finds it.
    Returns each group's required course ids."""
    rows = (
        with_year_hours(totals.cadres(), year)
        .order_by()
        .values_list(*GROUP, "year_hours")
        .annotate(n=Count("pk"))
    )
    required: dict[tuple, tuple[Decimal | None, set[int]]] = {}
    groups: dict[tuple, Figures] = {}
    group_bands: dict[tuple, list[int]] = {}
    judged: dict[tuple, tuple[Decimal, int, bool]] = {}  # many cadres share their hours
    for path, position, member_type, year_hours, n in rows:
        group = (path, position, member_type)
        if group not in required:
            required[group] = _requirement_of(requirements, *group)
            groups[group] = Figures()
            group_bands[group] = [0] * (len(HOURS_BANDS) + 2)
        required_hours, courses = required[group]
        if (year_hours, required_hours) not in judged:
            judged[year_hours, required_hours] = _judge(year_hours, required_hours)
        hours, band, meets = judged[year_hours, required_hours]
        figures = groups[group]
        figures.cadres += n
        figures.hours_total += hours * n
        figures.meeting_hours += n if meets else 0
        group_bands[group][band] += n
    for group, figures in groups.items():
        required_hours, courses = required[group]
        for pk in totals.holding(group[0]):
            total = totals.figures[pk]
            total.cadres += figures.cadres
            total.hours_total += figures.hours_total
            total.required_total += figures.cadres * len(courses)
            if required_hours is not None:
                total.with_requirement += figures.cadres
                total.meeting_hours += figures.meeting_hours
            totals.bands[pk] = [
                a + b for a, b in zip(totals.bands[pk], group_bands[group], strict=True)
            ]
    return {group: courses for group, (_hours, courses) in required.items()}


def _judge(year_hours, required_hours: Decimal | None) -> tuple[Decimal, int, bool]:
    """A cadre's hours as the table shows them, their band, and whether they meet the
    requirement (`set_tracking`'s rounding and percentage)."""
    hours = Decimal(year_hours or 0).quantize(course_selectors.CENT)
    if required_hours is None:
        return hours, len(HOURS_BANDS) + 1, False
    percent = course_selectors.percent(hours, required_hours)
    return hours, _band(percent), hours >= required_hours


def _requirement_of(requirements, path, position, member_type) -> tuple[Decimal | None, set[int]]:
    """The hours (the strictest) and the courses (all) of the requirements applying to a group,
    as `set_tracking` counts them."""
    profile = (
        None if position is None else SimpleNamespace(position=position, member_type=member_type)
    )
    home = SimpleNamespace(path=path)
    applying = [r for r in requirements if r.applies_to(profile, home)]
    return (
        max((r.total_hours for r in applying), default=None),
        {course.pk for r in applying for course in r.required_courses.all()},
    )


def _add_required_done(totals: _Totals, required: dict[tuple, set[int]]) -> None:
    """Completed enrolments in each group's required courses (1 query, none without any)."""
    all_required = set().union(*required.values())
    if not all_required:
        return
    rows = (
        totals.cadres()
        .filter(
            user__enrollments__course_id__in=all_required,
            user__enrollments__completed_at__isnull=False,
        )
        .order_by()
        .values_list(*GROUP, "user__enrollments__course_id")
        .annotate(n=Count("pk"))
    )
    for path, position, member_type, course_id, n in rows:
        if course_id in required.get((path, position, member_type), ()):
            for pk in totals.holding(path):
                totals.figures[pk].required_done += n


def _add_mock_participants(totals: _Totals, year: int) -> None:
    """Distinct cadres with a submitted mock exam finished in the year (1 query)."""
    rows = (
        Attempt.objects.filter(
            _subtree(totals.organizations, "cadre__memberships__"),
            cadre__memberships__role=Membership.Role.CADRE,
            quiz__mode=Quiz.Mode.MOCK,
            finished_at__gte=_month_start(year, 1),
            finished_at__lt=_month_start(year, 13),
        )
        .exclude(state=Attempt.State.IN_PROGRESS)
        .order_by()
        .values_list("cadre__memberships__organization__path")
        .annotate(n=Count("cadre", distinct=True))
    )
    for path, n in rows:
        for pk in totals.holding(path):
            totals.figures[pk].mock_participants += n


def _add_pending_claims(totals: _Totals) -> None:
    """Qualification claims awaiting review, by the claimant's home organization (1 query)."""
    rows = (
        QualificationClaim.objects.filter(
            _subtree(totals.organizations, "cadre__memberships__"),
            cadre__memberships__role=Membership.Role.CADRE,
            status=QualificationClaim.Status.PENDING,
        )
        .order_by()
        .values_list("cadre__memberships__organization__path")
        .annotate(n=Count("pk"))
    )
    for path, n in rows:
        for pk in totals.holding(path):
            totals.figures[pk].claims_pending += n


def hours_distribution(
    organization: Organization,
    *,
    year: int,
    requirements: list[TrainingRequirement] | None = None,
) -> list[tuple[str, int]]:
    """How many cadres of the subtree fall in each band of hours against their requirement
    (the table's whole percentage), in one query (plus the requirements' two when not given):
    [(label, count)]."""
    totals = _Totals([organization])
    if requirements is None:
        requirements = year_requirements(year)
    _add_hours(totals, year, requirements)
    return _distribution(totals.bands[organization.pk])


def _distribution(counts: list[int]) -> list[tuple[str, int]]:
    labels = [*(label for _upper, label in HOURS_BANDS), FULL_BAND, NO_REQUIREMENT_BAND]
    return [(str(label), n) for label, n in zip(labels, counts, strict=True)]


def _band(percent) -> int:
    """The index in HOURS_BANDS (then FULL_BAND, NO_REQUIREMENT_BAND) of a whole percentage."""
    if percent is None:
        return len(HOURS_BANDS) + 1
    return next(
        (i for i, (upper, _label) in enumerate(HOURS_BANDS) if percent < upper), len(HOURS_BANDS)
    )


def monthly_trend(organization: Organization, *, year: int) -> list[tuple[int, Decimal]]:
    """Ledger hours of the year credited in each month (1–12) to the subtree's cadres, reversals
    included, in one query: [(month, hours)]."""
    starts = [_month_start(year, month) for month in range(1, 14)]
    # a filtered sum a month: plain comparisons on created_at, where extracting the month
    # would call a timezone conversion on every row (a Python function on SQLite)
    sums = {
        f"m{month}": Sum("hours", filter=Q(created_at__gte=start, created_at__lt=end))
        for month, (start, end) in enumerate(itertools.pairwise(starts), start=1)
    }
    cadres = Membership.objects.filter(
        organization.subtree_q("organization__"), role=Membership.Role.CADRE
    ).values("user_id")
    totals = CreditEntry.objects.filter(
        cadre_id__in=cadres,  # lets the database look entries up by (cadre, year)
        year=year,
        created_at__gte=starts[0],
        created_at__lt=starts[-1],
    ).aggregate(**sums)
    return [(month, Decimal(totals[f"m{month}"] or 0)) for month in range(1, 13)]


def _month_start(year: int, month: int) -> datetime.datetime:
    """Midnight, local time, on the first of the month (month 13: January of the next year)."""
    year, month = (year + 1, 1) if month == 13 else (year, month)
    return timezone.make_aware(datetime.datetime(year, month, 1))


# The per-cadre table: the columns beyond `with_year_hours`, each an annotation (no per-row
# query), so that the table can be filtered and sorted on them in the database.


def with_table_columns(
    memberships: QuerySet[Membership], *, year: int, requirements: list[TrainingRequirement]
) -> QuerySet[Membership]:
    """Annotates `year_hours`, `year_online_hours`, `required_hours`, `hours_ratio` (hours over
    the requirement, NULL without one) and `latest_activity` (the newest ledger entry or
    lesson heartbeat, any year)."""
    latest_credit = (
        CreditTotal.objects.filter(cadre=OuterRef("user_id"))
        .order_by("-latest_at")
        .values("latest_at")[:1]
    )
    latest_beat = (
        LessonProgress.objects.filter(cadre=OuterRef("user_id"), last_beat_at__isnull=False)
        .order_by("-last_beat_at")
        .values("last_beat_at")[:1]
    )
    credit, beat = Subquery(latest_credit), Subquery(latest_beat)
    return with_year_hours(memberships, year).annotate(
        required_hours=required_hours(requirements),
        hours_ratio=Cast("year_hours", FloatField())
        / NullIf(Cast("required_hours", FloatField()), Value(0.0)),
        # SQLite's MAX(a, b) is NULL when either is: each side falls back on the other
        latest_activity=Greatest(Coalesce(credit, beat), Coalesce(beat, credit)),
    )


def set_table_rows(memberships, requirements: list[TrainingRequirement]) -> None:
    """`set_tracking`, then `online_hours` and `is_overdue` (behind on hours, or required
    courses not all done) on each membership annotated by `with_table_columns`."""
    set_tracking(memberships, requirements)
    for membership in memberships:
        membership.online_hours = Decimal(membership.year_online_hours or 0)
        membership.online_label = format_hours(membership.online_hours)
        membership.required_online_label = (
            format_hours(membership.required_online_hours)
            if membership.required_online_hours
            else ""
        )
        membership.courses_overdue = membership.required_done < membership.required_total
        membership.is_overdue = membership.is_behind or membership.courses_overdue


def workbench(
    organization: Organization, *, year: int, requirements: list[TrainingRequirement]
) -> dict:
    """What the organization page shows above the cadre table: `figures` of the subtree,
    `children` (direct sub-organizations, each with `.figures`), and the charts'
    `completion_bars`, `distribution_bars` and `trend` (5 queries, 6 with required courses)."""
    children = list(organization.get_children())
    totals = _Totals([organization, *children])
    _add_everything(totals, year, requirements)  # the distribution comes with the figures
    figures = totals.figures
    for child in children:
        child.figures = figures[child.pk]
        child.cadre_count = child.figures.cadres  # as `includes/organization_list.html` shows
    distribution = _distribution(totals.bands[organization.pk])
    trend = monthly_trend(organization, year=year)
    return {
        "figures": figures[organization.pk],
        "children": children,
        "completion_bars": charts.bars(
            [
                (
                    child.name,
                    child.figures.meeting_percent,
                    _("%(percent)s%% (%(meeting)s of %(total)s)")
                    % {
                        "percent": child.figures.meeting_percent,
                        "meeting": child.figures.meeting_hours,
                        "total": child.figures.with_requirement,
                    },
                    reverse("organization_detail", args=[child.pk]),
                )
                for child in children
            ],
            top=100,
        ),
        "distribution_bars": charts.bars([(label, n, n) for label, n in distribution]),
        "trend": {
            **charts.line_chart([float(hours) for _m, hours in trend], [m for m, _h in trend]),
            "caption_rows": [(MONTHS[month], format_hours(hours)) for month, hours in trend],
        },
    }
