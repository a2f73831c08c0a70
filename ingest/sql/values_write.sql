-- Writing a release's values. Raw SQL because values live in a partitioned table with
-- no Django model, loaded with COPY. Parameters: %(dataset_id)s %(release_id)s
-- %(previous_id)s %(factor)s.

-- name: partition_exists
SELECT to_regclass(%(partition)s) IS NOT NULL

-- name: copy_values
-- Into the release's own table, created in this same transaction: FREEZE writes the
-- rows already frozen, so the first reads after publishing do not rewrite every page to
-- set hint bits (and nothing else can see the table before the commit anyway).
COPY layers_value (dataset_id, release_id, indicator_id, period_id, area_id, value,
                   numerator, denominator) FROM STDIN (FORMAT BINARY, FREEZE)

-- name: large_changes
-- Values that moved by more than the factor from the previous published release.
SELECT count(*) OVER (), i.slug, p.code, a.gss_code, old.value, new.value
FROM layers_value AS new
JOIN layers_value AS old
  ON old.dataset_id = new.dataset_id AND old.release_id = %(previous_id)s
 AND old.indicator_id = new.indicator_id AND old.period_id = new.period_id
 AND old.area_id = new.area_id
JOIN layers_indicator AS i ON i.id = new.indicator_id
JOIN layers_period AS p ON p.id = new.period_id
JOIN layers_area AS a ON a.id = new.area_id
WHERE new.dataset_id = %(dataset_id)s AND new.release_id = %(release_id)s
  AND old.value > 0 AND new.value > 0
  AND (new.value > old.value * %(factor)s OR new.value * %(factor)s < old.value)
ORDER BY abs(ln(new.value / old.value)) DESC, a.gss_code
LIMIT 10
