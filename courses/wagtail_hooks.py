"""Wagtail admin rules for courses: a lecturer adds lessons only to courses they own.

Lecturers hold add_page on the catalogue (see migration 0002), which in Wagtail's model
reaches every page below it, other lecturers' courses included. These hooks narrow that:
creating, moving or copying a page into a course someone else owns is refused unless the user
is a superuser or a course moderator, and the "Add child page" entry is hidden for such courses.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.models import Page

from .models import CoursePage

COURSE_MODERATORS_GROUP = "Course moderators"


def is_course_moderator(user) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.groups.filter(name=COURSE_MODERATORS_GROUP).exists())
    )


def may_add_below(user, parent) -> bool:
    """Whether `user` may put pages below `parent`, as far as course ownership goes."""
    course_class = parent.specific_class if parent is not None else None
    if course_class is None or not issubclass(course_class, CoursePage):
        return True
    return parent.owner_id == user.pk or is_course_moderator(user)


def _refuse(request, page_to_explore):
    messages.error(request, _("You can add lessons only to courses you own."))
    return redirect("wagtailadmin_explore", page_to_explore.pk)


@hooks.register("before_create_page")
def refuse_lessons_in_others_courses(request, parent_page, page_class):
    if not may_add_below(request.user, parent_page):
        return _refuse(request, parent_page)
    return None


@hooks.register("before_move_page")
def refuse_moving_into_others_courses(request, page_to_move, destination):
    if not may_add_below(request.user, destination):
        return _refuse(request, page_to_move.get_parent())
    return None


@hooks.register("before_copy_page")
def refuse_copying_into_others_courses(request, page):
    if request.method != "POST":
        return None
    destination = Page.objects.filter(pk=request.POST.get("new_parent_page") or None).first()
    if destination is not None and not may_add_below(request.user, destination):
        return _refuse(request, page.get_parent())
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_moving_into_others_courses(request, action_type, objects, action_class_instance):
    if action_type != "move":
        return None
    destination = action_class_instance.cleaned_form.cleaned_data.get("chooser")
    if destination is not None and not may_add_below(request.user, destination):
        messages.error(request, _("You can add lessons only to courses you own."))
        return redirect("wagtailadmin_explore", destination.get_parent().pk)
    return None


@hooks.register("construct_page_listing_buttons")
def hide_add_lesson_on_others_courses(buttons, page, user, context=None):
    if may_add_below(user, page):
        return
    add_url = reverse("wagtailadmin_pages:add_subpage", args=[page.pk])
    for button in buttons:
        dropdown = getattr(button, "dropdown_buttons", None)
        if dropdown is not None:
            dropdown[:] = [item for item in dropdown if not _links_to(item, add_url)]
    buttons[:] = [button for button in buttons if not _links_to(button, add_url)]


def _links_to(button, url) -> bool:
    return (getattr(button, "url", None) or "").startswith(url)
