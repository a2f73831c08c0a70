"""Zoom bands for boundary tiles: which pre-simplified copy serves which zoom.

Pure. A vector tile has a 4096-unit grid; detail finer than one grid unit cannot be
drawn, so each band keeps a copy simplified to about one unit at its lowest zoom
(web-mercator metres: 40,075,016 / 2**z / 4096).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_ZOOM = 0
MAX_ZOOM = 20
TILE_EXTENT = 4096


@dataclass(frozen=True, slots=True)
class ZoomBand:
    """Zooms `min_zoom`..`max_zoom` are served from a copy simplified to `tolerance_m`."""

    band: int
    min_zoom: int
    max_zoom: int
    tolerance_m: float


ZOOM_BANDS: tuple[ZoomBand, ...] = (
    ZoomBand(0, 0, 7, 150.0),
    ZoomBand(1, 8, 9, 38.0),
    ZoomBand(2, 10, 11, 9.5),
    ZoomBand(3, 12, 13, 2.4),
    ZoomBand(4, 14, MAX_ZOOM, 0.5),
)


def zoom_band(z: int) -> int:
    """The band whose simplified copy serves zoom `z`."""
    for band in ZOOM_BANDS:
        if band.min_zoom <= z <= band.max_zoom:
            return band.band
    raise ValueError(f"zoom {z} is outside {MIN_ZOOM}..{MAX_ZOOM}")


def tile_in_range(z: int, x: int, y: int) -> bool:
    """True when z/x/y names a real tile of the web-mercator pyramid we serve."""
    return MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z
