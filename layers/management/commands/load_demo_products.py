"""python manage.py load_demo_products: two demo products with SIMULATED outcomes.

The council's analyst `ana` reads figures through the one read path as she would on the
map and the profile page (each read audited): burglary by LSOA, the area profile of the
LSOA with the most burglaries she may see, A&E assault attendances by MSOA and all
recorded crime by LSOA. Then she records a tasking briefing on burglary hot spots and a
funding bid on violence, each citing those reads, with outcomes that are SIMULATED and
labelled so. Run again, it records nothing new (the products are found by title).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers.domain.access import Use
from layers.domain.products import ReadGroup
from layers.models import Agency, Product
from layers.products import recent_reads, record_outcome, record_product
from layers.profile import area_profile, find_area
from layers.read import read_values

ANALYST = "ana"
AGENCY = "city-council"
PURPOSE = "community_safety"

BRIEFING = "Burglary hot spots: tasking briefing (demo)"
BID = "Violence reduction funding bid: town centre at night (demo)"


class Command(BaseCommand):
    help = "Record two demo products (SIMULATED outcomes) from audited reads by the demo analyst."

    def handle(self, *args: Any, **options: Any) -> None:
        ana = User.objects.filter(username=ANALYST).first()
        agency = Agency.objects.filter(slug=AGENCY).first()
        if ana is None or agency is None:
            raise CommandError("load the demo partnership first (load_partnership ...)")
        wanted = [
            t for t in (BRIEFING, BID) if not Product.objects.filter(title=t, is_demo=True).exists()
        ]
        if not wanted:
            self.stdout.write("demo products: unchanged")
            return
        try:
            hot_spot = self._read(ana)
        except Exception as error:  # a demo without its releases: say what to run first
            raise CommandError(
                f"could not read the demo figures ({error}); run load_demo_values first"
            ) from error
        groups = recent_reads(ana)
        today = timezone.localdate()
        if BRIEFING in wanted:
            product = record_product(
                user=ana,
                agency=agency,
                fields={
                    "title": BRIEFING,
                    "kind": Product.Kind.TASKING_BRIEFING,
                    "made_on": today,
                    "summary": (
                        "Residential burglary by LSOA for the latest month, and the profile "
                        f"of {hot_spot}, the LSOA with the most burglaries: where to patrol."
                    ),
                    "served": "Fortnightly partnership tasking meeting",
                    "served_on": today,
                },
                groups=_pick(groups, "values.read", "burglary") + _pick(groups, "profile.read"),
                is_demo=True,
            )
            record_outcome(
                product,
                user=ana,
                outcome=(
                    "Patrols redirected to the hot spot LSOAs; burglary down 12% the next "
                    "quarter (simulated)."
                ),
                outcome_on=today,
            )
        if BID in wanted:
            product = record_product(
                user=ana,
                agency=agency,
                fields={
                    "title": BID,
                    "kind": Product.Kind.FUNDING_BID,
                    "made_on": today,
                    "summary": (
                        "A&E assault attendances by MSOA and recorded crime by LSOA, to show "
                        "where violence concentrates at night."
                    ),
                    "served": "Safer Streets fund application",
                    "served_on": today,
                },
                groups=_pick(groups, "values.read", "assault-attendances")
                + _pick(groups, "values.read", "all-crime"),
                is_demo=True,
            )
            record_outcome(
                product,
                user=ana,
                outcome=(
                    "Bid successful: £85,000 for street lighting and night-time guardians "
                    "(simulated)."
                ),
                outcome_on=today,
            )
        self.stdout.write(f"demo products: recorded {len(wanted)} (outcomes SIMULATED)")

    def _read(self, ana: User) -> str:
        """Ana's reads, through the read path; the LSOA with the most burglaries she saw."""
        burglary = read_values(
            ana, indicator="burglary", level="lsoa11", use=Use.MAP, purpose=PURPOSE
        )
        shown = [r for r in burglary.rows if r.value is not None]
        hot = max(shown, key=lambda r: (r.value or 0, r.area_code))
        area = find_area(ana, hot.area_code, level="lsoa11")
        area_profile(ana, area, use=Use.MAP, purpose=PURPOSE)
        read_values(
            ana, indicator="assault-attendances", level="msoa11", use=Use.MAP, purpose=PURPOSE
        )
        read_values(ana, indicator="all-crime", level="lsoa11", use=Use.EXPORT, purpose=PURPOSE)
        return f"{hot.area_name} ({hot.area_code})"


def _pick(groups: list[ReadGroup], action: str, indicator: str | None = None) -> list[ReadGroup]:
    """The most recent group of that kind of read (of that indicator)."""
    for group in groups:
        if group.latest.action == action and (
            indicator is None or indicator in group.latest.indicators
        ):
            return [group]
    return []
