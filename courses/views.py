"""Learning endpoints: enroll, lesson heartbeats, and a secretary's manual completion."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms import permissions
from lms.views import manager_required

from . import services
from .models import CoursePage, Enrollment, LessonPage


@login_required
@require_POST
def enroll(request, pk):
    course = get_object_or_404(CoursePage.objects.live(), pk=pk)
    services.enrollment_create(cadre=request.user, course=course)
    messages.success(request, _("You are enrolled. Start with the first lesson."))
    return redirect(course.url)


@require_POST
def heartbeat(request, pk):
    """Takes the lesson page's report: {"position": seconds or null, "visible": bool}."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Please log in again.")}, status=401)
    lesson = LessonPage.objects.live().filter(pk=pk).first()
    if lesson is None:
        return JsonResponse({"error": _("This lesson does not exist.")}, status=404)
    try:
        payload = json.loads(request.body or b"{}")
        position = payload.get("position")
        position = None if position is None else float(position)
        visible = bool(payload.get("visible", False))
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"error": _("The report could not be read.")}, status=400)
    if position is not None and position != position:  # NaN
        return JsonResponse({"error": _("The report could not be read.")}, status=400)
    try:
        result = services.lesson_heartbeat(
            cadre=request.user,
            lesson=lesson,
            session_key=request.session.session_key or "",
            visible=visible,
            position=position,
        )
    except services.OtherSession:
        message = _("You are studying this lesson on another device; time here is not counted.")
        return JsonResponse({"error": message}, status=409)
    except services.NotEnrolled:
        return JsonResponse({"error": _("Enroll in the course first.")}, status=403)
    except services.LearningError:
        return JsonResponse({"error": _("The report could not be read.")}, status=400)
    progress = result.progress
    return JsonResponse(
        {
            "credited": result.credited_seconds,
            "seconds": progress.seconds_credited,
            "furthest": progress.furthest_position,
            "lesson_completed": result.lesson_completed,
            "course_completed": result.course_completed,
        }
    )


@manager_required
@require_POST
def complete_for_cadre(request, cadre_pk, course_pk):
    """A secretary records an offline course as completed for a cadre in their subtree."""
    cadre = permissions.cadre_or_404(request.user, cadre_pk)
    course = get_object_or_404(CoursePage.objects.live(), pk=course_pk)
    if course.delivery_form == CoursePage.DeliveryForm.ONLINE:
        raise Http404  # online courses are completed by studying them
    enrollment, _created = Enrollment.objects.get_or_create(cadre=cadre, course=course)
    entry = services.course_complete(enrollment=enrollment, by=request.user)
    messages.success(
        request,
        _("%(course)s marked complete for %(name)s: %(hours)s hours.")
        % {"course": course.title, "name": cadre, "hours": entry.hours},
    )
    return redirect("cadre_detail", pk=cadre.pk)
