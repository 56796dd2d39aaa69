"""URLs of 我的证书, downloads and revocation (verification lives at /verify/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_certificates, name="my_certificates"),
    path("statement/", views.statement_request, name="certificate_statement"),
    path("<int:pk>/pdf/", views.download, name="certificate_download"),
    path("<int:pk>/revoke/", views.revoke, name="certificate_revoke"),
]
