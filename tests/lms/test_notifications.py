"""Notification centre: sending on every channel, the list, the header badge, opening links."""

import logging

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.models import Notification
from lms.services import notification_send, notifications_mark_read

from ..factories import UserFactory
from ..queries import page_queries

pytestmark = pytest.mark.django_db

# user, the page's count, the unread badge, managed paths and the two permission lookups of
# the navigation, the page's rows
LIST_QUERIES = 7


class BrokenChannel:
    """A channel whose provider is down."""

    def send(self, *, user, title, body, url):
        """Always fails."""
        raise ConnectionError("provider unreachable")


@pytest.fixture
def cadre(db):
    """A person with an e-mail address."""
    return UserFactory(username="reader", email="reader@example.org")


@pytest.fixture
def other(db):
    """Someone else."""
    return UserFactory(username="other", email="other@example.org")


class TestSending:
    def test_send_keeps_the_notification_and_mails_it_after_commit(
        self, cadre, settings, django_capture_on_commit_callbacks
    ):
        """The row exists at once; the mail, with an absolute link, leaves on commit."""
        settings.SITE_URL = "https://lms.example.org"
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notification = notification_send(
                user=cadre, title="新课程已上线", body="请按时学习。", url="/learn/"
            )
            assert mail.outbox == []
        assert len(callbacks) == 1
        assert Notification.objects.get() == notification
        assert notification.read_at is None
        [message] = mail.outbox
        assert message.to == ["reader@example.org"]
        assert message.subject == "新课程已上线"
        assert "请按时学习。" in message.body
        assert "https://lms.example.org/learn/" in message.body

    def test_no_mail_without_an_address(self, db, django_capture_on_commit_callbacks):
        """A person without an e-mail address still gets the notification, and no mail."""
        user = UserFactory(email="")
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(user=user, title="提醒")
        assert user.notifications.count() == 1
        assert mail.outbox == []

    def test_a_failing_channel_neither_stops_the_mail_nor_raises(
        self, cadre, settings, caplog, django_capture_on_commit_callbacks
    ):
        """A channel that raises is logged; the channels after it still send."""
        settings.NOTIFICATION_CHANNELS = [
            "tests.lms.test_notifications.BrokenChannel",
            "lms.notifications.EmailChannel",
        ]
        with (
            caplog.at_level(logging.ERROR, logger="lms.notifications"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            notification_send(user=cadre, title="提醒")
        assert len(mail.outbox) == 1
        assert "BrokenChannel" in caplog.text

    def test_the_log_channel_records_who_was_told(
        self, cadre, settings, caplog, django_capture_on_commit_callbacks
    ):
        """The stand-in for SMS logs the person and the title."""
        settings.NOTIFICATION_CHANNELS = ["lms.notifications.LogChannel"]
        with (
            caplog.at_level(logging.INFO, logger="lms.notifications"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            notification_send(user=cadre, title="提醒", url="/learn/")
        assert f"user {cadre.pk}: 提醒 /learn/" in caplog.text
        assert mail.outbox == []

    def test_links_to_other_sites_are_refused(self, cadre):
        """Only paths on this site may be stored as links."""
        for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "learn/"):
            with pytest.raises(ValueError):
                notification_send(user=cadre, title="提醒", url=url)
        assert not Notification.objects.exists()

    def test_mark_read_only_touches_the_given_persons_notifications(self, cadre, other):
        """Marking read by ids or all at once leaves other people's notifications unread."""
        first = Notification.objects.create(user=cadre, title="一")
        Notification.objects.create(user=cadre, title="二")
        theirs = Notification.objects.create(user=other, title="三")
        assert notifications_mark_read(user=cadre, ids=[first.pk, theirs.pk]) == 1
        assert notifications_mark_read(user=cadre) == 1
        assert notifications_mark_read(user=cadre) == 0
        theirs.refresh_from_db()
        assert theirs.read_at is None


class TestPages:
    def test_list_shows_only_own_notifications_newest_first(self, client, cadre, other):
        """The list holds the person's notifications, newest first, and no one else's."""
        Notification.objects.create(user=cadre, title="较早的通知")
        Notification.objects.create(user=cadre, title="最新的通知")
        Notification.objects.create(user=other, title="别人的通知")
        client.force_login(cadre)
        response = client.get("/notifications/")
        assert [n.title for n in response.context["page"]] == ["最新的通知", "较早的通知"]
        text = response.content.decode()
        assert "最新的通知" in text and "别人的通知" not in text

    def test_visitors_are_sent_to_log_in(self, client):
        """The notification pages need a login."""
        response = client.get("/notifications/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_header_badge_counts_unread_notifications(self, client, cadre, other):
        """Every page's header shows how many of the person's notifications are unread."""
        Notification.objects.create(user=cadre, title="一")
        Notification.objects.create(user=cadre, title="二")
        notifications_mark_read(
            user=cadre, ids=[Notification.objects.create(user=cadre, title="三").pk]
        )
        Notification.objects.create(user=other, title="四")
        client.force_login(cadre)
        response = client.get("/")
        assert response.context["nav_unread_notifications"] == 2
        assert 'class="badge required">2<' in response.content.decode()

    def test_no_badge_and_no_query_for_visitors(self, client):
        """An anonymous page view never asks for notifications."""
        with CaptureQueriesContext(connection) as queries:
            text = client.get("/").content.decode()
        assert not any("lms_notification" in q["sql"] for q in queries.captured_queries)
        assert "/notifications/" not in text

    def test_open_marks_read_and_follows_the_link(self, client, cadre):
        """Opening a notification marks it read and redirects to its link."""
        notification = Notification.objects.create(user=cadre, title="一", url="/learn/?tab=1")
        client.force_login(cadre)
        response = client.get(f"/notifications/{notification.pk}/open/")
        assert response.status_code == 302
        assert response["Location"] == "/learn/?tab=1"
        notification.refresh_from_db()
        assert notification.read_at is not None

    def test_open_without_a_link_returns_to_the_list(self, client, cadre):
        """A notification without a link leads back to the list."""
        notification = Notification.objects.create(user=cadre, title="一")
        client.force_login(cadre)
        response = client.get(f"/notifications/{notification.pk}/open/")
        assert response["Location"] == "/notifications/"

    def test_other_peoples_notifications_are_404(self, client, cadre, other):
        """Someone else's notification cannot be opened, and stays unread."""
        theirs = Notification.objects.create(user=other, title="一", url="/learn/")
        client.force_login(cadre)
        assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    @pytest.mark.parametrize(
        "url",
        ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"],
    )
    def test_external_links_are_never_followed(self, client, cadre, url):
        """A stored link to another site (written past the service) redirects to the list."""
        notification = Notification.objects.create(user=cadre, title="一", url=url)
        client.force_login(cadre)
        response = client.get(f"/notifications/{notification.pk}/open/")
        assert response["Location"] == "/notifications/"

    def test_mark_all_read(self, client, cadre, other):
        """The button marks all the person's notifications read, by POST only."""
        Notification.objects.create(user=cadre, title="一")
        Notification.objects.create(user=cadre, title="二")
        theirs = Notification.objects.create(user=other, title="三")
        client.force_login(cadre)
        assert client.get("/notifications/read/").status_code == 405
        response = client.post("/notifications/read/")
        assert response["Location"] == "/notifications/"
        assert not cadre.notifications.filter(read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert client.get("/notifications/").context["nav_unread_notifications"] == 0

    def test_list_query_count_is_flat(self, client, cadre):
        """The list costs the same queries with 2 or 30 notifications (paginated)."""
        for n in range(2):
            Notification.objects.create(user=cadre, title=f"通知{n}")
        client.force_login(cadre)
        client.get("/notifications/")  # first request of the process loads content types
        small = page_queries(client, "/notifications/")
        for n in range(28):
            Notification.objects.create(user=cadre, title=f"更多{n}")
        assert small == page_queries(client, "/notifications/") == LIST_QUERIES
