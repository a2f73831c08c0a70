"""Seed the standard geography levels (layers.domain.levels.KNOWN_LEVELS).

More levels can be added as data later; this only creates the ones that are missing.
"""

from __future__ import annotations

from django.db import migrations

LEVELS = [
    ("oa11", "oa", 2011, "Output Areas (2011)"),
    ("lsoa11", "lsoa", 2011, "Lower layer Super Output Areas (2011)"),
    ("msoa11", "msoa", 2011, "Middle layer Super Output Areas (2011)"),
    ("ward13", "ward", 2013, "Electoral wards (2013)"),
    ("lad19", "lad", 2019, "Local authority districts (2019)"),
    ("oa21", "oa", 2021, "Output Areas (2021)"),
    ("lsoa21", "lsoa", 2021, "Lower layer Super Output Areas (2021)"),
    ("msoa21", "msoa", 2021, "Middle layer Super Output Areas (2021)"),
    ("ward24", "ward", 2024, "Electoral wards (2024)"),
    ("lad24", "lad", 2024, "Local authority districts (2024)"),
]


def seed(apps, schema_editor):
    GeographyLevel = apps.get_model("layers", "GeographyLevel")
    for slug, kind, edition, name in LEVELS:
        GeographyLevel.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "edition": edition, "name": name}
        )


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
