"""Admin views to import questions into a bank (upload, preview, confirm) and to export a bank.

The uploaded file is kept between preview and confirm in the private `question_imports`
folder; the confirm form carries a signed token naming that file, the bank and the user, so
nothing is created before confirm and nobody can confirm someone else's upload.
"""

import datetime
import uuid
from pathlib import PurePath

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import formats, importing
from .formats import FormatError
from .forms import ImportForm
from .models import QuestionBank
from .permissions import editable_banks

UPLOAD_FOLDER = "question_imports"
TOKEN_SALT = "assessments.question-import"
TOKEN_MAX_AGE = 24 * 60 * 60


def bank_or_404(user, pk) -> QuestionBank:
    """The bank if `user` may change it; 404 otherwise."""
    bank = editable_banks(user).filter(pk=pk).first()
    if bank is None or not user.has_perm("assessments.add_question"):
        raise Http404
    return bank


def _stale_uploads_remove() -> None:
    """Forget uploads never confirmed, a day after they were made."""
    try:
        _folders, names = default_storage.listdir(UPLOAD_FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - datetime.timedelta(seconds=TOKEN_MAX_AGE)
    for name in names:
        stored = f"{UPLOAD_FOLDER}/{name}"
        if default_storage.get_modified_time(stored) < cutoff:
            default_storage.delete(stored)


class _BankView(WagtailAdminTemplateMixin):
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        self.bank = bank_or_404(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.bank.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("assessments_banks:index"), "label": _("Question banks")},
            {"url": "", "label": self.bank.name},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            bank=self.bank, limit_mb=formats.MAX_IMPORT_BYTES // (1024 * 1024), **kwargs
        )


class ImportView(_BankView, FormView):
    """Upload a file; answer with its problems by line, or a preview and a confirm button."""

    page_title = gettext_lazy("Import questions")
    template_name = "assessments/admin/import.html"
    form_class = ImportForm

    def form_valid(self, form):
        _stale_uploads_remove()
        suffix = importing.FILE_EXTENSIONS[form.fmt]
        stored = default_storage.save(
            f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}{suffix}", ContentFile(form.content)
        )
        token = signing.dumps(
            {
                "bank": self.bank.pk,
                "user": self.request.user.pk,
                "file": PurePath(stored).name,
                "format": form.fmt,
                "name": form.cleaned_data["file"].name,
            },
            salt=TOKEN_SALT,
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                token=token,
                filename=form.cleaned_data["file"].name,
                summary=importing.records_summary(form.records),
            ),
        )


class ConfirmImportView(_BankView, View):
    """Create the previewed questions; on any problem create nothing and list the problems."""

    page_title = gettext_lazy("Import questions")
    template_name = "assessments/admin/import.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            upload = signing.loads(
                request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE
            )
        except signing.BadSignature as error:
            raise Http404 from error
        if upload["bank"] != self.bank.pk or upload["user"] != request.user.pk:
            raise Http404
        stored = f"{UPLOAD_FOLDER}/{PurePath(upload['file']).name}"
        if not default_storage.exists(stored):
            messages.error(request, _("The uploaded file has expired; upload it again."))
            return redirect("assessments_admin:import", self.bank.pk)
        with default_storage.open(stored, "rb") as file:
            data = file.read()
        try:
            count = importing.questions_import(
                bank=self.bank, records=importing.parse(data, upload["format"]), by=request.user
            )
        except FormatError as error:
            return self._problems(upload["name"], error)
        default_storage.delete(stored)
        messages.success(
            request,
            _("%(count)s questions imported into “%(bank)s”.")
            % {"count": count, "bank": self.bank.name},
        )
        return redirect(reverse("assessments_questions:index") + f"?bank={self.bank.pk}")

    def _problems(self, filename, error):
        return self.render_to_response(
            self.get_context_data(form=ImportForm(), filename=filename, problems=error.problems)
        )


class ExportView(View):
    """The bank as a GIFT or Excel file."""

    fmt = "gift"

    def get(self, request, pk):
        bank = bank_or_404(request.user, pk)
        data = importing.write(importing.bank_records(bank), self.fmt)
        response = HttpResponse(data, content_type=importing.CONTENT_TYPES[self.fmt])
        response["Content-Disposition"] = content_disposition_header(
            True, f"{bank.name}{importing.FILE_EXTENSIONS[self.fmt]}"
        )
        return response


class TemplateDownloadView(View):
    """The Excel template for writing questions by hand."""

    def get(self, request):
        if not request.user.has_perm("assessments.add_question"):
            raise Http404
        response = HttpResponse(importing.template(), content_type=importing.CONTENT_TYPES["xlsx"])
        response["Content-Disposition"] = content_disposition_header(
            True, _("question-template") + ".xlsx"
        )
        return response


urlpatterns = [
    path("banks/<int:pk>/import/", ImportView.as_view(), name="import"),
    path("banks/<int:pk>/import/confirm/", ConfirmImportView.as_view(), name="confirm"),
    path("banks/<int:pk>/export/gift/", ExportView.as_view(fmt="gift"), name="export_gift"),
    path("banks/<int:pk>/export/xlsx/", ExportView.as_view(fmt="xlsx"), name="export_xlsx"),
    path("template.xlsx", TemplateDownloadView.as_view(), name="template"),
]
