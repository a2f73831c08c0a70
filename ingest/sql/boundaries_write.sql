-- Writing a level's boundaries. Raw SQL because it stages with COPY and rebuilds the
-- simplified tile copies with PostGIS functions that have no ORM form.
-- Run in one transaction by ingest/pipeline/stage.py; every statement takes bind
-- parameters only: %(level_id)s, %(bands)s, %(tolerances)s, %(version)s, %(source)s.

-- name: create_stage
-- Dropped first: several writes may share one outer transaction (a test, a generator).
DROP TABLE IF EXISTS boundary_stage;
CREATE TEMP TABLE boundary_stage (
    gss_code text PRIMARY KEY,
    name text NOT NULL,
    wkb bytea NOT NULL
) ON COMMIT DROP

-- name: upsert_areas
-- Upsert by (level, code) so area ids stay stable and custom areas keep their members.
INSERT INTO layers_area (level_id, gss_code, name, geom_27700, area_ha)
SELECT %(level_id)s, s.gss_code, s.name, g.geom, ST_Area(g.geom) / 10000.0
FROM boundary_stage AS s
CROSS JOIN LATERAL (SELECT ST_Multi(ST_GeomFromWKB(s.wkb, 27700)) AS geom) AS g
ON CONFLICT (level_id, gss_code) DO UPDATE
SET name = EXCLUDED.name, geom_27700 = EXCLUDED.geom_27700, area_ha = EXCLUDED.area_ha

-- name: count_removed
SELECT count(*) FROM layers_area AS a
WHERE a.level_id = %(level_id)s
  AND NOT EXISTS (SELECT 1 FROM boundary_stage AS s WHERE s.gss_code = a.gss_code)

-- name: delete_shapes
DELETE FROM layers_areashape WHERE level_id = %(level_id)s

-- name: delete_removed_memberships
DELETE FROM layers_customarea_members AS m
USING layers_area AS a
WHERE m.area_id = a.id AND a.level_id = %(level_id)s
  AND NOT EXISTS (SELECT 1 FROM boundary_stage AS s WHERE s.gss_code = a.gss_code)

-- name: delete_removed_areas
DELETE FROM layers_area AS a
WHERE a.level_id = %(level_id)s
  AND NOT EXISTS (SELECT 1 FROM boundary_stage AS s WHERE s.gss_code = a.gss_code)

-- name: build_shapes
-- One simplified web-mercator copy per zoom band (layers/domain/tiles.py). ST_Simplify
-- drops polygons that collapse below the band's tolerance: too small to draw there.
INSERT INTO layers_areashape (area_id, level_id, zoom_band, geom_3857)
SELECT a.id, a.level_id, b.band, s.shape
FROM layers_area AS a
CROSS JOIN unnest(%(bands)s::int[], %(tolerances)s::float8[]) AS b(band, tolerance)
CROSS JOIN LATERAL (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(
        ST_Simplify(ST_Transform(a.geom_27700, 3857), b.tolerance)), 3)) AS shape
) AS s
WHERE a.level_id = %(level_id)s AND s.shape IS NOT NULL AND NOT ST_IsEmpty(s.shape)

-- name: mark_level
UPDATE layers_geographylevel
SET boundary_version = %(version)s, boundaries_loaded_at = now(), boundary_source = %(source)s,
    derived_from_id = %(derived_from)s
WHERE id = %(level_id)s

-- name: stage_dissolved
-- A derived level: each parent is the union of its children along an exact lookup.
INSERT INTO boundary_stage (gss_code, name, wkb)
SELECT l.parent_code,
       coalesce(nullif(max(l.parent_name), ''), l.parent_code),
       ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Union(a.geom_27700), 3)))
FROM layers_lookup AS l
JOIN layers_area AS a ON a.level_id = l.child_level_id AND a.gss_code = l.child_code
WHERE l.child_level_id = %(child_level_id)s AND l.parent_level_id = %(level_id)s
GROUP BY l.parent_code
