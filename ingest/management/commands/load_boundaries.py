"""python manage.py load_boundaries FILE [FILE ...] --level LEVEL [--commit]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.formats.vector import UnreadableFile, read_vector
from ingest.pipeline.boundaries import BoundaryRow, check_boundaries
from ingest.pipeline.levels import UnknownLevel, level_by_slug
from ingest.pipeline.stage import write_boundaries
from layers.models import Area, GeographyLevel


class Command(BaseCommand):
    help = (
        "Load area boundaries (GeoJSON, GeoPackage, Shapefile, zipped Shapefile) for a "
        "level. Dry run by default: prints the report; --commit replaces the level's "
        "areas atomically (or, with --merge, adds and updates without removing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--level", required=True, help="level slug, e.g. lsoa21")
        parser.add_argument("--code-field", help="column with the GSS codes (guessed if absent)")
        parser.add_argument("--name-field", help="column with the names (guessed if absent)")
        parser.add_argument(
            "--crs",
            help="CRS to read the file in when it declares none "
            "(or declares a wrong one), e.g. EPSG:27700",
        )
        parser.add_argument(
            "--merge",
            action="store_true",
            help="keep the level's areas that are not in the file(s)",
        )
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            level = level_by_slug(options["level"])
        except UnknownLevel as exc:
            raise CommandError(str(exc)) from None
        frames = []
        for path in options["files"]:
            try:
                frame = read_vector(path)
            except UnreadableFile as exc:
                raise CommandError(str(exc)) from None
            report, rows = check_boundaries(
                frame,
                level=level.as_domain(),
                file_label=path.name,
                code_field=options["code_field"],
                name_field=options["name_field"],
                crs=options["crs"],
            )
            self.stdout.write(report.render())
            if not report.ok:
                raise CommandError(f"{path.name} rejected: nothing was written")
            frames.append(rows)
        rows = [row for chunk in frames for row in chunk]
        codes = pd.Series([r.gss_code for r in rows])
        if codes.duplicated().any():
            dupes = ", ".join(sorted(set(codes[codes.duplicated()]))[:10])
            raise CommandError(
                f"the same code is in more than one file: {dupes}; nothing was written"
            )
        current = set(Area.objects.filter(level=level).values_list("gss_code", flat=True))
        incoming = set(codes)
        self.stdout.write(
            f"{level.slug}: {len(incoming - current)} new, {len(incoming & current)} updated, "
            + (
                f"{len(current - incoming)} kept (--merge)"
                if options["merge"]
                else f"{len(current - incoming)} removed"
            )
        )
        if not options["commit"]:
            self.stdout.write("Dry run: nothing written. Add --commit to write.")
            return
        if options["merge"]:
            rows = _with_existing(level, rows)
        result = write_boundaries(level, rows, source=", ".join(p.name for p in options["files"]))
        self.stdout.write(
            self.style.SUCCESS(
                f"{level.slug}: {result.n_written} areas written, {result.n_removed} removed, "
                f"{result.n_custom_areas_refreshed} custom area(s) refreshed; boundary version "
                f"{result.boundary_version}"
            )
        )


def _with_existing(level: GeographyLevel, rows: list[BoundaryRow]) -> list[BoundaryRow]:
    """For --merge: add the level's current areas that the files do not replace."""
    incoming = {r.gss_code for r in rows}
    kept = [
        BoundaryRow(a.gss_code, a.name, bytes(a.geom_27700.wkb))
        for a in Area.objects.filter(level=level).exclude(gss_code__in=incoming)
    ]
    return rows + kept
