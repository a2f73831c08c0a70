from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def check_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        ],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_settings_refuse_to_start_without_debug_and_secrets():
    result = check_settings(DEBUG="0")
    assert result.returncode != 0
    assert "DEBUG is off, so these must be set: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL" in (
        result.stderr
    )


def test_settings_name_only_what_is_missing():
    result = check_settings(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.org")
    assert result.returncode != 0
    assert "must be set: DATABASE_URL." in result.stderr


def test_settings_start_when_production_is_fully_configured():
    result = check_settings(
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://u:p@db.example.org:5432/portal",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "portal"


def test_settings_reject_a_malformed_boolean():
    result = check_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_settings_reject_a_database_url_that_is_not_postgres():
    result = check_settings(DEBUG="1", DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_URL must start with postgres://" in result.stderr


def test_docker_compose_runs_every_service_from_environment_only():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "proxy"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert "celery" in services["worker"]["command"]
    env = services["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # no default secret
    assert env["DEBUG"] == "0"


@pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root")
def test_devdb_notices_a_folder_the_server_user_cannot_enter():
    from portal import devdb

    closed = Path(tempfile.mkdtemp(prefix="cg-devdb-"))  # mode 700, under /tmp (755)
    try:
        (closed / "inner").mkdir()
        assert not devdb._server_user_can_enter(closed / "inner")
        closed.chmod(0o755)
        assert devdb._server_user_can_enter(closed / "inner")
    finally:
        shutil.rmtree(closed)


def test_manage_py_needs_no_settings_on_the_checkouts_private_database():
    # `make setup` made .pg/ (the private cluster): development defaults apply there.
    result = check_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "commonground"


def test_a_deployment_with_a_database_url_starts_with_debug_off():
    result = check_settings(DATABASE_URL="postgres://u:p@db.example.org:5432/portal")
    assert result.returncode != 0
    assert "must be set: SECRET_KEY, ALLOWED_HOSTS" in result.stderr


def read_settings(names: list[str], **env: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{n}))" for n in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


PRODUCTION = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://u:p@db.example.org:5432/portal",
}


def test_production_settings_turn_on_hsts_and_secure_host_only_cookies():
    values = read_settings(
        [
            "SECURE_HSTS_SECONDS",
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_NAME",
            "CORS_ALLOWED_ORIGINS",
        ],
        **PRODUCTION,
    )
    assert values == ["31536000", "True", "'__Host-sessionid'", "[]"]  # CORS closed


def test_cors_partner_origins_come_from_the_environment():
    values = read_settings(
        ["CORS_ALLOWED_ORIGINS"],
        **PRODUCTION,
        CORS_ALLOWED_ORIGINS="https://police.example.org, https://nhs.example.org",
    )
    assert values == ["['https://police.example.org', 'https://nhs.example.org']"]
