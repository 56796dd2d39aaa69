"""Issuing, rendering, revoking and re-issuing certificates.

Issuing records the certificate (serial number, verification code) in the caller's
transaction and asks for the PDF once that transaction commits. If the broker cannot be
reached then, the certificate stays pending and the periodic sweep sends it again: a
completion is never lost for want of a broker.
"""

import datetime
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from courses.models import CoursePage, CreditEntry, Enrollment
from courses.selectors import course_hours, hours_by_kind
from lms.models import Organization, User
from lms.permissions import home_organization

from . import codes, pdf, qr
from .models import Certificate, CertificateSettings, SerialCounter

logger = logging.getLogger(__name__)

# A pending certificate older than this is sent to the workers again by the sweep.
PENDING_GRACE = datetime.timedelta(minutes=2)


# --- issuing ---------------------------------------------------------------------------------


def _next_serial(year: int, organization: Organization | None) -> str:
    """The next serial number of the year and organization, gapless: the counter row is
    incremented in the caller's transaction, so a rollback gives the number back, and the
    row lock makes concurrent issuers wait for each other."""
    scope = organization.code if organization else "0"
    SerialCounter.objects.get_or_create(year=year, scope=scope)
    SerialCounter.objects.filter(year=year, scope=scope).update(last=F("last") + 1)
    sequence = SerialCounter.objects.values_list("last", flat=True).get(year=year, scope=scope)
    return CertificateSettings.load().serial_format.format(year=year, org=scope, seq=sequence)


def certificate_issue(
    *,
    cadre: User,
    kind: str,
    subject: str,
    title: str,
    hours: Decimal,
    completed_on: datetime.date,
) -> Certificate:
    """The valid certificate of (cadre, kind, subject), recorded now if there is none yet."""
    lookup = {"cadre": cadre, "kind": kind, "subject": subject, "revoked_at__isnull": True}
    existing = Certificate.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    organization = home_organization(cadre)
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                cadre=cadre,
                kind=kind,
                subject=subject,
                title=title[:200],
                hours=hours,
                year=completed_on.year,
                completed_on=completed_on,
                holder_name=cadre.name or cadre.get_username(),
                organization=organization,
                serial=_next_serial(completed_on.year, organization),
                code=codes.new(),
            )
    except IntegrityError:  # the same certificate was issued concurrently and committed first
        return Certificate.objects.get(**lookup)
    _render_after_commit(certificate.pk)
    return certificate


def course_certificate_issue(*, enrollment: Enrollment) -> Certificate:
    """结业证书 for an online course, 培训证书 for a class, lecture, seminar or field visit."""
    course = enrollment.course
    online = course.delivery_form == CoursePage.DeliveryForm.ONLINE
    return certificate_issue(
        cadre=enrollment.cadre,
        kind=Certificate.Kind.COURSE if online else Certificate.Kind.CLASS,
        subject=f"course:{course.pk}",
        title=course.title,
        hours=course_hours(course),
        completed_on=timezone.localdate(enrollment.completed_at),
    )


def statement_issue(*, cadre: User, year: int) -> Certificate:
    """The yearly hours statement; if the ledger has changed since, a new one replaces it."""
    total = sum(hours_by_kind(cadre, year).values(), Decimal("0"))
    subject = f"year:{year}"
    current = Certificate.objects.filter(
        cadre=cadre, kind=Certificate.Kind.STATEMENT, subject=subject, revoked_at__isnull=True
    ).first()
    if current is not None and current.hours == total:
        return current
    with transaction.atomic():
        if current is not None:
            certificate_revoke(certificate=current, reason="学时记录已更新，已重新开具", by=None)
        new = certificate_issue(
            cadre=cadre,
            kind=Certificate.Kind.STATEMENT,
            subject=subject,
            title=f"{year}年度继续教育学时证明",
            hours=total,
            completed_on=min(timezone.localdate(), datetime.date(year, 12, 31)),
        )
        if current is not None:
            Certificate.objects.filter(pk=current.pk).update(replaced_by=new)
    return new


# --- revoking --------------------------------------------------------------------------------


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, by: User | None) -> Certificate:
    """Marks a certificate revoked with its reason; revoking again changes nothing."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a revocation needs a reason")
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason[:200]
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    return locked


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, reason: str, by: User | None) -> Certificate:
    """A new certificate (new serial and code) for the same achievement; the old is revoked."""
    old = certificate_revoke(certificate=certificate, reason=reason, by=by)
    new = certificate_issue(
        cadre=old.cadre,
        kind=old.kind,
        subject=old.subject,
        title=old.title,
        hours=old.hours,
        completed_on=old.completed_on,
    )
    Certificate.objects.filter(pk=old.pk).update(replaced_by=new)
    return new


# --- rendering -------------------------------------------------------------------------------


def _render_after_commit(certificate_id: int) -> None:
    transaction.on_commit(lambda: send_render(certificate_id), robust=True)


def _send(task, object_id: int) -> bool:
    """Hands work to the workers; False (the row stays pending, for the sweep) when the broker
    cannot take it. When tasks run in-process their own errors are recorded on the row."""
    try:
        task.delay(object_id)
    except Exception:
        logger.warning("%s(%s) left pending", task.name, object_id, exc_info=True)
        return False
    return True


def send_render(certificate_id: int) -> bool:
    from .tasks import certificate_render_task

    return _send(certificate_render_task, certificate_id)


def template_for(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.STATEMENT:
        return "certificates/pdf/statement.html"
    return "certificates/pdf/certificate.html"


def pdf_context(certificate: Certificate) -> dict:
    """Everything a certificate template shows."""
    look = CertificateSettings.load()
    values = {
        "name": certificate.holder_name,
        "title": certificate.title,
        "hours": f"{certificate.hours.normalize():f}",
        "date": f"{certificate.completed_on:%Y年%-m月%-d日}",
        "year": certificate.year,
    }
    wording = {
        Certificate.Kind.COURSE: look.course_wording,
        Certificate.Kind.CLASS: look.class_wording,
        Certificate.Kind.STATEMENT: look.statement_wording,
    }[certificate.kind]
    context = {
        "certificate": certificate,
        "settings": look,
        "wording": wording.format_map(_Lenient(values)),
        "qr_image": qr.png_data_uri(certificate.verify_url),
        "seal_url": pdf.image_file_url(look.seal, "max-300x300"),
        "background_url": pdf.image_file_url(look.background, "max-1200x850"),
    }
    if certificate.kind == Certificate.Kind.STATEMENT:
        context["entries"] = CreditEntry.objects.filter(
            cadre_id=certificate.cadre_id, year=certificate.year
        ).order_by("created_at", "pk")
    return context


class _Lenient(dict):
    """Leaves an unknown placeholder of an admin's wording as it is instead of failing."""

    def __missing__(self, key):
        return "{" + key + "}"


def certificate_render(*, certificate_id: int) -> Certificate:
    """Makes and stores the PDF once. The row stays locked while it renders, so a task
    delivered twice waits and then finds the work done."""
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update(of=("self",))  # the organization may be null
            .select_related("cadre", "organization")
            .get(pk=certificate_id)
        )
        if certificate.status == Certificate.Status.ISSUED and certificate.pdf:
            return certificate
        content = pdf.render_pdf(template_for(certificate), pdf_context(certificate))
        # An attempt that died after storing its file but before committing left the file
        # without the row knowing: replace it rather than store a second copy beside it.
        name = certificate.pdf.field.generate_filename(certificate, f"{certificate.serial}.pdf")
        if certificate.pdf.storage.exists(name):
            certificate.pdf.storage.delete(name)
        certificate.pdf.save(name.rsplit("/", 1)[-1], ContentFile(content), save=False)
        certificate.status = Certificate.Status.ISSUED
        certificate.last_error = ""
        certificate.render_attempts = F("render_attempts") + 1
        certificate.save(update_fields=["pdf", "status", "last_error", "render_attempts"])
    certificate.refresh_from_db(fields=["render_attempts"])
    return certificate


def certificate_render_failed(*, certificate_id: int, error: BaseException, final: bool) -> None:
    """Records a failed attempt for admins to see; the last one marks the certificate failed."""
    changes = {"render_attempts": F("render_attempts") + 1, "last_error": repr(error)[:300]}
    if final:
        changes["status"] = Certificate.Status.FAILED
    Certificate.objects.filter(pk=certificate_id).exclude(status=Certificate.Status.ISSUED).update(
        **changes
    )


def pending_sweep(*, now: datetime.datetime | None = None) -> int:
    """Sends every certificate and class ZIP pending for longer than the grace period to the
    workers again; returns how many were sent."""
    from .models import CertificateArchive
    from .tasks import certificate_archive_task

    cutoff = (now or timezone.now()) - PENDING_GRACE
    certificates = Certificate.objects.filter(
        status=Certificate.Status.PENDING, issued_at__lt=cutoff
    ).values_list("pk", flat=True)
    archives = CertificateArchive.objects.filter(
        status=CertificateArchive.Status.PENDING, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    sent = sum(send_render(pk) for pk in certificates)
    return sent + sum(_send(certificate_archive_task, pk) for pk in archives)


# --- ZIP archives of a class -----------------------------------------------------------------


def class_certificates(*, organization: Organization, course: CoursePage):
    """Valid certificates for a course held by cadres of an organization's subtree."""
    return (
        Certificate.objects.filter(
            subject=f"course:{course.pk}",
            revoked_at__isnull=True,
            organization__path__startswith=organization.path,
        )
        .select_related("organization")
        .order_by("serial")
    )


def archive_create(*, requested_by: User, organization: Organization, course: CoursePage):
    from .models import CertificateArchive
    from .tasks import certificate_archive_task

    archive = CertificateArchive.objects.create(
        requested_by=requested_by, organization=organization, course=course
    )
    transaction.on_commit(lambda: _send(certificate_archive_task, archive.pk), robust=True)
    return archive


def _archive_name(certificate: Certificate) -> str:
    """serial-name.pdf, with nothing that a ZIP would read as a folder."""
    name = f"{certificate.serial}-{certificate.holder_name}"
    return "".join("_" if character in '/\\:*?"<>|' else character for character in name) + ".pdf"


def archive_build(*, archive_id: int) -> None:
    """Packs the class's certificates into one ZIP, rendering any still missing, with progress."""
    import tempfile
    import zipfile

    from django.core.files import File

    from .models import CertificateArchive

    archive = CertificateArchive.objects.select_related("organization", "course").get(pk=archive_id)
    if archive.is_finished:
        return
    certificates = list(
        class_certificates(organization=archive.organization, course=archive.course)
    )
    archive.status = CertificateArchive.Status.RUNNING
    archive.total, archive.done = len(certificates), 0
    archive.save(update_fields=["status", "total", "done"])
    try:
        with tempfile.TemporaryFile() as buffer:
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
                for number, certificate in enumerate(certificates, start=1):
                    if not certificate.pdf:
                        certificate = certificate_render(certificate_id=certificate.pk)
                    with certificate.pdf.open("rb") as handle:
                        bundle.writestr(_archive_name(certificate), handle.read())
                    if number % 10 == 0 or number == len(certificates):
                        CertificateArchive.objects.filter(pk=archive.pk).update(done=number)
            buffer.seek(0)
            archive.file.save(f"{archive.course.slug}-{archive.pk}.zip", File(buffer), save=False)
        archive.status = CertificateArchive.Status.DONE
        archive.done = len(certificates)
        archive.save(update_fields=["file", "status", "done"])
    except Exception as error:
        CertificateArchive.objects.filter(pk=archive.pk).update(
            status=CertificateArchive.Status.FAILED, error=repr(error)[:300]
        )
        raise
