-- A level's extent in web mercator (EPSG:3857), for warming its tiles. Raw SQL so the
-- extent is taken in 27700 and only its box is transformed.
-- Parameters: %(level_id)s
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
FROM (
    SELECT ST_Transform(ST_SetSRID(ST_Extent(a.geom_27700)::geometry, 27700), 3857) AS b
    FROM layers_area AS a
    WHERE a.level_id = %(level_id)s
) AS e
WHERE b IS NOT NULL
