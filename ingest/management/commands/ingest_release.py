"""python manage.py ingest_release FILE --dataset SLUG [--period P] [--commit]"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingest.pipeline.run import Options, run
from layers.models import Dataset


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise CommandError(f"{option} takes SLUG=COLUMN, not {item!r}")
        out[key.strip()] = value.strip()
    return out


class Command(BaseCommand):
    help = (
        "Check a file of aggregated figures (long or wide CSV/XLSX) as a release of a "
        "dataset. Dry run by default, with the full report; --commit publishes it (the "
        "previous release becomes superseded). Exit status 1 on rejection."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dataset", required=True, help="dataset slug")
        parser.add_argument("--period", help="the period of every row when the file has none")
        for name in ("area", "period", "indicator", "value", "numerator", "denominator"):
            parser.add_argument(
                f"--{name}-column", dest=f"{name}_column", help=f"the column holding the {name}"
            )
        parser.add_argument(
            "--indicator-column-for",
            action="append",
            metavar="SLUG=COLUMN",
            help="wide files: the column of one indicator (repeatable)",
        )
        parser.add_argument(
            "--skip-unknown-areas",
            action="store_true",
            help="skip rows for areas outside this portal's geography "
            "(e.g. a national file), counting them as a warning",
        )
        parser.add_argument(
            "--edition-method",
            choices=["best_fit"],
            help="how to place areas that were split or changed between "
            "boundary editions (recorded on the release)",
        )
        parser.add_argument(
            "--indicator",
            help="points: the indicator every point counts towards (when the "
            "file has no indicator column)",
        )
        parser.add_argument("--commit", action="store_true", help="publish (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = Dataset.objects.filter(slug=options["dataset"]).first()
        if dataset is None:
            known = ", ".join(Dataset.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"unknown dataset {options['dataset']!r} (known: {known})")
        columns = {
            name: options[f"{name}_column"]
            for name in ("area", "period", "indicator", "value", "numerator", "denominator")
            if options[f"{name}_column"]
        }
        bar = tqdm(
            desc="rows", unit=" rows", disable=not sys.stderr.isatty() or options["verbosity"] == 0
        )
        last = 0

        def progress(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        result = run(
            options["file"],
            dataset,
            commit=options["commit"],
            on_progress=progress,
            options=Options(
                period=options["period"],
                columns=columns,
                indicator_columns=_pairs(options["indicator_column_for"], "--indicator-column-for"),
                skip_unknown_areas=options["skip_unknown_areas"],
                edition_method=options["edition_method"],
                indicator=options["indicator"],
            ),
        )
        bar.close()
        self.stdout.write(result.render())
        if not result.ok:
            raise CommandError(
                f"{options['file'].name} rejected: nothing was published; the file is kept"
            )
