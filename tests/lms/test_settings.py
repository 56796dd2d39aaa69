"""Production settings refuse to start without secrets and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-" + "k7Qz" * 12,
    "ALLOWED_HOSTS": "lms.example.org",
    "DATABASE_URL": "postgres://lms@db.internal:5432/lms",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "REDIS_URL": "redis://redis.internal:6379/2",
}


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="lms.settings.production")
    environment.update(PRODUCTION_ENV)
    environment.update(env)
    environment = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    """A missing SECRET_KEY stops start-up with a message naming it."""
    result = manage("check", SECRET_KEY=None)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_to_start_without_hosts_database_broker_or_redis():
    """Missing host names, database, broker or Redis stop start-up too, each named."""
    for missing in ("ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        result = manage("check", **{missing: None})
        assert result.returncode != 0
        assert f"Set the {missing} environment variable" in result.stderr


def test_production_passes_the_deployment_checklist():
    """`check --deploy` with production settings reports nothing."""
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
