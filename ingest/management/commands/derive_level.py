"""python manage.py derive_level LEVEL --from CHILD [--commit]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ingest.pipeline.levels import UnknownLevel, level_by_slug
from ingest.pipeline.stage import write_dissolved
from layers.models import Lookup


class Command(BaseCommand):
    help = (
        "Build a level's boundaries by dissolving a finer level along their lookup "
        "(e.g. districts from LSOAs). Dry run by default; --commit replaces the "
        "level's areas."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("level", help="the level to build, e.g. lad19")
        parser.add_argument(
            "--from", dest="child", required=True, help="the finer level to dissolve, e.g. lsoa11"
        )
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            level = level_by_slug(options["level"])
            child = level_by_slug(options["child"])
        except UnknownLevel as exc:
            raise CommandError(str(exc)) from None
        if not child.as_domain().is_finer_than(level.as_domain()):
            raise CommandError(f"{child.slug} is not finer than {level.slug}")
        links = Lookup.objects.filter(child_level=child, parent_level=level)
        if not links.exists():
            raise CommandError(
                f"no {child.slug} -> {level.slug} lookup is loaded: load one with load_lookup first"
            )
        inexact = links.exclude(method=Lookup.Method.EXACT).count()
        if inexact:
            raise CommandError(
                f"{inexact} {child.slug} -> {level.slug} link(s) are best fit, "
                "not exact: a dissolve would leave gaps or overlaps"
            )
        child_codes = set(child.areas.values_list("gss_code", flat=True))
        linked = set(links.values_list("child_code", flat=True))
        missing = sorted(linked - child_codes)
        if missing:
            raise CommandError(
                f"{len(missing)} {child.slug} area(s) in the lookup have no "
                f"boundary (e.g. {', '.join(missing[:5])}); nothing was written"
            )
        n_parents = links.values("parent_code").distinct().count()
        self.stdout.write(
            f"{level.slug}: {n_parents} area(s) from {len(linked)} {child.slug} area(s)"
        )
        if not options["commit"]:
            with transaction.atomic():
                write_dissolved(level, child)
                transaction.set_rollback(True)
            self.stdout.write("Dry run: nothing written. Add --commit to write.")
            return
        result = write_dissolved(level, child)
        self.stdout.write(
            self.style.SUCCESS(
                f"{level.slug}: {result.n_written} areas written, {result.n_removed} removed; "
                f"boundary version {result.boundary_version}"
            )
        )
