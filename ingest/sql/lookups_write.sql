-- Writing lookup links. Raw SQL because it stages with COPY (national OA lookups run
-- to about a million links). Links of the children in the file are replaced, so files
-- for different districts can be loaded one after another.
-- Parameters: none beyond the staged rows, and %(method)s for derived lookups.

-- name: create_stage
-- Dropped first: several writes may share one outer transaction (a test, a generator).
DROP TABLE IF EXISTS lookup_stage;
CREATE TEMP TABLE lookup_stage (
    child_level text, child_code text, parent_level text, parent_code text,
    parent_name text, weight float8, change text, method text
) ON COMMIT DROP

-- name: delete_replaced
DELETE FROM layers_lookup AS l
USING lookup_stage AS s, layers_geographylevel AS cl, layers_geographylevel AS pl
WHERE cl.slug = s.child_level AND pl.slug = s.parent_level
  AND l.child_level_id = cl.id AND l.parent_level_id = pl.id AND l.child_code = s.child_code

-- name: insert_links
INSERT INTO layers_lookup (child_level_id, child_code, parent_level_id, parent_code,
                           parent_name, weight, change, method, source)
SELECT cl.id, s.child_code, pl.id, s.parent_code, s.parent_name, s.weight, s.change,
       s.method, %(source)s
FROM lookup_stage AS s
JOIN layers_geographylevel AS cl ON cl.slug = s.child_level
JOIN layers_geographylevel AS pl ON pl.slug = s.parent_level

-- name: stage_point_on_surface
-- Best fit: each child goes to the parent that contains its point on surface (a point
-- guaranteed inside the child). Children whose point falls in no parent are left out
-- and counted by the caller.
INSERT INTO lookup_stage
SELECT %(child_slug)s, c.gss_code, %(parent_slug)s, p.gss_code, p.name, 1.0, '',
       'point_on_surface'
FROM layers_area AS c
CROSS JOIN LATERAL (
    SELECT p.gss_code, p.name FROM layers_area AS p
    WHERE p.level_id = %(parent_level_id)s
      AND ST_Intersects(p.geom_27700, ST_PointOnSurface(c.geom_27700))
    ORDER BY p.gss_code
    LIMIT 1
) AS p
WHERE c.level_id = %(child_level_id)s

-- name: unmatched_children
SELECT a.gss_code FROM layers_area AS a
WHERE a.level_id = %(id)s
  AND NOT EXISTS (SELECT 1 FROM lookup_stage AS s WHERE s.child_code = a.gss_code)
ORDER BY 1

-- name: childless_parents
SELECT a.gss_code FROM layers_area AS a
WHERE a.level_id = %(id)s
  AND NOT EXISTS (SELECT 1 FROM lookup_stage AS s WHERE s.parent_code = a.gss_code)
ORDER BY 1
