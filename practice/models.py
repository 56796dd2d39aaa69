"""Field-practice logs (实践日志) and external continuing-education claims (继续教育学时申报).

Both are records a cadre submits and a reviewer decides on; they share one status set, one
history table (`ReviewEvent`) and one state machine (`Reviewable.TRANSITIONS`, run by
`practice.services`). Approved hours enter the credit ledger through `courses.services`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from courses.models import CreditEntry


@register_setting(icon="site")
class PracticeSettings(BaseGenericSetting):
    """Limits of what a cadre may submit; editable by the platform admin."""

    min_reflection_chars = models.PositiveSmallIntegerField(
        _("minimum length of a practice reflection (characters)"), default=50
    )
    max_log_hours = models.DecimalField(
        _("maximum hours of one practice log"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    max_claim_hours = models.DecimalField(
        _("maximum hours of one external training claim"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    storage_quota_mb = models.PositiveIntegerField(
        _("storage for each cadre's photos and proofs (MB)"), default=200
    )

    class Meta:
        verbose_name = _("field practice settings")

    @property
    def storage_quota_bytes(self) -> int:
        return self.storage_quota_mb * 1024 * 1024


def is_half_hours(hours: Decimal, limit: Decimal) -> bool:
    """Whether `hours` lies in (0, limit] and is a whole number of half hours."""
    return Decimal(0) < hours <= limit and not (hours * 2) % 1


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting review")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted, awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not accepted")


class Action(models.TextChoices):
    SUBMIT = "submit", _("Submitted for review")
    RESUBMIT = "resubmit", _("Changed and resubmitted")
    RETURN = "return", _("Returned for changes")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Not accepted")


PENDING = (Status.SUBMITTED, Status.RESUBMITTED)


class Reviewable(models.Model):
    """What a practice log and an external claim share: whose it is, the hours claimed and
    granted, and where it stands. Subclasses say which transitions they allow and how they
    enter the ledger."""

    # action -> (statuses it may start from, status it leads to)
    TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {}
    CREDIT_KIND: str = ""
    SOURCE_PREFIX: str = ""
    EVENT_FIELD: str = ""  # the ReviewEvent foreign key pointing here

    cadre = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("review status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    hours_approved = models.DecimalField(
        _("hours approved"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def credit_source(self) -> str:
        return f"{self.SOURCE_PREFIX}:{self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    @property
    def hours_adjusted(self) -> bool:
        return self.hours_approved is not None and self.hours_approved != self.hours

    @classmethod
    def statuses(cls) -> list[str]:
        """The statuses a record of this kind can take, in the order of Status."""
        reachable = {Status.SUBMITTED, *(to for _, to in cls.TRANSITIONS.values())}
        return [status for status in Status.values if status in reachable]

    def allows(self, action: str) -> bool:
        allowed = self.TRANSITIONS.get(action)
        return allowed is not None and self.status in allowed[0]


class PracticeLog(Reviewable):
    """One field-practice activity with the cadre's reflection and photos (实践日志)."""

    class Activity(models.TextChoices):
        SITE_VISIT = "site_visit", _("Study visit")
        FIELD_DRILL = "field_drill", _("Field drill")
        PARTICIPATION = "participation", _("Practice participation")
        VOLUNTEERING = "volunteering", _("Volunteer service")
        HOME_VISIT = "home_visit", _("Household visit")
        OTHER = "other", _("Other practice")

    TRANSITIONS = {
        Action.RESUBMIT: ((Status.RETURNED,), Status.RESUBMITTED),
        Action.RETURN: (PENDING, Status.RETURNED),
        Action.APPROVE: (PENDING, Status.APPROVED),
    }
    CREDIT_KIND = CreditEntry.Kind.PRACTICE
    SOURCE_PREFIX = "practice"
    EVENT_FIELD = "log"

    date = models.DateField(_("date of the practice"))
    place = models.CharField(_("place"), max_length=100)
    activity = models.CharField(_("kind of practice"), max_length=16, choices=Activity.choices)
    description = models.TextField(_("what was done"))
    reflection = models.TextField(_("reflection on the practice"))
    hours = models.DecimalField(_("hours claimed"), max_digits=5, decimal_places=1)
    course = models.ForeignKey(
        "courses.CoursePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practice_logs",
        verbose_name=_("course"),
    )

    class Meta:
        verbose_name = _("practice log")
        verbose_name_plural = _("practice logs")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="practice_log_hours_positive"),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(hours_approved__gt=0),
                name="practice_log_approved_has_hours",
            ),
        ]
        indexes = [models.Index(fields=["cadre", "status"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.date} {self.get_activity_display()} · {self.place}"

    @property
    def credit_year(self) -> int:
        return self.date.year


class PracticePhoto(models.Model):
    """A photo of a practice log, cleaned by lms.uploads, with its thumbnail; both private."""

    log = models.ForeignKey(PracticeLog, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="practice/photos/%Y/")
    thumbnail = models.FileField(upload_to="practice/thumbs/%Y/")
    content_type = models.CharField(max_length=32)
    stored_bytes = models.PositiveIntegerField(help_text="image and thumbnail together")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


class ExternalClaim(Reviewable):
    """Training done elsewhere that a cadre declares for hours, with a proof (继续教育学时申报)."""

    TRANSITIONS = {
        Action.APPROVE: ((Status.SUBMITTED,), Status.APPROVED),
        Action.REJECT: ((Status.SUBMITTED,), Status.REJECTED),
    }
    CREDIT_KIND = CreditEntry.Kind.EXTERNAL
    SOURCE_PREFIX = "external"
    EVENT_FIELD = "claim"

    organiser = models.CharField(_("organiser of the training"), max_length=100)
    title = models.CharField(_("name of the training"), max_length=200)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    hours = models.DecimalField(_("hours claimed"), max_digits=5, decimal_places=1)
    proof = models.FileField(_("proof"), upload_to="practice/proofs/%Y/")
    proof_type = models.CharField(max_length=32, editable=False)
    proof_bytes = models.PositiveIntegerField(editable=False)

    class Meta:
        verbose_name = _("external training claim")
        verbose_name_plural = _("external training claims")
        ordering = ["-end_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="external_claim_hours_positive"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="external_claim_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(hours_approved__gt=0),
                name="external_claim_approved_has_hours",
            ),
        ]
        indexes = [models.Index(fields=["cadre", "status"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.title} · {self.organiser}"

    @property
    def credit_year(self) -> int:
        return self.end_date.year


class ReviewEvent(models.Model):
    """One step in the life of a log or a claim: who did what, when, with which comment and
    hours. Rows are only ever added."""

    log = models.ForeignKey(
        PracticeLog, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    claim = models.ForeignKey(
        ExternalClaim, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("step"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(log__isnull=False, claim__isnull=True)
                | Q(log__isnull=True, claim__isnull=False),
                name="review_event_of_one_record",
            ),
            models.CheckConstraint(
                condition=~Q(action__in=["return", "reject"]) | ~Q(comment=""),
                name="review_event_refusal_has_comment",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.actor}"
