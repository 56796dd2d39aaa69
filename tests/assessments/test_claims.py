"""A cadre who passed the real exam reports it with the certificate; a secretary over them
verifies it and the profile's qualification changes, or rejects it with a reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import QualificationClaim
from lms.models import CadreProfile, Notification
from lms.services import membership_grant

from ..lms.test_uploads import jpeg_with_gps

pytestmark = pytest.mark.django_db


def submit(client, data=None, scan=None):
    return client.post(
        reverse("exam_claims"),
        {
            "qualification": "assistant",
            "exam_year": 2026,
            "certificate_number": "ZS2026-001",
            "scan": scan or SimpleUploadedFile("证书.jpg", jpeg_with_gps()),
            **(data or {}),
        },
    )


def test_claim_verified_changes_the_profile(client, people, tree):
    """Claim → the branch's street secretary verifies → 助理社会工作师 on the profile, notified."""
    client.force_login(people.cadre)
    assert submit(client).status_code == 302
    claim = QualificationClaim.objects.get()
    assert claim.status == "pending" and claim.scan_type == "image/jpeg"
    assert b"TestPhone" not in claim.scan.read()
    # the scan: the cadre and the secretary may fetch it, a neighbour may not
    assert client.get(reverse("exam_claim_scan", args=[claim.pk])).status_code == 200
    client.force_login(people.south_secretary)
    assert client.get(reverse("exam_claim_scan", args=[claim.pk])).status_code == 404
    review = reverse("claim_review", args=[claim.pk])
    assert client.post(review, {"action": "verify"}).status_code == 404
    client.force_login(people.east_secretary)
    response = client.get(reverse("exam_claim_scan", args=[claim.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(reverse("organization_claims", args=[tree.east.pk])).content.decode()
    assert people.cadre.name in page
    client.post(review, {"action": "verify"})
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.reviewed_by == people.east_secretary
    profile = CadreProfile.objects.get(user=people.cadre)
    assert profile.qualification == CadreProfile.Qualification.ASSISTANT
    assert Notification.objects.filter(user=people.cadre, title__contains="核验通过").exists()
    record = client.get(reverse("cadre_detail", args=[people.cadre.pk])).content.decode()
    assert "助理社会工作师" in record and "已核验" in record


def test_rejection_needs_a_reason(client, people, tree):
    """Rejecting without a reason changes nothing; with one, the cadre sees it."""
    client.force_login(people.cadre)
    submit(client)
    claim = QualificationClaim.objects.get()
    client.force_login(people.east_secretary)
    review = reverse("claim_review", args=[claim.pk])
    client.post(review, {"action": "reject", "reason": " "})
    claim.refresh_from_db()
    assert claim.status == "pending"
    client.post(review, {"action": "reject", "reason": "扫描件看不清证书编号"})
    claim.refresh_from_db()
    assert (claim.status, claim.reason) == ("rejected", "扫描件看不清证书编号")
    assert CadreProfile.objects.get(user=people.cadre).qualification == "none"
    client.force_login(people.cadre)
    assert "扫描件看不清证书编号" in client.get(reverse("exam_claims")).content.decode()


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        (SimpleUploadedFile("证书.jpg", b"<html>not a photo</html>"), "不是"),
        (SimpleUploadedFile("证书.pdf", b"%PDF-1.4 /JavaScript (x)\n%%EOF"), "脚本"),
    ],
    ids=["html-named-jpg", "pdf-with-script"],
)
def test_hostile_scan_refused_and_nothing_kept(client, people, scan, message):
    """A hostile scan gets a clear message on the form and no claim is recorded."""
    client.force_login(people.cadre)
    response = submit(client, scan=scan)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not QualificationClaim.objects.exists()


def test_one_pending_claim_at_a_time(client, people):
    """A second claim while one awaits verification is refused with a message."""
    client.force_login(people.cadre)
    submit(client)
    response = submit(client)
    assert response.status_code == 400
    assert "等待核验" in response.content.decode()
    assert QualificationClaim.objects.count() == 1


def test_nobody_verifies_their_own_claim(client, people, tree):
    """A community secretary who is also a cadre cannot verify their own claim."""
    secretary = people.osmanthus_secretary
    membership_grant(user=secretary, organization=tree.osmanthus, role="cadre")
    client.force_login(secretary)
    submit(client)
    claim = QualificationClaim.objects.get()
    assert (
        client.post(reverse("claim_review", args=[claim.pk]), {"action": "verify"}).status_code
        == 404
    )
    claim.refresh_from_db()
    assert claim.status == "pending"
