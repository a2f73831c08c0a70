"""The values table's read index becomes a BRIN index, and its ids are stored as integer.

A release's values are written once, never updated, and each chunk of them goes in in
(indicator, period, area) order (ingest/pipeline/records.py), so the rows of one
indicator and period lie together on disk: a block-range index finds them with a few
kilobytes of index per million values, and is built in one pass over the rows with no
sort. The B-tree it replaces had to sort and write every value again at publish (about
40 bytes a value), which was most of the cost of publishing beyond the COPY itself.

Indicator, period and area ids are stored as integer, not bigint: 8 bytes less a value
to write and to read (the ingest pipeline refuses an id that does not fit). The dataset
and release ids stay bigint: they are the partition keys, whose type cannot change.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
DROP INDEX IF EXISTS layers_value_read;
ALTER TABLE layers_value
    ALTER COLUMN indicator_id TYPE integer,
    ALTER COLUMN period_id TYPE integer,
    ALTER COLUMN area_id TYPE integer;
CREATE INDEX layers_value_read ON layers_value
    USING brin (indicator_id, period_id) WITH (pages_per_range = 16);
"""

BACKWARD = """
DROP INDEX IF EXISTS layers_value_read;
ALTER TABLE layers_value
    ALTER COLUMN indicator_id TYPE bigint,
    ALTER COLUMN period_id TYPE bigint,
    ALTER COLUMN area_id TYPE bigint;
CREATE INDEX layers_value_read ON layers_value (release_id, indicator_id, period_id, area_id);
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0018_merge_20261125_1931")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
