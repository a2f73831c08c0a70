"""Loaded first (pytest -p, see pyproject.toml): settings for a test run.

It must run before pytest-django imports the settings, which conftest.py is too late
for. Without DATABASE_URL the project's private PostGIS cluster is started here.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")
# Playwright's sync API runs an event loop; Django then refuses ORM calls without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: object) -> None:
    if not os.environ.get("DATABASE_URL"):
        from portal import devdb

        devdb.up()
