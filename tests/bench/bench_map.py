"""Time from choosing an indicator to a drawn map, in Chromium (a benchmark, not a test).

    .venv/bin/python tests/bench/bench_map.py                       # the demo (make demo-data)
    COMMONGROUND_DB=commonground_national .venv/bin/python tests/bench/bench_map.py \\
        --user bench-analyst --level lsoa21 \\
        --indicators syn-crime-20,syn-crime-12,syn-crime-6             # after make national

It serves the portal with gunicorn (2 workers, DEBUG on so WhiteNoise serves the npm
files from node_modules) on 127.0.0.1, signs in through the real forms, opens the map at
the level asked for with the whole partnership in view, then switches indicator with the
picker, round after round. For each switch it reports:
- draw: the page's own measure (`#map[data-draw-ms]`), from the picker's change event to
  MapLibre's `idle` after the new figures are joined as feature state and drawn;
- values: the /map/values/ request alone (server time + transfer, from the browser's
  resource timing) and its size;
- tiles: tile requests made by the switch (0: geometry is never fetched again).
The first switch to an indicator may include computing its disclosure-controlled table
(kept afterwards); later switches show the steady state. Nothing is written but audit rows.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DEBUG": "1"},
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="ana")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "demo-pass-2026"))
    parser.add_argument("--purpose", default="community_safety")
    parser.add_argument("--level", default="lsoa11")
    parser.add_argument("--indicators", default="all-crime,burglary,asb")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=860)
    args = parser.parse_args()
    indicators = args.indicators.split(",")

    from playwright.sync_api import sync_playwright

    port = free_port()
    server = serve(port)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[dict[str, float]]] = {"first": [], "again": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.set_default_timeout(300_000)
            tiles: list[str] = []
            page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
            first = f"/?indicator={indicators[0]}&level={args.level}#view=0/0/0"
            page.goto(f"{base}/login/?{urlencode({'next': first})}")
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            if "/purpose/" in page.url:
                chosen = page.locator(f"input[name=purpose][value={args.purpose}]")
                if chosen.count():
                    chosen.check()
                page.click("main button[type=submit]")
            started = time.perf_counter()
            page.wait_for_selector("#map[data-status=ready]")
            # the whole partnership in view: every area of the level is drawn
            page.evaluate(
                """() => { const m = window.commonGroundMap;
                const lv = JSON.parse(document.getElementById('map-config').textContent)
                    .levels.find(l => l.slug === m.getContainer().dataset.level);
                m.fitBounds(lv.bbox_4326, {padding: 20, duration: 0}); }"""
            )
            page.wait_for_function(
                "() => window.commonGroundMap.areTilesLoaded()"
                " && !window.commonGroundMap.isMoving()"
            )
            page.wait_for_timeout(500)
            n_areas = page.evaluate(
                "() => JSON.parse(document.getElementById('map-config').textContent).levels"
                f".find(l => l.slug === '{args.level}').n_areas"
            )
            print(
                f"{args.user} at {args.level} ({n_areas:,} areas): first page ready in "
                f"{time.perf_counter() - started:.1f} s (tiles and figures)"
            )
            seen = {indicators[0]}
            order = [i for _ in range(args.rounds) for i in indicators[1:] + indicators[:1]]
            for indicator in order:
                tiles.clear()
                page.evaluate("() => performance.clearResourceTimings()")
                before = time.perf_counter()
                page.select_option("#indicator-picker", indicator)
                page.wait_for_selector(
                    f"#map[data-indicator='{indicator}'][data-status=ready]", timeout=300_000
                )
                wall = (time.perf_counter() - before) * 1000
                draw = float(page.get_attribute("#map", "data-draw-ms") or "nan")
                fetch = float(page.get_attribute("#map", "data-fetch-ms") or "nan")
                apply = float(page.get_attribute("#map", "data-apply-ms") or "nan")
                timing = page.evaluate(
                    """() => performance.getEntriesByType('resource')
                    .filter(e => e.name.includes('/map/values/'))
                    .map(e => [e.responseEnd - e.requestStart, e.encodedBodySize,
                               e.decodedBodySize]).pop()"""
                )
                row = {
                    "draw": draw,
                    "wall": wall,
                    "values": timing[0],
                    "bytes": timing[1],
                    "raw": timing[2],
                    "tiles": len(tiles),
                }
                results["again" if indicator in seen else "first"].append(row)
                seen.add(indicator)
                print(
                    f"  -> {indicator:<22} draw {draw:7.0f} ms = fetch {fetch:5.0f} + join "
                    f"{apply:5.0f} + paint {draw - fetch - apply:5.0f}  (values request "
                    f"{timing[0]:6.0f} ms, {timing[1] / 1024:6.0f} KiB gzip / "
                    f"{timing[2] / 1024:6.0f} KiB)  tile requests {len(tiles)}"
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    for kind, rows in results.items():
        if rows:
            draws = [r["draw"] for r in rows]
            print(
                f"{kind:>5} switch to an indicator: median draw {statistics.median(draws):.0f} ms, "
                f"max {max(draws):.0f} ms over {len(rows)}; tile requests "
                f"{sum(r['tiles'] for r in rows)}"
            )


if __name__ == "__main__":
    sys.exit(main())
