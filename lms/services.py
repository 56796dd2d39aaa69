"""Writes about people and organizations: accounts, memberships, rosters, notifications."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from . import notifications, permissions, selectors
from .models import (
    CadreProfile,
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
