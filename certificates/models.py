"""What is awarded: certificates, their serial counters, the admin-edited wording, and ZIP
archives of a class's certificates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from lms.models import Organization

from . import codes


@register_setting(icon="doc-full")
class CertificateSettings(BaseGenericSetting):
    """The parts of the certificate templates an administrator edits in the CMS."""

    class NameMasking(models.TextChoices):
        FULL = "full", _("Full name")
        MIDDLE = "middle", _("Hide the middle (张*英)")
        SURNAME = "surname", _("Surname only (张**)")

    issuer = models.CharField(
        _("issuing organization"), max_length=100, default="中共和平区委组织部"
    )
    seal = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("seal image"),
        help_text=_("A transparent PNG of the seal, printed over the issuer's name."),
    )
    background = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("background image"),
    )
    first_signatory = models.CharField(
        _("first signatory"), max_length=100, blank=True, default="和平区委组织部 部长"
    )
    second_signatory = models.CharField(_("second signatory"), max_length=100, blank=True)
    course_wording = models.TextField(
        _("wording of a course completion certificate"),
        default="于{date}完成《{title}》课程学习，共计{hours}学时，成绩合格，特发此证。",
        help_text=_("Placeholders: {name} {title} {hours} {date}."),
    )
    class_wording = models.TextField(
        _("wording of a training certificate"),
        default="于{date}参加“{title}”培训，共计{hours}学时，经考核合格，特发此证。",
        help_text=_("Placeholders: {name} {title} {hours} {date}."),
    )
    statement_wording = models.TextField(
        _("wording of the yearly hours statement"),
        default="兹证明该同志{year}年度累计完成继续教育学时{hours}学时，明细如下。",
        help_text=_("Placeholders: {name} {year} {hours}."),
    )
    serial_format = models.CharField(
        _("serial number format"),
        max_length=60,
        default="{year}-{org}-{seq:05d}",
        help_text=_("Placeholders: {year}, {org} (organization code), {seq} (gapless per year "
                    "and organization), e.g. {year}-{org}-{seq:05d}."),
    )  # fmt: skip
    name_masking = models.CharField(
        _("holder's name on the public verification page"),
        max_length=10,
        choices=NameMasking.choices,
        default=NameMasking.MIDDLE,
    )

    class Meta:
        verbose_name = _("certificate settings")

    def clean(self):
        super().clean()
        sample = {"year": 2026, "org": "jd01", "seq": 1}
        try:
            formatted = self.serial_format.format(**sample)
        except (KeyError, IndexError, ValueError) as error:
            raise ValidationError(
                {
                    "serial_format": _(
                        "Use only {year}, {org} and {seq}, e.g. {year}-{org}-{seq:05d}."
                    )
                }
            ) from error
        if "{seq" not in self.serial_format or formatted == self.serial_format.format(
            **{**sample, "seq": 2}
        ):
            raise ValidationError({"serial_format": _("The format must contain {seq}.")})


class SerialCounter(models.Model):
    """The last serial number given per year and organization code; incremented under a lock."""

    year = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=32)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "scope"], name="serial_counter_once"),
        ]

    def __str__(self):
        return f"{self.year} {self.scope}: {self.last}"


class Certificate(models.Model):
    """One award to one cadre. At most one valid certificate per (cadre, kind, subject)."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course completion certificate")
        CLASS = "class", _("Training certificate")
        STATEMENT = "statement", _("Yearly credit-hour statement")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being produced")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Production failed")

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(
        max_length=40, help_text=_("What it is for, e.g. course:12 or year:2026.")
    )
    title = models.CharField(_("achievement"), max_length=200)
    hours = models.DecimalField(_("credit hours"), max_digits=6, decimal_places=2)
    year = models.PositiveSmallIntegerField(_("year"))
    completed_on = models.DateField(_("completed on"))
    holder_name = models.CharField(_("holder"), max_length=50)
    organization = models.ForeignKey(
        Organization, null=True, on_delete=models.PROTECT, related_name="certificates"
    )
    serial = models.CharField(_("serial number"), max_length=60, unique=True)
    code = models.CharField(_("verification code"), max_length=codes.LENGTH, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    pdf = models.FileField(upload_to="certificates/%Y/", blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "kind", "subject"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_once_while_valid",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certificate_revocation_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "issued_at"]),
            models.Index(fields=["organization", "kind"]),
        ]

    def __str__(self):
        return f"{self.serial} {self.holder_name} {self.title}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def code_display(self) -> str:
        return codes.group(self.code)

    @property
    def verify_path(self) -> str:
        from django.urls import reverse

        return reverse("certificate_verify", args=[self.code_display])

    @property
    def verify_url(self) -> str:
        return settings.SITE_URL + self.verify_path


class CertificateArchive(models.Model):
    """A ZIP of the certificates of a class (a course, within an organization's subtree),
    built by a background task for the secretary who asked; only they may download it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Packing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="archives/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.course} · {self.organization} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
