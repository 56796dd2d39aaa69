"""URLs of the offline pages, mounted at /sessions/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.session_list, name="offline_session_list"),
    path("<int:pk>/", views.session_detail, name="offline_session_detail"),
    path("<int:pk>/sign-up/", views.session_sign_up, name="offline_session_sign_up"),
    path("<int:pk>/cancel/", views.session_cancel, name="offline_session_cancel"),
    path("<int:pk>/session.ics", views.session_ics, name="offline_session_ics"),
    path("checkin/<str:token>/", views.checkin, name="offline_checkin"),
    path("manage/", views.manage_sessions, name="offline_manage"),
    path("manage/new/", views.session_create, name="offline_session_create"),
    path("<int:pk>/edit/", views.session_edit, name="offline_session_edit"),
    path("<int:pk>/roster/", views.session_roster, name="offline_session_roster"),
    path(
        "<int:pk>/roster/<int:attendance_pk>/mark/",
        views.attendance_mark,
        name="offline_attendance_mark",
    ),
    path("<int:pk>/assign/", views.session_assign, name="offline_session_assign"),
    path("<int:pk>/close/", views.session_close, name="offline_session_close"),
    path("<int:pk>/checkin-screen/", views.checkin_screen, name="offline_checkin_screen"),
    path("<int:pk>/checkin-code/", views.checkin_code, name="offline_checkin_code"),
    path("report-in/", views.report_in, name="offline_report_in"),
    path("manage/reporting/", views.reporting_members, name="offline_reporting"),
    path(
        "manage/reporting/<int:pk>/report.pdf",
        views.reporting_member_pdf,
        name="offline_reporting_pdf",
    ),
]
