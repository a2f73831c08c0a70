"""python manage.py revoke_token PREFIX"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.tokens import revoke_token


class Command(BaseCommand):
    help = "Revoke the API token(s) whose prefix (as issue_token printed it) is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        n = revoke_token(options["prefix"].rstrip("…"))
        if not n:
            raise CommandError(f"no live token with prefix {options['prefix']!r}")
        self.stdout.write(f"{n} token(s) revoked")
