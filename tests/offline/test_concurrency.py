"""Real parallel requests on PostgreSQL: the last places of a session, and two organizers
closing at once (SQLite serializes writes by itself, so these run on PostgreSQL only)."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from courses.models import CreditEntry
from offline import services, tokens
from offline.models import Attendance

from ..factories import make_cadre
from .conftest import make_session

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks need PostgreSQL"),
]

THREADS = 8


def in_parallel(requests):
    """Sends each (user, url) as a POST from its own thread and client, all released at once."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def send(index, user, url):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            responses[index] = client.post(url)
        except Exception as error:  # reported by the assertion below
            responses[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, *request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [r for r in responses if isinstance(r, Exception)], responses
    return responses


def test_parallel_sign_ups_fill_exactly_the_capacity(people, tree):
    """Eight cadres press sign-up at once for three places: three get in, five get 409."""
    session = make_session(tree.east, people.east_secretary, capacity=3)
    cadres = [
        make_cadre(tree.osmanthus, username=f"c{index}", mobile=f"1390000{index:04d}")
        for index in range(THREADS)
    ]
    url = reverse("offline_session_sign_up", args=[session.pk])
    responses = in_parallel([(cadre, url) for cadre in cadres])
    assert sorted(r.status_code for r in responses) == [302] * 3 + [409] * 5
    assert Attendance.objects.filter(session=session, signed_up=True).count() == 3


def test_parallel_closes_credit_once(people, tree):
    """Four clicks on close at once: one close, one ledger entry per attendee."""
    session = make_session(
        tree.east, people.east_secretary, starts_in=-datetime.timedelta(minutes=5)
    )
    for cadre in (people.cadre, people.sakura_cadre):
        services.attendance_check_in(
            session=session, cadre=cadre, token=tokens.checkin_token(session.pk)
        )
    url = reverse("offline_session_close", args=[session.pk])
    responses = in_parallel([(people.east_secretary, url)] * 4)
    assert all(r.status_code == 302 for r in responses)
    assert CreditEntry.objects.filter(source=f"session:{session.pk}").count() == 2
