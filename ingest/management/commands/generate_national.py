"""python manage.py generate_national --seed N [--scale S] [--without-oas] [--commit]

A SYNTHETIC national geography (ingest.pipeline.synthetic) for scale tests, with a
synthetic partnership and simulated releases, written through the same loaders as real
data. Meant for its own database (`make national` uses COMMONGROUND_DB=
commonground_national), never the demo's: it refuses to replace boundaries that did not
come from this command.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.pipeline.boundaries import BoundaryRow
from ingest.pipeline.lookups import LookupLink
from ingest.pipeline.run import Options, run
from ingest.pipeline.stage import write_boundaries, write_lookups
from ingest.pipeline.synthetic import Geography, counts, generate
from layers.models import Area, Dataset, GeographyLevel, Lookup
from layers.partnership import apply_partnership, check_partnership

SOURCE = "SYNTHETIC national geography (generate_national)"
LEVEL_OF = {"lad": "lad24", "msoa": "msoa21", "lsoa": "lsoa21", "oa": "oa21", "ward": "ward24"}
# Each child kind's parents along exact lookups (OA -> LSOA -> MSOA -> district), and the
# best-fit LSOA -> ward link that does not nest in MSOAs.
EXACT_PARENTS = {
    "oa": ("lsoa", "msoa", "lad"),
    "lsoa": ("msoa", "lad"),
    "msoa": ("lad",),
    "ward": ("lad",),
}
MEANS = {"syn-crime-20": 20.0, "syn-crime-12": 12.0, "syn-crime-6": 6.0}
PERSONS_PER_LSOA = 1_600.0


def partnership() -> dict[str, Any]:
    """The synthetic partnership: two agencies, a user of each role the benches need, one
    simulated crime dataset, and an agreement with the usual standard policy."""
    indicators = [
        {
            "slug": slug,
            "name": f"Simulated crime count, mean {mean:g} per LSOA",
            "measure": "count",
            "polarity": "lower_is_better",
        }
        for slug, mean in MEANS.items()
    ] + [
        {
            "slug": "syn-crime-rate",
            "name": "Simulated crime rate per 1,000 residents",
            "measure": "rate",
            "multiplier": 1000,
            "unit": "per 1,000",
            "polarity": "lower_is_better",
            "summable": False,
        }
    ]
    return {
        "agencies": [
            {"slug": "synthetic-police", "name": "Synthetic Police (SYNTHETIC)", "kind": "police"},
            {
                "slug": "synthetic-council",
                "name": "Synthetic Council (SYNTHETIC)",
                "kind": "council",
            },
        ],
        "users": [
            {"username": "bench-steward", "agency": "synthetic-police", "role": "data_steward"},
            {"username": "bench-analyst", "agency": "synthetic-council", "role": "analyst"},
            {
                "username": "bench-feed",
                "agency": "synthetic-council",
                "role": "service",
                "default_purpose": "community_safety",
            },
        ],
        "datasets": [
            {
                "slug": "synthetic-crime",
                "agency": "synthetic-police",
                "theme": "crime",
                "title": "Recorded crime (SYNTHETIC, national scale test)",
                "description": "Simulated counts over the synthetic national geography.",
                "source": "Simulated by generate_national",
                "level": "lsoa21",
                "simulated": True,
                "indicators": indicators,
            }
        ],
        "agreements": [
            {
                "reference": "ISA-SYN-001",
                "title": "Synthetic crime data for scale tests",
                "provider": "synthetic-police",
                "recipients": ["synthetic-council"],
                "datasets": ["synthetic-crime"],
                "purposes": ["community_safety"],
                "legal_basis": "crime_and_disorder_act_1998_s115",
                "roles": ["analyst", "neighbourhood_manager", "service"],
                "finest_level": "lsoa21",
                "uses": ["map", "api", "export"],
                "disclosure": {"min_count": 10, "round_to": 5, "min_denominator": 100},
                "starts_on": date(2025, 1, 1),
                "ends_on": date(2030, 12, 31),
                "status": "active",
            }
        ],
    }


def releases_csv(codes: list[str], periods: list[str], seed: int) -> str:
    """Long rows of simulated counts (overdispersed, three densities) and a rate with its
    numerator and denominator, for every LSOA and period."""
    rng = np.random.default_rng(seed + 1)
    people = np.maximum(400, rng.normal(PERSONS_PER_LSOA, 300, size=len(codes))).round()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["area_code", "period", "indicator", "value", "numerator", "denominator"])
    for period in periods:
        for slug, mean in MEANS.items():
            for code, n in zip(codes, counts(len(codes), mean=mean, rng=rng), strict=True):
                writer.writerow([code, period, slug, int(n), "", ""])
        crimes = counts(len(codes), mean=12.0, rng=rng)
        for code, n, d in zip(codes, crimes, people, strict=True):
            writer.writerow([code, period, "syn-crime-rate", f"{1000 * n / d:.4f}", int(n), int(d)])
    return out.getvalue()


class Command(BaseCommand):
    help = (
        "Generate a SYNTHETIC national geography (about 188,900 OAs, 35,700 LSOAs, 7,300 "
        "MSOAs, 330 districts, 8,700 wards) with a synthetic partnership and simulated "
        "releases, for scale tests. Dry run (generate and check only) unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction of the national counts (0-1]"
        )
        parser.add_argument(
            "--without-oas", action="store_true", help="skip Output Areas (much faster)"
        )
        parser.add_argument(
            "--periods", type=int, default=1, help="months of simulated values (default 1)"
        )
        parser.add_argument("--password", help="password for the synthetic users created now")
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")
        parser.add_argument("--force", action="store_true", help="generate again even if done")

    def say(self, text: str) -> None:
        self.stdout.write(f"[{time.perf_counter() - self.started:6.1f} s] {text}")

    def handle(self, *args: Any, **options: Any) -> None:
        self.started = time.perf_counter()
        scale: float = options["scale"]
        if not 0 < scale <= 1:
            raise CommandError(f"--scale must be in (0, 1], not {scale}")
        if not 1 <= options["periods"] <= 60:
            raise CommandError(f"--periods must be 1 to 60, not {options['periods']}")
        signature = f"{SOURCE}, seed {options['seed']}, scale {scale:g}" + (
            ", without OAs" if options["without_oas"] else ""
        )
        if options["commit"]:
            self.refuse_real_boundaries()
            done = GeographyLevel.objects.filter(slug="lsoa21").values_list(
                "boundary_source", flat=True
            )
            if not options["force"] and list(done) == [signature]:
                self.stdout.write(f"{signature}: already here, nothing to do (--force redoes it)")
                return
        geography = generate(
            seed=options["seed"],
            scale=scale,
            with_oas=not options["without_oas"],
            progress=lambda kind, n: self.say(f"generated {n:,} {kind}") if n else None,
        )
        counted = ", ".join(f"{len(v):,} {LEVEL_OF[k]}" for k, v in geography.areas.items())
        if not options["commit"]:
            self.say(f"dry run: {counted}; nothing written (add --commit)")
            return
        self.write_geography(geography, signature)
        doc = partnership()
        checked = check_partnership(doc)
        if checked.problems:  # a bug here, not bad input: the document is ours
            raise CommandError("; ".join(checked.problems))
        apply_partnership(doc, demo_password=options["password"])
        self.say("partnership: synthetic-police, synthetic-council, ISA-SYN-001")
        self.publish(geography, options["seed"], options["periods"])
        self.stdout.write(self.style.SUCCESS(f"SYNTHETIC national geography: {counted}."))

    def refuse_real_boundaries(self) -> None:
        real = (
            GeographyLevel.objects.filter(slug__in=LEVEL_OF.values())
            .exclude(boundary_source="")
            .exclude(boundary_source__startswith=SOURCE)
            .values_list("slug", flat=True)
        )
        if real:
            raise CommandError(
                f"{', '.join(sorted(real))} already hold boundaries that did not come from "
                "generate_national; use a database of its own (make national)"
            )

    def write_geography(self, geography: Geography, signature: str) -> None:
        for kind, areas in geography.areas.items():
            level = GeographyLevel.objects.get(slug=LEVEL_OF[kind])
            rows = [BoundaryRow(a.code, a.name, shapely.to_wkb(a.geom)) for a in areas]
            write_boundaries(level, rows, source=signature)
            self.say(f"wrote {len(rows):,} {level.slug} boundaries and tile copies")
        names = {a.code: a.name for listing in geography.areas.values() for a in listing}
        links = [
            LookupLink(
                LEVEL_OF[kind],
                area.code,
                LEVEL_OF[parent],
                area.parents[parent],
                names[area.parents[parent]],
                1.0,
                "",
                Lookup.Method.EXACT.value,
            )
            for kind, parents in EXACT_PARENTS.items()
            for area in geography.areas[kind]
            for parent in parents
        ]
        links += [
            LookupLink(
                "lsoa21",
                area.code,
                "ward24",
                area.parents["ward"],
                names[area.parents["ward"]],
                1.0,
                "",
                Lookup.Method.ONS_BEST_FIT.value,
            )
            for area in geography.areas["lsoa"]
        ]
        write_lookups(links, source=SOURCE)
        self.say(f"wrote {len(links):,} lookup links")

    def publish(self, geography: Geography, seed: int, n_periods: int) -> None:
        codes = [a.code for a in geography.areas["lsoa"]]
        periods = [f"2025-{m:02d}" for m in range(1, 13)] + [
            f"{y}-{m:02d}" for y in range(2026, 2031) for m in range(1, 13)
        ]
        dataset = Dataset.objects.get(slug="synthetic-crime")
        steward = User.objects.get(username="bench-steward")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"synthetic_crime_seed{seed}.csv"
            path.write_text(releases_csv(codes, periods[:n_periods], seed))
            result = run(path, dataset, options=Options(), commit=True, acting_user=steward)
        if not result.ok:
            raise CommandError(result.render())
        n_lsoa = Area.objects.filter(level__slug="lsoa21").count()
        self.say(f"synthetic-crime: {result.notes[-2]} over {n_lsoa:,} LSOAs")
