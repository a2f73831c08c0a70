from __future__ import annotations

import pytest

from layers.domain.tiles import MAX_ZOOM, ZOOM_BANDS, tile_in_range, zoom_band


def test_zoom_bands_cover_every_zoom_once():
    covered = [z for band in ZOOM_BANDS for z in range(band.min_zoom, band.max_zoom + 1)]
    assert covered == list(range(MAX_ZOOM + 1))


def test_zoom_band_tolerance_shrinks_as_zoom_grows():
    tolerances = [band.tolerance_m for band in ZOOM_BANDS]
    assert tolerances == sorted(tolerances, reverse=True)


@pytest.mark.parametrize(("z", "band"), [(0, 0), (7, 0), (8, 1), (11, 2), (12, 3), (20, 4)])
def test_zoom_band(z, band):
    assert zoom_band(z) == band


def test_zoom_band_refuses_out_of_range():
    with pytest.raises(ValueError, match="outside"):
        zoom_band(MAX_ZOOM + 1)


@pytest.mark.parametrize(
    ("z", "x", "y", "ok"),
    [
        (0, 0, 0, True),
        (0, 1, 0, False),
        (3, 7, 7, True),
        (3, 8, 0, False),
        (-1, 0, 0, False),
        (12, 2035, 1341, True),
        (MAX_ZOOM + 1, 0, 0, False),
        (4, 0, -1, False),
    ],
)
def test_tile_in_range(z, x, y, ok):
    assert tile_in_range(z, x, y) is ok
