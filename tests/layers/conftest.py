"""Fixtures shared with the API tests: one published crime release with a withheld count."""

from __future__ import annotations

from tests.api.v1.conftest import crime  # noqa: F401 (a fixture, found by pytest by name)
