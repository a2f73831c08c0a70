-- Does every value of one indicator in one release carry its numerator and denominator
-- (so the rate can be published at coarser levels from summed parts)? NULL, read as
-- false, when there are no values. Raw SQL: layers_value is a partitioned table with no
-- Django model; release_id prunes to the release's own partition.
-- Parameters: %(release_id)s %(indicator_id)s
SELECT bool_and(v.numerator IS NOT NULL AND v.denominator IS NOT NULL)
FROM layers_value AS v
WHERE v.release_id = %(release_id)s AND v.indicator_id = %(indicator_id)s
  AND v.value IS NOT NULL
