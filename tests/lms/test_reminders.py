"""Reminders to cadres behind their yearly requirement: weekly by the beat job, or from a
secretary's page; never twice for the same period."""

import pytest
from django.urls import reverse

from lms.models import Notification, Reminder
from lms.tasks import behind_reminders_weekly

from .test_tracking import grant, requirement

pytestmark = pytest.mark.django_db


def test_weekly_job_reminds_those_behind_once_a_week(settings, people, tree):
    """The job reminds the cadre at 10 of 20 hours, not the one at 9 of 8; a re-run sends
    nothing more; the job is on the beat schedule."""
    requirement(tree.osmanthus, "20")
    requirement(tree.sakura, "8")
    grant(people.cadre, "10", "class:1")
    grant(people.sakura_cadre, "9", "class:1")
    assert behind_reminders_weekly.delay().get() == 1
    assert behind_reminders_weekly.delay().get() == 0
    [notification] = Notification.objects.all()
    assert notification.user == people.cadre
    assert notification.title == "您本年度已完成学时：10 / 20"
    assert Reminder.objects.get().period.count("-W") == 1
    job = settings.CELERY_BEAT_SCHEDULE["behind-reminders"]
    assert job["task"] == "lms.tasks.behind_reminders_weekly"


def test_secretary_reminds_the_subtree_once_a_day(client, people, tree):
    """The street secretary's button reminds those behind in the subtree, once a day; another
    street's secretary gets 404 and sends nothing."""
    requirement(tree.east, "20")
    requirement(tree.xinhua, "20")
    url = reverse("organization_remind", args=[tree.east.pk])
    client.force_login(people.south_secretary)
    assert client.post(url).status_code == 404
    assert not Notification.objects.exists()
    client.force_login(people.east_secretary)
    first = client.post(url, follow=True)
    assert "已提醒 2 名" in first.content.decode()
    reminded = set(Notification.objects.values_list("user_id", flat=True))
    assert reminded == {people.cadre.pk, people.sakura_cadre.pk}  # not the 新华里 cadre
    second = client.post(url, follow=True)
    assert "已提醒 0 名" in second.content.decode()
    assert Notification.objects.count() == 2
    assert Reminder.objects.filter(sent_by=people.east_secretary).count() == 2


def test_secretary_reminds_only_the_filtered_group(client, people, tree):
    """Sent from a filtered table (here a search for one name), the reminder reaches only the
    cadres that table lists among those behind, and the page comes back with the filter."""
    requirement(tree.east, "20")
    client.force_login(people.east_secretary)
    url = reverse("organization_remind", args=[tree.east.pk]) + "?q=张秀英&behind=1"
    response = client.post(url)
    assert set(Notification.objects.values_list("user_id", flat=True)) == {people.cadre.pk}
    assert response.url.endswith(
        f"/manage/org/{tree.east.pk}/?q=%E5%BC%A0%E7%A7%80%E8%8B%B1&behind=1"
    )
