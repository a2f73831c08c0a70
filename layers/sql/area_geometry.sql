-- Area outlines as GeoJSON geometry in lon/lat, simplified in British National Grid
-- metres first. Raw SQL because ST_AsGeoJSON with a precision and a simplification
-- tolerance per request is one call here and several ORM expressions otherwise.
-- Parameters: %(level_id)s %(codes)s (text[]) %(simplify)s (metres, 0 = exact)
-- %(precision)s (decimal places)
SELECT a.gss_code,
       ST_AsGeoJSON(
           ST_Transform(
               CASE WHEN %(simplify)s > 0
                    THEN ST_SimplifyPreserveTopology(a.geom_27700, %(simplify)s)
                    ELSE a.geom_27700 END,
               4326),
           %(precision)s)
FROM layers_area AS a
WHERE a.level_id = %(level_id)s AND a.gss_code = ANY(%(codes)s)
