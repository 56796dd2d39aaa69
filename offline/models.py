"""Offline sessions (培训班、讲座、参观学习、实地演练…) with sign-up and check-in, and in-service
party members reporting to the community (在职党员报到).

A session belongs to an organization and is for its subtree: cadres whose home organization
lies below it, and in-service members reporting to a community below it, may sign up. Each
person's part in a session is one `Attendance` row (signed up, checked in, marked); closing the
session credits the hours to the ledger (courses.services.credit_grant) once per person.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="date")
class OfflineSettings(BaseGenericSetting):
    """Hours a session credits by default, how lateness counts, and the check-in window."""

    class LateCredit(models.TextChoices):
        FULL = "full", _("Late arrivals earn the full hours")
        HALF = "half", _("Late arrivals earn half the hours")
        NONE = "none", _("Late arrivals earn no hours")

    default_hours = models.DecimalField(
        _("hours of a session by default"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("4"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("A half-day session usually earns 4 credit hours."),
    )
    late_credit = models.CharField(
        _("credit for late arrivals"),
        max_length=8,
        choices=LateCredit.choices,
        default=LateCredit.HALF,
    )
    opens_minutes_before = models.PositiveSmallIntegerField(
        _("check-in opens this many minutes before the start"),
        default=30,
        validators=[MaxValueValidator(240)],
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        _("check-in counts as late this many minutes after the start"),
        default=15,
        validators=[MaxValueValidator(240)],
    )
    code_max_age_seconds = models.PositiveSmallIntegerField(
        _("a check-in QR code is valid for (seconds)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
        help_text=_(
            "The screen shows a new code every 30 seconds; a photo of an older code sent to "
            "someone who is not there stops working after this time."
        ),
    )

    class Meta:
        verbose_name = _("offline sessions")

    def late_hours(self, hours: Decimal) -> Decimal:
        """What a late arrival earns of a session's `hours` under the late policy."""
        if self.late_credit == self.LateCredit.FULL:
            return hours
        if self.late_credit == self.LateCredit.HALF:
            return (hours / 2).quantize(Decimal("0.01"))
        return Decimal("0")


class OfflineSession(models.Model):
    """A class, lecture, seminar, forum, site visit or field drill at a place and time."""

    class Kind(models.TextChoices):
        TRAINING_CLASS = "training_class", _("Training class")
        LECTURE = "lecture", _("Lecture")
        SEMINAR = "seminar", _("Seminar")
        FORUM = "forum", _("Discussion forum")
        SITE_VISIT = "site_visit", _("Site visit")
        FIELD_DRILL = "field_drill", _("Field drill")

    class Audience(models.TextChoices):
        SUBTREE = "subtree", _("Everyone in the organization may check in")
        ENROLLED = "enrolled", _("Only those signed up may check in")

    title = models.CharField(_("session title"), max_length=200)
    kind = models.CharField(_("kind of session"), max_length=16, choices=Kind.choices)
    organization = models.ForeignKey(
        "lms.Organization",
        on_delete=models.PROTECT,
        related_name="offline_sessions",
        verbose_name=_("organizing organization"),
        help_text=_("The session is for this organization and everything below it."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    lecturer_name = models.CharField(_("lecturer or host"), max_length=100, blank=True)
    lecturer = models.ForeignKey(
        "courses.LecturerProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offline_sessions",
        verbose_name=_("lecturer on the platform"),
    )
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    audience = models.CharField(
        _("who may check in"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offline_sessions",
        verbose_name=_("linked course"),
    )
    hours = models.DecimalField(
        _("credit hours of the session"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    description = models.TextField(_("session description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("offline session")
        verbose_name_plural = _("offline sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="session_hours_positive"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="session_capacity_positive",
            ),
        ]
        indexes = [models.Index(fields=["organization", "starts_at"])]

    def __str__(self):
        return self.title

    @property
    def is_closed(self) -> bool:
        """Closed sessions are final: credited, no more check-ins or marks."""
        return self.closed_at is not None

    @property
    def credit_source(self) -> str:
        """The ledger's source of this session's credits (one grant per cadre and source)."""
        return f"session:{self.pk}"

    def checkin_window(self, rules: OfflineSettings) -> tuple[datetime.datetime, ...]:
        """When check-in opens, when arriving becomes late, and when it closes."""
        return (
            self.starts_at - datetime.timedelta(minutes=rules.opens_minutes_before),
            self.starts_at + datetime.timedelta(minutes=rules.late_after_minutes),
            self.ends_at,
        )


class Attendance(models.Model):
    """One person's part in one session: signed up in advance and/or checked in, then marked."""

    class Status(models.TextChoices):
        UNMARKED = "", _("Not checked in yet")
        PRESENT = "present", _("Present")
        LATE = "late", _("Arrived late")
        EXCUSED = "excused", _("Excused absence")
        ABSENT = "absent", _("Absent")

    session = models.ForeignKey(
        OfflineSession, on_delete=models.CASCADE, related_name="attendances"
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances"
    )
    signed_up = models.BooleanField(
        default=True, help_text="False when they checked in at the door without signing up"
    )
    status = models.CharField(max_length=8, choices=Status.choices, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["session", "cadre"], name="attendance_once"),
        ]
        indexes = [models.Index(fields=["cadre", "status"])]

    def __str__(self):
        return f"{self.session_id} · {self.cadre_id} · {self.status or '-'}"

    @property
    def attended(self) -> bool:
        """Present or late: the person was there."""
        return self.status in (self.Status.PRESENT, self.Status.LATE)


class ReportIn(models.Model):
    """An in-service party member employed elsewhere registered with the community where they
    live (在职党员到社区报到); at most one active registration per member."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_ins"
    )
    community = models.ForeignKey(
        "lms.Organization",
        on_delete=models.PROTECT,
        related_name="report_ins",
        verbose_name=_("community where you live"),
    )
    work_unit = models.CharField(_("your work unit"), max_length=100)
    registered_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("in-service member report-in")
        verbose_name_plural = _("in-service member report-ins")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(active=True), name="report_in_one_active"
            ),
        ]

    def __str__(self):
        return f"{self.member} → {self.community}"
