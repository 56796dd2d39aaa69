"""URLs of the practice pages: the cadre's logs and claims, the review queues, private files."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_list, {"kind": "log"}, name="practice_log_list"),
    path("new/", views.log_form, name="practice_log_new"),
    path("<int:pk>/", views.my_detail, {"kind": "log"}, name="practice_log_detail"),
    path("<int:pk>/edit/", views.log_form, name="practice_log_edit"),
    path("photo/<int:pk>/", views.photo, {"variant": "full"}, name="practice_photo"),
    path("photo/<int:pk>/thumb/", views.photo, {"variant": "thumb"}, name="practice_thumb"),
    path("review/", views.review_queue, {"kind": "log"}, name="practice_review_queue"),
    path("review/approve/", views.review_bulk, {"kind": "log"}, name="practice_review_bulk"),
    path("review/<int:pk>/", views.review_detail, {"kind": "log"}, name="practice_review_detail"),
    path("claims/", views.my_list, {"kind": "claim"}, name="practice_claim_list"),
    path("claims/new/", views.claim_form, name="practice_claim_new"),
    path("claims/<int:pk>/", views.my_detail, {"kind": "claim"}, name="practice_claim_detail"),
    path("claims/<int:pk>/proof/", views.claim_proof, name="practice_claim_proof"),
    path("claims/review/", views.review_queue, {"kind": "claim"}, name="practice_claim_queue"),
    path(
        "claims/review/approve/", views.review_bulk, {"kind": "claim"}, name="practice_claim_bulk"
    ),
    path(
        "claims/review/<int:pk>/",
        views.review_detail,
        {"kind": "claim"},
        name="practice_claim_review",
    ),
]
