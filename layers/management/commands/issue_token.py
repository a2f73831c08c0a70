"""python manage.py issue_token USERNAME [--expires DAYS]"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.tokens import issue_token


class Command(BaseCommand):
    help = (
        "Print a new API token for a user. It is shown once: only its hash is stored. "
        "Revoke with revoke_token PREFIX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--expires",
            type=int,
            default=365,
            metavar="DAYS",
            help="days until it expires (default 365; 0 = never)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if options["expires"] < 0:
            raise CommandError("--expires must be 0 (never) or a number of days")
        raw, token = issue_token(user, days=options["expires"] or None)
        self.stderr.write(
            f"token {token.prefix}… for {user.username}, expires {token.expires_at:%Y-%m-%d}"
            if token.expires_at
            else f"token {token.prefix}… for {user.username}, never expires"
        )
        self.stdout.write(raw)
