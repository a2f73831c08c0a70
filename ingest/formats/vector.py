"""Read vector files (GeoJSON, GeoPackage, Shapefile, zipped Shapefile) with pyogrio."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio


class UnreadableFile(Exception):
    """The file cannot be opened as a vector dataset; the message says why."""


def read_vector(path: Path) -> gpd.GeoDataFrame:
    """Read the first layer of a vector file into a GeoDataFrame, CRS as declared."""
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    source = str(path)
    if path.suffix.lower() == ".zip":
        if not zipfile.is_zipfile(path):
            raise UnreadableFile(f"{path.name}: not a zip archive")
        source = f"/vsizip/{path}"
    try:
        return pyogrio.read_dataframe(source)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, OSError ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableFile(
            f"{path.name}: not a readable GeoJSON, GeoPackage or Shapefile ({reason})"
        ) from None
