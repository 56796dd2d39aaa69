"""Test settings: fast hashing, local mail; database and broker still come from the environment."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if "KEY_PREFIX" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="lms-test")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, as in the embedded default: when the live server's threads write at once they
    # wait for SQLite's lock, where an in-memory shared-cache database fails at once.
    test_file = Path(tempfile.gettempdir()) / f"lms-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(test_file)}
WAGTAILADMIN_BASE_URL = "http://testserver"
# Tasks run in-process during tests, even with a broker configured; the worker test
# (tests/test_celery_worker.py) switches this off and sends through the real broker.
CELERY_TASK_ALWAYS_EAGER = True
