"""URLs of quizzes and attempts for cadres."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.quiz_detail, name="quiz_detail"),
    path("<int:pk>/start/", views.quiz_start, name="quiz_start"),
    path("attempt/<int:pk>/", views.attempt_page, name="attempt_page"),
    path("attempt/<int:pk>/answer/", views.attempt_answer, name="attempt_answer"),
    path("attempt/<int:pk>/summary/", views.attempt_summary, name="attempt_summary"),
    path("attempt/<int:pk>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempt/<int:pk>/review/", views.attempt_review, name="attempt_review"),
]
