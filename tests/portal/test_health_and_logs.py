"""The health endpoint, and one JSON log line per request carrying its request id."""

from __future__ import annotations

import json
import logging

import pytest

from portal.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_with_the_database_up_and_no_redis(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(client, settings):
    # A Redis URL on a port where nothing listens: the check fails, the page says which.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}
    assert "127.0.0.1:1" not in response.content.decode()


def test_every_request_is_logged_once_with_its_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="portal.requests"):
        response = client.get("/healthz?secret=1", HTTP_X_REQUEST_ID="req-abc.123")
    lines = [r for r in caplog.records if r.name == "portal.requests"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.request_id, record.status, record.path) == ("req-abc.123", 200, "/healthz")
    assert response["X-Request-ID"] == "req-abc.123"
    # The query string stays out of the log.
    assert "secret" not in JsonFormatter().format(record)


def test_json_formatter_writes_one_object_with_the_extras():
    record = logging.LogRecord("portal.requests", logging.INFO, "x.py", 1, "GET %s", ("/",), None)
    record.request_id = "r1"
    record.status = 200
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "GET /" and parsed["request_id"] == "r1"
    assert parsed["status"] == 200 and parsed["level"] == "INFO"
