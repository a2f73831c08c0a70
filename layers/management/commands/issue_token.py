"""python manage.py issue_token USERNAME [--agency SLUG] [--expires DAYS]"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layers.tokens import TokenScopeError, issue_token


class Command(BaseCommand):
    help = (
        "Print a new API token for a user, acting for one of their agencies. It is shown "
        "once: only its hash is stored. Revoke with revoke_token PREFIX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--agency",
            metavar="SLUG",
            help="the agency the token acts for (needed when the user belongs to several)",
        )
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
        try:
            raw, token = issue_token(
                user, days=options["expires"] or None, agency=options["agency"]
            )
        except TokenScopeError as error:
            raise CommandError(str(error)) from None
        assert token.agency is not None  # noqa: S101 (issue_token always scopes)
        who = f"token {token.prefix}… for {user.username} acting for {token.agency.slug}"
        self.stderr.write(
            f"{who}, expires {token.expires_at:%Y-%m-%d}"
            if token.expires_at
            else f"{who}, never expires"
        )
        self.stdout.write(raw)
