"""python manage.py protect_releases [--dataset SLUG ...] [--commit]"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.models import Release
from layers.protection import protect_release, served_policies


class Command(BaseCommand):
    help = (
        "Compute the protected tables of current releases ahead of any read: for each "
        "indicator and period, the owner's view and each active agreement's policy. Dry "
        "run (list what would be computed) unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", default=[], metavar="SLUG")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        releases = Release.objects.filter(status=Release.Status.PUBLISHED).select_related("dataset")
        if options["dataset"]:
            releases = releases.filter(dataset__slug__in=options["dataset"])
            missing = set(options["dataset"]) - {r.dataset.slug for r in releases}
            if missing:
                raise CommandError(f"no published release of: {', '.join(sorted(missing))}")
        for release in releases.order_by("dataset__slug"):
            served = served_policies(release.dataset)
            if not options["commit"]:
                self.stdout.write(
                    f"{release.dataset.slug} (release {release.id}): "
                    f"{len(served)} policy views x its indicators and periods"
                )
                continue
            started = time.perf_counter()
            n_new, n_kept = protect_release(
                release, on_table=lambda what: self.stdout.write(f"  {what}")
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"{release.dataset.slug} (release {release.id}): {n_new} table(s) "
                    f"computed, {n_kept} already kept, {time.perf_counter() - started:.1f} s"
                )
            )
        if not options["commit"]:
            self.stdout.write("dry run: add --commit to compute")
