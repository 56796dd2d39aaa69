"""Secretaries' certificate pages: the certificates of an organization, a class (a course's
cadres within an organization) completed in bulk, and ZIP archives of a class's certificates."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from courses import services as course_services
from courses.models import CoursePage, Enrollment
from lms import permissions
from lms.models import User
from lms.views import manager_required

from . import selectors, services
from .models import Certificate, CertificateArchive

CERTIFICATES_PER_PAGE = 25


class CertificateFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All kinds")), *Certificate.Kind.choices],
    )
    course = forms.TypedChoiceField(
        label=gettext_lazy("Course"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [
            ("", _("All courses")),
            *((course.pk, course.title) for course in courses),
        ]


def _course_or_404(pk) -> CoursePage:
    course = CoursePage.objects.filter(pk=pk).first()
    if course is None:
        raise Http404
    return course


def _can_complete(course: CoursePage) -> bool:
    """Secretaries record completion of published offline courses only; online courses are
    completed by studying them (as on the cadre page)."""
    return course.live and course.delivery_form != CoursePage.DeliveryForm.ONLINE


@manager_required
def organization_certificates(request, pk):
    """Certificates held by cadres of the organization's subtree, by kind and course."""
    organization = permissions.organization_or_404(request.user, pk)
    courses = selectors.organization_certificate_courses(organization)
    form = CertificateFilterForm(request.GET, courses=courses)
    form.is_valid()  # an invalid filter is shown with its error and not applied
    kind = form.cleaned_data.get("kind")
    course_pk = form.cleaned_data.get("course")
    certificates = selectors.organization_certificates(organization)
    if kind:
        certificates = certificates.filter(kind=kind)
    if course_pk:
        certificates = certificates.filter(subject=f"course:{course_pk}")
    page = Paginator(certificates, CERTIFICATES_PER_PAGE).get_page(request.GET.get("page"))
    for certificate in page:
        certificate.course_pk = selectors.course_pk_of(certificate.subject)
    return render(
        request,
        "certificates/manage/certificate_list.html",
        {
            "organization": organization,
            "form": form,
            "page": page,
            "selected_course": next((c for c in courses if c.pk == course_pk), None),
        },
    )


@manager_required
def organization_classes(request, pk):
    """The courses cadres of the subtree are enrolled in, each a class with its counts."""
    organization = permissions.organization_or_404(request.user, pk)
    return render(
        request,
        "certificates/manage/class_list.html",
        {
            "organization": organization,
            "classes": selectors.organization_course_summaries(organization),
        },
    )


@manager_required
def class_detail(request, pk, course_pk):
    """The cadres of the subtree enrolled in a course, with completion and certificate."""
    organization = permissions.organization_or_404(request.user, pk)
    course = _course_or_404(course_pk)
    enrollments = selectors.class_enrollments(organization, course)
    show = request.GET.get("show", "")
    if show == "pending":
        enrollments = enrollments.filter(completed_at__isnull=True)
    elif show == "done":
        enrollments = enrollments.filter(completed_at__isnull=False)
    else:
        show = ""
    enrollments = list(enrollments)
    return render(
        request,
        "certificates/manage/class_detail.html",
        {
            "organization": organization,
            "course": course,
            "enrollments": enrollments,
            "show": show,
            "can_complete": _can_complete(course),
            "pending_count": sum(e.completed_at is None for e in enrollments),
            "archives": selectors.recent_archives(request.user, organization, course),
        },
    )


def _selected_ids(values) -> set[int]:
    return {int(value) for value in values if value.isdigit()}


@manager_required
@require_POST
def class_complete(request, pk, course_pk):
    """Marks the selected cadres of a class complete, which credits their hours and issues
    their certificates. Cadres outside the subtree or not enrolled are refused, unchanged."""
    organization = permissions.organization_or_404(request.user, pk)
    course = _course_or_404(course_pk)
    if not _can_complete(course):
        raise Http404
    selected = _selected_ids(request.POST.getlist("cadre"))
    back = redirect("class_detail", pk=organization.pk, course_pk=course.pk)
    if not selected:
        messages.error(request, _("Select the cadres to mark complete."))
        return back

    completed = already = 0
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update(of=("self",))
            .filter(course=course, cadre_id__in=selected)
            .filter(cadre_id__in=selectors.subtree_cadre_ids(organization))
            .select_related("cadre")
            .order_by("pk")
        )
        for enrollment in enrollments:
            if enrollment.completed_at is not None:
                already += 1
                continue
            enrollment.course = course
            course_services.course_complete(enrollment=enrollment, by=request.user)
            completed += 1

    if completed:
        messages.success(
            request,
            ngettext(
                "%(count)d cadre marked complete; the certificate is being produced.",
                "%(count)d cadres marked complete; their certificates are being produced.",
                completed,
            )
            % {"count": completed},
        )
    if already:
        messages.info(
            request,
            ngettext(
                "%(count)d cadre had already completed the course.",
                "%(count)d cadres had already completed the course.",
                already,
            )
            % {"count": already},
        )
    _report_refused(request, organization, selected - {e.cadre_id for e in enrollments})
    return back


def _report_refused(request, organization, refused: set[int]) -> None:
    """Names the refused cadres of the subtree (not enrolled); only counts the others, whose
    existence outside the secretary's subtree is not revealed."""
    if not refused:
        return
    not_enrolled = list(
        User.objects.filter(pk__in=refused)
        .filter(pk__in=selectors.subtree_cadre_ids(organization))
        .order_by("name", "pk")
    )
    if not_enrolled:
        messages.error(
            request,
            _("Not enrolled in this course, left unchanged: %(names)s.")
            % {"names": "、".join(str(user) for user in not_enrolled)},
        )
    outside = len(refused) - len(not_enrolled)
    if outside:
        messages.error(
            request,
            ngettext(
                "%(count)d selected person is not a cadre of %(organization)s "
                "and was left unchanged.",
                "%(count)d selected people are not cadres of %(organization)s "
                "and were left unchanged.",
                outside,
            )
            % {"count": outside, "organization": organization.name},
        )


@manager_required
@require_POST
def class_archive(request, pk, course_pk):
    """Asks for a ZIP of the class's certificates, packed in the background."""
    organization = permissions.organization_or_404(request.user, pk)
    course = _course_or_404(course_pk)
    if not services.class_certificates(organization=organization, course=course).exists():
        messages.error(request, _("This class has no certificates to download yet."))
        return redirect("class_detail", pk=organization.pk, course_pk=course.pk)
    archive = services.archive_create(
        requested_by=request.user, organization=organization, course=course
    )
    return redirect("certificate_archive_detail", pk=archive.pk)


def _archive_or_404(user, pk) -> CertificateArchive:
    """The archive for the secretary who asked for it, while they still manage its
    organization; 404 for anyone else."""
    archive = (
        CertificateArchive.objects.select_related("organization", "course")
        .filter(pk=pk, requested_by=user)
        .first()
    )
    if archive is None or not permissions.can_manage_organization(user, archive.organization):
        raise Http404
    return archive


@manager_required
def archive_detail(request, pk):
    archive = _archive_or_404(request.user, pk)
    return render(request, "certificates/manage/archive_detail.html", {"archive": archive})


@manager_required
def archive_progress(request, pk):
    archive = _archive_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": archive.status,
            "status_label": archive.get_status_display(),
            "total": archive.total,
            "processed": archive.done,
            "finished": archive.is_finished,
            "url": reverse("certificate_archive_detail", args=[archive.pk]),
        }
    )


@manager_required
def archive_download(request, pk):
    archive = _archive_or_404(request.user, pk)
    if archive.status != CertificateArchive.Status.DONE or not archive.file:
        return redirect("certificate_archive_detail", pk=archive.pk)
    name = f"{archive.course.title}-{archive.organization.name}.zip"
    return FileResponse(
        archive.file.open("rb"),
        as_attachment=True,
        filename=name.replace("/", "-").replace("\\", "-"),
        content_type="application/zip",
    )
