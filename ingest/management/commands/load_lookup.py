"""python manage.py load_lookup FILE [FILE ...] [--commit]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.formats.table import UnreadableTable, read_csv_rows
from ingest.pipeline.lookups import check_lookup
from ingest.pipeline.stage import write_lookups
from layers.models import Area, GeographyLevel


class Command(BaseCommand):
    help = (
        "Load an ONS lookup CSV: a hierarchy (OA21CD, LSOA21CD, MSOA21CD, LAD24CD, with "
        "..NM names), a ward best-fit lookup, or an edition change (LSOA11CD, LSOA21CD, "
        "CHGIND). Dry run by default; --commit writes, replacing the links of the "
        "children in the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        levels = {lv.slug: lv.as_domain() for lv in GeographyLevel.objects.all()}
        for path in options["files"]:
            try:
                header, rows = read_csv_rows(path)
            except UnreadableTable as exc:
                raise CommandError(str(exc)) from None
            loaded: dict[str, set[str]] = {}
            for slug in levels:
                codes = set(
                    Area.objects.filter(level__slug=slug).values_list("gss_code", flat=True)
                )
                if codes:
                    loaded[slug] = codes
            report, links = check_lookup(
                header, rows, file_label=path.name, levels=levels, loaded_codes=loaded
            )
            self.stdout.write(report.render())
            if not report.ok:
                raise CommandError(f"{path.name} rejected: nothing was written")
            if not options["commit"]:
                self.stdout.write("Dry run: nothing written. Add --commit to write.")
                continue
            n = write_lookups(links, source=path.name)
            self.stdout.write(self.style.SUCCESS(f"{n} link(s) written from {path.name}"))
