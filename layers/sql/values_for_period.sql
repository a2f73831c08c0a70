-- The values of one release, indicator and period at the dataset's own level, with the
-- area codes. Raw SQL: layers_value is a partitioned table with no Django model; the
-- release_id condition prunes to the release's own partition. The areas are those of the
-- dataset's level (found by its index), so that the join hashes one level's areas, not
-- every area of every level (at national size 35,700 LSOAs instead of 240,000 areas).
-- Parameters: %(release_id)s %(indicator_id)s %(period_id)s
SELECT a.gss_code, v.value, v.numerator, v.denominator
FROM layers_value AS v
JOIN layers_area AS a
  ON a.id = v.area_id
 AND a.level_id = (
     SELECT d.level_id FROM layers_release AS r
     JOIN layers_dataset AS d ON d.id = r.dataset_id
     WHERE r.id = %(release_id)s)
WHERE v.release_id = %(release_id)s AND v.indicator_id = %(indicator_id)s
  AND v.period_id = %(period_id)s
