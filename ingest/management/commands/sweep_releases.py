"""python manage.py sweep_releases [--older-than MINUTES] [--commit]"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ingest.pipeline.publish import interrupted_releases, sweep_interrupted_releases


class Command(BaseCommand):
    help = (
        "Releases left 'validating' by a worker that died: list them (dry run, the "
        "default), or with --commit mark them rejected ('interrupted'), drop any table "
        "of values they left and audit each. A release a worker still holds is skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.INGEST_INTERRUPTED_AFTER_MINUTES,
            metavar="MINUTES",
            help="only releases uploaded at least this long ago (default: "
            "INGEST_INTERRUPTED_AFTER_MINUTES, %(default)s)",
        )
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = timedelta(minutes=max(options["older_than"], 0))
        if not options["commit"]:
            found = interrupted_releases(older_than=older_than)
            for release in found:
                self.stdout.write(
                    f"would reject release {release.id} ({release.dataset.slug}, "
                    f"{release.file_name}, uploaded {release.uploaded_at:%Y-%m-%d %H:%M})"
                )
            self.stdout.write(
                f"{len(found)} release(s) validating for more than {options['older_than']} "
                "minute(s). Dry run: nothing changed. Add --commit to mark them rejected."
            )
            return
        swept = sweep_interrupted_releases(older_than=older_than, acting_user=None)
        for release in swept:
            self.stdout.write(
                f"rejected release {release.id} ({release.dataset.slug}): interrupted"
            )
        self.stdout.write(f"{len(swept)} interrupted release(s) marked rejected.")
