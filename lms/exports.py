"""Reports handed upward as Excel or CSV: 学时完成情况 per cadre and a summary per
sub-organization, in the fixed Chinese layout an organization department forwards as-is.

Each report is a `Report`: a title, a 组织/年度/导出日期 line, Chinese headers and a generator
of data rows (typed values: text, numbers, fractions for percentages). Two sinks write any
report — `write_xlsx` (openpyxl write-only, streamed to a file) and `write_csv` (UTF-8 with a
BOM, so Excel reads the Chinese) — so the two formats never disagree. Cadres are read in
chunks of CHUNK_SIZE, so memory stays flat however large the subtree.

Small reports are answered at once (lms/export_views.py); larger ones become an `Export`
written by `lms.services.export_build` in a Celery task.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from courses.models import TrainingRequirement

from . import dashboard, selectors
from .forms import CadreFilterForm
from .models import Export, Membership, Organization

CHUNK_SIZE = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {Export.Format.XLSX: XLSX, Export.Format.CSV: "text/csv; charset=utf-8"}
# The organization page's filters that the cadre table honours (GET parameter names).
FILTER_KEYS = tuple(CadreFilterForm.base_fields)

TEXT, NUMBER, PERCENT = "text", "number", "percent"


@dataclass(frozen=True)
class Column:
    """One column of a report: its Chinese header, its width in Excel and how to show values."""

    header: str
    width: int
    kind: str = TEXT


@dataclass
class Report:
    """A report ready to write: layout, the number of data rows, and a generator of them."""

    title: str
    organization: Organization
    year: int
    columns: tuple[Column, ...]
    total: int
    rows: Callable[[], Iterator[list]]
    sheet_name: str

    @property
    def meta(self) -> str:
        today = timezone.localdate()
        return f"组织：{self.organization.name}　年度：{self.year}　导出日期：{today:%Y-%m-%d}"

    def filename(self, format: str) -> str:
        return attachment_name(self.title, format)


def attachment_name(title: str, format: str) -> str:
    """The file name a download is saved under: the report's Chinese title."""
    return f"{title}.{format}".replace("/", "-").replace("\\", "-")


TITLE_SUFFIXES = {
    Export.Report.CADRES: "年学时完成情况",
    Export.Report.SUMMARY: "年学时完成情况汇总",
}


def report_year(params: dict) -> int:
    """The year an export's params ask for; this year by default."""
    return int(params.get("year") or timezone.localdate().year)


def report_title(kind: str, organization: Organization, *, params: dict) -> str:
    """<组织名称><年>年学时完成情况 (汇总 for the summary)."""
    return f"{organization.name}{report_year(params)}{TITLE_SUFFIXES[kind]}"


def filter_params(query: dict) -> dict[str, str]:
    """The organization page's filters present in a GET query, as an Export's params keep them."""
    return {key: query.get(key, "").strip() for key in FILTER_KEYS if query.get(key, "").strip()}


def report_build(kind: str, organization: Organization, *, params: dict) -> Report:
    """The report `kind` (an Export.Report) of the organization for `params` (filters, year)."""
    builder = {Export.Report.CADRES: cadre_report, Export.Report.SUMMARY: summary_report}[kind]
    return builder(organization, params=params, year=report_year(params))


def report_write(report: Report, format: str, target, *, progress=None) -> None:
    """Writes the report as `format` (an Export.Format) to the binary file `target`;
    `progress(rows_written)` is called after every chunk of rows. Choices (职务, 人员类别 …)
    are written in the site's language whatever the requester reads, like the headers."""
    sink = {Export.Format.XLSX: write_xlsx, Export.Format.CSV: write_csv}[format]
    with translation.override(settings.LANGUAGE_CODE):
        sink(report, target, progress=progress)


def _counted(report: Report, progress) -> Iterator[list]:
    """The report's rows, calling `progress` every CHUNK_SIZE rows and at the end."""
    written = 0
    for written, row in enumerate(report.rows(), start=1):
        yield row
        if progress is not None and written % CHUNK_SIZE == 0:
            progress(written)
    if progress is not None and written % CHUNK_SIZE:
        progress(written)


# --- sinks ---------------------------------------------------------------------------------

NUMBER_FORMATS = {NUMBER: "General", PERCENT: "0%"}


def write_xlsx(report: Report, target, *, progress=None) -> None:
    """A write-only workbook: merged bold title, the meta line, bold headers, then data with
    numbers as numbers (percentages as fractions shown as %)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(report.sheet_name)
    width = len(report.columns)
    for index, column in enumerate(report.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    last = get_column_letter(width)
    sheet.merged_cells.add(f"A1:{last}1")
    sheet.merged_cells.add(f"A2:{last}2")
    sheet.freeze_panes = "A4"
    sheet.append([_cell(sheet, report.title, font=Font(bold=True, size=14), center=True)])
    sheet.append([report.meta])
    bold = Font(bold=True)
    sheet.append([_cell(sheet, c.header, font=bold, center=True) for c in report.columns])
    formats = [NUMBER_FORMATS.get(column.kind) for column in report.columns]
    for row in _counted(report, progress):
        sheet.append(
            [
                _cell(sheet, value, number_format=number_format)
                if number_format or _looks_like_formula(value)
                else value
                for value, number_format in zip(row, formats, strict=True)
            ]
        )
    workbook.save(target)


# Text starting like this is a formula to Excel: a name such as =HYPERLINK(…) from a roster
# must stay text (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _cell(sheet, value, *, font=None, center=False, number_format=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if _looks_like_formula(value):
        cell.data_type = "s"  # openpyxl would write a string starting with "=" as a formula
    if font is not None:
        cell.font = font
    if center:
        cell.alignment = Alignment(horizontal="center")
    if number_format is not None and value is not None:
        cell.number_format = number_format
    return cell


def write_csv(report: Report, target, *, progress=None) -> None:
    """UTF-8 with a BOM (Excel then reads the Chinese); title, meta line, headers, data; hours
    as plain numbers, percentages as "39%", which Excel reads as numbers too."""
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow([report.title])
        writer.writerow([report.meta])
        writer.writerow([column.header for column in report.columns])
        kinds = [column.kind for column in report.columns]
        for row in _counted(report, progress):
            writer.writerow([_csv_value(v, kind) for v, kind in zip(row, kinds, strict=True)])
        text.flush()
    finally:
        text.detach()  # leave `target` open for the caller


def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == PERCENT:
        return f"{round(value * 100)}%"
    if isinstance(value, float):
        return selectors.format_hours(Decimal(str(value)))
    if _looks_like_formula(value):
        return f"'{value}"  # shown as text by Excel, never run
    return str(value)


# --- (a) 学时完成情况: one row per cadre ------------------------------------------------------

CADRE_COLUMNS = (
    Column("姓名", 12),
    Column("手机号", 14),
    Column("所在组织", 26),
    Column("职务", 18),
    Column("人员类别", 20),
    Column("政治面貌", 14),
    Column("本年学时", 10, NUMBER),
    Column("其中线上学时", 13, NUMBER),
    Column("要求学时", 10, NUMBER),
    Column("完成率", 9, PERCENT),
    Column("必修课完成", 11),
    Column("是否滞后", 9),
)


def filtered_cadres(
    organization: Organization,
    params: dict,
    *,
    year: int,
    requirements: list[TrainingRequirement],
) -> QuerySet[Membership]:
    """The subtree's cadres exactly as the organization page's table lists them for the same
    query string: `CadreFilterForm` filters and sorts (an invalid filter is left out)."""
    return CadreFilterForm(params).apply(
        selectors.organization_cadres(organization), year=year, requirements=requirements
    )


def cadre_report(organization: Organization, *, params: dict, year: int) -> Report:
    """学时完成情况 of every cadre of the subtree matching the page's filters (3 queries to
    build; writing reads the cadres, plus one query per chunk for required courses)."""
    requirements = selectors.year_requirements(year)
    cadres = filtered_cadres(organization, params, year=year, requirements=requirements)
    return Report(
        title=report_title(Export.Report.CADRES, organization, params=params),
        organization=organization,
        year=year,
        columns=CADRE_COLUMNS,
        total=cadres.count(),
        rows=lambda: _cadre_rows(cadres, requirements),
        sheet_name="学时完成情况",
    )


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _cadre_rows(cadres: QuerySet[Membership], requirements) -> Iterator[list]:
    for chunk in _chunks(cadres.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        dashboard.set_table_rows(chunk, requirements)
        for membership in chunk:
            yield _cadre_row(membership)


def _cadre_row(membership: Membership) -> list:
    user = membership.user
    profile = getattr(user, "cadre_profile", None)
    required = membership.required_hours
    behind = ("是" if membership.is_behind else "否") if membership.has_requirement else ""
    return [
        user.name or user.get_username(),
        user.mobile or "",
        membership.organization.name,
        profile.get_position_display() if profile else "",
        profile.get_member_type_display() if profile else "",
        profile.get_party_status_display() if profile else "",
        float(membership.hours),
        float(membership.online_hours),
        float(required) if required is not None else None,
        membership.hours_percent / 100 if membership.has_requirement else None,
        (
            f"{membership.required_done}/{membership.required_total}"
            if membership.required_total
            else ""
        ),
        behind,
    ]


# --- (b) 汇总表: one row per direct sub-organization, and the total --------------------------

SUMMARY_COLUMNS = (
    Column("组织", 28),
    Column("干部人数", 10, NUMBER),
    Column("有学时要求人数", 15, NUMBER),
    Column("达标人数", 10, NUMBER),
    Column("达标率", 9, PERCENT),
    Column("必修课完成率", 13, PERCENT),
    Column("模拟考试参加人数", 17, NUMBER),
    Column("学时合计", 11, NUMBER),
)
DIRECT = "（本级直属）"
TOTAL = "合计"


def summary_report(organization: Organization, *, params: dict, year: int) -> Report:
    """学时完成情况汇总: a row per direct sub-organization (its whole subtree), one for cadres
    held by the organization itself if any, and the total — from `dashboard.organization_figures`
    in a fixed number of queries."""
    children = list(organization.get_children())
    figures = dashboard.organization_figures([organization, *children], year=year)
    total = figures[organization.pk]
    rows = [(child.name, figures[child.pk]) for child in children]
    direct = _difference(total, [figure for _name, figure in rows])
    if direct.cadres:
        rows.append((f"{organization.name}{DIRECT}", direct))
    rows.append((TOTAL, total))
    return Report(
        title=report_title(Export.Report.SUMMARY, organization, params=params),
        organization=organization,
        year=year,
        columns=SUMMARY_COLUMNS,
        total=len(rows),
        rows=lambda: (_summary_row(name, figure) for name, figure in rows),
        sheet_name="汇总",
    )


def _difference(total: dashboard.Figures, parts: list[dashboard.Figures]) -> dashboard.Figures:
    """What the total holds beyond its parts (every count is per cadre, so they add up)."""
    return dashboard.Figures(
        **{
            field.name: getattr(total, field.name) - sum(getattr(p, field.name) for p in parts)
            for field in fields(dashboard.Figures)
        }
    )


def _summary_row(name: str, figures: dashboard.Figures) -> list:
    return [
        name,
        figures.cadres,
        figures.with_requirement,
        figures.meeting_hours,
        figures.meeting_percent / 100 if figures.with_requirement else None,
        figures.required_percent / 100 if figures.required_total else None,
        figures.mock_participants,
        float(figures.hours_total),
    ]
