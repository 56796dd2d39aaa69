"""Forms for logging in, choosing a password and uploading a roster."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .roster import RosterFileError, read_rows


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
