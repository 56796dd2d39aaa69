"""Writes of the practice app: submitting logs and claims with their files, and reviewing them.

One state machine serves both kinds of record (`Reviewable.TRANSITIONS`); every step adds a
`ReviewEvent` row; approval credits the ledger once (`credit_grant` is idempotent per source)
in the same transaction.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image

from courses.services import credit_grant
from lms.models import User
from lms.services import notification_send
from lms.uploads import CleanFile

from .models import (
    Action,
    ExternalClaim,
    PracticeLog,
    PracticePhoto,
    PracticeSettings,
    Reviewable,
    ReviewEvent,
    Status,
    is_half_hours,
)

THUMBNAIL_SIDE = 480
MAX_PHOTOS = 9


@dataclass(frozen=True)
class Photo:
    """A cleaned photo with its thumbnail, ready to store."""

    image: CleanFile
    thumbnail: ContentFile

    @property
    def size(self) -> int:
        return self.image.content.size + self.thumbnail.size


def photo_prepare(clean: CleanFile) -> Photo:
    """Makes the JPEG thumbnail (480 px on the long side) of an image already cleaned by
    lms.uploads.clean_upload, which has decoded it once and bounded its pixels."""
    with Image.open(clean.content) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        output = io.BytesIO()
        image.convert("RGB").save(output, format="JPEG", quality=80)
    clean.content.seek(0)
    stem = clean.content.name.rsplit(".", 1)[0]
    return Photo(clean, ContentFile(output.getvalue(), name=f"{stem}.jpg"))


def storage_used(*, cadre: User) -> int:
    """Bytes the cadre's photos and proofs take in storage."""
    photos = PracticePhoto.objects.filter(log__cadre=cadre).aggregate(n=Sum("stored_bytes"))["n"]
    proofs = ExternalClaim.objects.filter(cadre=cadre).aggregate(n=Sum("proof_bytes"))["n"]
    return (photos or 0) + (proofs or 0)


def _reserve_storage(*, cadre: User, adding: int, field: str) -> None:
    """Refuses `adding` bytes beyond the cadre's quota. The cadre's row is locked first, so
    two uploads at once cannot both slip under the limit."""
    User.objects.select_for_update().filter(pk=cadre.pk).first()
    quota = PracticeSettings.load().storage_quota_bytes
    used = storage_used(cadre=cadre)
    if used + adding > quota:
        raise ValidationError(
            {
                field: _(
                    "Your storage for photos and proofs is full (%(used)s of %(quota)s MB "
                    "used); remove photos from a returned log or upload smaller files."
                )
                % {"used": round(used / 1024 / 1024, 1), "quota": quota // 1024 // 1024}
            }
        )


def _photos_store(*, log: PracticeLog, photos: list[Photo]) -> None:
    for photo in photos:
        PracticePhoto.objects.create(
            log=log,
            image=photo.image.content,
            thumbnail=photo.thumbnail,
            content_type=photo.image.content_type,
            stored_bytes=photo.size,
        )


def _event(item: Reviewable, *, action: str, actor: User, comment: str = "", hours=None):
    return ReviewEvent.objects.create(
        **{item.EVENT_FIELD: item}, action=action, actor=actor, comment=comment, hours=hours
    )


@transaction.atomic
def practice_log_submit(*, cadre: User, photos: list[Photo], **fields) -> PracticeLog:
    """Records a new practice log with its photos; refused whole when the photos exceed the
    cadre's storage quota."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most %(n)s photos.") % {"n": MAX_PHOTOS}})
    _reserve_storage(cadre=cadre, adding=sum(p.size for p in photos), field="photos")
    log = PracticeLog.objects.create(cadre=cadre, status=Status.SUBMITTED, **fields)
    _photos_store(log=log, photos=photos)
    _event(log, action=Action.SUBMIT, actor=cadre, hours=log.hours)
    return log


@transaction.atomic
def practice_log_resubmit(
    *, log: PracticeLog, photos: list[Photo], remove_photo_ids=(), **fields
) -> PracticeLog:
    """The cadre corrects a returned log (fields, photos removed and added) and sends it back
    for review; any other status is refused."""
    log = _locked(log, Action.RESUBMIT)
    removed = list(log.photos.filter(pk__in=remove_photo_ids))
    if log.photos.count() - len(removed) + len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most %(n)s photos.") % {"n": MAX_PHOTOS}})
    for photo in removed:
        photo.delete()
        transaction.on_commit(lambda p=photo: (p.image.delete(False), p.thumbnail.delete(False)))
    _reserve_storage(cadre=log.cadre, adding=sum(p.size for p in photos), field="photos")
    for name, value in fields.items():
        setattr(log, name, value)
    log.status = Status.RESUBMITTED
    log.save()
    _photos_store(log=log, photos=photos)
    _event(log, action=Action.RESUBMIT, actor=log.cadre, hours=log.hours)
    return log


@transaction.atomic
def external_claim_submit(*, cadre: User, proof: CleanFile, **fields) -> ExternalClaim:
    """Records a claim for training done elsewhere with its cleaned proof, within the quota."""
    _reserve_storage(cadre=cadre, adding=proof.content.size, field="proof")
    claim = ExternalClaim.objects.create(
        cadre=cadre,
        status=Status.SUBMITTED,
        proof=proof.content,
        proof_type=proof.content_type,
        proof_bytes=proof.content.size,
        **fields,
    )
    _event(claim, action=Action.SUBMIT, actor=cadre, hours=claim.hours)
    return claim


# --- review ------------------------------------------------------------------------------------


def _locked(item: Reviewable, action: str) -> Reviewable:
    """The record, re-read under a row lock, if `action` is allowed from its current status."""
    item = type(item).objects.select_for_update().select_related("cadre").get(pk=item.pk)
    if not item.allows(action):
        raise ValidationError(
            _("This record is %(status)s and cannot be changed that way.")
            % {"status": item.get_status_display()}
        )
    return item


def _notify(item: Reviewable, title: str, body: str = "") -> None:
    name = "practice_log_detail" if isinstance(item, PracticeLog) else "practice_claim_detail"
    url = reverse(name, args=[item.pk])
    notification_send(user=item.cadre, title=title, body=body, url=url)


@transaction.atomic
def review_approve(*, item: Reviewable, by: User, hours: Decimal | None = None) -> Reviewable:
    """Approves a pending log or claim at `hours` (the claimed hours by default; a reviewer
    may lower them, in half hours) and credits them to the ledger, once."""
    item = _locked(item, Action.APPROVE)
    if item.cadre_id == by.pk:
        raise ValidationError(_("Nobody reviews their own records."))
    hours = item.hours if hours is None else Decimal(hours)
    if not is_half_hours(hours, item.hours):
        raise ValidationError(
            _("Approve between 0.5 and %(hours)s hours, in half hours.") % {"hours": item.hours}
        )
    item.status, item.hours_approved = Status.APPROVED, hours
    item.save(update_fields=["status", "hours_approved", "updated_at"])
    _event(item, action=Action.APPROVE, actor=by, hours=hours)
    credit_grant(
        cadre=item.cadre,
        kind=item.CREDIT_KIND,
        source=item.credit_source,
        hours=hours,
        description=str(item),
        year=item.credit_year,
        granted_by=by,
    )
    _notify(
        item,
        _("Approved: %(record)s, %(hours)s hours credited") % {"record": item, "hours": hours},
    )
    return item


@transaction.atomic
def review_decline(*, item: Reviewable, by: User, comment: str) -> Reviewable:
    """Returns a pending log to the cadre for changes, or rejects a claim; a comment is
    required either way."""
    action = Action.RETURN if isinstance(item, PracticeLog) else Action.REJECT
    item = _locked(item, action)
    if item.cadre_id == by.pk:
        raise ValidationError(_("Nobody reviews their own records."))
    comment = comment.strip()
    if not comment:
        raise ValidationError(_("Say what should change, or why it is not accepted."))
    item.status = item.TRANSITIONS[action][1]
    item.save(update_fields=["status", "updated_at"])
    _event(item, action=action, actor=by, comment=comment)
    title = (
        _("Returned for changes: %(record)s")
        if action == Action.RETURN
        else _("Not accepted: %(record)s")
    )
    _notify(item, title % {"record": item}, comment)
    return item


@transaction.atomic
def review_bulk_approve(*, items, by: User) -> int:
    """Approves each pending record of `items` at its claimed hours; those no longer pending
    (someone else was quicker) are skipped. Returns how many were approved now."""
    approved = 0
    for item in items:
        if item.allows(Action.APPROVE) and item.cadre_id != by.pk:
            try:
                with transaction.atomic():
                    review_approve(item=item, by=by)
            except ValidationError:
                continue
            approved += 1
    return approved
