"""URL configuration: accounts, notifications, tracking pages, the CMS, Wagtail's page tree last."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from assessments import prep_views
from certificates import manage_views as certificate_manage_views
from certificates import views as certificate_views
from courses import views as course_views
from courses.media import serve_media

from . import archive_views, export_views, views

accounts = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]

notifications = [
    path("", views.notification_list, name="notification_list"),
    path("<int:pk>/open/", views.notification_open, name="notification_open"),
    path("read/", views.notifications_mark_all_read, name="notifications_mark_all_read"),
]

manage = [
    path("", views.manage_index, name="manage_index"),
    path("org/<int:pk>/", views.organization_detail, name="organization_detail"),
    path(
        "org/<int:pk>/export.xlsx",
        export_views.organization_export,
        name="organization_export",
    ),
    path(
        "org/<int:pk>/export.csv",
        export_views.organization_export_csv,
        name="organization_export_csv",
    ),
    path(
        "org/<int:pk>/summary.xlsx",
        export_views.organization_summary_export,
        name="organization_summary_export",
    ),
    path(
        "org/<int:pk>/summary.csv",
        export_views.organization_summary_export_csv,
        name="organization_summary_export_csv",
    ),
    path("export/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("export/<int:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("export/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("org/<int:pk>/remind/", views.organization_remind, name="organization_remind"),
    path("org/<int:pk>/exam/", prep_views.organization_exam, name="organization_exam"),
    path(
        "org/<int:pk>/qualifications/",
        prep_views.organization_claims,
        name="organization_claims",
    ),
    path("qualification/<int:pk>/review/", prep_views.claim_review, name="claim_review"),
    path("org/<int:pk>/roster/", views.roster_upload, name="roster_upload"),
    path("org/<int:pk>/roster/template.xlsx", views.roster_template, name="roster_template"),
    path("cadre/<int:pk>/", views.cadre_detail, name="cadre_detail"),
    path("cadre/<int:pk>/archive/", archive_views.cadre_archive, name="cadre_archive"),
    path(
        "cadre/<int:pk>/archive/<int:year>.pdf",
        archive_views.cadre_archive_pdf,
        name="cadre_archive_pdf",
    ),
    path(
        "cadre/<int:pk>/evaluation/compute/",
        archive_views.cadre_evaluation_compute,
        name="cadre_evaluation_compute",
    ),
    path(
        "cadre/<int:pk>/evaluation/adjust/",
        archive_views.cadre_evaluation_adjust,
        name="cadre_evaluation_adjust",
    ),
    path(
        "cadre/<int:cadre_pk>/courses/<int:course_pk>/complete/",
        course_views.complete_for_cadre,
        name="course_complete_for_cadre",
    ),
    path("roster/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path("roster/<int:pk>/progress/", views.roster_import_progress, name="roster_import_progress"),
    path(
        "org/<int:pk>/certificates/",
        certificate_manage_views.organization_certificates,
        name="organization_certificates",
    ),
    path(
        "org/<int:pk>/courses/",
        certificate_manage_views.organization_classes,
        name="organization_classes",
    ),
    path(
        "org/<int:pk>/courses/<int:course_pk>/",
        certificate_manage_views.class_detail,
        name="class_detail",
    ),
    path(
        "org/<int:pk>/courses/<int:course_pk>/complete/",
        certificate_manage_views.class_complete,
        name="class_complete",
    ),
    path(
        "org/<int:pk>/courses/<int:course_pk>/archive/",
        certificate_manage_views.class_archive,
        name="class_archive",
    ),
    path(
        "archive/<int:pk>/",
        certificate_manage_views.archive_detail,
        name="certificate_archive_detail",
    ),
    path(
        "archive/<int:pk>/progress/",
        certificate_manage_views.archive_progress,
        name="certificate_archive_progress",
    ),
    path(
        "archive/<int:pk>/download/",
        certificate_manage_views.archive_download,
        name="certificate_archive_download",
    ),
]

urlpatterns = [
    path("accounts/", include(accounts)),
    path("notifications/", include(notifications)),
    path("manage/", include(manage)),
    path("learn/", include("courses.urls")),
    path("quiz/", include("assessments.urls")),
    path("exam/", include("assessments.prep_urls")),
    path("certificates/", include("certificates.urls")),
    path("practice/", include("practice.urls")),
    path("sessions/", include("offline.urls")),
    path("verify/", certificate_views.verify_form, name="certificate_verify_form"),
    path("archive/", archive_views.my_archive, name="my_archive"),
    path("archive/<int:year>.pdf", archive_views.my_archive_pdf, name="my_archive_pdf"),
    path("verify/<str:code>/", certificate_views.verify, name="certificate_verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cms/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
]

# Uploaded files, with HTTP range requests so that phones can seek in lesson videos; no
# directory listing. Served in DEBUG and not: in production the reverse proxy normally serves
# /media/ straight from MEDIA_ROOT and requests never get here; this keeps runserver and
# deployments without such a proxy working.
urlpatterns.append(path("media/<path:path>", serve_media, name="media"))

urlpatterns.append(path("", include(wagtail_urls)))
