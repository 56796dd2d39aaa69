"""Request middleware of the project core."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

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


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the reader picked another language; browser headers are ignored.

    Cadres borrow phones and office computers set to any language; the platform speaks
    Chinese until someone chooses English with the language switch (kept in a cookie).
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen or "")
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
