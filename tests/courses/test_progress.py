"""Lesson heartbeats: the server credits only visible time, never beyond what was watched."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.rich_text import RichText
from wagtailmedia.models import Media

from courses import services
from courses.models import CreditEntry, Enrollment, LessonPage, LessonProgress

from .conftest import lessons_of, publish

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(datetime.datetime(2026, 5, 4, 9, 0))


def beat(cadre, lesson, seconds, *, visible=True, position=None, session="phone"):
    return services.lesson_heartbeat(
        cadre=cadre,
        lesson=lesson,
        session_key=session,
        visible=visible,
        position=position,
        now=T0 + datetime.timedelta(seconds=seconds),
    )


def read_for(cadre, lesson, seconds, start=0, step=15):
    """Beats every `step` seconds of visible reading from `start`; returns the last result."""
    result = None
    for t in range(start, start + seconds + 1, step):
        result = beat(cadre, lesson, t)
    return result


@pytest.fixture
def enrolled(people, course):
    services.enrollment_create(cadre=people.cadre, course=course)
    return people.cadre


@pytest.fixture
def video_lesson(course):
    """A 120-second video lesson added to the course."""
    media = Media.objects.create(title="示例视频", type="video", duration=120)
    media.file.save("sample.mp4", ContentFile(b"\x00" * 64))
    return publish(
        course,
        LessonPage(
            title="视频：网格化管理",
            slug="video",
            duration_minutes=2,
            required=False,
            body=[("video", media), ("text", RichText("<p>网格员的职责。</p>"))],
        ),
    )


class TestTextLessons:
    def test_visible_reading_time_accumulates(self, enrolled, course):
        """Beats every 15 s while visible add up on the server."""
        lesson = lessons_of(course)[0]
        result = read_for(enrolled, lesson, 60)
        assert result.progress.seconds_credited == 60

    def test_hidden_time_and_long_gaps_earn_nothing(self, enrolled, course):
        """A hidden page earns nothing; a gap longer than 30 s earns 30 s at most."""
        lesson = lessons_of(course)[0]
        beat(enrolled, lesson, 0)
        beat(enrolled, lesson, 15, visible=False)
        assert beat(enrolled, lesson, 600).credited_seconds == 30
        assert LessonProgress.objects.get().seconds_credited == 30

    def test_reading_long_enough_completes_the_lesson(self, enrolled, course):
        """A short text lesson needs the one-minute floor of visible reading."""
        lesson = lessons_of(course)[0]
        assert not read_for(enrolled, lesson, 45).lesson_completed
        assert beat(enrolled, lesson, 60).lesson_completed

    def test_reading_time_follows_the_text_not_only_the_stated_length(self, enrolled, course):
        """1,500 characters at 300 a minute take 5 minutes; half of that must be spent."""
        lesson = lessons_of(course)[0]
        lesson.body = [("text", RichText("<p>" + "社" * 1500 + "</p>"))]
        lesson.save()
        assert not read_for(enrolled, lesson, 135).lesson_completed
        assert beat(enrolled, lesson, 150).lesson_completed

    def test_not_enrolled_is_refused_and_records_nothing(self, people, course):
        """A cadre not enrolled in the course gets NotEnrolled; no progress is stored."""
        with pytest.raises(services.NotEnrolled):
            beat(people.cadre, lessons_of(course)[0], 0)
        assert not LessonProgress.objects.exists()

    def test_a_second_device_is_ignored_while_the_first_is_active(self, enrolled, course):
        """Beats from another session within 90 s are refused; afterwards it may take over."""
        lesson = lessons_of(course)[0]
        beat(enrolled, lesson, 0, session="phone")
        beat(enrolled, lesson, 15, session="phone")
        with pytest.raises(services.OtherSession):
            beat(enrolled, lesson, 20, session="office")
        assert LessonProgress.objects.get().seconds_credited == 15
        assert beat(enrolled, lesson, 200, session="office").credited_seconds == 30

    def test_a_clock_running_backwards_earns_nothing(self, enrolled, course):
        """A beat dated before the previous one credits nothing."""
        lesson = lessons_of(course)[0]
        beat(enrolled, lesson, 100)
        assert beat(enrolled, lesson, 50).credited_seconds == 0


class TestVideoLessons:
    def test_dragging_ahead_does_not_count(self, enrolled, video_lesson):
        """Jumping to the end moves the furthest point only by the time actually credited."""
        beat(enrolled, video_lesson, 0, position=0)
        result = beat(enrolled, video_lesson, 15, position=115)
        assert result.progress.furthest_position == 18  # 15 s watched + 3 s tolerance
        assert not result.lesson_completed

    def test_watching_through_completes(self, enrolled, video_lesson):
        """Playing the video through, beat by beat, completes the lesson."""
        result = None
        for t in range(0, 121, 15):
            result = beat(enrolled, video_lesson, t, position=t)
        assert result.lesson_completed
        assert result.progress.furthest_position == 120

    def test_going_back_is_allowed_and_keeps_the_furthest_point(self, enrolled, video_lesson):
        """Rewinding to watch again keeps the furthest point reached."""
        for t in range(0, 46, 15):
            beat(enrolled, video_lesson, t, position=t)
        result = beat(enrolled, video_lesson, 60, position=10)
        assert result.progress.furthest_position == 45
        assert result.progress.last_position == 10

    @pytest.mark.parametrize("position", [-1, 1000, float("inf")])
    def test_positions_outside_the_video_are_refused(self, enrolled, video_lesson, position):
        """Negative or absurd positions are refused and change nothing."""
        with pytest.raises(services.LearningError):
            beat(enrolled, video_lesson, 0, position=position)
        assert not LessonProgress.objects.exists()


class TestCompletion:
    def test_completing_every_required_lesson_completes_the_course_and_credits_once(
        self, enrolled, course
    ):
        """The last required lesson completes the course and grants its hours exactly once."""
        first, second, _optional = lessons_of(course)
        read_for(enrolled, first, 60)
        result = read_for(enrolled, second, 60, start=1000)
        assert result.course_completed
        entry = CreditEntry.objects.get(cadre=enrolled)
        assert entry.kind == CreditEntry.Kind.ONLINE_COURSE
        assert entry.source == f"course:{course.pk}"
        assert entry.hours == Decimal("0.50")  # 20 minutes of lessons → 0.5 by the default rule
        read_for(enrolled, second, 300, start=2000)
        assert CreditEntry.objects.filter(cadre=enrolled).count() == 1
        assert Enrollment.objects.get(cadre=enrolled).completed_at is not None

    def test_optional_lessons_are_not_needed(self, enrolled, course):
        """The optional lesson is not required for completion."""
        first, second, _optional = lessons_of(course)
        read_for(enrolled, first, 300)
        read_for(enrolled, second, 300, start=1000)
        assert Enrollment.objects.get(cadre=enrolled).completed_at is not None

    def test_secretary_completes_an_offline_course_by_hand(self, client, people, offline_course):
        """A secretary marks an offline lecture complete; its 4 hours go to the ledger once."""
        client.force_login(people.osmanthus_secretary)
        url = f"/manage/cadre/{people.cadre.pk}/courses/{offline_course.pk}/complete/"
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 302
        entry = CreditEntry.objects.get(cadre=people.cadre)
        assert (entry.kind, entry.hours) == (CreditEntry.Kind.OFFLINE_CLASS, Decimal("4.00"))
        assert entry.granted_by == people.osmanthus_secretary

    def test_manual_completion_is_scoped_and_offline_only(
        self, client, people, course, offline_course
    ):
        """Outside the subtree, or for an online course, manual completion answers 404."""
        client.force_login(people.south_secretary)
        url = f"/manage/cadre/{people.cadre.pk}/courses/{offline_course.pk}/complete/"
        assert client.post(url).status_code == 404
        client.force_login(people.osmanthus_secretary)
        assert (
            client.post(
                f"/manage/cadre/{people.cadre.pk}/courses/{course.pk}/complete/"
            ).status_code
            == 404
        )
        client.force_login(people.cadre)
        assert client.post(url).status_code == 404
        assert not CreditEntry.objects.exists()
