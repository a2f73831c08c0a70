"""`values` at national size (a benchmark, not a test).

    COMMONGROUND_DB=commonground_national .venv/bin/python tests/bench/bench_values_national.py

Needs the SYNTHETIC national geography (`make national`); `make bench-values-national`
does all of it. For each simulated indicator (counts with mean 20, 12 and 6 per LSOA, and
the rate with numerator and denominator) at LSOA level (about 35,700 areas) for the
partnership's service account (`bench-feed`, under ISA-SYN-001: min count 10, round to
5, secondary suppression), it reports:

- the first read, which computes and keeps the protected table (once per release and
  policy);
- in-process: the median and p95 of `read_values` alone and of the whole view (through
  Django's test client, gzip included), the protected table cached;
- over HTTP: gunicorn (1 worker), one request after another on new connections, the
  median and p95 wall time as a client sees it, and the response size as sent
  (gzip) and unpacked, for JSON and CSV.

Targets (issue 6): median server time under 150 ms with the table cached, and the JSON
response under 1 MB gzipped. "Cached" here is what a worker keeps after the first read
of a table: the protected table itself (in the database), the level's released rows and
the encoded body (in memory, per process); every read still decides access and writes
its audit event.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402

from layers.domain.access import Use  # noqa: E402
from layers.models import Area, GeographyLevel  # noqa: E402
from layers.read import read_values  # noqa: E402
from layers.tokens import issue_token  # noqa: E402

INDICATORS = ("syn-crime-20", "syn-crime-12", "syn-crime-6", "syn-crime-rate")
LEVEL = "lsoa21"
PURPOSE = "community_safety"  # bench-feed's default purpose, which HTTP reads use
MS = 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(call: object, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        out.append(time.perf_counter() - started)
    return out


def http_get(port: int, path: str, token: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(
        "GET", path, headers={"Authorization": f"Token {token}", "Accept-Encoding": "gzip"}
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
    unpacked = gzip.decompress(body) if response.getheader("Content-Encoding") == "gzip" else body
    return elapsed, len(body), len(unpacked)


def wait_until_up(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/schema/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    level = GeographyLevel.objects.filter(slug=LEVEL).first()
    if level is None or not level.boundary_source.startswith("SYNTHETIC"):
        raise SystemExit(
            "no synthetic national geography here: run `make national` and set "
            "COMMONGROUND_DB=commonground_national"
        )
    n_areas = Area.objects.filter(level=level).count()
    feed = User.objects.get(username="bench-feed")
    token, _ = issue_token(feed, days=1)
    print(f"database {settings.DATABASES['default']['NAME']}: {n_areas:,} {LEVEL} areas")

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_ENCODING="gzip")
    rows = []
    for slug in INDICATORS:
        started = time.perf_counter()
        table = read_values(feed, indicator=slug, level=LEVEL, use=Use.API, purpose=PURPOSE)
        first = time.perf_counter() - started
        read = timed(
            lambda slug=slug: read_values(
                feed, indicator=slug, level=LEVEL, use=Use.API, purpose=PURPOSE
            ),
            args.rounds,
        )
        url = f"/api/v1/indicators/{slug}/values/?level={LEVEL}"
        view = timed(lambda url=url: client.get(url), args.rounds)
        rows.append((slug, len(table.rows), table.n_withheld, first, read, view))

    print()
    print(f"in-process, {args.rounds} rounds each, protected table cached after the first read")
    print(
        f"{'indicator':16} {'areas':>7} {'withheld':>8} {'first read':>11} "
        f"{'read_values med/p95':>20} {'whole view med/p95':>19}"
    )
    for slug, n, withheld, first, read, view in rows:
        print(
            f"{slug:16} {n:7,} {withheld:8,} {first * MS:9.0f}ms "
            f"{statistics.median(read) * MS:10.0f}/{pct(read, 95) * MS:.0f} ms "
            f"{statistics.median(view) * MS:10.0f}/{pct(view, 95) * MS:.0f} ms"
        )

    port = free_port()
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"),
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
    )
    try:
        wait_until_up(port)
        print()
        print(f"over HTTP (gunicorn, 1 worker), {args.rounds} rounds each, gzip accepted")
        print(
            f"{'indicator':16} {'format':6} {'median':>8} {'p95':>8} {'gzip':>10} {'unpacked':>10}"
        )
        for slug in INDICATORS:
            for fmt in ("json", "csv"):
                path = f"/api/v1/indicators/{slug}/values/?level={LEVEL}&format={fmt}"
                http_get(port, path, token)  # this worker's first request
                results = [http_get(port, path, token) for _ in range(args.rounds)]
                times = [r[0] for r in results]
                print(
                    f"{slug:16} {fmt:6} {statistics.median(times) * MS:6.0f}ms "
                    f"{pct(times, 95) * MS:6.0f}ms {results[-1][1] / 1e6:8.3f}MB "
                    f"{results[-1][2] / 1e6:8.3f}MB"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
