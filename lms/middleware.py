"""Request middleware of the project core."""

from django.shortcuts import redirect
from django.urls import reverse

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/media/", "/i18n/")


class PasswordChangeRequiredMiddleware:
    """Sends an account that must choose a password to the password page before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = (reverse("password_change"), reverse("logout"))
            if not request.path.startswith(ALWAYS_ALLOWED_PREFIXES + allowed):
                return redirect("password_change")
        return self.get_response(request)
