"""Offline-session fixtures: the settings and a way to schedule a session."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from offline import services
from offline.models import OfflineSession, OfflineSettings

NOW = timezone.now().replace(microsecond=0)


def make_session(organization, by, *, starts_in=datetime.timedelta(days=1), **fields):
    """A two-hour training class of `organization`, starting `starts_in` from now."""
    starts = NOW + starts_in
    values = {
        "title": "社区治理专题培训班",
        "kind": OfflineSession.Kind.TRAINING_CLASS,
        "organization": organization,
        "starts_at": starts,
        "ends_at": starts + datetime.timedelta(hours=2),
        "place": "东湖街道党群服务中心三楼",
        "lecturer_name": "王教授",
        "hours": Decimal("4"),
        **fields,
    }
    return services.session_save(session=OfflineSession(**values), by=by)


@pytest.fixture
def rules(db):
    """The default settings: 4 hours, late earns half, opens 30 min before, late after 15, 60 s
    codes."""
    return OfflineSettings.load()


@pytest.fixture
def east_class(people, tree):
    """A class of the east street tomorrow, open to its whole subtree."""
    return make_session(tree.east, people.east_secretary)
