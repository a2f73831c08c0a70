"""A disk cache of boundary tiles, keyed by level, boundary version and z/x/y.

Tiles are public geometry and the same for every user, and a boundary load gives the
level a new version, so (level, version, z, x, y) names the bytes exactly: a cached tile
is never stale, only unreachable once the version moves on (and then purged). On disk,
because every web worker of a node shares it, it survives restarts, and a reverse proxy
could serve it directly. An empty tile is kept as an empty file, so a tile over the sea
is not rendered again either.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings


def _root() -> Path | None:
    root = settings.TILE_CACHE_DIR
    return Path(root) if root else None


def _path(root: Path, level: str, version: str, z: int, x: int, y: int) -> Path:
    # Level slugs and versions are our own ([a-z0-9]), z/x/y integers: no path from input.
    return root / level / (version or "unversioned") / str(int(z)) / str(int(x)) / f"{int(y)}.mvt"


def get(level: str, version: str, z: int, x: int, y: int) -> bytes | None:
    """The cached bytes, or None when the tile is not cached (or caching is off)."""
    root = _root()
    if root is None:
        return None
    try:
        return _path(root, level, version, z, x, y).read_bytes()
    except FileNotFoundError:
        return None


def put(level: str, version: str, z: int, x: int, y: int, data: bytes) -> None:
    """Keep a rendered tile. Written to a temporary file and renamed into place, so a
    reader never sees half a tile, whatever other workers do at the same moment."""
    root = _root()
    if root is None:
        return
    path = _path(root, level, version, z, x, y)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tile-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def purge_other_versions(level: str, version: str) -> int:
    """Remove the level's tiles of every version but `version`; returns how many
    versions were removed. Old versions can no longer be asked for by a current URL."""
    root = _root()
    if root is None or not (root / level).is_dir():
        return 0
    removed = 0
    for folder in (root / level).iterdir():
        if folder.is_dir() and folder.name != (version or "unversioned"):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def count(level: str, version: str) -> int:
    """How many tiles of this level and version are cached."""
    root = _root()
    folder = root / level / (version or "unversioned") if root else None
    if folder is None or not folder.is_dir():
        return 0
    return sum(1 for _ in folder.rglob("*.mvt"))
