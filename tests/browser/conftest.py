"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files import File
from django.test.testcases import _MediaFilesHandler
from django.utils import timezone
from wagtail.models import Page
from wagtailmedia.models import Media

from courses.models import CourseIndexPage, CoursePage, LessonPage, TrainingRequirement

from ..factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an event loop in the test thread; ORM calls there are safe."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def media_through_the_project():
    """Django's live server answers /media/ itself, without the byte ranges a browser needs to
    seek in a video; let the project's own media view answer, as it does when deployed."""
    original = _MediaFilesHandler._should_handle
    _MediaFilesHandler._should_handle = lambda handler, path: False
    yield
    _MediaFilesHandler._should_handle = original


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, serialized_rollback_in_every_context):
    """Launch the system Chromium quietly: this machine has no outside network."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make test` (it installs Debian's chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def phone(browser):
    """A small phone (360 × 780), the narrowest screen the pages are laid out for."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


TITLE = "网格化管理实务"
VIDEO_SECONDS = 4


@pytest.fixture
def required_video_course(tree):
    """A 1-hour course of one short video lesson, required this year for the east street."""
    catalogue = CourseIndexPage.objects.get()
    course = CoursePage(
        title=TITLE, slug="wghgl", summary="网格员的日常工作方法。", credit_hours=Decimal("1")
    )
    catalogue.add_child(instance=course)
    course.save_revision().publish()
    video = webm_video(title="走进网格", seconds=VIDEO_SECONDS)
    lesson = LessonPage(title="走进网格", slug="zjwg", duration_minutes=1, body=[("video", video)])
    Page.objects.get(pk=course.pk).add_child(instance=lesson)
    lesson.save_revision().publish()
    requirement = TrainingRequirement.objects.create(
        name="年度学习", year=timezone.localdate().year, organization=tree.east, total_hours=4
    )
    requirement.required_courses.add(course)
    return course


def log_in(page, base_url, user):
    """Logs in through the form with the user's mobile number."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill(user.mobile)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + "/")


def play_video(page) -> None:
    """Starts the lesson video muted (so no autoplay rule can block it) and waits, with a
    time limit, until it really plays; `play()`'s own promise is not awaited, as it may never
    settle if the media stalls."""
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    playing = "(v => !v.paused && v.currentTime > 0)(document.querySelector('video'))"
    page.wait_for_function(playing, timeout=15_000)


def webm_video(*, title: str, seconds: int) -> Media:
    """A short VP8 WebM lesson video (ffmpeg's test pattern). The demo's H.264 MP4 plays on
    phones, but Debian's headless Chromium intermittently stalls decoding H.264 at
    HAVE_METADATA (seen when other tests ran first in the same session); VP8 it always plays."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "video.webm"
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
             "-i", "testsrc2=size=320x180:rate=10", "-t", str(seconds), "-c:v", "libvpx",
             "-b:v", "200k", str(target)],
            check=True,
        )  # fmt: skip
        media = Media(title=title, type="video", duration=float(seconds), width=320, height=180)
        with target.open("rb") as handle:
            media.file.save("lesson.webm", File(handle), save=False)
    media.save()
    return media
