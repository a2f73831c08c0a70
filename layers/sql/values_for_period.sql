-- The values of one release, indicator and period at the dataset's own level, with the
-- area codes. Raw SQL: layers_value is a partitioned table with no Django model; the
-- release_id condition prunes to the release's own partition.
-- Parameters: %(release_id)s %(indicator_id)s %(period_id)s
SELECT a.gss_code, v.value, v.numerator, v.denominator
FROM layers_value AS v
JOIN layers_area AS a ON a.id = v.area_id
WHERE v.release_id = %(release_id)s AND v.indicator_id = %(indicator_id)s
  AND v.period_id = %(period_id)s
