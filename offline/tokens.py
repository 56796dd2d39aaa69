"""The signed token in a check-in QR code: which session, and when the screen showed it.

The organizer's screen shows a fresh code every `REFRESH_SECONDS`; a code is accepted only
while younger than the configured maximum age, so a photo forwarded to someone at home stops
working within a minute. The signature (Django's `TimestampSigner`, with its own salt) makes the
session id and the time unforgeable. `now` can be given, so tests and the screen agree on time.
"""

import datetime

from django.core import signing
from django.utils import timezone

SALT = "offline.checkin"
REFRESH_SECONDS = 30
# A phone whose clock differs does not matter (the server signs and checks), but two web
# machines may differ by a little: a code "from the future" by more than this is refused.
CLOCK_SKEW_SECONDS = 5


class TokenInvalid(Exception):
    """The token was not made here (tampered, truncated, or signed with another salt)."""


class TokenExpired(Exception):
    """The token is genuine but older than the maximum age."""


class _CheckinSigner(signing.TimestampSigner):
    """A timestamp signer whose clock is `now` (a datetime) instead of the system time."""

    def __init__(self, now: datetime.datetime):
        super().__init__(salt=SALT)
        self.now = now

    def timestamp(self):
        return signing.b62_encode(int(self.now.timestamp()))

    def unsign(self, value, max_age=None):
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        age = self.now.timestamp() - signing.b62_decode(stamp)
        if age < -CLOCK_SKEW_SECONDS:
            raise signing.BadSignature("timestamp in the future")
        if max_age is not None and age > max_age:
            raise signing.SignatureExpired(f"age {age:.0f} > {max_age} seconds")
        return value


def checkin_token(session_id: int, *, now: datetime.datetime | None = None) -> str:
    """A token for checking in to the session, stamped with `now` (default: this moment)."""
    return _CheckinSigner(now or timezone.now()).sign_object({"s": session_id})


def checkin_token_session(
    token: str, *, max_age: float | None = None, now: datetime.datetime | None = None
) -> int:
    """The session id a token carries; `max_age` (seconds) also checks its age."""
    signer = _CheckinSigner(now or timezone.now())
    try:
        payload = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise TokenExpired from error
    except (signing.BadSignature, ValueError) as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise TokenInvalid
    return payload["s"]
