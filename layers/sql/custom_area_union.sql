-- A custom area's geometry is the union of its member areas. Raw SQL because ST_Union
-- over a many-to-many join is one statement here and several ORM round trips otherwise.
-- Parameters: %(custom_area_ids)s (bigint[]) or %(base_level_id)s.

-- name: union_by_id
UPDATE layers_customarea AS c
SET geom_27700 = u.geom, area_ha = coalesce(ST_Area(u.geom) / 10000.0, 0), updated_at = now()
FROM (
    SELECT c2.id,
           (SELECT ST_Multi(ST_CollectionExtract(ST_Union(a.geom_27700), 3))
            FROM layers_customarea_members AS m JOIN layers_area AS a ON a.id = m.area_id
            WHERE m.customarea_id = c2.id) AS geom
    FROM layers_customarea AS c2
    WHERE c2.id = ANY(%(custom_area_ids)s)
) AS u
WHERE c.id = u.id

-- name: ids_for_level
SELECT id FROM layers_customarea WHERE base_level_id = %(base_level_id)s
