"""Who is who: users, the organization tree, memberships and roles, cadre profiles, home page."""

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node
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
