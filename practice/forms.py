"""Forms of the practice app: a phone-first practice log with photos, an external training
claim with its proof, the reviewer's decision and the review queue's filters."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import CoursePage
from lms.uploads import clean_upload

from . import services
from .models import ExternalClaim, PracticeLog, PracticeSettings, Status, is_half_hours

# HEIC (iPhone photos) is not accepted: Pillow reads it only with the extra pillow-heif
# package, a binding to libheif that would widen what parses hostile uploads. Phones'
# browsers convert HEIC to JPEG when a page asks for `accept="image/*"` (iOS Safari does so
# for every photo picked from the library), so cadres rarely meet the refusal; when they do,
# clean_upload's message asks for JPEG, PNG or WebP.
# an <input type=date> takes only ISO dates, whatever the language's date format
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/*"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one `<input type=file multiple>`; each is cleaned by lms.uploads
    (type by content, size and pixel limits, metadata stripped) and given a thumbnail."""

    widget = MultipleFileInput(attrs={"accept": PHOTO_ACCEPT})

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > services.MAX_PHOTOS:
            raise ValidationError(_("Attach at most %(n)s photos.") % {"n": services.MAX_PHOTOS})
        photos = []
        for upload in uploads:
            try:
                photos.append(services.photo_prepare(clean_upload(upload, allow_pdf=False)))
            except ValidationError as error:
                raise ValidationError(f"{upload.name[:60]}: {' '.join(error.messages)}") from None
        return photos


def _check_half_hours(hours: Decimal, limit: Decimal) -> Decimal:
    if not is_half_hours(hours, limit):
        raise ValidationError(
            _("Enter between 0.5 and %(limit)s hours, in half hours.") % {"limit": limit}
        )
    return hours


def _not_in_future(day: datetime.date) -> datetime.date:
    if day > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    return day


class PracticeLogForm(forms.ModelForm):
    """A new practice log, or a returned one being corrected (then photos may be removed)."""

    photos = PhotosField(
        label=gettext_lazy("Photos"),
        required=False,
        help_text=gettext_lazy("Up to 9 photos (JPEG, PNG or WebP), 10 MB each."),
    )

    class Meta:
        model = PracticeLog
        fields = [
            "date",
            "activity",
            "place",
            "course",
            "hours",
            "description",
            "reflection",
        ]
        widgets = {
            "date": DATE_INPUT,
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "reflection": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = PracticeSettings.load()
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["course"].required = False
        self.fields["hours"].widget.attrs["max"] = str(self.settings.max_log_hours)
        self.fields["reflection"].help_text = _("At least %(n)s characters.") % {
            "n": self.settings.min_reflection_chars
        }
        if self.instance.pk:
            self.fields["remove_photos"] = forms.ModelMultipleChoiceField(
                label=_("Remove photos"),
                queryset=self.instance.photos.all(),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["remove_photos"].label_from_instance = lambda photo: format_html(
                '<img src="{}" alt="" width="96" loading="lazy">',
                reverse("practice_thumb", args=[photo.pk]),
            )

    def clean_date(self):
        return _not_in_future(self.cleaned_data["date"])

    def clean_hours(self):
        return _check_half_hours(self.cleaned_data["hours"], self.settings.max_log_hours)

    def clean_reflection(self):
        reflection = self.cleaned_data["reflection"].strip()
        if len(reflection) < self.settings.min_reflection_chars:
            raise ValidationError(
                _("Write at least %(n)s characters of reflection (now %(count)s).")
                % {"n": self.settings.min_reflection_chars, "count": len(reflection)}
            )
        return reflection

    def submit(self, cadre):
        """Saves through the services; their refusals (quota, count) become form errors."""
        data = dict(self.cleaned_data)
        photos = data.pop("photos")
        removed = data.pop("remove_photos", [])
        try:
            if self.instance.pk:
                return services.practice_log_resubmit(
                    log=self.instance,
                    photos=photos,
                    remove_photo_ids=[p.pk for p in removed],
                    **data,
                )
            return services.practice_log_submit(cadre=cadre, photos=photos, **data)
        except ValidationError as error:
            self.add_error(None, error)  # a dict of errors lands on its fields
            return None


class ExternalClaimForm(forms.ModelForm):
    """A training done elsewhere, with a PDF or photo proving it."""

    proof = forms.FileField(
        label=gettext_lazy("Proof (certificate or attendance record)"),
        help_text=gettext_lazy("A PDF or a photo (JPEG, PNG or WebP), 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )

    class Meta:
        model = ExternalClaim
        fields = ["title", "organiser", "start_date", "end_date", "hours"]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        }

    def clean_end_date(self):
        return _not_in_future(self.cleaned_data["end_date"])

    def clean_hours(self):
        limit = PracticeSettings.load().max_claim_hours
        return _check_half_hours(self.cleaned_data["hours"], limit)

    def clean_proof(self):
        return clean_upload(self.cleaned_data["proof"], allow_pdf=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", _("The last day comes before the first day."))
        return data

    def submit(self, cadre):
        """Saves through the service; a quota refusal becomes a form error."""
        try:
            return services.external_claim_submit(cadre=cadre, **self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error)
            return None


class DecisionForm(forms.Form):
    """A reviewer's decision on one record: approve (hours adjustable) or return / reject."""

    decision = forms.ChoiceField(
        choices=[("approve", "approve"), ("decline", "decline")], widget=forms.HiddenInput
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours to credit"),
        required=False,
        min_value=Decimal("0.5"),
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment for the cadre"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    """Filters of a review queue: status, kind of practice, organization, date range."""

    status = forms.ChoiceField(required=False)
    activity = forms.ChoiceField(required=False)
    organization = forms.ModelChoiceField(queryset=None, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Practice or training from"), required=False, widget=DATE_INPUT
    )
    date_to = forms.DateField(
        label=gettext_lazy("Practice or training until"), required=False, widget=DATE_INPUT
    )

    def __init__(self, data, *, model, organizations):
        super().__init__(data)
        self.model = model
        self.fields["status"].label = _("Review status")
        self.fields["status"].choices = [
            ("pending", _("Awaiting review (all)")),
            ("", _("Any status")),
            *Status.choices,
        ]
        self.fields["activity"].label = _("Kind of practice")
        self.fields["activity"].choices = [("", _("Any kind")), *PracticeLog.Activity.choices]
        if model is not PracticeLog:
            del self.fields["activity"]
        self.fields["organization"].label = _("Organization")
        self.fields["organization"].queryset = organizations
        self.fields["organization"].empty_label = _("All my organizations")

    def apply(self, queryset):
        """Narrows `queryset` by the valid filters; the default shows what awaits review."""
        if not self.is_valid():
            return queryset.filter(status__in=[Status.SUBMITTED, Status.RESUBMITTED])
        data = self.cleaned_data
        status = data["status"] if self.data.get("status") is not None else "pending"
        if status == "pending":
            queryset = queryset.filter(status__in=[Status.SUBMITTED, Status.RESUBMITTED])
        elif status:
            queryset = queryset.filter(status=status)
        if data.get("activity"):
            queryset = queryset.filter(activity=data["activity"])
        if data["organization"]:
            queryset = queryset.filter(
                cadre__memberships__role="cadre",
                cadre__memberships__organization__path__startswith=data["organization"].path,
            )
        date_field = "date" if self.model is PracticeLog else "end_date"
        if data["date_from"]:
            queryset = queryset.filter(**{f"{date_field}__gte": data["date_from"]})
        if data["date_to"]:
            queryset = queryset.filter(**{f"{date_field}__lte": data["date_to"]})
        return queryset
