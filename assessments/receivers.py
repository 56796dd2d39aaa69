"""Exam preparation listens to graded attempts: notebook, knowledge points, mock credit."""

from django.dispatch import receiver

from . import prep_services, signals


@receiver(signals.attempt_graded)
def record_results(sender, attempt, rows, **kwargs):
    prep_services.results_record(attempt=attempt, rows=rows)
