"""Public verification, 我的证书, downloads and revocation."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from lms import permissions

from . import codes, selectors, services
from .forms import RevokeForm, StatementForm, VerifyForm
from .models import Certificate, CertificateSettings


def _verify_rate(group, request):
    return settings.CERTIFICATE_VERIFY_RATE


@ratelimit(key="ip", rate=_verify_rate, group="certificate-verify", block=True)
def verify_form(request):
    """Type a code; a valid one leads to its verification page."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("certificate_verify", code=codes.group(form.cleaned_data["code"]))
    return render(request, "certificates/verify_form.html", {"form": form})


@ratelimit(key="ip", rate=_verify_rate, group="certificate-verify", block=True)
def verify(request, code):
    """Valid or revoked, for whom (masked as configured), what, how many hours, when, by whom.
    An unknown code is a plain 404."""
    normalized = codes.normalize(code)
    certificate = (
        Certificate.objects.select_related("replaced_by").filter(code=normalized).first()
        if normalized
        else None
    )
    if certificate is None:
        raise Http404
    look = CertificateSettings.load(request_or_site=request)
    return render(
        request,
        "certificates/verify.html",
        {
            "certificate": certificate,
            "holder": codes.mask_name(certificate.holder_name, look.name_masking),
            "issuer": look.issuer,
            "can_revoke": permissions.is_platform_admin(request.user),
        },
    )


@login_required
def my_certificates(request):
    years = selectors.statement_years(request.user)
    return render(
        request,
        "certificates/my_certificates.html",
        {
            "certificates": selectors.my_certificates(request.user),
            "statement_form": StatementForm(years=years) if years else None,
        },
    )


@login_required
@require_POST
def statement_request(request):
    form = StatementForm(request.POST, years=selectors.statement_years(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a year in which you have credit hours."))
    else:
        certificate = services.statement_issue(cadre=request.user, year=form.cleaned_data["year"])
        messages.success(
            request, _("Your statement %(serial)s is ready below.") % {"serial": certificate.serial}
        )
    return redirect("my_certificates")


@login_required
def download(request, pk):
    """The PDF for its holder, their secretaries and platform admins; 404 for anyone else."""
    certificate = selectors.certificate_for_viewer_or_none(request.user, pk)
    if certificate is None:
        raise Http404
    if not certificate.pdf:
        return render(
            request, "certificates/not_ready.html", {"certificate": certificate}, status=202
        )
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"{certificate.serial}.pdf",
    )


@login_required
def revoke(request, pk):
    """Platform admins revoke with a reason, optionally issuing a replacement."""
    if not permissions.is_platform_admin(request.user):
        raise Http404
    certificate = Certificate.objects.filter(pk=pk, revoked_at__isnull=True).first()
    if certificate is None:
        raise Http404
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason, by = form.cleaned_data["reason"], request.user
        if form.cleaned_data["reissue"]:
            new = services.certificate_reissue(certificate=certificate, reason=reason, by=by)
            messages.success(request, _("Revoked; new certificate %(serial)s issued.") % {
                "serial": new.serial
            })  # fmt: skip
        else:
            services.certificate_revoke(certificate=certificate, reason=reason, by=by)
            messages.success(request, _("The certificate is revoked."))
        return redirect(certificate.verify_path)
    return render(request, "certificates/revoke.html", {"certificate": certificate, "form": form})
