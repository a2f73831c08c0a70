"""python manage.py load_demo_values [--data DIR]: the demo's releases.

Real: the English Indices of Deprivation 2019 (IMD rank and decile) and its mid-2015
population denominators, ingested from the shared files as their owner's data steward
would, with the same pipeline as any upload.

SIMULATED, and labelled so: police recorded crime and A&E assault attendances, Poisson
counts driven by the real IoD 2019 crime domain rank and population, so that the demo
has small counts for disclosure control to act on. A fixed seed makes the files the same
on every run, so a second run publishes nothing new.
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.management.commands.load_demo import default_data_dir
from ingest.pipeline.run import Options, run
from layers.models import Area, Dataset

IMD_COLUMNS = {
    "imd-rank": "Index of Multiple Deprivation (IMD) Rank",
    "imd-decile": "Index of Multiple Deprivation (IMD) Decile",
}
POPULATION_COLUMNS = {
    "population": "Total population: mid 2015 (excluding prisoners)",
    "children": "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "older-people": "Older population aged 60 and over: mid 2015 (excluding prisoners)",
}
CRIME_RANK = "Crime Rank (where 1 is most deprived)"
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
SEED = 20191


def _read_gz_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


class Command(BaseCommand):
    help = "Publish the demo releases: real IoD 2019 figures and SIMULATED crime and A&E counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, default=None)

    def publish(self, path: Path, slug: str, steward: str, options: Options) -> None:
        dataset = Dataset.objects.get(slug=slug)
        user = User.objects.filter(username=steward).first()
        result = run(path, dataset, options=options, commit=True, acting_user=user)
        if not result.ok:
            raise CommandError(result.render())
        if result.duplicate_of is not None:
            self.stdout.write(f"{slug}: unchanged (release {result.duplicate_of.id})")
        else:
            self.stdout.write(f"{slug}: {result.notes[-2]}")

    def handle(self, *args: Any, **options: Any) -> None:
        data: Path = options["data"] or default_data_dir()
        if not Dataset.objects.filter(slug__in=["imd-2019", "recorded-crime"]).count() == 2:
            raise CommandError(
                "load the demo partnership first (load_partnership demo/partnership.yaml)"
            )
        with tempfile.TemporaryDirectory() as folder:
            # The shared files are gzipped; a steward would upload the CSV inside.
            for name, slug, period, columns in (
                ("imd2019_lsoa11_england.csv", "imd-2019", "2019", IMD_COLUMNS),
                ("iod2019_population_lsoa11_england.csv", "population", "2015", POPULATION_COLUMNS),
            ):
                plain = Path(folder) / name
                plain.write_bytes(gzip.decompress((data / f"{name}.gz").read_bytes()))
                self.publish(
                    plain,
                    slug,
                    "ivan",
                    Options(skip_unknown_areas=True, period=period, indicator_columns=columns),
                )
        lsoas = set(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
        rank = {
            r["LSOA code (2011)"]: _number(r[CRIME_RANK])
            for r in _read_gz_csv(data / "iod2019_domains_lsoa11_england.csv.gz")
            if r["LSOA code (2011)"] in lsoas
        }
        people = {
            r["LSOA code (2011)"]: _number(r[POPULATION_COLUMNS["population"]])
            for r in _read_gz_csv(data / "iod2019_population_lsoa11_england.csv.gz")
            if r["LSOA code (2011)"] in lsoas
        }
        rng = np.random.default_rng(SEED)
        with tempfile.TemporaryDirectory() as folder:
            crime = Path(folder) / "simulated_recorded_crime_2025.csv"
            crime.write_text(self.simulated_crime(rank, people, rng))
            self.publish(crime, "recorded-crime", "sam", Options())
            ae = Path(folder) / "simulated_ae_assault_2025.csv"
            ae.write_text(self.simulated_ae(rank, people, rng))
            self.publish(ae, "ae-attendances", "dora", Options())

    @staticmethod
    def simulated_crime(
        rank: dict[str, float], people: dict[str, float], rng: np.random.Generator
    ) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["area_code", "period", "indicator", "value"])
        for code in sorted(rank):
            deprivation = 1 - rank[code] / 32_844  # 1 = most deprived crime domain
            per_1000 = 3 + 14 * deprivation**1.5
            base = per_1000 * people[code] / 1000
            for month in MONTHS:
                writer.writerow([code, month, "all-crime", rng.poisson(base)])
                writer.writerow([code, month, "burglary", rng.poisson(base * 0.07)])
                writer.writerow([code, month, "asb", rng.poisson(base * 0.45)])
        return out.getvalue()

    @staticmethod
    def simulated_ae(
        rank: dict[str, float], people: dict[str, float], rng: np.random.Generator
    ) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["area_code", "period", "indicator", "value"])
        for code in sorted(rank):
            deprivation = 1 - rank[code] / 32_844
            base = (0.4 + 2.5 * deprivation**2) * people[code] / 1500
            for quarter in QUARTERS:
                writer.writerow([code, quarter, "assault-attendances", rng.poisson(base)])
        return out.getvalue()
