-- Incident points -> counts per area, in PostGIS. Raw SQL: a spatial join with a
-- per-point LATERAL pick, so a point on a shared boundary is counted once (in the area
-- with the lowest code). Points are never stored: only the counts leave this temp table.
-- Parameters: %(level_id)s

-- name: create_stage
CREATE TEMP TABLE points_stage (
    row_number int, x float8, y float8, srid int, indicator text, period text
) ON COMMIT DROP

-- name: assign
CREATE TEMP TABLE points_assigned ON COMMIT DROP AS
SELECT s.row_number, s.indicator, s.period, a.id AS area_id
FROM points_stage AS s
CROSS JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(s.x, s.y), s.srid), 27700) AS pt) AS p
LEFT JOIN LATERAL (
    SELECT a.id FROM layers_area AS a
    WHERE a.level_id = %(level_id)s AND ST_Intersects(a.geom_27700, p.pt)
    ORDER BY a.gss_code LIMIT 1
) AS a ON true

-- name: counts
SELECT area_id, indicator, period, count(*) FROM points_assigned
WHERE area_id IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3

-- name: outside
SELECT count(*) OVER (), row_number FROM points_assigned WHERE area_id IS NULL
ORDER BY row_number LIMIT 20
