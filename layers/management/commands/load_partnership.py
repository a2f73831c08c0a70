"""python manage.py load_partnership FILE [--demo-password P]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.partnership import apply_partnership, check_partnership


class Command(BaseCommand):
    help = (
        "Set up agencies, users, datasets, indicators and sharing agreements from one YAML "
        "file. The whole file is checked first; on any error nothing is written. Re-running "
        "updates in place (a changed agreement gets a new version)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--demo-password",
            help="password for users created now (demo only; otherwise new "
            "users have no password until one is set)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path.name} is not valid YAML: {exc}") from None
        checked = check_partnership(doc)
        if checked.problems:
            listing = "\n".join(f"  - {p}" for p in checked.problems)
            raise CommandError(
                f"{path.name}: {len(checked.problems)} problem(s); nothing was written:\n{listing}"
            )
        done = apply_partnership(checked.doc, demo_password=options["demo_password"])
        if options["verbosity"] > 1:
            for line in done.created:
                self.stdout.write(f"created {line}")
            for line in done.updated:
                self.stdout.write(f"updated {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {len(done.created)} created, {len(done.updated)} updated, "
                f"{done.unchanged} unchanged"
            )
        )
