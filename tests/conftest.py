from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or BASE_DIR.parent / "shared" / "data")
ARTIFACTS = BASE_DIR / "test-artifacts"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert (SHARED_DATA / "leicester_lsoa11.geojson").exists(), f"no shared data in {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, shared_data):  # type: ignore[no-untyped-def]
    """The real demo geography, loaded once per run and committed (tests roll back)."""
    with django_db_blocker.unblock():
        call_command("load_demo", data=shared_data, verbosity=0)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):  # type: ignore[no-untyped-def]
    # live_server serves unhashed files through the finders (STACK.md pitfall 8).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests that create users use a fast hasher unless they
    check the real one (marker `real_hasher`)."""
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tile_cache_per_test(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test gets an empty tile cache: tests roll back boundary loads, so a cache
    shared across tests could hold tiles of a version that the database no longer has."""
    settings.TILE_CACHE_DIR = str(tmp_path / "tiles")
