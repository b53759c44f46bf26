"""Start-up as an operator meets it, each in a fresh process with only the environment given:
no environment at all works (a key is made once, private); a weak key with debug off refuses
to start and says why; the documented production environment passes `check --deploy` with no
warning at all, the OAuth toolkit's included."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

# The production environment the README's "Security" section documents (values made here).
PRODUCTION = {
    "SCHOOLBRUG_SECRET_KEY": secrets.token_urlsafe(50),
    "SCHOOLBRUG_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "SCHOOLBRUG_ALLOWED_HOSTS": "schoolbrug.example.be",
    "SCHOOLBRUG_SECURE_COOKIES": "1",
    "SCHOOLBRUG_SSL_REDIRECT": "1",
    "SCHOOLBRUG_HSTS_SECONDS": "31536000",
    "SCHOOLBRUG_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SCHOOLBRUG_HSTS_PRELOAD": "1",
    "SCHOOLBRUG_EMAIL_HOST": "smtp.example.be",
}


def schoolbrug(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`schoolbrug ARGS` in a new process, with no environment but PATH and `env`."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SCHOOLBRUG_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setting(tmp_path: Path, name: str, **env: str) -> str:
    ran = schoolbrug(
        tmp_path, "shell", "-c", f"from django.conf import settings; print(settings.{name})", **env
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip().splitlines()[-1]  # after the shell's "objects imported" line


def test_without_any_environment_a_private_key_is_made_once_and_kept(tmp_path):
    first = setting(tmp_path, "SECRET_KEY")
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first and len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert setting(tmp_path, "SECRET_KEY") == first


@pytest.mark.parametrize(
    "key",
    [
        "insecure-dev-key-set-SCHOOLBRUG_SECRET_KEY",  # the default before
        "django-insecure-" + "x" * 60,
        "kort-geheim",
        "ab" * 40,
    ],
)
def test_a_weak_key_with_debug_off_refuses_to_start_and_says_why(tmp_path, key):
    ran = schoolbrug(tmp_path, "check", SCHOOLBRUG_SECRET_KEY=key)
    assert ran.returncode == 1
    assert ran.stderr.startswith("schoolbrug: SCHOOLBRUG_SECRET_KEY is not safe to run with")
    assert "Traceback" not in ran.stderr
    assert key not in ran.stderr + ran.stdout  # the refused key is not echoed
    # Debug on (a developer's machine): it starts.
    assert (
        schoolbrug(tmp_path, "check", SCHOOLBRUG_SECRET_KEY=key, SCHOOLBRUG_DEBUG="1").returncode
        == 0
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SCHOOLBRUG_ENCRYPTION_KEY", "geen-sleutel", "key 1 is not a Fernet key"),
        ("SCHOOLBRUG_SESSION_HOURS", "acht", "must be a whole number"),
        ("SCHOOLBRUG_LOGIN_FAILURE_LIMIT", "-1", "must be a whole number"),
        ("SCHOOLBRUG_CHANGE_THRESHOLD", "75%", "must be a number of 0 or more and at most 1"),
        ("SCHOOLBRUG_LEAVER_THRESHOLD", "1.5", "at most 1"),
        ("SCHOOLBRUG_SYNC_LOCK_WAIT", "een minuut", "must be a number of 0 or more"),
    ],
)
def test_a_mistyped_setting_refuses_to_start_and_names_it(tmp_path, name, value, says):
    ran = schoolbrug(tmp_path, "check", **{name: value})
    assert ran.returncode == 1
    assert ran.stderr.startswith(f"schoolbrug: {name}") and says in ran.stderr
    assert "Traceback" not in ran.stderr


def test_the_documented_production_environment_passes_check_deploy(tmp_path):
    ran = schoolbrug(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert ran.stdout.strip() == "System check identified no issues (0 silenced)."
    assert not (tmp_path / "var" / "secret_key").exists()  # the environment's key is used


def test_without_it_check_deploy_names_what_is_missing(tmp_path):
    ran = schoolbrug(tmp_path, "check", "--deploy")
    said = ran.stdout + ran.stderr
    for check in (
        "security.W004",
        "security.W008",
        "security.W012",
        "schoolbrug.W001",
        "schoolbrug.W003",
    ):
        assert check in said
    assert "oauth2_provider" not in said  # the toolkit is configured as RFC 9700 advises


def test_the_security_settings_come_from_the_environment(tmp_path):
    env = {
        **PRODUCTION,
        "SCHOOLBRUG_SESSION_HOURS": "2",
        "SCHOOLBRUG_LOGIN_FAILURE_LIMIT": "7",
        "SCHOOLBRUG_LOGIN_COOLOFF_MINUTES": "30",
        "SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT": "4",
        "SCHOOLBRUG_PROXY_COUNT": "1",
        "SCHOOLBRUG_PROXY_SSL_HEADER": "1",
        "SCHOOLBRUG_INFORMAT_HOSTS": "api.informat.example,*.informat.test",
    }
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, "
        "s.SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT, s.SCHOOLBRUG_PROXY_COUNT, "
        "s.SECURE_PROXY_SSL_HEADER, s.SCHOOLBRUG_INFORMAT_HOSTS, "
        "s.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK)"
    )
    ran = schoolbrug(tmp_path, "shell", "-c", code, **env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().splitlines()[-1] == (
        "7200 True True True 31536000 7 0.5 4 1 ('HTTP_X_FORWARDED_PROTO', 'https') "
        "['api.informat.example', '*.informat.test'] False"
    )
