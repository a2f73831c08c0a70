"""A statement stopped by statement_timeout is a readable 503, not a 500, for pages and
the API; the web process gets the timeout and commands do not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal import urls as project_urls

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _slow(request: HttpRequest) -> HttpResponse:
    # A real statement stopped by PostgreSQL, as a runaway query would be.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '20ms'")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("not reached")


urlpatterns = [path("slow/", _slow), path("api/v1/slow/", _slow), *project_urls.urlpatterns]


@pytest.mark.django_db
@pytest.mark.urls("tests.portal.test_statement_timeout")
@pytest.mark.parametrize(
    ("url", "kind"), [("/slow/", "text/html"), ("/api/v1/slow/", "application/problem+json")]
)
def test_a_cancelled_statement_is_a_readable_503(client, url, kind):
    response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"].startswith(kind)
    text = response.content.decode()
    assert "took too long" in text
    assert "pg_sleep" not in text and "statement_timeout" not in text


def _timeout_setting(env: dict[str, str], module: str) -> str:
    code = (
        f"import {module}; from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('options', ''))"
    )
    if module == "portal.settings":
        code = (
            "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); "
            "import django; django.setup(); " + code
        )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_web_processes_get_a_statement_timeout_and_commands_do_not():
    env = {k: v for k, v in os.environ.items() if k != "DB_STATEMENT_TIMEOUT_MS"}
    assert _timeout_setting(env, "portal.wsgi") == "-c statement_timeout=15000"
    assert _timeout_setting(env, "portal.settings") == ""
    assert _timeout_setting({**env, "DB_STATEMENT_TIMEOUT_MS": "500"}, "portal.wsgi") == (
        "-c statement_timeout=500"
    )
