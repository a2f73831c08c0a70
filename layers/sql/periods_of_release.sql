-- The periods one release holds values for, for one indicator. Raw SQL: layers_value is
-- a partitioned table with no Django model; release_id prunes to the release's partition.
-- Parameters: %(release_id)s %(indicator_id)s
SELECT DISTINCT v.period_id
FROM layers_value AS v
WHERE v.release_id = %(release_id)s AND v.indicator_id = %(indicator_id)s
