"""Boundary tiles at national size, against tipg (a benchmark, not a test).

    COMMONGROUND_DB=commonground_national .venv/bin/python tests/bench/bench_tiles_national.py

Needs the SYNTHETIC national geography (`make national`); `make bench-tiles-national`
does all of it. One run, one machine, one database, so the ratios hold while absolute
times drift. For a fixed set of tiles at zooms 6 to 14 (those holding the inner points
of 30 LSOAs picked by a fixed seed), at LSOA and OA level, it times one request after
another over one kept-alive connection:

- sql: our tile query run in PostgreSQL directly (the floor);
- ours, uncached: gunicorn (2 workers) with the tile cache off: every tile rendered;
- tipg, pointed at the same table (`layers_area`, filtered by level, the same two
  properties, no feature cap), installed from PyPI into a separate virtual environment
  (`.bench/tipg`), served by uvicorn;
- ours, cached: gunicorn with the disk cache warmed by one pass, URLs with `?v=` as the
  map sends them.

Before timing, every server sees every tile once (so PostgreSQL's buffers are warm for
all), and only then are the rounds timed. Prints median and p95 per level and zoom, the
overall tiles per second, and the ratios against tipg.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from layers.domain.tiles import zoom_band  # noqa: E402
from layers.models import Area, GeographyLevel  # noqa: E402
from layers.tiles import _BOUNDARY_TILE_SQL  # noqa: E402

TIPG_VENV = BASE_DIR / ".bench" / "tipg"
TIPG_PINS = ["tipg==1.6.1", "uvicorn==0.54.0"]
ZOOMS = range(6, 15)
LEVELS = ("lsoa21", "oa21")
MS = 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_tipg() -> Path:
    """tipg in a virtual environment of its own, so none of its dependencies meet ours."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        print(f"installing {' '.join(TIPG_PINS)} into {TIPG_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", *TIPG_PINS], check=True)
    return uvicorn


def wait_until_up(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def fixed_tiles(n_points: int) -> dict[int, list[tuple[int, int, int]]]:
    codes = sorted(Area.objects.filter(level__slug="lsoa21").values_list("gss_code", flat=True))
    picked = random.Random(20261125).sample(codes, n_points)  # noqa: S311 (not secret)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom_27700), "
            "4326) AS p FROM layers_area WHERE gss_code = ANY(%(codes)s)) AS q",
            {"codes": picked},
        )
        points = cursor.fetchall()
    return {z: sorted({tile_of(lon, lat, z) for lon, lat in points}) for z in ZOOMS}


def timed_get(port: int, path: str) -> tuple[float, int, str]:
    """One request on a new connection (gunicorn's sync workers do not keep connections
    alive, so every server is asked the same way)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    elapsed = time.perf_counter() - started
    if response.status not in (200, 204):
        raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
    return elapsed, len(body), response.getheader("X-Tile-Cache") or ""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--points", type=int, default=30)
    args = parser.parse_args()
    levels = {lv.slug: lv for lv in GeographyLevel.objects.filter(slug__in=LEVELS)}
    if any(not Area.objects.filter(level__slug=s).exists() for s in LEVELS):
        raise SystemExit(
            "no synthetic national geography here: run `make national` and set "
            "COMMONGROUND_DB=commonground_national"
        )
    if not levels["lsoa21"].boundary_source.startswith("SYNTHETIC"):
        raise SystemExit("lsoa21 is not the synthetic national geography; refusing to bench")
    tiles = fixed_tiles(args.points)
    uvicorn = ensure_tipg()
    database_url = settings.DATABASES["default"]
    dsn = (
        f"postgresql://{database_url['USER']}@{database_url['HOST']}:{database_url['PORT']}/"
        f"{database_url['NAME']}"
    )
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-tiles-"))
    servers: list[subprocess.Popen[bytes]] = []
    ports = {"uncached": free_port(), "cached": free_port(), "tipg": free_port()}
    gunicorn = str(BASE_DIR / ".venv" / "bin" / "gunicorn")
    try:
        for name, cache in (("uncached", "off"), ("cached", str(cache_dir))):
            servers.append(
                subprocess.Popen(
                    [
                        gunicorn,
                        "portal.wsgi:application",
                        *("--bind", f"127.0.0.1:{ports[name]}", "--workers", "2"),
                        *("--log-level", "warning"),
                    ],
                    cwd=BASE_DIR,
                    env={**os.environ, "TILE_CACHE_DIR": cache, "TILE_WARM_ON_LOAD": "0"},
                )
            )
        servers.append(
            subprocess.Popen(
                [
                    str(uvicorn),
                    "tipg.main:app",
                    *("--port", str(ports["tipg"]), "--log-level", "warning", "--workers", "2"),
                ],
                cwd=tempfile.gettempdir(),
                env={
                    "PATH": os.environ.get("PATH", ""),
                    "DATABASE_URL": dsn,
                    "TIPG_DB_SCHEMAS": '["public"]',
                    "TIPG_DB_TABLES": '["public.layers_area"]',
                    # tipg caps a tile at 10,000 features by default: lift it, or its
                    # low-zoom tiles would be smaller (and faster) than the real thing.
                    "TIPG_MAX_FEATURES_PER_TILE": "10000000",
                },
            )
        )
        wait_until_up(ports["uncached"], "/tiles/lsoa21/0/0/0.mvt")
        wait_until_up(ports["cached"], "/tiles/lsoa21/0/0/0.mvt")
        wait_until_up(ports["tipg"], "/collections")

        def path_for(server: str, slug: str, z: int, x: int, y: int) -> str:
            if server == "tipg":
                return (
                    f"/collections/public.layers_area/tiles/WebMercatorQuad/{z}/{x}/{y}"
                    f"?filter=level_id={levels[slug].id}&properties=gss_code,name"
                )
            version = f"?v={levels[slug].boundary_version}" if server == "cached" else ""
            return f"/tiles/{slug}/{z}/{x}/{y}.mvt{version}"

        every = [(s, z, x, y) for s in LEVELS for z in ZOOMS for (_, x, y) in tiles[z]]
        print(f"{len(every)} tiles ({args.points} points x zooms 6-14 x {', '.join(LEVELS)})")
        print("priming: every server sees every tile once ...", flush=True)
        for slug, z, x, y in every:
            for server in ("uncached", "tipg", "cached"):
                timed_get(ports[server], path_for(server, slug, z, x, y))
        timings: dict[tuple[str, str, int], list[float]] = {}
        sizes: dict[tuple[str, str, int], list[int]] = {}
        for _ in range(args.rounds):
            for slug, z, x, y in every:
                params = {"level_id": levels[slug].id, "band": zoom_band(z), "z": z, "x": x}
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(_BOUNDARY_TILE_SQL, {**params, "y": y})
                    cursor.fetchone()
                timings.setdefault(("sql", slug, z), []).append(time.perf_counter() - started)
                for server in ("uncached", "tipg", "cached"):
                    elapsed, size, cache = timed_get(ports[server], path_for(server, slug, z, x, y))
                    if server == "cached" and cache != "hit":
                        raise SystemExit(f"expected a cache hit for {slug} {z}/{x}/{y}")
                    timings.setdefault((server, slug, z), []).append(elapsed)
                    sizes.setdefault((server, slug, z), []).append(size)
        header = (
            f"{'level':7} {'z':>2} {'tiles':>5} {'KB ours':>7} {'KB tipg':>7} | "
            f"{'sql':>6} | {'ours uncached':>13} {'p95':>6} | {'tipg':>7} {'p95':>7} | "
            f"{'ours cached':>11} {'p95':>5} | {'tipg/unc':>8} {'tipg/cached':>11}"
        )
        print(header)
        print("-" * len(header))
        for slug in LEVELS:
            for z in ZOOMS:
                t = {s: timings[(s, slug, z)] for s in ("sql", "uncached", "tipg", "cached")}
                med = {s: statistics.median(v) for s, v in t.items()}
                print(
                    f"{slug:7} {z:>2} {len(tiles[z]):>5} "
                    f"{statistics.mean(sizes[('uncached', slug, z)]) / 1024:>7.1f} "
                    f"{statistics.mean(sizes[('tipg', slug, z)]) / 1024:>7.1f} | "
                    f"{med['sql'] * MS:>6.1f} | {med['uncached'] * MS:>13.1f} "
                    f"{pct(t['uncached'], 95) * MS:>6.1f} | {med['tipg'] * MS:>7.1f} "
                    f"{pct(t['tipg'], 95) * MS:>7.1f} | {med['cached'] * MS:>11.2f} "
                    f"{pct(t['cached'], 95) * MS:>5.2f} | "
                    f"{med['tipg'] / med['uncached']:>7.1f}x {med['tipg'] / med['cached']:>10.0f}x"
                )
        print()
        for server in ("sql", "uncached", "tipg", "cached"):
            spent = sum(v for (s, _, _), vs in timings.items() if s == server for v in vs)
            n = sum(len(vs) for (s, _, _), vs in timings.items() if s == server)
            all_t = [v for (s, _, _), vs in timings.items() if s == server for v in vs]
            print(
                f"{server:9} {n / spent:8.1f} tiles/s one at a time; median "
                f"{statistics.median(all_t) * MS:7.2f} ms, p95 {pct(all_t, 95) * MS:7.2f} ms"
            )
        total = {
            s: sum(v for (srv, _, _), vs in timings.items() if srv == s for v in vs)
            for s in ("uncached", "tipg", "cached")
        }
        print(
            f"\ntipg / ours uncached: {total['tipg'] / total['uncached']:.2f}x "
            "(goal: at least 1x, no slower than tipg)"
        )
        print(f"tipg / ours cached:   {total['tipg'] / total['cached']:.0f}x (goal: at least 20x)")
        print(f"times in ms; {args.rounds} rounds; KB = mean tile size")
    finally:
        for server_process in servers:
            server_process.terminate()
        for server_process in servers:
            server_process.wait()
        shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
