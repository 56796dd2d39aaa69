"""Forms for logging in, choosing a password, uploading a roster and filtering the cadre table."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from courses.models import TrainingRequirement

from .dashboard import with_table_columns
from .models import CadreProfile, Membership
from .roster import RosterFileError, read_rows
from .selectors import behind_requirement, search_cadres


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number or username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("The mobile number (or username) and password do not match."),
        "inactive": _("This account has been disabled; contact your party secretary."),
    }


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only Excel (.xlsx) files can be imported."))
        try:
            read_rows(upload)
        except RosterFileError as error:
            raise forms.ValidationError(str(error)) from error
        upload.seek(0)
        return upload


def _any(label, choices):
    return [("", label), *choices]


class CadreFilterForm(forms.Form):
    """The organization page's cadre table: search, filters and sort from the query string
    (`q`, `behind=1`, `position`, `member_type`, `party_status`, `sort`), applied by `apply` to
    home memberships, so that the Excel export can export exactly the filtered table."""

    SORTS = {
        "name": ("user__name", "user_id"),
        "hours": ("year_hours",),
        "percent": ("hours_ratio",),
        "activity": ("latest_activity",),
    }

    q = forms.CharField(label=_("Search by name or mobile number"), required=False, strip=True)
    behind = forms.BooleanField(
        label=_("Only cadres behind their requirement"),
        required=False,
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    position = forms.ChoiceField(
        label=_("Position"),
        required=False,
        choices=_any(_("Any position"), CadreProfile.Position.choices),
    )
    member_type = forms.ChoiceField(
        label=_("Member type"),
        required=False,
        choices=_any(_("Any member type"), CadreProfile.MemberType.choices),
    )
    party_status = forms.ChoiceField(
        label=_("Party status"),
        required=False,
        choices=_any(_("Any party status"), CadreProfile.PartyStatus.choices),
    )
    sort = forms.ChoiceField(
        label=_("Sort cadres by"),
        required=False,
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("-hours", _("Most hours first")),
            ("hours", _("Fewest hours first")),
            ("-percent", _("Highest share of the requirement first")),
            ("percent", _("Lowest share of the requirement first")),
            ("-activity", _("Most recent activity first")),
            ("activity", _("Least recent activity first")),
        ],
    )

    def filters(self) -> dict:
        """The valid filters, an invalid one left out (a stale link still shows a table)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields}

    def apply(
        self,
        memberships: QuerySet[Membership],
        *,
        year: int,
        requirements: list[TrainingRequirement],
    ) -> QuerySet[Membership]:
        """The memberships with the table's columns (`with_table_columns`), filtered and sorted;
        ties and the default order go by name."""
        data = self.filters()
        cadres = with_table_columns(memberships, year=year, requirements=requirements)
        if data["q"]:
            cadres = search_cadres(cadres, data["q"])
        if data["behind"]:
            cadres = behind_requirement(cadres, requirements)
        for field in ("position", "member_type", "party_status"):
            if data[field]:
                cadres = cadres.filter(**{f"user__cadre_profile__{field}": data[field]})
        sort = data["sort"] or "name"
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        order = [
            F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
            for field in self.SORTS[key]
        ]
        return cadres.order_by(*order, *(self.SORTS["name"] if key != "name" else ()))
