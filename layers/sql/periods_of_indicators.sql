-- The periods one release holds values for, for each of several indicators: one pass
-- over the release's partition (the layers_value_read index) instead of one query per
-- indicator, for reads of many indicators at once (the area profile). Raw SQL:
-- layers_value is a partitioned table with no Django model.
-- Parameters: %(release_id)s %(indicator_ids)s (bigint[])
SELECT DISTINCT v.indicator_id, v.period_id
FROM layers_value AS v
WHERE v.release_id = %(release_id)s AND v.indicator_id = ANY(%(indicator_ids)s)
