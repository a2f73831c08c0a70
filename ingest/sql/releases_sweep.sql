-- Finding releases whose worker died. Raw SQL because advisory locks and the catalogue
-- have no ORM form. A running upload holds a session advisory lock on its release (class
-- 4, the release id) for as long as run() works on it; a killed worker's connection is
-- gone, and its lock with it. Parameters: %(release_id)s %(table)s.

-- name: lock_release
SELECT pg_advisory_lock(4, %(release_id)s::int)

-- name: unlock_release
SELECT pg_advisory_unlock(4, %(release_id)s::int)

-- name: try_lock_release
-- Held until the sweeping transaction ends; false while an upload still works on it.
SELECT pg_try_advisory_xact_lock(4, %(release_id)s::int)

-- name: leftover_table
-- A release's own table, if it is still there and not a partition of layers_value (a
-- published release's values are never touched here).
SELECT c.relname FROM pg_class AS c
WHERE c.oid = to_regclass(%(table)s) AND NOT c.relispartition
