"""Tile latency over the demo geography (a benchmark, not a test).

    .venv/bin/python tests/bench/bench_tiles.py [--rounds N]

Needs the demo geography (`make demo-data`). For every level and zoom it takes the
tiles covering each district (a district-sized view) and times them three ways:
- sql: the bare tile query in PostgreSQL (the floor);
- view: through Django's full request cycle in-process (URL routing, view, headers);
- http: over HTTP from a gunicorn server on 127.0.0.1 (2 workers), cold connection each.
It prints median and p95 per request and the time to fetch a whole district view.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from layers.domain.tiles import zoom_band  # noqa: E402
from layers.models import Area, GeographyLevel  # noqa: E402
from layers.tiles import _BOUNDARY_TILE_SQL  # noqa: E402


def tiles_covering(extent_4326: tuple[float, float, float, float], z: int) -> list[tuple]:
    def tx(lon: float) -> int:
        return int((lon + 180) / 360 * 2**z)

    def ty(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)

    x0, y0, x1, y1 = extent_4326
    return [(z, x, y) for x in range(tx(x0), tx(x1) + 1) for y in range(ty(y1), ty(y0) + 1)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--zooms", default="8,10,11,12,13,14")
    args = parser.parse_args()
    zooms = [int(z) for z in args.zooms.split(",")]
    districts = list(Area.objects.filter(level__slug="lad19"))
    if not districts:
        raise SystemExit("no districts loaded: run `make demo-data` first")
    levels = list(GeographyLevel.objects.exclude(boundary_version=""))
    port = 8799
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/tiles/lad19/0/0/0.mvt")
                break
            except Exception:
                time.sleep(0.1)
        client = Client()
        print(
            f"{'level':8} {'z':>3} {'tiles':>5} {'bytes/tile':>10} | "
            f"{'sql med':>8} {'p95':>6} | {'view med':>8} {'p95':>6} | "
            f"{'http med':>8} {'p95':>6} | {'district view':>13}"
        )
        for level in levels:
            for z in zooms:
                tiles = []
                for d in districts:
                    extent = d.geom_27700.transform(4326, clone=True).extent
                    tiles += tiles_covering(extent, z)
                sql_t, view_t, http_t, sizes, view_totals = [], [], [], [], []
                for _ in range(args.rounds):
                    total = 0.0
                    for z_, x, y in tiles:
                        params = {
                            "level_id": level.id,
                            "band": zoom_band(z_),
                            "z": z_,
                            "x": x,
                            "y": y,
                        }
                        t0 = time.perf_counter()
                        with connection.cursor() as cursor:
                            cursor.execute(_BOUNDARY_TILE_SQL, params)
                            cursor.fetchone()
                        sql_t.append(time.perf_counter() - t0)
                        t0 = time.perf_counter()
                        response = client.get(f"/tiles/{level.slug}/{z_}/{x}/{y}.mvt")
                        view_t.append(time.perf_counter() - t0)
                        sizes.append(len(response.content))
                        t0 = time.perf_counter()
                        url = f"http://127.0.0.1:{port}/tiles/{level.slug}/{z_}/{x}/{y}.mvt"
                        with urllib.request.urlopen(url) as r:
                            r.read()
                        elapsed = time.perf_counter() - t0
                        http_t.append(elapsed)
                        total += elapsed
                    view_totals.append(total / len(districts))
                ms = 1000
                print(
                    f"{level.slug:8} {z:>3} {len(tiles):>5} {statistics.mean(sizes):>10.0f} | "
                    f"{statistics.median(sql_t) * ms:>8.1f} {pct(sql_t, 95) * ms:>6.1f} | "
                    f"{statistics.median(view_t) * ms:>8.1f} {pct(view_t, 95) * ms:>6.1f} | "
                    f"{statistics.median(http_t) * ms:>8.1f} {pct(http_t, 95) * ms:>6.1f} | "
                    f"{statistics.median(view_totals) * ms:>10.1f} ms"
                )
        print(
            "times in ms; 'district view' = all tiles of one district at that zoom, "
            "fetched one after another over HTTP (a browser fetches them in parallel)"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
