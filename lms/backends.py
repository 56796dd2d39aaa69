"""Authentication by mobile number or username, including an imported account's first login."""

from django.contrib.auth.backends import ModelBackend
from django.utils.crypto import constant_time_compare

from .models import MOBILE_PATTERN, User


class MobileOrUsernameBackend(ModelBackend):
    """Accepts a mobile number or a username; imported accounts start with an initial password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        identifier = username.strip()
        field = "mobile" if MOBILE_PATTERN.match(identifier) else "username"
        try:
            user = User.objects.get(**{field: identifier})
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: no timing hint
            return None
        initial = user.initial_password
        if initial is not None:
            accepted = constant_time_compare(password, initial)
        else:
            accepted = user.check_password(password)
        if accepted and self.user_can_authenticate(user):
            return user
        return None
