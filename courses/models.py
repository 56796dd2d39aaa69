"""Courses and how they count: catalogue, course and lesson pages, lecturers, enrollment,
lesson progress, yearly requirements and the append-only credit-hour ledger."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page
from wagtail.rich_text import get_text_for_indexing
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtailmedia.blocks import VideoChooserBlock

from lms.models import CadreProfile, Organization


@register_snippet
class Category(models.Model):
    """A subject of the catalogue (党建理论, 社区治理, …), edited by platform admins."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = ["name", "sort_order"]

    class Meta:
        verbose_name = _("course category")
        verbose_name_plural = _("course categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


@register_snippet
class LecturerProfile(models.Model):
    """Who teaches: a university teacher, an expert scholar or an industry practitioner."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University teacher")
        EXPERT = "expert", _("Expert scholar")
        PRACTITIONER = "practitioner", _("Industry practitioner")

    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("academic title"), max_length=100, blank=True)
    institution = models.CharField(_("institution"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lecturer_profile",
        help_text=_("The lecturer's own account, if they author in the CMS."),
    )

    panels = ["name", "title", "institution", "kind", "bio", "photo", "user"]

    class Meta:
        verbose_name = _("lecturer")
        verbose_name_plural = _("lecturers")
        ordering = ["name"]

    def __str__(self):
        return self.name


@register_setting(icon="time")
class CreditRules(BaseGenericSetting):
    """How many credit hours (学时) a course earns by its length; editable per province."""

    long_minutes = models.PositiveSmallIntegerField(
        _("a long course lasts at least (min)"), default=30
    )
    long_hours = models.DecimalField(
        _("hours for a long course"), max_digits=4, decimal_places=2, default=Decimal("1")
    )
    micro_minutes = models.PositiveSmallIntegerField(
        _("a micro-lesson lasts at most (min)"), default=15
    )
    medium_hours = models.DecimalField(
        _("hours for a medium course"), max_digits=4, decimal_places=2, default=Decimal("0.5")
    )
    micro_hours = models.DecimalField(
        _("hours for a micro-lesson"), max_digits=4, decimal_places=2, default=Decimal("0.25")
    )
    test_pass_hours = models.DecimalField(
        _("extra hours for passing the course test"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.5"),
    )
    min_reading_seconds = models.PositiveSmallIntegerField(
        _("minimum reading time of a text lesson (s)"), default=60
    )
    reading_chars_per_minute = models.PositiveSmallIntegerField(
        _("reading speed (Chinese characters per minute)"), default=300
    )
    reading_share = models.DecimalField(
        _("share of a text lesson's estimated time that must be spent reading"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.5"),
    )

    class Meta:
        verbose_name = _("credit-hour rules")

    def reading_seconds(self, text: str, minutes: int) -> float:
        """Visible time a text lesson needs: a share of its reading time, never below the floor.

        The reading time is the shorter of the lesson's stated length and the time its text
        takes to read, so a long stated length cannot hold a reader on a short page.
        """
        text_seconds = len(text) / self.reading_chars_per_minute * 60
        reading = min(minutes * 60, text_seconds)
        return max(float(self.min_reading_seconds), float(self.reading_share) * reading)

    def hours_for_minutes(self, minutes: int) -> Decimal:
        if minutes >= self.long_minutes:
            return self.long_hours
        if minutes > self.micro_minutes:
            return self.medium_hours
        return self.micro_hours


class CourseIndexPage(Page):
    """The catalogue: every published course, filterable by category and searchable."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, "intro"]
    parent_page_types = ["lms.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course catalogue")

    def get_context(self, request, *args, **kwargs):
        from .selectors import catalogue_context

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_context(self, request))
        return context


class CoursePage(Page):
    """A course: what it is, who teaches it, how it is delivered and how many hours it earns."""

    class DeliveryForm(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE_CLASS = "offline_class", _("Offline class")
        LECTURE = "lecture", _("Lecture")
        SEMINAR = "seminar", _("Seminar")
        SITE_VISIT = "site_visit", _("Site visit")
        FIELD_DRILL = "field_drill", _("Field drill")

    summary = models.TextField(_("summary"), max_length=500)
    cover = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lecturers = ParentalManyToManyField(LecturerProfile, blank=True, related_name="courses")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses"
    )
    delivery_form = models.CharField(
        _("delivery form"), max_length=16, choices=DeliveryForm.choices, default=DeliveryForm.ONLINE
    )
    credit_hours = models.DecimalField(
        _("credit hours"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Leave empty to derive the hours from the lessons' length by the credit rules."
        ),
    )

    search_fields = [*Page.search_fields, index.SearchField("summary")]
    content_panels = [
        *Page.content_panels,
        "summary",
        "cover",
        "category",
        "delivery_form",
        "credit_hours",
        "lecturers",
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def get_context(self, request, *args, **kwargs):
        from .selectors import course_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_context(self, request.user))
        return context


class LessonPage(Page):
    """A lesson: text, images, video and documents; progress is judged on the server."""

    body = StreamField(
        [
            ("text", blocks.RichTextBlock(label=_("Text"))),
            ("image", ImageChooserBlock(label=_("Image"))),
            ("video", VideoChooserBlock(label=_("Video"))),
            ("document", DocumentChooserBlock(label=_("Document (PDF slides)"))),
        ],
        blank=True,
        verbose_name=_("content"),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Video length, or the estimated reading time of a text lesson."),
    )
    required = models.BooleanField(_("required for completion"), default=True)
    plain_text = models.TextField(editable=False, blank=True)

    content_panels = [*Page.content_panels, "duration_minutes", "required", "body"]
    search_fields = [*Page.search_fields, index.SearchField("plain_text")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def save(self, *args, **kwargs):
        self.plain_text = " ".join(
            get_text_for_indexing(block.value.source)
            for block in self.body
            if block.block_type == "text"
        )
        return super().save(*args, **kwargs)

    @property
    def video(self):
        return next((block.value for block in self.body if block.block_type == "video"), None)

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from .selectors import lesson_context

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_context(self, request.user))
        return context


class Enrollment(models.Model):
    """A cadre taking a course: by choice, or assigned because the course is required."""

    class Source(models.TextChoices):
        SELF = "self", _("Enrolled themself")
        REQUIRED = "required", _("Assigned as required")

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrollments")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when a secretary marked the course complete by hand."),
    )

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "course"], name="enrollment_once_per_course"),
        ]
        indexes = [models.Index(fields=["cadre", "completed_at"])]

    def __str__(self):
        return f"{self.cadre} · {self.course}"


class LessonProgress(models.Model):
    """What the server has accepted of a cadre's time on a lesson."""

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="progress")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    seconds_credited = models.PositiveIntegerField(default=0)
    furthest_position = models.FloatField(default=0)
    last_position = models.FloatField(default=0)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    session_key = models.CharField(max_length=64, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        indexes = [
            # a cadre's latest heartbeat in one index probe (the workbench's latest activity)
            models.Index(
                fields=["cadre", "-last_beat_at"],
                name="progress_latest_beat",
                condition=models.Q(last_beat_at__isnull=False),
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "lesson"], name="progress_once_per_lesson"),
            models.CheckConstraint(
                condition=Q(furthest_position__gte=0), name="progress_position_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.lesson}"


class TrainingRequirement(models.Model):
    """For a year and an organization subtree (optionally some positions or member types):
    the hours to earn and the courses that are required."""

    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="training_requirements"
    )
    positions = models.JSONField(
        _("positions"), default=list, blank=True, help_text=_("Empty: every position.")
    )
    member_types = models.JSONField(
        _("member types"), default=list, blank=True, help_text=_("Empty: every member type.")
    )
    total_hours = models.DecimalField(_("total hours"), max_digits=5, decimal_places=1)
    online_hours = models.DecimalField(
        _("of which online"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    required_courses = models.ManyToManyField(
        CoursePage, blank=True, related_name="requirements", verbose_name=_("required courses")
    )

    class Meta:
        verbose_name = _("yearly training requirement")
        verbose_name_plural = _("yearly training requirements")
        ordering = ["-year", "name"]

    def __str__(self):
        return f"{self.year} · {self.name}"

    def membership_filter(self) -> Q:
        """`applies_to` as a condition on home memberships, for whole subtrees at once."""
        condition = Q(organization__path__startswith=self.organization.path)
        if self.positions:
            condition &= Q(user__cadre_profile__position__in=self.positions)
        if self.member_types:
            condition &= Q(user__cadre_profile__member_type__in=self.member_types)
        return condition

    def applies_to(self, profile: CadreProfile | None, home: Organization | None) -> bool:
        if home is None or not home.path.startswith(self.organization.path):
            return False
        if self.positions and (profile is None or profile.position not in self.positions):
            return False
        return not self.member_types or (
            profile is not None and profile.member_type in self.member_types
        )


class CreditEntry(models.Model):
    """One line of the append-only credit-hour ledger. Corrections are reversing entries."""

    class Kind(models.TextChoices):
        ONLINE_COURSE = "online_course", _("Online course")
        TEST_PASS = "test_pass", _("Course test passed")
        OFFLINE_CLASS = "offline_class", _("Offline class")
        PRACTICE = "practice", _("Field practice")
        EXTERNAL = "external", _("External training")

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_entries"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source = models.CharField(
        _("source"), max_length=100, help_text=_("What earned the hours, e.g. course:42.")
    )
    description = models.CharField(_("description"), max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "kind", "source"],
                condition=Q(reversal_of__isnull=True),
                name="credit_granted_once_per_source",
            ),
            models.CheckConstraint(
                condition=Q(reversal_of__isnull=False) | Q(hours__gt=0),
                name="credit_grant_positive",
            ),
        ]
        indexes = [models.Index(fields=["cadre", "year", "kind"])]

    def __str__(self):
        return f"{self.cadre} {self.year} {self.hours} ({self.get_kind_display()})"


class CreditTotal(models.Model):
    """A cadre's ledger summed for one year, kept beside it: written by `credit_grant` and
    `credit_reverse` in the same transaction as each entry (the ledger stays the truth; this is
    its balance, always equal to the sum), so that pages over thousands of cadres read one row
    a cadre instead of summing their entries."""

    # the kinds that count as online learning against a requirement's online hours
    ONLINE_KINDS = (CreditEntry.Kind.ONLINE_COURSE, CreditEntry.Kind.TEST_PASS)

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_totals"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2, default=0)
    online_hours = models.DecimalField(
        _("of which online"), max_digits=8, decimal_places=2, default=0
    )
    latest_at = models.DateTimeField(_("newest entry made at"))

    class Meta:
        verbose_name = _("credit-hour total")
        verbose_name_plural = _("credit-hour totals")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="credit_total_per_cadre_year")
        ]
        indexes = [models.Index(fields=["cadre", "-latest_at"], name="credit_total_latest")]

    def __str__(self):
        return f"{self.cadre} {self.year} {self.hours}"
