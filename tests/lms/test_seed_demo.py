"""The demo world: believable, complete in every role, and safe to build twice."""

import io

import pytest
from django.core.management import call_command

from lms import permissions
from lms.management.commands.seed_demo import DEMO_PASSWORD
from lms.models import CadreProfile, Membership, Organization, User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_builds_every_role_and_is_idempotent(client):
    """Two runs give the same world: 1 district, 3 streets, 9 communities, ~70 cadres."""
    first = seed()
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    second = seed()
    assert counts == (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
    )
    levels = {
        level: Organization.objects.filter(level=level).count()
        for level in ("district", "street", "community")
    }
    assert levels == {"district": 1, "street": 3, "community": 9}
    cadres = Membership.objects.filter(role="cadre").count()
    assert 60 <= cadres <= 80
    secretaries = Membership.objects.filter(role="secretary")
    assert secretaries.filter(organization__level="community").count() == 9
    assert secretaries.filter(organization__level="street").count() == 3
    assert User.objects.filter(groups__name=permissions.LECTURERS_GROUP).count() == 5
    assert User.objects.filter(is_superuser=True).count() == 1
    member_types = set(CadreProfile.objects.values_list("member_type", flat=True))
    assert member_types == {"staff", "in_service", "retired", "floating"}
    assert "Demo logins" in first and first.splitlines()[2:] == second.splitlines()[2:]


def test_printed_logins_work(client):
    """Every login the command prints opens the platform with the demo password."""
    output = seed()
    logins = [line.split()[-2] for line in output.splitlines() if line.endswith(DEMO_PASSWORD)]
    assert len(logins) >= 15
    for login in logins:
        response = client.post("/accounts/login/", {"username": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        client.post("/accounts/logout/")


def test_demo_cadres_hold_training_certificates(django_capture_on_commit_callbacks):
    """Five cadres of 桂花园社区 completed the offline emergency class: five 培训证书, rendered;
    seeding again issues none twice."""
    from certificates.models import Certificate

    with django_capture_on_commit_callbacks(execute=True):
        seed()
    seed()
    certificates = Certificate.objects.all()
    assert certificates.count() == 5
    assert {c.kind for c in certificates} == {Certificate.Kind.CLASS}
    assert all(c.status == Certificate.Status.ISSUED and c.pdf for c in certificates)
    assert certificates.filter(cadre__username="jd01-sq01_ganbu1").exists()
