"""python manage.py derive_lookup --child LEVEL --parent LEVEL [--commit]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.pipeline.levels import UnknownLevel, level_by_slug
from ingest.pipeline.stage import derive_best_fit


class Command(BaseCommand):
    help = (
        "Compute a best-fit lookup from boundaries: each child area goes to the parent "
        "that contains its point on surface (for wards, which do not nest in MSOAs and "
        "have no published LSOA lookup here). Dry run by default; --commit writes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--child", required=True, help="e.g. lsoa11")
        parser.add_argument("--parent", required=True, help="e.g. ward13")
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            child = level_by_slug(options["child"])
            parent = level_by_slug(options["parent"])
        except UnknownLevel as exc:
            raise CommandError(str(exc)) from None
        if not child.areas.exists() or not parent.areas.exists():
            raise CommandError(f"both {child.slug} and {parent.slug} need boundaries loaded")
        fit = derive_best_fit(child, parent, commit=options["commit"])
        self.stdout.write(
            f"{child.slug} -> {parent.slug} by point on surface: "
            f"{fit.n_linked} of {fit.n_children} linked"
        )
        if fit.unmatched_children:
            self.stdout.write(
                f"  {len(fit.unmatched_children)} {child.slug} area(s) fall in "
                f"no {parent.slug}: {', '.join(fit.unmatched_children[:10])}"
            )
        if fit.parents_without_children:
            self.stdout.write(
                f"  {len(fit.parents_without_children)} {parent.slug} area(s) "
                f"got no {child.slug}: "
                f"{', '.join(fit.parents_without_children[:10])}"
            )
        if not options["commit"]:
            self.stdout.write("Dry run: nothing written. Add --commit to write.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{fit.n_linked} link(s) written"))
