"""Shared fixtures: a small organization tree with people in every role."""

from types import SimpleNamespace

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from lms.services import organization_create

from .factories import PASSWORD, UserFactory, make_cadre, make_lecturer, make_secretary
from .workers import worker, workers  # noqa: F401  (fixtures: real Celery workers)


@pytest.fixture
def tree(db):
    """District → two streets → communities → a branch; names as in the demo world."""
    district = organization_create(name="和平区委组织部", code="qu", level="district")
    east = organization_create(name="东湖街道党工委", code="jd01", level="street", parent=district)
    south = organization_create(name="南湖街道党工委", code="jd02", level="street", parent=district)
    osmanthus = organization_create(
        name="桂花园社区党委", code="jd01-sq01", level="community", parent=east
    )
    sakura = organization_create(
        name="樱花路社区党委", code="jd01-sq02", level="community", parent=east
    )
    xinhua = organization_create(
        name="新华里社区党委", code="jd02-sq01", level="community", parent=south
    )
    branch = organization_create(
        name="桂花园社区第一党支部", code="jd01-sq01-zb1", level="branch", parent=osmanthus
    )
    return SimpleNamespace(
        district=district,
        east=east,
        south=south,
        osmanthus=osmanthus,
        sakura=sakura,
        xinhua=xinhua,
        branch=branch,
    )


@pytest.fixture
def people(tree):
    """A cadre per community, street and community secretaries, a lecturer and an admin."""
    return SimpleNamespace(
        cadre=make_cadre(tree.branch, username="cadre", name="张秀英", mobile="13800000001"),
        sakura_cadre=make_cadre(tree.sakura, username="sakura", mobile="13800000002"),
        xinhua_cadre=make_cadre(tree.xinhua, username="xinhua", mobile="13800000003"),
        east_secretary=make_secretary(tree.east, username="east_sec", mobile="13800000010"),
        osmanthus_secretary=make_secretary(
            tree.osmanthus, username="osm_sec", mobile="13800000011"
        ),
        south_secretary=make_secretary(tree.south, username="south_sec", mobile="13800000012"),
        lecturer=make_lecturer(username="lecturer", mobile="13800000020"),
        admin=UserFactory(username="admin", is_superuser=True, mobile="13800000030"),
    )


@pytest.fixture
def login(client):
    """Logs `client` in as the given user through the real login form."""

    def do_login(user, password=PASSWORD):
        response = client.post(
            "/accounts/login/", {"username": user.mobile or user.username, "password": password}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return do_login


@pytest.fixture(scope="session")
def serialized_rollback_in_every_context(django_db_setup):
    """Lets `serialized_rollback` work after Playwright has started its event loop.

    pytest-django stores the migrated rows (home page, groups) on the connection object it
    created; once an event loop runs in the test thread, Django hands out fresh connection
    objects without that copy, and transactional tests would leave the database empty.
    Storing the copy on the connection class makes every connection object carry it.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    contents = getattr(wrapper, "_test_serialized_contents", None)
    if contents is not None:
        type(wrapper)._test_serialized_contents = contents
