"""What the attempt engine tells the rest of the app. Sent inside the grading transaction."""

from django.dispatch import Signal

# Sent with `attempt` and its `rows` (AttemptQuestion, marked) when an attempt is fully graded.
attempt_graded = Signal()
