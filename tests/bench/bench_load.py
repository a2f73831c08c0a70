"""A bounded load test of one node (a benchmark, not a test).

    COMMONGROUND_DB=commonground_national .venv/bin/python tests/bench/bench_load.py
    ... --during-ingest 10000000     # also: is /healthz answering during a big ingest?

Needs the SYNTHETIC national geography (`make national`) and `wrk` (Debian's package;
`make bench-load` installs it). Against 127.0.0.1 only; every run stops by itself.

The portal runs under gunicorn as in the compose file (sync workers, tile cache on,
statement timeout). wrk sends a realistic mix, each request picked at random by weight:
boundary tiles as the map asks for them (z8-z14 around random LSOAs, with `?v=`), the
values of the synthetic indicators at district, MSOA and LSOA level as a partner system
pulls them (token of the `bench-feed` service account), and area profiles (JSON). The
concurrency doubles from 1 connection until latency degrades; for each it prints
throughput, p50/p95/p99 and errors.

With --during-ingest N it then publishes a release of N long rows with `ingest_release`
(the same pipeline as an upload on the worker) while polling /healthz twice a second,
and reports how /healthz answered meanwhile.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from bench_ingest import remove_releases  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from layers.models import Agency, Area, Dataset, GeographyLevel, Indicator  # noqa: E402
from layers.tokens import issue_token  # noqa: E402

# What a node serves, by share of requests: mostly tiles (a map view fetches 10-30 at a
# time), then values pulls and profiles.
MIX = {"tile": 80, "values_lad": 4, "values_msoa": 6, "values_lsoa": 4, "profile": 6}
INDICATORS = ("syn-crime-20", "syn-crime-12", "syn-crime-6", "syn-crime-rate")
LOAD_INDICATORS = ("load-crime-a", "load-crime-b", "load-crime-c")

LUA = r"""
local paths = {}
local auth = nil
init = function(args)
  auth = args[1]
  for line in io.lines(args[2]) do table.insert(paths, line) end
end
request = function()
  local path = paths[math.random(#paths)]
  -- As browsers and partner systems do: figures travel gzipped (the API compresses).
  local headers = {["Accept-Encoding"] = "gzip"}
  if string.sub(path, 1, 5) == "/api/" then headers["Authorization"] = "Token " .. auth end
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local out = io.open(os.getenv("WRK_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, '
    .. '"status_errors": %d, "socket_errors": %d, "timeouts": %d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write, summary.errors.timeout))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def parse_mix(text: str) -> dict[str, int]:
    """`tile=80,profile=6`: request kinds and their weights (kinds as in MIX)."""
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in MIX or not weight.strip().isdigit():
            raise SystemExit(f"--mix: {part!r} is not KIND=WEIGHT with KIND one of {list(MIX)}")
        mix[kind.strip()] = int(weight)
    return mix


def request_mix(rng: random.Random, n_paths: int, mix: dict[str, int]) -> list[str]:
    """n_paths request paths drawn by the weights of MIX (wrk then picks among them)."""
    lsoa = GeographyLevel.objects.get(slug="lsoa21")
    codes = sorted(Area.objects.filter(level=lsoa).values_list("gss_code", flat=True))
    picked = rng.sample(codes, 200)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom_27700), "
            "4326) AS p FROM layers_area WHERE level_id = %(level)s AND gss_code = ANY(%(c)s)) q",
            {"level": lsoa.id, "c": picked},
        )
        points = cursor.fetchall()
    paths = []
    kinds = rng.choices(list(mix), weights=list(mix.values()), k=n_paths)
    for kind in kinds:
        if kind == "tile":
            lon, lat = rng.choice(points)
            z, x, y = tile_of(lon, lat, rng.randint(8, 14))
            paths.append(f"/tiles/lsoa21/{z}/{x}/{y}.mvt?v={lsoa.boundary_version}")
        elif kind == "profile":
            paths.append(f"/api/v1/areas/{rng.choice(picked)}/profile/?level=lsoa21")
        else:
            level = {"values_lad": "lad24", "values_msoa": "msoa21", "values_lsoa": "lsoa21"}[kind]
            indicator = rng.choice(INDICATORS)
            paths.append(f"/api/v1/indicators/{indicator}/values/?level={level}")
    return paths


def wait_up(port: int) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the portal did not come up")


def run_wrk(port: int, token: str, paths_file: Path, script: Path, conns: int, secs: int) -> dict:
    result_file = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run(
        [
            "wrk",
            *("-t", str(min(2, conns)), "-c", str(conns), "-d", f"{secs}s"),
            *("--timeout", "30s", "-s", str(script)),
            f"http://127.0.0.1:{port}",
            "--",
            token,
            str(paths_file),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "WRK_RESULT": str(result_file)},
    )
    data: dict = json.loads(result_file.read_text())
    result_file.unlink()
    return data


def load_dataset() -> Dataset:
    """A SYNTHETIC dataset of its own for the big ingest, so the release the other
    benchmarks read stays current; removed again afterwards."""
    dataset, _ = Dataset.objects.get_or_create(
        slug="synthetic-load",
        defaults={
            "owner": Agency.objects.get(slug="synthetic-police"),
            "theme": "crime",
            "title": "Load test ingest (SYNTHETIC)",
            "is_simulated": True,
            "level": GeographyLevel.objects.get(slug="lsoa21"),
        },
    )
    for slug in LOAD_INDICATORS:
        Indicator.objects.get_or_create(
            dataset=dataset,
            slug=slug,
            defaults={"name": slug, "measure": "count", "is_summable": True},
        )
    return dataset


def during_ingest(port: int, rows: int) -> None:
    """Publish `rows` long rows while polling /healthz; report how it answered."""
    dataset = load_dataset()
    codes = sorted(Area.objects.filter(level__slug="lsoa21").values_list("gss_code", flat=True))
    n_periods = max(1, math.ceil(rows / (len(codes) * 3)))
    rng = np.random.default_rng(7)
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    path = folder / "synthetic_crime_big.csv"
    print(f"writing {rows:,} rows ({n_periods} months x 3 indicators x {len(codes):,} LSOAs)")
    written = 0
    with path.open("w") as out:
        out.write("area_code,period,indicator,value\n")
        for p in range(n_periods):
            period = f"{2031 + p // 12}-{p % 12 + 1:02d}"
            for slug in LOAD_INDICATORS:
                take = min(len(codes), rows - written)
                if take <= 0:
                    break
                values = rng.poisson(12, take)
                out.writelines(
                    f"{c},{period},{slug},{v}\n" for c, v in zip(codes[:take], values, strict=True)
                )
                written += take
    polls: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                    status = r.status
            except OSError:
                status = 0
            polls.append((time.perf_counter() - started, status))
            stop.wait(0.5)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(BASE_DIR / ".venv" / "bin" / "python"),
            "manage.py",
            "ingest_release",
            str(path),
            "--dataset",
            dataset.slug,
            "--commit",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "DB_STATEMENT_TIMEOUT_MS": "0"},
    )
    seconds = time.perf_counter() - started
    stop.set()
    poller.join()
    shutil.rmtree(folder, ignore_errors=True)
    remove_releases(dataset)
    Indicator.objects.filter(dataset=dataset).delete()
    dataset.delete()
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])
        raise SystemExit("the ingest failed")
    bad = [s for _, s in polls if s != 200]
    times = sorted(t for t, _ in polls)
    print(
        f"ingest of {written:,} rows: {seconds:.1f} s ({written / seconds:,.0f} rows/s); "
        f"/healthz polled {len(polls)} times meanwhile: {len(polls) - len(bad)} x 200, "
        f"{len(bad)} failures; median {times[len(times) // 2] * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-connections", type=int, default=64)
    parser.add_argument("--during-ingest", type=int, default=0, metavar="ROWS")
    parser.add_argument(
        "--mix", default=",".join(f"{k}={v}" for k, v in MIX.items()), help="KIND=WEIGHT,..."
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: scripts/system-packages.sh wrk")
    lsoa = GeographyLevel.objects.filter(slug="lsoa21").first()
    if lsoa is None or not lsoa.boundary_source.startswith("SYNTHETIC"):
        raise SystemExit("run `make national` and set COMMONGROUND_DB=commonground_national")
    feed = User.objects.get(username="bench-feed")
    token, _ = issue_token(feed, days=1)
    rng = random.Random(20261125)  # noqa: S311 (a fixed sample, not a secret)
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    paths_file = folder / "paths.txt"
    mix = parse_mix(args.mix)
    paths = request_mix(rng, 4000, mix)
    paths_file.write_text("\n".join(paths) + "\n")
    script = folder / "mix.lua"
    script.write_text(LUA)
    port = free_port()
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)),
            *("--timeout", "120", "--log-level", "warning"),
        ],
        cwd=BASE_DIR,
        env={**os.environ, "TILE_CACHE_DIR": str(folder / "tiles"), "LOG_LEVEL": "WARNING"},
    )
    try:
        wait_up(port)
        print(
            f"{len(set(paths)):,} distinct paths; mix {mix}; gunicorn {args.workers} sync "
            f"workers; {args.seconds} s per step; priming ...",
            flush=True,
        )
        # Warm what a running portal has warm: the tile cache (every tile once) and the
        # protected tables (shared by all areas, so one request of each API kind).
        api_kinds: dict[str, str] = {}
        for path in paths:
            if path.startswith("/api/"):
                api_kinds.setdefault("profile" if "/profile/" in path else path, path)
        priming = sorted({p for p in paths if p.startswith("/tiles/")} | set(api_kinds.values()))
        for path in priming:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
            request.add_header("Authorization", f"Token {token}")
            urllib.request.urlopen(request, timeout=120).read()  # noqa: S310 (our own http URL)
        header = (
            f"{'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
        print(header)
        print("-" * len(header))
        best = 0.0
        conns = 1
        while conns <= args.max_connections:
            r = run_wrk(port, token, paths_file, script, conns, args.seconds)
            rate = r["requests"] / r["seconds"]
            errors = r["status_errors"] + r["socket_errors"] + r["timeouts"]
            print(
                f"{conns:>5} {rate:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
                f"{r['p99']:>8.1f} {errors:>7}",
                flush=True,
            )
            if rate > best:
                best = rate
            elif r["p95"] > 1000:  # no more throughput and a slow tail: degraded
                break
            conns *= 2
        print(f"peak {best:.0f} requests/s on this machine (2 cores shared with PostgreSQL)")
        if args.during_ingest:
            during_ingest(port, args.during_ingest)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
