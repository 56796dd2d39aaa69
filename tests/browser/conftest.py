"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os
import shutil

import pytest
from django.test.testcases import _MediaFilesHandler

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
