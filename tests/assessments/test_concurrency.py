"""Real parallel requests against one attempt: one attempt in progress, one graded result."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import Attempt

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 8


def in_parallel(user, requests):
    """Sends each (method, url, data) from its own thread and client, all released at once."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def send(index, method, url, data):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            responses[index] = getattr(client, method)(url, data)
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


def test_parallel_starts_make_one_attempt(people, objective_quiz):
    """Eight tabs start the quiz at the same moment: one attempt, and every tab lands on it."""
    url = reverse("quiz_start", args=[objective_quiz.pk])
    responses = in_parallel(people.cadre, [("post", url, {})] * THREADS)
    attempt = Attempt.objects.get()
    assert {r.url for r in responses} == {reverse("attempt_page", args=[attempt.pk])}


def test_parallel_submits_and_answers(people, objective_quiz):
    """Submits and autosaves race: one graded attempt; every answer acknowledged is counted,
    every other one was refused with 409, none was written after the finish."""
    attempt = services.attempt_start(quiz=objective_quiz, cadre=people.cadre)
    submit = ("post", reverse("attempt_submit", args=[attempt.pk]), {})
    answer = ("post", reverse("attempt_answer", args=[attempt.pk]), {"position": 4})
    requests = [submit] * 4 + [(m, u, {**d, "answer": "司法所"}) for m, u, d in [answer] * 4]
    responses = in_parallel(people.cadre, requests)
    attempt.refresh_from_db()
    assert attempt.state == "graded"
    assert Attempt.objects.count() == 1
    assert all(r.status_code == 302 for r in responses[:4])
    saves = [r.status_code for r in responses[4:]]
    assert set(saves) <= {200, 409}
    row = attempt.questions.get(position=4)
    if 200 in saves:
        assert row.response == "司法所" and attempt.score == 1
        assert row.saved_at <= attempt.finished_at
    else:
        assert row.response is None and attempt.score == 0
