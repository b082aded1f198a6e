"""Settings come from the environment; production mode refuses unsafe configurations loudly."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_missing_secret_key_with_debug_off_is_a_loud_error():
    result = manage("check", DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_passes_with_debug_off(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="False",
                    SECRET_KEY="x" * 20 + "-production-grade-secret-with-enough-entropy-0123456789",
                    ALLOWED_HOSTS="spotcheck.example.com", DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("value", ["yes", "1", "on"])
def test_debug_accepts_only_true_or_false(value):
    result = manage("check", DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be True or False" in result.stderr


def test_the_log_states_how_jobs_run(tmp_path):
    result = manage("check", DATA_DIR=str(tmp_path))
    assert "background jobs run in-process" in result.stderr
    result = manage("check", DATA_DIR=str(tmp_path), REDIS_URL="redis://127.0.0.1:6379/15")
    assert "background jobs go to django-rq" in result.stderr


def test_the_default_database_is_sqlite_in_the_data_folder(tmp_path):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = manage("shell", "-c", code, DATA_DIR=str(tmp_path))
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "spotcheck.sqlite3")
