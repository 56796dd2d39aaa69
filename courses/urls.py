"""URLs of the learning endpoints (course and lesson pages themselves are Wagtail pages)."""

from django.urls import path

from . import views

urlpatterns = [
    path("courses/<int:pk>/enroll/", views.enroll, name="course_enroll"),
    path("lessons/<int:pk>/heartbeat/", views.heartbeat, name="lesson_heartbeat"),
]
