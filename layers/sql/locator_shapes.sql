-- Outlines for a profile's locator map (public boundaries only, never a figure), as
-- GeoJSON geometry in the SRID asked for (27700 for drawn SVG, 4326 for web maps),
-- simplified in British National Grid metres first. Raw SQL for the same reason as
-- area_geometry.sql: simplify, reproject and serialise in one call.
-- Only each part's outer ring is kept, and parts smaller than %(min_area)s square
-- metres are dropped (the whole shape is kept when every part is that small): districts
-- dissolved from generalised LSOAs carry thousands of sliver holes nobody can see on a
-- locator map, and each would cost the PDF renderer time.

-- name: areas
-- Parameters: %(level_id)s %(codes)s (text[]) %(simplify)s (metres) %(min_area)s (m2)
-- %(srid)s %(precision)s, and %(minx)s %(miny)s %(maxx)s %(maxy)s: only areas touching
-- that box (British National Grid metres), the part of the map that will be drawn
SELECT a.gss_code, a.name,
       ST_AsGeoJSON(
           ST_Transform(
               ST_SimplifyPreserveTopology(
                   coalesce(
                       (SELECT ST_Collect(ST_MakePolygon(ST_ExteriorRing(d.geom)))
                        FROM ST_Dump(a.geom_27700) AS d
                        WHERE ST_Area(d.geom) >= %(min_area)s),
                       a.geom_27700),
                   %(simplify)s),
               %(srid)s),
           %(precision)s)
FROM layers_area AS a
WHERE a.level_id = %(level_id)s AND a.gss_code = ANY(%(codes)s)
  AND a.geom_27700 && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 27700)
ORDER BY a.gss_code

-- name: custom_area
-- Parameters: %(custom_area_id)s %(simplify)s (metres) %(min_area)s (m2) %(srid)s
-- %(precision)s
SELECT ST_AsGeoJSON(
           ST_Transform(
               ST_SimplifyPreserveTopology(
                   coalesce(
                       (SELECT ST_Collect(ST_MakePolygon(ST_ExteriorRing(d.geom)))
                        FROM ST_Dump(c.geom_27700) AS d
                        WHERE ST_Area(d.geom) >= %(min_area)s),
                       c.geom_27700),
                   %(simplify)s),
               %(srid)s),
           %(precision)s)
FROM layers_customarea AS c
WHERE c.id = %(custom_area_id)s AND c.geom_27700 IS NOT NULL
