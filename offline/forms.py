"""Forms of the offline pages: scheduling a session, marking attendance, reporting in."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from lms import permissions
from lms.models import Organization, User

from . import selectors
from .models import Attendance, OfflineSession, OfflineSettings, ReportIn


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SessionForm(forms.ModelForm):
    """A session of an organization the organizer manages; hours default from the settings."""

    class Meta:
        model = OfflineSession
        fields = [
            "title",
            "kind",
            "organization",
            "starts_at",
            "ends_at",
            "place",
            "lecturer_name",
            "lecturer",
            "capacity",
            "audience",
            "course",
            "hours",
            "description",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.schedulable_organizations(user).order_by(
            "path"
        )
        profile = selectors.lecturer_profile(user)
        if profile is not None and not permissions.is_manager(user):
            # a lecturer schedules their own sessions: they are the platform lecturer
            self.fields["lecturer"].disabled = True
            if self.instance.pk is None:
                self.initial["lecturer"] = profile.pk
                self.initial.setdefault("lecturer_name", profile.name)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        if self.initial.get("hours") is None:
            self.initial["hours"] = OfflineSettings.load().default_hours

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session must end after it starts."))
        return cleaned


class MarkForm(forms.Form):
    """The organizer's manual mark for one person."""

    status = forms.ChoiceField(
        choices=[c for c in Attendance.Status.choices if c[0] != Attendance.Status.UNMARKED]
    )


class AssignForm(forms.Form):
    """Cadres of the session's subtree the organizer signs up: picked from a search, or
    everyone of one organization (and below it) in the subtree."""

    cadres = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False)
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False)

    def __init__(self, *args, session: OfflineSession, **kwargs):
        super().__init__(*args, **kwargs)
        path = session.organization.path
        self.fields["cadres"].queryset = selectors.cadres_below(path)
        self.fields["organization"].queryset = Organization.objects.filter(
            path__startswith=path
        ).order_by("path")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("cadres") and not cleaned.get("organization"):
            raise forms.ValidationError(_("Choose cadres or an organization to assign."))
        return cleaned

    def chosen(self) -> list[User]:
        """The picked cadres, or everyone of the chosen organization and below."""
        organization = self.cleaned_data.get("organization")
        if organization is not None:
            return list(selectors.cadres_below(organization.path))
        return list(self.cleaned_data["cadres"])


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ReportInForm(forms.ModelForm):
    """Register with the community where one lives, naming one's work unit."""

    community = CommunityChoiceField(
        queryset=Organization.objects.filter(level=Organization.Level.COMMUNITY).order_by("path"),
        label=_("community where you live"),
    )

    class Meta:
        model = ReportIn
        fields = ["community", "work_unit"]
