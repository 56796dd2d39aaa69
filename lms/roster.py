"""The roster (花名册) spreadsheet: its columns, the template, and row-by-row validation."""

import zipfile
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from .models import MOBILE_PATTERN, CadreProfile, Organization


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = True
    choices: type | None = None
    example: str = ""


COLUMNS = (
    Column("name", gettext_lazy("Name"), example="张秀英"),
    Column("mobile", gettext_lazy("Mobile number"), example="13800001234"),
    Column("gender", gettext_lazy("Gender"), choices=CadreProfile.Gender, example="女"),
    Column("birth_year", gettext_lazy("Birth year"), example="1968"),
    Column("organization", gettext_lazy("Organization code"), example="jd01-sq01"),
    Column("position", gettext_lazy("Position"), choices=CadreProfile.Position, example="网格员"),
    Column("party_status", gettext_lazy("Party status"), choices=CadreProfile.PartyStatus),
    Column("member_type", gettext_lazy("Member type"), choices=CadreProfile.MemberType),
    Column("years_of_service", gettext_lazy("Years of community work"), required=False),
    Column("education", gettext_lazy("Education"), choices=CadreProfile.Education),
    Column(
        "qualification",
        gettext_lazy("Social-work qualification"),
        required=False,
        choices=CadreProfile.Qualification,
    ),
    Column("work_unit", gettext_lazy("Work unit"), required=False),
)


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster; nothing is imported."""


@dataclass
class RosterRow:
    number: int
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def open_sheet(fileobj: IO[bytes]):
    """Opens the first sheet of an .xlsx file, refusing anything else with a clear reason."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise RosterFileError(_("The file is empty."))
    if size > settings.ROSTER_MAX_BYTES:
        raise RosterFileError(
            _("The file is larger than %(size)s; split the roster into several files.")
            % {"size": filesizeformat(settings.ROSTER_MAX_BYTES)}
        )
    if not zipfile.is_zipfile(fileobj):
        raise RosterFileError(_("This is not an Excel (.xlsx) file; save the roster as .xlsx."))
    fileobj.seek(0)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise RosterFileError(
            _("This is not an Excel (.xlsx) file; save the roster as .xlsx.")
        ) from error
    return workbook.worksheets[0]


def read_rows(fileobj: IO[bytes]) -> list[RosterRow]:
    """Returns the data rows, keyed by column; header problems and size limits raise first."""
    sheet = open_sheet(fileobj)
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise RosterFileError(_("The file is empty."))
    positions = _header_positions(header)
    data = []
    for number, raw in enumerate(rows, start=2):
        if all(_cell_text(value) == "" for value in raw):
            continue
        if len(data) >= settings.ROSTER_MAX_ROWS:
            raise RosterFileError(
                _("The roster has more than %(max)s rows; split it into several files.")
                % {"max": settings.ROSTER_MAX_ROWS}
            )
        values = {key: _cell_text(raw[i]) if i < len(raw) else "" for key, i in positions.items()}
        data.append(RosterRow(number=number, values=values))
    if not data:
        raise RosterFileError(_("The roster has a header but no data rows."))
    return data


def _header_positions(header) -> dict[str, int]:
    texts = [_cell_text(value).rstrip("*＊") for value in header]
    positions = {}
    missing = []
    for column in COLUMNS:
        accepted = {str(column.header), column.key}
        index = next((i for i, text in enumerate(texts) if text in accepted), None)
        if index is not None:
            positions[column.key] = index
        elif column.required:
            missing.append(str(column.header))
    if missing:
        raise RosterFileError(
            _("Missing columns: %(columns)s. Download the template and keep its headers.")
            % {"columns": "、".join(missing)}
        )
    return positions


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices.choices:
        lookup[str(value)] = value
        lookup[str(label)] = value
    return lookup


class RowValidator:
    """Checks every row against the importer's scope and the rest of the file."""

    def __init__(self, *, organizations: dict[str, Organization], foreign_mobiles: set[str]):
        self.organizations = organizations
        self.foreign_mobiles = foreign_mobiles
        self.lookups = {c.key: _choice_lookup(c.choices) for c in COLUMNS if c.choices}
        self.seen_mobiles: dict[str, int] = {}

    def clean(self, row: RosterRow) -> tuple[dict, list[RowError]]:
        errors: list[RowError] = []
        cleaned: dict[str, object] = {}

        def fail(column: Column, message: str):
            errors.append(RowError(row.number, str(column.header), message))

        for column in COLUMNS:
            text = str(row.values.get(column.key, ""))
            if not text:
                if column.required:
                    fail(column, _("is required"))
                continue
            try:
                cleaned[column.key] = self._clean_value(column, text, row.number)
            except ValidationError as error:
                fail(column, error.messages[0])
        return cleaned, errors

    def _clean_value(self, column: Column, text: str, row_number: int):
        if column.choices:
            if text not in self.lookups[column.key]:
                options = "、".join(str(label) for label in column.choices.labels)
                raise ValidationError(
                    _("“%(value)s” is not one of: %(options)s")
                    % {"value": text, "options": options}
                )
            return self.lookups[column.key][text]
        if column.key == "mobile":
            if not MOBILE_PATTERN.match(text):
                raise ValidationError(_("is not a valid 11-digit mobile number"))
            first = self.seen_mobiles.setdefault(text, row_number)
            if first != row_number:
                raise ValidationError(_("repeats the number in row %(row)s") % {"row": first})
            if text in self.foreign_mobiles:
                raise ValidationError(
                    _("belongs to a person outside this organization; ask their secretary")
                )
            return text
        if column.key == "birth_year":
            return self._integer(text, 1930, 2010)
        if column.key == "years_of_service":
            return self._integer(text, 0, 60)
        if column.key == "organization":
            if text not in self.organizations:
                raise ValidationError(
                    _("“%(code)s” is not an organization you manage") % {"code": text}
                )
            return self.organizations[text]
        if column.key == "name" and len(text) > 50:
            raise ValidationError(_("is longer than 50 characters"))
        if column.key == "work_unit" and len(text) > 100:
            raise ValidationError(_("is longer than 100 characters"))
        return text

    @staticmethod
    def _integer(text: str, low: int, high: int) -> int:
        try:
            number = int(text)
        except ValueError as error:
            raise ValidationError(_("must be a whole number")) from error
        if not low <= number <= high:
            raise ValidationError(
                _("must be between %(low)s and %(high)s") % {"low": low, "high": high}
            )
        return number


def format_error(error: dict) -> str:
    return _("Row %(row)s: %(column)s %(message)s") % error


def build_template(organizations) -> Workbook:
    """The downloadable roster template: headers, an example row, and the organization codes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Roster")
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=str(column.header))
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        sheet.column_dimensions[cell.column_letter].width = 16
    example = {c.key: c.example for c in COLUMNS}
    example.update(
        party_status=str(CadreProfile.PartyStatus.FULL.label),
        member_type=str(CadreProfile.MemberType.STAFF.label),
        education=str(CadreProfile.Education.JUNIOR_COLLEGE.label),
        qualification=str(CadreProfile.Qualification.NONE.label),
        years_of_service="5",
    )
    organizations = list(organizations)
    if organizations:
        example["organization"] = organizations[0].code
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=2, column=index, value=example.get(column.key, ""))

    codes = workbook.create_sheet(_("Organization codes"))
    codes.append([_("Organization code"), _("Organization")])
    for cell in codes[1]:
        cell.font = bold
    for organization in organizations:
        codes.append([organization.code, organization.name])
    codes.column_dimensions["A"].width = 20
    codes.column_dimensions["B"].width = 40

    options = workbook.create_sheet(_("Allowed values"))
    for index, column in enumerate((c for c in COLUMNS if c.choices), start=1):
        options.cell(row=1, column=index, value=str(column.header)).font = bold
        for offset, label in enumerate(column.choices.labels, start=2):
            options.cell(row=offset, column=index, value=str(label))
        options.column_dimensions[options.cell(row=1, column=index).column_letter].width = 24
    return workbook
