"""Forms: typing a verification code, asking for a yearly statement, revoking."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import codes


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("20 letters and digits, printed under the QR code, e.g. K7QX2-9MNP4-…"),
    )

    def clean_code(self):
        code = codes.normalize(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("A verification code has 20 letters and digits; check what you typed.")
            )
        return code


class StatementForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(
        attrs={"rows": 3}
    ))  # fmt: skip
    reissue = forms.BooleanField(label=_("Issue a new certificate in its place"), required=False)
