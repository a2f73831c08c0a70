"""python manage.py load_demo [--data DIR]: the demo's real open data, from ../shared/data."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

DISTRICTS = ("leicester", "bradford")

# (level, file stem) in load order; districts are dissolved from LSOAs afterwards.
BOUNDARIES = (("lsoa11", "lsoa11"), ("msoa11", "msoa11"), ("ward13", "wards13"))


def default_data_dir() -> Path:
    return Path(os.environ.get("SHARED_DATA") or settings.BASE_DIR.parent / "shared" / "data")


class Command(BaseCommand):
    help = (
        "Load the demo geography: Leicester and Bradford LSOAs, MSOAs and wards (2011/13), "
        "their LSOA -> MSOA -> district lookups, districts dissolved from LSOAs, and a "
        "best-fit LSOA -> ward lookup. Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            default=None,
            help="folder of the shared data (default ../shared/data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data: Path = options["data"] or default_data_dir()
        if not data.is_dir():
            raise CommandError(f"no data folder at {data}: set SHARED_DATA or pass --data")
        quiet = {"stdout": StringIO()} if options["verbosity"] < 2 else {}
        for level, stem in BOUNDARIES:
            files = [data / f"{district}_{stem}.geojson" for district in DISTRICTS]
            call_command("load_boundaries", *map(str, files), level=level, commit=True, **quiet)
            self.stdout.write(f"boundaries: {level} from {', '.join(f.name for f in files)}")
        lookups = [str(data / f"{district}_lookup_lsoa11.csv") for district in DISTRICTS]
        call_command("load_lookup", *lookups, commit=True, **quiet)
        self.stdout.write("lookups: lsoa11 -> msoa11 -> lad19")
        call_command("derive_level", "lad19", child="lsoa11", commit=True, **quiet)
        self.stdout.write("boundaries: lad19 dissolved from lsoa11")
        call_command("derive_lookup", child="lsoa11", parent="ward13", commit=True, **quiet)
        self.stdout.write("lookups: lsoa11 -> ward13 (best fit by point on surface)")
        self.stdout.write(self.style.SUCCESS("Demo geography loaded."))
