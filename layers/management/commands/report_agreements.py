"""python manage.py report_agreements [--days 90]: what expires or is due for review."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from layers.agreements import agreements_due
from layers.models import Agreement


class Command(BaseCommand):
    help = (
        "List agreements that expire or are due for review within N days (overdue reviews "
        "included). Meant for a daily job; prints nothing else when none are due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        due = agreements_due(Agreement.objects.all(), on=today, within_days=options["days"])
        if not due:
            self.stdout.write(
                f"No agreement expires or is due for review in the next {options['days']} days."
            )
            return
        for d in due:
            what = "review due" if d.what == "review" else "expires"
            late = " (OVERDUE)" if d.on < today else ""
            self.stdout.write(
                f"{d.on:%Y-%m-%d}  {what:10}  {d.version.agreement.reference}  "
                f"{d.version.title} [{d.version.status}]{late}"
            )
