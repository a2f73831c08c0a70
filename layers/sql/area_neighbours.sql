-- Queen contiguity between the areas of one level, for Gi* hot spots (layers/scanning.py):
-- two areas are neighbours when their boundaries meet at an edge or a single point.
-- Published boundaries are generalised, so shared edges may leave slivers of a few
-- centimetres or overlap slightly: "meet" is within 1 metre (British National Grid), not
-- ST_Touches, which would miss both. Raw SQL because the self-join on the spatial index
-- has no ORM form. Parameters: %(level_id)s
SELECT a.gss_code, b.gss_code
FROM layers_area AS a
JOIN layers_area AS b
  ON b.level_id = a.level_id
 AND b.id <> a.id
 AND ST_DWithin(a.geom_27700, b.geom_27700, 1.0)
WHERE a.level_id = %(level_id)s
ORDER BY a.gss_code, b.gss_code
