-- The areas of one level a drawn polygon chooses: those whose point on surface lies
-- inside it (DISCLOSURE.md 6.1: a drawn shape never cuts an LSOA; it snaps to whole
-- ones). Raw SQL because the GeoJSON parse, reprojection, repair and the
-- point-on-surface test are one statement here. The polygon was checked in
-- layers.domain.custom_areas.polygon_rings before it gets here.
-- Parameters: %(level_id)s %(polygon)s (GeoJSON Polygon text, longitude/latitude)
WITH drawn AS (
    SELECT ST_CollectionExtract(
               ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(%(polygon)s), 4326), 27700)),
               3) AS geom
)
SELECT a.gss_code, a.name
FROM layers_area AS a, drawn
WHERE a.level_id = %(level_id)s
  AND a.geom_27700 && drawn.geom
  AND ST_Intersects(drawn.geom, ST_PointOnSurface(a.geom_27700))
ORDER BY a.gss_code
