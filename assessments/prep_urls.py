"""URLs of exam preparation (备考中心)."""

from django.urls import path

from . import prep_views as views

urlpatterns = [
    path("", views.exam_home, name="exam_home"),
    path("notebook/", views.notebook, name="exam_notebook"),
    path("qualification/", views.claims, name="exam_claims"),
    path("qualification/<int:pk>/scan/", views.claim_scan, name="exam_claim_scan"),
    path("notebook/add/<int:row_pk>/", views.notebook_add, name="exam_notebook_add"),
    path("notebook/<int:pk>/remove/", views.notebook_remove, name="exam_notebook_remove"),
    path("<slug:code>/", views.exam_subject, name="exam_subject"),
    path("<slug:code>/mock/", views.exam_mock, name="exam_mock"),
    path("<slug:code>/daily/", views.exam_daily, name="exam_daily"),
    path("<slug:code>/review/", views.exam_review, name="exam_review"),
    path("<slug:code>/drill/<int:chapter_pk>/", views.exam_drill, name="exam_drill"),
    path("<slug:code>/mastery/", views.exam_mastery, name="exam_mastery"),
]
