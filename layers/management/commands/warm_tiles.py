"""python manage.py warm_tiles LEVEL [--min-zoom 6] [--max-zoom 12] [--commit]"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.domain.errors import DomainError
from layers.domain.tiles import MAX_ZOOM
from layers.tiles import warm_level


class Command(BaseCommand):
    help = (
        "Render a level's boundary tiles into the tile cache (dry run: count them), and "
        "drop the cached tiles of its earlier boundary versions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("level", help="level slug, e.g. lsoa21")
        parser.add_argument("--min-zoom", type=int, default=settings.TILE_WARM_MIN_ZOOM)
        parser.add_argument("--max-zoom", type=int, default=settings.TILE_WARM_MAX_ZOOM)
        parser.add_argument("--commit", action="store_true", help="render (default: count)")

    def handle(self, *args: Any, **options: Any) -> None:
        low, high = options["min_zoom"], options["max_zoom"]
        if not 0 <= low <= high <= MAX_ZOOM:
            raise CommandError(f"zooms must satisfy 0 <= --min-zoom <= --max-zoom <= {MAX_ZOOM}")
        if options["commit"] and not settings.TILE_CACHE_DIR:
            raise CommandError("the tile cache is off (TILE_CACHE_DIR=off): nothing to warm")
        try:
            warmed = warm_level(
                options["level"],
                min_zoom=low,
                max_zoom=high,
                commit=options["commit"],
                on_zoom=lambda z, n: self.stdout.write(f"  z{z}: {n:,} tiles"),
            )
        except DomainError as error:
            raise CommandError(str(error)) from None
        if not options["commit"]:
            self.stdout.write(
                f"dry run: {warmed.n_tiles:,} tiles of {warmed.level} from z{low} to z{high}; "
                "add --commit to render them"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{warmed.level} (boundary version {warmed.boundary_version}): "
                f"{warmed.n_rendered:,} of {warmed.n_tiles:,} tiles rendered "
                f"({warmed.n_empty:,} empty) in {warmed.seconds:.1f} s; "
                f"{warmed.n_versions_purged} earlier version(s) dropped"
            )
        )
