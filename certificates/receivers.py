"""Certificates follow completions recorded elsewhere."""

from django.dispatch import receiver

from courses.signals import course_completed

from . import services


@receiver(course_completed, dispatch_uid="certificates.course_completed")
def issue_for_completion(sender, enrollment, **kwargs):
    services.course_certificate_issue(enrollment=enrollment)
