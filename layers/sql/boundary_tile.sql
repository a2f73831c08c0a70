-- Public boundary geometry only: code and name, never a value. Values are joined in
-- the browser by gss_code (DESIGN.md "Map"). Raw SQL because ST_AsMVT has no ORM form.
-- Served from the copy pre-simplified for the zoom band (layers/domain/tiles.py).
-- Parameters: %(level_id)s %(band)s %(z)s %(x)s %(y)s
WITH bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom
),
shapes AS (
    SELECT a.gss_code, a.name,
           ST_AsMVTGeom(s.geom_3857, bounds.geom, 4096, 64, true) AS geom
    FROM layers_areashape AS s
    JOIN layers_area AS a ON a.id = s.area_id
    CROSS JOIN bounds
    WHERE s.level_id = %(level_id)s AND s.zoom_band = %(band)s AND s.geom_3857 && bounds.geom
)
-- No `WHERE geom IS NOT NULL` here: ST_AsMVT already skips rows whose geometry clipped
-- to nothing, and such a filter is pushed down into the scan, where it made PostgreSQL
-- run ST_AsMVTGeom twice for every shape (half the time of a tile at national size).
SELECT ST_AsMVT(shapes, 'areas', 4096, 'geom') FROM shapes
