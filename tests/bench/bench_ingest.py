"""Ingest benchmark (not a test): N long rows end to end against a raw COPY.

    .venv/bin/python tests/bench/bench_ingest.py [--rows 1000000] [--repeat 5]

Generates a SYNTHETIC long CSV over the loaded LSOAs (ten count indicators, as many
monthly periods as it takes), then, `--repeat` times, one right after the other:
- raw: COPY of the same file into a bare table (area_code, period, indicator, value);
- ingest: the whole pipeline (keep file, parse, validate every row, COPY, build the
  index, publish), as `ingest_release --commit` runs it, as the dataset's first release.
Between rounds the release, its values and its kept file are removed, so every round
does the same work. The machine is shared, so each round's ratio is printed; the
median rates and the median of the rounds' ratios are what to report. The benchmark
dataset is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
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

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402

from ingest.pipeline.run import run  # noqa: E402
from layers.models import Agency, Area, Dataset, GeographyLevel, Indicator, Release  # noqa: E402

N_INDICATORS = 10


def make_file(path: Path, n_rows: int) -> int:
    codes = list(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    if not codes:
        raise SystemExit("no lsoa11 areas: run `make demo-data` first")
    per_period = len(codes) * N_INDICATORS
    n_periods = -(-n_rows // per_period)
    rng = np.random.default_rng(7)
    written = 0
    with path.open("w") as out:
        out.write("area_code,period,indicator,value\n")
        for p in range(n_periods):
            period = f"{2000 + p // 12}-{p % 12 + 1:02d}"
            values = rng.poisson(12, size=per_period)
            lines = []
            for k, (code, ind) in enumerate((c, i) for i in range(N_INDICATORS) for c in codes):
                if written >= n_rows:
                    break
                lines.append(f"{code},{period},bench-{ind},{values[k]}\n")
                written += 1
            out.write("".join(lines))
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    agency, _ = Agency.objects.get_or_create(
        slug="bench-agency", defaults={"name": "Benchmark", "kind": "other"}
    )
    dataset, _ = Dataset.objects.get_or_create(
        slug="bench-synthetic",
        defaults={
            "owner": agency,
            "theme": "other",
            "title": "Benchmark (synthetic)",
            "is_simulated": True,
            "level": GeographyLevel.objects.get(slug="lsoa11"),
        },
    )
    for i in range(N_INDICATORS):
        Indicator.objects.get_or_create(
            dataset=dataset,
            slug=f"bench-{i}",
            defaults={"name": f"Benchmark {i}", "measure": "count", "is_summable": True},
        )
    raw_times: list[float] = []
    ingest_times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        n = make_file(path, args.rows)
        size = path.stat().st_size
        print(f"rows: {n:,} ({size / 1e6:.1f} MB CSV, {N_INDICATORS} indicators)")
        for round_number in range(1, args.repeat + 1):
            raw_times.append(raw_copy(path))
            started = time.perf_counter()
            result = run(path, dataset, commit=True)
            ingest_times.append(time.perf_counter() - started)
            if not result.ok or not result.committed:
                raise SystemExit(result.render())
            print(
                f"round {round_number}: raw COPY {raw_times[-1]:5.2f} s, "
                f"ingest {ingest_times[-1]:5.2f} s, ratio {raw_times[-1] / ingest_times[-1]:.2f}x"
            )
            remove_releases(dataset)
    raw = statistics.median(raw_times)
    ingest = statistics.median(ingest_times)
    # Each round's two runs are back to back, under the same load: their ratio is the
    # fair comparison on a shared machine, and its median the figure to report.
    ratios = [r / i for r, i in zip(raw_times, ingest_times, strict=True)]
    print(f"median of {args.repeat} round(s):")
    print(f"raw COPY into a bare table: {raw:6.2f} s  {n / raw:>12,.0f} rows/s")
    print(f"ingest end to end:          {ingest:6.2f} s  {n / ingest:>12,.0f} rows/s")
    print(f"ingest rate / raw COPY rate: {statistics.median(ratios):.2f}x (median of the rounds)")
    Indicator.objects.filter(dataset=dataset).delete()
    dataset.delete()


def raw_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(
            "CREATE TABLE bench_raw_copy (area_code text, period text, "
            "indicator text, value double precision)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as handle,
            cursor.copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_copy")
    return elapsed


def remove_releases(dataset: Dataset) -> None:
    releases = list(Release.objects.filter(dataset=dataset))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS layers_value_d{int(dataset.id)}")
    for release in releases:
        Path(release.stored_path).unlink(missing_ok=True)
    Release.objects.filter(id__in=[r.id for r in releases]).delete()


if __name__ == "__main__":
    main()
