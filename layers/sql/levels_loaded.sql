-- The levels that have boundaries, with their area count and lon/lat extent, for the
-- map's level picker. Raw SQL so the extent is taken in 27700 and only its box is
-- transformed (transforming every area would cost seconds at national scale).
SELECT l.slug, l.name, l.kind, l.boundary_version, s.n,
       ST_XMin(s.box), ST_YMin(s.box), ST_XMax(s.box), ST_YMax(s.box)
FROM layers_geographylevel AS l
JOIN LATERAL (
    SELECT count(*) AS n,
           ST_Transform(ST_SetSRID(ST_Extent(a.geom_27700)::geometry, 27700), 4326) AS box
    FROM layers_area AS a
    WHERE a.level_id = l.id
) AS s ON s.n > 0
