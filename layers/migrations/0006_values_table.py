"""The values table: the big one, partitioned by dataset (DESIGN.md "Beyond one machine").

No Django model: it is written by the ingest pipeline with COPY and read by the one read
path with SQL. Foreign keys are not declared: the pipeline only writes ids it has just
looked up, and per-row constraint checks would double the cost of a million-row load.
Each dataset gets its own partition on first use (layers.values_store.ensure_partition).
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE TABLE layers_value (
    dataset_id bigint NOT NULL,
    release_id bigint NOT NULL,
    indicator_id bigint NOT NULL,
    period_id bigint NOT NULL,
    area_id bigint NOT NULL,
    value double precision,
    numerator double precision,
    denominator double precision
) PARTITION BY LIST (dataset_id);
CREATE TABLE layers_value_default PARTITION OF layers_value DEFAULT;
-- The read path asks for one release, indicator and period: every area of it.
CREATE INDEX layers_value_read ON layers_value (release_id, indicator_id, period_id, area_id);
"""

BACKWARD = "DROP TABLE layers_value CASCADE;"


class Migration(migrations.Migration):
    dependencies = [("layers", "0005_releases_periods")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
