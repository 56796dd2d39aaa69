"""Writes about people and organizations: accounts, memberships, rosters, notifications."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from . import notifications, permissions, selectors
from .models import (
    CadreProfile,
    Evaluation,
    EvaluationSettings,
    Export,
    Membership,
    Notification,
    Organization,
    Reminder,
    RosterImport,
    User,
)
from .roster import RosterFileError, RowValidator, read_rows

PROFILE_FIELDS = (
    "gender",
    "birth_year",
    "position",
    "party_status",
    "member_type",
    "years_of_service",
    "education",
    "qualification",
    "work_unit",
)
PROGRESS_EVERY = 200
logger = logging.getLogger(__name__)


@transaction.atomic
def organization_create(
    *, name: str, code: str, level: str, parent: Organization | None = None
) -> Organization:
    """Adds an organization under `parent`, or as a new root."""
    if parent is None:
        return Organization.add_root(name=name, code=code, level=level)
    return parent.add_child(name=name, code=code, level=level)


@transaction.atomic
def membership_grant(*, user: User, organization: Organization, role: str) -> Membership:
    """Gives `user` a role on `organization`; a cadre's home organization is replaced, not added."""
    if role == Membership.Role.CADRE:
        membership, _ = Membership.objects.update_or_create(
            user=user, role=role, defaults={"organization": organization}
        )
        return membership
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=organization, role=role
    )
    return membership


@transaction.atomic
def roster_import_create(
    *, organization: Organization, uploaded_by: User, file, language: str = "zh-hans"
) -> RosterImport:
    """Records an upload and enqueues its import once the upload is committed."""
    from .tasks import roster_import_run_task

    if not permissions.can_manage_organization(uploaded_by, organization):
        raise PermissionError("organization outside the uploader's subtree")
    roster_import = RosterImport.objects.create(
        organization=organization,
        uploaded_by=uploaded_by,
        file=file,
        original_name=getattr(file, "name", "roster.xlsx")[:255],
    )
    transaction.on_commit(lambda: roster_import_run_task.delay(roster_import.pk, language))
    return roster_import


def roster_import_run(*, roster_import_id: int, language: str = "zh-hans") -> RosterImport:
    """Validates every row, then imports all of them in one transaction, or none at all."""
    roster_import = RosterImport.objects.select_related("organization", "uploaded_by").get(
        pk=roster_import_id
    )
    if roster_import.is_finished:
        return roster_import
    with override(language):
        roster_import.status = RosterImport.Status.RUNNING
        roster_import.save(update_fields=["status"])
        try:
            return _roster_import_rows(roster_import)
        except RosterFileError as error:
            message = str(error)
        except Exception:
            logger.exception("roster import %s failed", roster_import.pk)
            message = gettext("The import failed on our side; nothing was imported. Try again.")
        return _roster_import_finish(
            roster_import, errors=[{"row": 0, "column": "", "message": message}]
        )


def _roster_import_rows(roster_import: RosterImport) -> RosterImport:
    try:
        with roster_import.file.open("rb") as fileobj:
            rows = read_rows(fileobj)
    except FileNotFoundError as error:
        raise RosterFileError(
            gettext("The uploaded file can no longer be read; upload it again.")
        ) from error
    roster_import.total_rows = len(rows)
    roster_import.save(update_fields=["total_rows"])
    cleaned_rows, errors = _roster_validate(roster_import, rows)
    if errors:
        return _roster_import_finish(roster_import, errors=errors)
    roster_import.created_count, roster_import.updated_count = _roster_write(cleaned_rows)
    return _roster_import_finish(roster_import, errors=[])


def _roster_validate(roster_import: RosterImport, rows) -> tuple[list[dict], list[dict]]:
    root = roster_import.organization
    mobiles = [str(row.values.get("mobile", "")) for row in rows]
    existing = User.objects.in_bulk(mobiles, field_name="mobile")
    in_scope = set(
        Membership.objects.filter(
            user__mobile__in=mobiles,
            role=Membership.Role.CADRE,
            organization__path__startswith=root.path,
        ).values_list("user__mobile", flat=True)
    )
    validator = RowValidator(
        organizations={org.code: org for org in Organization.get_tree(root)},
        foreign_mobiles=set(existing) - in_scope,
    )
    cleaned_rows, errors = [], []
    for index, row in enumerate(rows, start=1):
        cleaned, row_errors = validator.clean(row)
        errors.extend(error.as_dict() for error in row_errors)
        cleaned["user"] = existing.get(cleaned.get("mobile"))
        cleaned_rows.append(cleaned)
        if index % PROGRESS_EVERY == 0:
            RosterImport.objects.filter(pk=roster_import.pk).update(processed_rows=index)
    return cleaned_rows, errors


@transaction.atomic
def _roster_write(cleaned_rows: list[dict]) -> tuple[int, int]:
    new_rows = [row for row in cleaned_rows if row["user"] is None]
    old_rows = [row for row in cleaned_rows if row["user"] is not None]

    new_users = User.objects.bulk_create(
        [
            User(
                username=row["mobile"],
                mobile=row["mobile"],
                name=row["name"],
                password="!",  # unusable: the first login uses the initial password
                must_change_password=True,
            )
            for row in new_rows
        ]
    )
    if new_users and new_users[0].pk is None:  # backends that do not return keys
        by_mobile = User.objects.in_bulk([u.mobile for u in new_users], field_name="mobile")
        new_users = [by_mobile[u.mobile] for u in new_users]
    for row, user in zip(new_rows, new_users, strict=True):
        row["user"] = user

    CadreProfile.objects.bulk_create(
        [CadreProfile(user=row["user"], **_profile_values(row)) for row in new_rows]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=row["user"], organization=row["organization"], role=Membership.Role.CADRE
            )
            for row in new_rows
        ]
    )

    if old_rows:
        for row in old_rows:
            row["user"].name = row["name"]
        User.objects.bulk_update([row["user"] for row in old_rows], ["name"], batch_size=500)
        profiles = CadreProfile.objects.in_bulk(
            [row["user"].pk for row in old_rows], field_name="user_id"
        )
        missing = []
        now = timezone.now()
        for row in old_rows:
            profile = profiles.get(row["user"].pk)
            if profile is None:
                missing.append(CadreProfile(user=row["user"], **_profile_values(row)))
                continue
            for name, value in _profile_values(row).items():
                setattr(profile, name, value)
            profile.updated_at = now
        CadreProfile.objects.bulk_create(missing)
        CadreProfile.objects.bulk_update(
            list(profiles.values()), [*PROFILE_FIELDS, "updated_at"], batch_size=500
        )
        users_by_organization = defaultdict(list)
        for row in old_rows:
            users_by_organization[row["organization"]].append(row["user"].pk)
        for organization, user_ids in users_by_organization.items():
            Membership.objects.filter(user_id__in=user_ids, role=Membership.Role.CADRE).exclude(
                organization=organization
            ).update(organization=organization)
    return len(new_rows), len(old_rows)


def _profile_values(row: dict) -> dict:
    values = {name: row[name] for name in PROFILE_FIELDS if name in row}
    values.setdefault("qualification", CadreProfile.Qualification.NONE)
    values.setdefault("years_of_service", 0)
    values.setdefault("work_unit", "")
    return values


def _roster_import_finish(roster_import: RosterImport, *, errors: list[dict]) -> RosterImport:
    roster_import.errors = errors
    roster_import.status = RosterImport.Status.FAILED if errors else RosterImport.Status.DONE
    roster_import.processed_rows = roster_import.total_rows
    roster_import.finished_at = timezone.now()
    roster_import.save()
    return roster_import


@transaction.atomic
def user_password_set(*, user: User, password: str) -> User:
    """Sets a new password and ends the first-login obligation."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def notification_send(*, user: User, title: str, body: str = "", url: str = "") -> Notification:
    """Keeps a notification for `user` and, once committed, sends it through every channel."""
    if url and not notifications.is_site_path(url):
        raise ValueError(f"notification links must be paths on this site, not {url!r}")
    notification = Notification.objects.create(user=user, title=title, body=body, url=url)
    transaction.on_commit(
        lambda: notifications.deliver(user=user, title=title, body=body, url=url), robust=True
    )
    return notification


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Marks `user`'s unread notifications read, only those in `ids` if given; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def behind_reminders_send(
    *, memberships, kind: str, period: str, sent_by: User | None = None
) -> int:
    """Reminds each cadre of `memberships` (annotated with `year_hours` and `required_hours`,
    see selectors.behind_requirement) once for the period; returns how many were reminded now.
    The unique (cadre, kind, period) row decides: a second run finds it and sends nothing."""
    reminded = 0
    for membership in memberships.select_related("user"):
        _reminder, created = Reminder.objects.get_or_create(
            user_id=membership.user_id, kind=kind, period=period, defaults={"sent_by": sent_by}
        )
        if not created:
            continue
        reminded += 1
        notification_send(
            user=membership.user,
            title=gettext("Your study hours this year: %(done)s of %(required)s")
            % {
                "done": selectors.format_hours(membership.year_hours or Decimal(0)),
                "required": selectors.format_hours(membership.required_hours),
            },
            body=gettext("Open My learning to continue your courses before the year ends."),
            url="/",
        )
    return reminded


# --- Exports too large to answer at once (the reports are in lms/exports.py) ---------------


class ExportRefused(Exception):
    """The export may not be written any more; its message is shown to the requester."""


@transaction.atomic
def export_create(
    *, requested_by: User, organization: Organization, report: str, format: str, params: dict
) -> Export:
    """Records an export for its requester and sends it to the workers once committed."""
    if not permissions.can_manage_organization(requested_by, organization):
        raise PermissionError("organization outside the requester's subtree")
    export = Export.objects.create(
        requested_by=requested_by,
        organization=organization,
        report=report,
        format=format,
        params=params,
    )
    transaction.on_commit(lambda: _export_send(export.pk))
    return export


def _export_send(export_id: int) -> None:
    """Hands the export to the workers; when the broker cannot take it, the export fails with
    a message at once rather than wait forever."""
    from .tasks import export_build_task

    try:
        export_build_task.delay(export_id)
    except Exception:
        logger.warning("export %s could not be queued", export_id, exc_info=True)
        Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
            status=Export.Status.FAILED,
            error=gettext("The export could not be started. Please try again later."),
            finished_at=timezone.now(),
        )


def export_build(*, export: Export) -> Export:
    """Writes the export's file chunk by chunk with progress; it ends done, or failed with a
    message, never left running. Not one transaction: progress must show while it runs."""
    import tempfile

    from django.core.files import File

    from . import exports

    if export.is_finished:
        return export
    export.status = Export.Status.RUNNING
    export.save(update_fields=["status"])
    written = 0

    def progress(rows: int) -> None:
        nonlocal written
        written = rows
        Export.objects.filter(pk=export.pk).update(rows_done=rows)

    try:
        if not permissions.can_manage_organization(export.requested_by, export.organization):
            raise ExportRefused(
                gettext("You no longer manage %(organization)s, so nothing was exported.")
                % {"organization": export.organization.name}
            )
        report = exports.report_build(export.report, export.organization, params=export.params)
        export.rows_total = report.total
        export.save(update_fields=["rows_total"])
        with tempfile.TemporaryFile() as buffer:
            exports.report_write(report, export.format, buffer, progress=progress)
            buffer.seek(0)
            export.file.save(f"{export.pk}.{export.format}", File(buffer), save=False)
    except Exception as error:
        if isinstance(error, ExportRefused):
            message = str(error)
        else:
            logger.exception("export %s failed", export.pk)
            message = gettext("Writing the file failed. Please try again.")
        export.status, export.error = Export.Status.FAILED, message[:300]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    export.status = Export.Status.DONE
    export.rows_total = export.rows_done = written  # the rows really written
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "status", "rows_total", "rows_done", "finished_at"])
    return export


# --- 考核评价: the yearly evaluation (the figures are computed in lms/archive.py) ----------------

ADJUSTMENT_REASON_MIN = 10


@transaction.atomic
def evaluation_compute(*, cadre: User, year: int) -> Evaluation:
    """Computes the cadre's evaluation of `year` from their learning archive and records it,
    replacing an earlier computation; a secretary's adjustment of the grade stays."""
    from .archive import evaluation_figures, learning_archive

    figures = evaluation_figures(learning_archive(cadre, year=year), EvaluationSettings.load())
    evaluation, _created = Evaluation.objects.update_or_create(
        cadre=cadre,
        year=year,
        defaults={
            "score": figures.score,
            "grade": figures.grade,
            "components": figures.components,
            "computed_at": timezone.now(),
        },
    )
    return evaluation


@transaction.atomic
def evaluation_adjust(*, evaluation: Evaluation, grade: str, reason: str, by: User) -> Evaluation:
    """Sets the grade that counts, with a reason of at least ten characters, kept in the
    evaluation's history and sent to the cadre as a notification. Nobody adjusts their own."""
    reason = reason.strip()
    if len(reason) < ADJUSTMENT_REASON_MIN:
        raise ValidationError(
            {
                "reason": gettext(
                    "Give the reason for adjusting the grade, in at least %(count)s characters."
                )
                % {"count": ADJUSTMENT_REASON_MIN}
            }
        )
    if grade not in Evaluation.Grade.values:
        raise ValidationError({"grade": gettext("Choose one of the grades.")})
    if by.pk == evaluation.cadre_id:
        raise PermissionError("nobody adjusts their own evaluation")
    locked = Evaluation.objects.select_for_update().select_related("cadre").get(pk=evaluation.pk)
    now = timezone.now()
    locked.adjusted_grade = grade
    locked.adjustment_reason = reason
    locked.adjusted_by = by
    locked.adjusted_at = now
    locked.adjustments = [
        *locked.adjustments,
        {
            "grade": grade,
            "computed_grade": locked.grade,
            "score": str(locked.score),
            "reason": reason,
            "by": by.pk,
            "by_name": str(by),
            "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        },
    ]
    locked.save(
        update_fields=[
            "adjusted_grade",
            "adjustment_reason",
            "adjusted_by",
            "adjusted_at",
            "adjustments",
        ]
    )
    notification_send(
        user=locked.cadre,
        title=gettext("Your evaluation of %(year)s was adjusted to the grade %(grade)s")
        % {"year": locked.year, "grade": locked.get_adjusted_grade_display()},
        body=reason,
        url=f"{reverse('my_archive')}?year={locked.year}",
    )
    return locked
