"""Required courses follow the requirements: assigned when a requirement or its course list
changes, when a required course is published, and when a cadre logs in."""

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published

from . import services
from .models import CoursePage, TrainingRequirement


def _sync_after_commit(requirement_id: int) -> None:
    from .tasks import requirement_enrollments_sync_task

    transaction.on_commit(lambda: requirement_enrollments_sync_task.delay(requirement_id))


@receiver(post_save, sender=TrainingRequirement, dispatch_uid="courses.requirement_saved")
def requirement_saved(sender, instance, **kwargs):
    _sync_after_commit(instance.pk)


@receiver(
    m2m_changed,
    sender=TrainingRequirement.required_courses.through,
    dispatch_uid="courses.required_courses_changed",
)
def required_courses_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add":
        return
    if reverse:  # courses given requirements from the course's side
        for requirement_id in pk_set:
            _sync_after_commit(requirement_id)
    else:
        _sync_after_commit(instance.pk)


@receiver(page_published, dispatch_uid="courses.course_published")
def course_published(sender, instance, **kwargs):
    page = instance.specific
    if isinstance(page, CoursePage):
        for requirement_id in page.requirements.values_list("pk", flat=True):
            _sync_after_commit(requirement_id)


@receiver(user_logged_in, dispatch_uid="courses.cadre_logged_in")
def cadre_logged_in(sender, request, user, **kwargs):
    services.required_enrollments_sync(cadre=user, year=timezone.localdate().year)
