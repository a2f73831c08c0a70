"""The PDF of one LSOA profile with 30 indicators (a benchmark, not a test).

    .venv/bin/python tests/bench/bench_profile_pdf.py [--rounds N] [--code E01013600]

Needs the demo data (`make demo-data`). The demo has fewer indicators than 30, so this
adds SYNTHETIC ones (a dataset titled "SYNTHETIC benchmark indicators", owned by the
police, shared with the council under ISA-2025-001) inside one transaction that is rolled
back at the end: nothing stays in the database. The synthetic dataset has monthly counts
over 12 months and yearly rates and percentages over 3 years, published through the real
ingest pipeline, and is read through the one read path under the agreement's disclosure
policy like any other.

Timed, as neighbourhood manager `nina` (council), for one LSOA: the whole export a
download makes (the profile read as an `export` use with its audit event, the agreements
cited, the locator outlines, the document, and WeasyPrint's PDF). The protected tables
are computed once per release and policy and then kept, so the first (cold) read is
reported apart from the warm rounds. Goal: under 2 seconds.
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
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402

from ingest.pipeline.run import run  # noqa: E402
from layers.domain.access import Use  # noqa: E402
from layers.locator import locator  # noqa: E402
from layers.models import Agency, Agreement, Area, Dataset, GeographyLevel, Indicator  # noqa: E402
from layers.profile import area_profile, find_area, provenance  # noqa: E402
from portal.exports.document import build_document  # noqa: E402
from portal.exports.pdf import render_pdf  # noqa: E402

TARGET = 30
PURPOSE = "community_safety"


def add_synthetic(n: int, directory: Path) -> Dataset:
    """n SYNTHETIC indicators over every LSOA, published through the ingest pipeline."""
    police = Agency.objects.get(slug="city-police")
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    dataset = Dataset.objects.create(
        slug="synthetic-bench",
        owner=police,
        theme="crime",
        title="SYNTHETIC benchmark indicators",
        description="Synthetic figures made by tests/bench/bench_profile_pdf.py; rolled back.",
        source="Synthetic",
        level=lsoa,
        is_simulated=True,
    )
    agreement = Agreement.objects.get(reference="ISA-2025-001").current
    agreement.datasets.add(dataset)
    n_ratio = n // 3
    specs = [("count", i) for i in range(n - n_ratio)] + [
        ("rate" if i % 2 else "percentage", i) for i in range(n_ratio)
    ]
    for measure, i in specs:
        Indicator.objects.create(
            dataset=dataset,
            slug=f"synthetic-{measure}-{i}",
            name=f"Synthetic {measure} {i + 1}",
            measure=measure,
            is_summable=measure == "count",
            polarity="lower_is_better" if i % 2 else "higher_is_better",
            multiplier=1000 if measure == "rate" else 1,
            unit="per 1,000 people" if measure == "rate" else "",
        )
    codes = list(Area.objects.filter(level=lsoa).values_list("gss_code", flat=True))
    rng = np.random.default_rng(8)
    lines = ["area_code,period,indicator,value,numerator,denominator"]
    for measure, i in specs:
        slug = f"synthetic-{measure}-{i}"
        if measure == "count":
            means = rng.gamma(2.0, 6.0, len(codes)) + 1
            for month in range(1, 13):
                counts = rng.poisson(means)
                lines += [
                    f"{c},2025-{month:02d},{slug},{int(v)},,"
                    for c, v in zip(codes, counts, strict=True)
                ]
        else:
            base = rng.integers(800, 3000, len(codes))
            share = rng.uniform(0.02, 0.4, len(codes))
            per = 1000 if measure == "rate" else 100
            for year in (2022, 2023, 2024):
                nums = rng.binomial(base, share)
                lines += [
                    f"{c},{year},{slug},{float(num / den * per)!r},{int(num)},{int(den)}"
                    for c, num, den in zip(codes, nums, base, strict=True)
                ]
    path = directory / "synthetic-bench.csv"
    path.write_text("\n".join(lines) + "\n")
    result = run(path, dataset, commit=True)
    if not result.ok:
        raise SystemExit(result.render())
    return dataset


PHASES: dict[str, list[float]] = {}


def _lap(name: str, since: float) -> float:
    now = time.perf_counter()
    PHASES.setdefault(name, []).append(now - since)
    return now


def export_pdf(user: User, code: str) -> tuple[bytes, int, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    area = find_area(user, code)
    profile = area_profile(
        user, area, use=Use.EXPORT, purpose=PURPOSE, refuse_empty=True, note={"format": "pdf"}
    )
    lap = _lap("profile read", started)
    origin = provenance(user, profile)
    shapes = locator(area)
    lap = _lap("agreements and locator", lap)
    doc = build_document(profile, origin, locator=shapes, made_by=user)
    lap = _lap("document", lap)
    pdf = render_pdf(doc)
    _lap("PDF (WeasyPrint)", lap)
    return pdf, len(profile.indicators), time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--code", default="E01013600", help="an LSOA of the demo")
    parser.add_argument("--save", type=Path, help="write the last PDF here")
    args = parser.parse_args()
    user = User.objects.filter(username="nina").first()
    if user is None or not Area.objects.filter(gss_code=args.code).exists():
        raise SystemExit("the demo is not loaded: run `make demo-data` first")
    with tempfile.TemporaryDirectory() as scratch, transaction.atomic():
        settings.FILE_STORE = Path(scratch) / "store"
        have = len(
            area_profile(
                user, find_area(user, args.code), use=Use.EXPORT, purpose=PURPOSE
            ).indicators
        )
        t = time.perf_counter()
        add_synthetic(max(TARGET - have, 0), Path(scratch))
        print(
            f"added {max(TARGET - have, 0)} SYNTHETIC indicators in {time.perf_counter() - t:.1f} s"
        )
        _, n, cold, _ = export_pdf(user, args.code)
        print(f"cold (protected tables computed for the new release): {cold:.2f} s")
        PHASES.clear()
        walls, cpus = [], []
        pdf = b""
        for _ in range(args.rounds):
            pdf, n, wall, cpu = export_pdf(user, args.code)
            walls.append(wall)
            cpus.append(cpu)
        for name, times in PHASES.items():
            print(f"  {name}: median {statistics.median(times):.2f} s")
        if args.save:
            args.save.write_bytes(pdf)
        print(
            f"LSOA {args.code}, {n} indicators, PDF {len(pdf) / 1024:.0f} KB, {args.rounds} rounds:"
            f" wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max "
            f"{max(walls):.2f}); CPU median {statistics.median(cpus):.2f} s; goal < 2 s: "
            + ("met" if statistics.median(walls) < 2 else "NOT met")
        )
        transaction.set_rollback(True)
    print("rolled back: nothing synthetic stays in the database")


if __name__ == "__main__":
    main()
