"""What other apps may listen to. Sent inside the transaction that records the event."""

from django.dispatch import Signal

# Sent with `enrollment` whenever a completion is recorded (by the rules or by a secretary),
# again for a completion recorded earlier: receivers must be idempotent.
course_completed = Signal()
