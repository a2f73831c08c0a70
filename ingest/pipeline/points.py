"""Incident points (CSV with easting/northing or longitude/latitude, or GeoJSON /
GeoPackage / zipped Shapefile points) -> counts per area of the dataset's level.

The points are joined to areas in PostGIS and only the counts are kept. Points that
fall in no area are reported with their rows, never dropped silently.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from django.db import connection

from ingest.formats.vector import UnreadableFile, read_vector
from ingest.pipeline.detect import FileRefused, extract_zip
from ingest.pipeline.parse import ParseError, Rows, read_table
from ingest.pipeline.report import Problem
from ingest.pipeline.validate import Context, Outcome, Record
from layers.domain.periods import PeriodError, parse_period
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "points_aggregate.sql")
GEO_FORMATS = {"geojson", "gpkg", "shp-zip"}
_XY = {
    ("easting", "northing"): 27700,
    ("x", "y"): 27700,
    ("longitude", "latitude"): 4326,
    ("lon", "lat"): 4326,
    ("long", "lat"): 4326,
    ("lng", "lat"): 4326,
}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def coordinate_columns(header: list[str]) -> tuple[int, int, int] | None:
    """(x column, y column, SRID) when the header names point coordinates."""
    names = [_norm(h) for h in header]
    for (x, y), srid in _XY.items():
        if x in names and y in names:
            return names.index(x), names.index(y), srid
    return None


def is_points(file_format: str, header: list[str] | None) -> bool:
    return file_format in GEO_FORMATS or (
        header is not None and coordinate_columns(header) is not None
    )


@dataclass(slots=True)
class PointRows:
    header: list[str]
    rows: list[tuple[int, float, float, int, str, str]] = field(default_factory=list)
    unit: str = "row"  # what a row number counts: CSV rows, or a vector file's features


def _column(header: list[str], names: set[str], override: str | None) -> int | None:
    if override:
        return header.index(override) if override in header else None
    normalised = [_norm(h) for h in header]
    hits = [i for i, n in enumerate(normalised) if n in names]
    return hits[0] if hits else None


def read_points(
    path: Path,
    file_format: str,
    *,
    indicator: str | None,
    period: str | None,
    columns: dict[str, str],
    outcome: Outcome,
    problem,
) -> PointRows | None:  # type: ignore[no-untyped-def]
    """Every point with its row, coordinates, SRID, indicator and period text."""
    if file_format in GEO_FORMATS:
        try:
            frame = _read_geo(path, file_format)
        except (UnreadableFile, FileRefused) as exc:
            outcome.problems.append(Problem(str(exc)))
            outcome.n_problems += 1
            return None
        if frame.crs is None:
            outcome.problems.append(
                Problem("the file does not say its coordinate reference system")
            )
            outcome.n_problems += 1
            return None
        epsg = frame.crs.to_epsg() or 4326
        header = [c for c in frame.columns if c != frame.geometry.name]
        # Rows of a vector file are its features, numbered from 1 (report.Problem).
        table: Rows = (
            (i + 1, [*(str(v) if v is not None else "" for v in rec), geom])  # type: ignore[misc]
            for i, (rec, geom) in enumerate(
                zip(frame[header].itertuples(index=False), frame.geometry, strict=True)
            )
        )
        xy = None
    else:
        try:
            header, table = read_table(path, file_format)
        except ParseError as exc:
            outcome.problems.append(Problem(str(exc)))
            outcome.n_problems += 1
            return None
        xy = coordinate_columns(header)
        epsg = xy[2] if xy else 27700
    ind_col = _column(
        header, {"indicator", "indicatorslug", "offence", "category"}, columns.get("indicator")
    )
    per_col = _column(header, {"period", "month", "date", "year", "quarter"}, columns.get("period"))
    if ind_col is None and not indicator:
        outcome.problems.append(
            Problem("points need an indicator column or --indicator SLUG", row=1)
        )
        outcome.n_problems += 1
        return None
    points = PointRows(header, unit="feature" if xy is None else "row")
    for number, cells in table:
        outcome.n_rows += 1
        if xy is None:
            geom = cells[-1]
            if geom is None or geom.is_empty or geom.geom_type != "Point":
                problem(
                    f"not a point ({getattr(geom, 'geom_type', 'no geometry')})", number, None, ""
                )
                continue
            x, y = geom.x, geom.y
        else:
            try:
                x, y = float(cells[xy[0]]), float(cells[xy[1]])
            except (ValueError, IndexError):
                bad = xy[0] if not _is_float(cells, xy[0]) else xy[1]
                problem(
                    "coordinate is not a number",
                    number,
                    bad,
                    cells[bad] if bad < len(cells) else "",
                )
                continue
        slug = cells[ind_col].strip() if ind_col is not None else str(indicator)
        when = cells[per_col].strip() if per_col is not None else (period or "")
        points.rows.append((number, x, y, epsg, slug, when))
    return points


def _read_geo(path: Path, file_format: str) -> gpd.GeoDataFrame:
    """A zipped Shapefile is unpacked by our checked extractor (bounded by the declared
    sizes, nothing outside its folder), never handed to GDAL as an archive."""
    if file_format == "gpkg":
        # The kept file is named by its hash; GDAL expects a GeoPackage's name to end
        # in .gpkg (and warns otherwise).
        with tempfile.TemporaryDirectory(prefix="gpkg-") as folder:
            link = Path(folder) / "upload.gpkg"
            link.symlink_to(path.resolve())
            return read_vector(link)
    if file_format != "shp-zip":
        return read_vector(path)
    with tempfile.TemporaryDirectory(prefix="shp-") as folder:
        shapes = [p for p in extract_zip(path, Path(folder)) if p.suffix.lower() == ".shp"]
        if len(shapes) != 1:
            raise UnreadableFile(f"the archive should hold one shapefile (.shp), not {len(shapes)}")
        return read_vector(shapes[0])


def _is_float(cells: list[str], index: int) -> bool:
    try:
        float(cells[index])
    except (ValueError, IndexError):
        return False
    return True


def aggregate(
    points: PointRows, context: Context, level_id: int, outcome: Outcome, problem
) -> Iterator[Record]:  # type: ignore[no-untyped-def]
    """Counts per (area, indicator, period), after checking indicators and periods."""
    good = []
    for number, x, y, srid, slug, when in points.rows:
        info = context.indicators.get(slug)
        if info is None:
            problem(
                "unknown indicator (the dataset has: "
                + ", ".join(sorted(context.indicators))
                + ")",
                number,
                None,
                slug,
            )
            continue
        if info.measure != "count":
            problem(f"points can only make counts; {slug} is a {info.measure}", number, None, slug)
            continue
        if not when:
            problem("no period: add a period column or give --period", number, None, "")
            continue
        try:
            parsed = parse_period(when)
        except PeriodError as exc:
            problem(f"period not understood: {str(exc).split(': ', 1)[-1]}", number, None, when)
            continue
        outcome.periods[parsed.code] = parsed
        good.append((number, x, y, srid, slug, parsed.code))
    if outcome.n_problems or not good:
        return
    with connection.cursor() as cursor:
        cursor.execute(_SQL["create_stage"])
        with cursor.copy("COPY points_stage FROM STDIN") as copy:
            for row in good:
                copy.write_row(row)
        cursor.execute(_SQL["assign"], {"level_id": level_id})
        cursor.execute(_SQL["outside"])
        outside = cursor.fetchall()
        cursor.execute(_SQL["counts"])
        counts = cursor.fetchall()
    if outside:
        rows = ", ".join(str(r) for _, r in outside)
        outcome.warnings.append(
            f"{outside[0][0]:,} point(s) fall in no {context.level_slug} "
            f"area and were not counted ({points.unit}s {rows}"
            + (" …" if outside[0][0] > len(outside) else "")
            + ")"
        )
    for area_id, slug, period_code, n in counts:
        outcome.area_ids_seen.add(area_id)
        outcome.n_records += 1
        yield (context.indicators[slug].id, area_id, period_code, float(n), None, None)
