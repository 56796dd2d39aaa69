"""Who is who: users, the organization tree, memberships and roles, cadre profiles, home page."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from treebeard.mp_tree import MP_Node
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
mobile_validator = RegexValidator(MOBILE_PATTERN, _("Enter a valid 11-digit mobile number."))


class User(AbstractUser):
    """A person who logs in: by mobile number or username."""

    name = models.CharField(_("name"), max_length=50, blank=True)
    mobile = models.CharField(
        _("mobile number"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[mobile_validator],
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set for imported accounts: the first login leads to choosing a password."),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.username

    def get_full_name(self):
        return self.name or super().get_full_name()

    @property
    def initial_password(self) -> str | None:
        """The password an imported account starts with: the last six digits of its mobile."""
        if self.must_change_password and self.mobile and not self.has_usable_password():
            return self.mobile[-6:]
        return None


class Organization(MP_Node):
    """A party organization in the tree: district → street → community → branch → grid group."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District organization department")
        STREET = "street", _("Street party working committee")
        COMMUNITY = "community", _("Community party committee")
        BRANCH = "branch", _("Party branch")
        GRID = "grid", _("Grid party group")

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("A short unique code, used in rosters, reports and certificate numbers."),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter matching this organization and everything below it, on `prefix`path."""
        return Q(**{f"{prefix}path__startswith": self.path})


class Membership(models.Model):
    """Links a user to an organization with a role; secretary and admin roles cover the subtree."""

    class Role(models.TextChoices):
        CADRE = "cadre", _("Cadre")
        SECRETARY = "secretary", _("Secretary")
        ADMIN = "admin", _("Organization administrator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique_role"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(role="cadre"), name="membership_one_home_org"
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class CadreProfile(models.Model):
    """What the training record needs to know about a community cadre."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Position(models.TextChoices):
        SECRETARY = "secretary", _("Community party secretary")
        DIRECTOR = "director", _("Residents' committee director")
        DEPUTY = "deputy", _("Deputy secretary or deputy director")
        COMMITTEE_MEMBER = "committee_member", _("Committee member")
        GRID_WORKER = "grid_worker", _("Grid worker")
        SOCIAL_WORKER = "social_worker", _("Social worker")
        OTHER = "other", _("Other")

    class PartyStatus(models.TextChoices):
        FULL = "full", _("Full party member")
        PROBATIONARY = "probationary", _("Probationary party member")
        NON_MEMBER = "non_member", _("Not a party member")

    class MemberType(models.TextChoices):
        STAFF = "staff", _("Community staff")
        IN_SERVICE = "in_service", _("In-service member reporting to the community")
        RETIRED = "retired", _("Retired member")
        FLOATING = "floating", _("Floating member")

    class Education(models.TextChoices):
        JUNIOR_HIGH = "junior_high", _("Junior high school or below")
        SENIOR_HIGH = "senior_high", _("Senior high or technical school")
        JUNIOR_COLLEGE = "junior_college", _("Junior college")
        BACHELOR = "bachelor", _("Bachelor's degree")
        POSTGRADUATE = "postgraduate", _("Postgraduate")

    class Qualification(models.TextChoices):
        NONE = "none", _("None")
        ASSISTANT = "assistant", _("Assistant social worker")
        SOCIAL_WORKER = "social_worker", _("Social worker")
        SENIOR = "senior", _("Senior social worker")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="cadre_profile")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), validators=[MinValueValidator(1930), MaxValueValidator(2010)]
    )
    position = models.CharField(_("position"), max_length=24, choices=Position.choices)
    party_status = models.CharField(_("party status"), max_length=16, choices=PartyStatus.choices)
    member_type = models.CharField(_("member type"), max_length=16, choices=MemberType.choices)
    years_of_service = models.PositiveSmallIntegerField(
        _("years of community work"), default=0, validators=[MaxValueValidator(60)]
    )
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    qualification = models.CharField(
        _("social-work qualification"),
        max_length=16,
        choices=Qualification.choices,
        default=Qualification.NONE,
    )
    work_unit = models.CharField(
        _("work unit"),
        max_length=100,
        blank=True,
        help_text=_("For in-service members: the employer they report from."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cadre profile")
        verbose_name_plural = _("cadre profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__gte=1930) & Q(birth_year__lte=2010),
                name="cadre_birth_year_range",
            ),
        ]

    def __str__(self):
        return str(self.user)


class RosterImport(models.Model):
    """One uploaded roster (花名册) and the outcome of importing it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        FAILED = "failed", _("Rejected: nothing imported")
        DONE = "done", _("Imported")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roster_imports"
    )
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to="rosters/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} → {self.organization}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.DONE)


class HomePage(Page):
    """The site's front page: a welcome for visitors, the learner's desk once logged in."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from .selectors import home_context_for

        context = super().get_context(request, *args, **kwargs)
        context.update(home_context_for(request.user, year=timezone.localdate().year))
        return context


class Notification(models.Model):
    """A message for one person, shown in their notification centre and sent on its channels."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(
        _("link"), max_length=300, blank=True, help_text=_("A path on this site, such as /learn/.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.user} · {self.title}"


class Reminder(models.Model):
    """A reminder sent to a cadre for a period: at most one per (cadre, kind, period), so a job
    that runs twice, or two secretaries clicking, never send the same reminder twice."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly reminder")
        SECRETARY = "secretary", _("Sent by a secretary")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    period = models.CharField(max_length=20, help_text="2026-W48, or a date for a secretary's")
    sent_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "period"], name="reminder_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.period}"


class Export(models.Model):
    """A report too large to answer at once (lms/exports.py), written by a background task for
    the person who asked; only they may follow its progress and download it."""

    class Report(models.TextChoices):
        CADRES = "cadres", _("Cadre hours table")
        SUMMARY = "summary", _("Summary by sub-organization")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to export")
        RUNNING = "running", _("Exporting")
        DONE = "done", _("Export ready")
        FAILED = "failed", _("Export failed")

    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    report = models.CharField(max_length=16, choices=Report.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    params = models.JSONField(default=dict, blank=True, help_text="the year and page filters")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)  # private: courses/media.py
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.organization} · {self.report}.{self.format} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# --- 考核评价: the yearly evaluation, an input to the post-grade pay system ---------------------

PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


@register_setting(icon="tasks")
class EvaluationSettings(BaseGenericSetting):
    """How the yearly evaluation (考核评价) weighs its four components and grades the score.

    Each component is a figure from 0 to 100 (lms/archive.py explains how each is computed);
    the score is their weighted sum, so the four weights must add up to 100. The grade follows
    from the score by the thresholds below, which must descend.
    """

    hours_weight = models.PositiveSmallIntegerField(
        _("weight of hours attainment (%)"),
        default=40,
        validators=PERCENT_VALIDATORS,
        help_text=_(
            "Hours attainment is the year's credit hours against the required hours, "
            "at most 100; 100 when no requirement applies."
        ),
    )
    courses_weight = models.PositiveSmallIntegerField(
        _("weight of required courses (%)"),
        default=30,
        validators=PERCENT_VALIDATORS,
        help_text=_(
            "The share of the year's required courses completed by the end of the year; "
            "100 when none are required."
        ),
    )
    assessments_weight = models.PositiveSmallIntegerField(
        _("weight of assessment results (%)"),
        default=20,
        validators=PERCENT_VALIDATORS,
        help_text=_(
            "The average percentage of the best attempt at each quiz and mock exam taken in "
            "the year; 0 when none was taken."
        ),
    )
    practice_weight = models.PositiveSmallIntegerField(
        _("weight of practice and offline study (%)"),
        default=10,
        validators=PERCENT_VALIDATORS,
        help_text=_(
            "Hours of field practice, offline classes and external training against the "
            "practice target below, at most 100."
        ),
    )
    excellent_from = models.PositiveSmallIntegerField(
        _("score for the grade excellent, at least"),
        default=90,
        validators=PERCENT_VALIDATORS,
    )
    good_from = models.PositiveSmallIntegerField(
        _("score for the grade good, at least"), default=75, validators=PERCENT_VALIDATORS
    )
    pass_from = models.PositiveSmallIntegerField(
        _("score for the grade pass, at least"),
        default=60,
        validators=PERCENT_VALIDATORS,
        help_text=_("A score below this is graded fail."),
    )
    practice_target_hours = models.DecimalField(
        _("practice target (hours)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_(
            "Hours of field practice, offline classes and external training in a year that "
            "earn the full practice component."
        ),
    )

    class Meta:
        verbose_name = _("yearly evaluation")

    def clean(self):
        super().clean()
        if sum(self.weights().values()) != 100:
            raise ValidationError(
                _("The four weights must add up to 100; now they add up to %(total)s.")
                % {"total": sum(self.weights().values())}
            )
        if not self.excellent_from > self.good_from > self.pass_from:
            raise ValidationError(
                _("The grade thresholds must descend: excellent above good above pass.")
            )

    def weights(self) -> dict[str, int]:
        """The weight of each component in percent, keyed as in the evaluation's components."""
        return {
            "hours": self.hours_weight,
            "courses": self.courses_weight,
            "assessments": self.assessments_weight,
            "practice": self.practice_weight,
        }

    def thresholds(self) -> dict[str, int]:
        """The lowest score of each grade above fail."""
        return {
            Evaluation.Grade.EXCELLENT: self.excellent_from,
            Evaluation.Grade.GOOD: self.good_from,
            Evaluation.Grade.PASS: self.pass_from,
        }


def grade_for(score: Decimal, thresholds: dict[str, int]) -> str:
    """The grade of a score: the highest grade whose threshold it reaches, else fail."""
    for grade, lowest in sorted(thresholds.items(), key=lambda item: item[1], reverse=True):
        if score >= lowest:
            return grade
    return Evaluation.Grade.FAIL


def round_score(value: Decimal) -> Decimal:
    """To one decimal place, halves up (as people round by hand)."""
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Evaluation(models.Model):
    """A cadre's evaluation of one year: the computed score and grade with every input behind
    them (`components`), and a secretary's adjustment of the grade with its reason."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", pgettext_lazy("evaluation grade", "Excellent")
        GOOD = "good", pgettext_lazy("evaluation grade", "Good")
        PASS = "pass", pgettext_lazy("evaluation grade", "Pass")
        FAIL = "fail", pgettext_lazy("evaluation grade", "Fail")

    cadre = models.ForeignKey(User, on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.DecimalField(_("evaluation score"), max_digits=4, decimal_places=1)
    grade = models.CharField(_("computed grade"), max_length=16, choices=Grade.choices)
    components = models.JSONField(
        default=dict, help_text="the weights, thresholds, inputs and component values used"
    )
    computed_at = models.DateTimeField()
    adjusted_grade = models.CharField(
        _("adjusted grade"),
        max_length=16,
        choices=Grade.choices,
        blank=True,
        help_text="empty while the computed grade stands",
    )
    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)
    adjusted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjusted_at = models.DateTimeField(null=True, blank=True)
    adjustments = models.JSONField(
        default=list, blank=True, help_text="every adjustment so far, oldest first"
    )

    class Meta:
        verbose_name = _("yearly evaluation")
        verbose_name_plural = _("yearly evaluations")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="evaluation_once_per_year"),
            models.CheckConstraint(
                condition=Q(adjusted_grade="") | ~Q(adjustment_reason=""),
                name="evaluation_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="evaluation_score_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.cadre} {self.year} {self.score} ({self.final_grade})"

    @property
    def final_grade(self) -> str:
        """The grade that counts: the adjusted one if a secretary adjusted it."""
        return self.adjusted_grade or self.grade

    def get_final_grade_display(self) -> str:
        """The label of the grade that counts."""
        return self.Grade(self.final_grade).label
