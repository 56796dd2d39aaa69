"""Secretaries' exports of an organization (lms/exports.py): answered at once when small,
otherwise an `Export` job with a progress page and a download for its requester only."""

from io import BytesIO

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from . import exports, permissions, services
from .models import Export
from .views import manager_required


def _attachment(content, filename: str, format: str) -> FileResponse:
    response = FileResponse(
        content,
        as_attachment=True,
        filename=filename,
        content_type=exports.CONTENT_TYPES[format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _export(request, pk, report: str, format: str):
    """The report as a file when it has at most LMS_EXPORT_INLINE_MAX_ROWS rows; otherwise
    a background export, and its progress page."""
    organization = permissions.organization_or_404(request.user, pk)
    params = {"year": timezone.localdate().year}
    if report == Export.Report.CADRES:
        params.update(exports.filter_params(request.GET))
    built = exports.report_build(report, organization, params=params)
    if built.total > settings.LMS_EXPORT_INLINE_MAX_ROWS:
        export = services.export_create(
            requested_by=request.user,
            organization=organization,
            report=report,
            format=format,
            params=params,
        )
        return redirect("export_detail", pk=export.pk)
    content = BytesIO()
    exports.report_write(built, format, content)
    content.seek(0)
    return _attachment(content, built.filename(format), format)


@manager_required
def organization_export(request, pk):
    """学时完成情况 of the subtree's cadres, as the organization page filters them (Excel)."""
    return _export(request, pk, Export.Report.CADRES, Export.Format.XLSX)


@manager_required
def organization_export_csv(request, pk):
    """The same table as CSV (UTF-8 with a BOM)."""
    return _export(request, pk, Export.Report.CADRES, Export.Format.CSV)


@manager_required
def organization_summary_export(request, pk):
    """学时完成情况汇总: one row per direct sub-organization and the total (Excel)."""
    return _export(request, pk, Export.Report.SUMMARY, Export.Format.XLSX)


@manager_required
def organization_summary_export_csv(request, pk):
    """The summary as CSV (UTF-8 with a BOM)."""
    return _export(request, pk, Export.Report.SUMMARY, Export.Format.CSV)


def _export_or_404(user, pk) -> Export:
    """The export for the person who asked for it, while they still manage its organization;
    404 for anyone else, platform admins included (the file is the requester's)."""
    export = Export.objects.select_related("organization").filter(pk=pk, requested_by=user).first()
    if export is None or not permissions.can_manage_organization(user, export.organization):
        raise Http404
    return export


@manager_required
def export_detail(request, pk):
    """The export's progress (reloading itself without JavaScript) and, when ready, its link."""
    export = _export_or_404(request.user, pk)
    return render(request, "lms/export_detail.html", {"export": export})


@manager_required
def export_progress(request, pk):
    """Progress as JSON for the page's poller (static/js/site.js)."""
    export = _export_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": export.status,
            "status_label": export.get_status_display(),
            "total": export.rows_total,
            "processed": export.rows_done,
            "finished": export.is_finished,
            "url": reverse("export_detail", args=[export.pk]),
        }
    )


@manager_required
def export_download(request, pk):
    """The finished file, as an attachment with its Chinese name."""
    export = _export_or_404(request.user, pk)
    if export.status != Export.Status.DONE or not export.file:
        return redirect("export_detail", pk=export.pk)
    title = exports.report_title(export.report, export.organization, params=export.params)
    filename = exports.attachment_name(title, export.format)
    return _attachment(export.file.open("rb"), filename, export.format)
