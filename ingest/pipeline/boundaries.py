"""Check a boundary file against a level and turn it into rows ready to store.

Steps: find the code and name columns, reproject to EPSG:27700 and check the result
lies in Great Britain, check every code (present, unique, of the level's GSS prefix),
repair invalid geometry (counted and reported), and keep polygons only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from ingest.pipeline.report import Report
from layers.domain.levels import Level, code_fits_level, level_slug_for_column

BNG = 27700
# British National Grid extent with a margin (Shetland reaches about 1,220 km north).
GB_BOUNDS = (-100_000.0, -100_000.0, 800_000.0, 1_300_000.0)
PROGRESS_FROM = 2_000


@dataclass(frozen=True, slots=True)
class BoundaryRow:
    gss_code: str
    name: str
    wkb: bytes


def guess_field(columns: list[str], level: Level, suffix: str) -> str | None:
    """The ONS-style column for this level (`LSOA11CD`), else the only `*CD` column."""
    by_level = [
        c
        for c in columns
        if (parsed := level_slug_for_column(c)) and parsed == (level.slug, suffix)
    ]
    if len(by_level) == 1:
        return by_level[0]
    same_kind = [
        c
        for c in columns
        if (parsed := level_slug_for_column(c))
        and parsed[0].startswith(level.kind.value)
        and parsed[1] == suffix
    ]
    if len(same_kind) == 1:
        return same_kind[0]
    generic = [c for c in columns if c.upper().endswith(suffix)]
    if len(generic) == 1:
        return generic[0]
    lowered = {"CD": ("code", "gss_code", "areacode"), "NM": ("name", "areaname")}[suffix]
    plain = [c for c in columns if c.lower() in lowered]
    return plain[0] if len(plain) == 1 else None


def _polygons_only(geom: BaseGeometry) -> MultiPolygon | None:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for part in parts:
        polys.extend([part] if isinstance(part, Polygon) else list(part.geoms))
    return MultiPolygon(polys) if polys else None


def _progress(items: list[int], label: str) -> Iterator[int]:
    return iter(tqdm(items, desc=label, unit=" features", disable=len(items) < PROGRESS_FROM))


def check_boundaries(
    frame: gpd.GeoDataFrame,
    *,
    level: Level,
    file_label: str,
    code_field: str | None = None,
    name_field: str | None = None,
    crs: str | None = None,
) -> tuple[Report, list[BoundaryRow]]:
    """Check `frame` as the boundaries of `level`; rows are returned only when it passes."""
    report = Report(f"Boundaries for {level.slug} from {file_label}")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    report.notes.append(f"{len(frame)} feature(s); columns: {', '.join(columns)}")
    if len(frame) == 0:
        report.add("the file has no features")
        return report, []

    code_field = code_field or guess_field(columns, level, "CD")
    name_field = name_field or guess_field(columns, level, "NM")
    for option, chosen, suffix in (
        ("--code-field", code_field, "CD"),
        ("--name-field", name_field, "NM"),
    ):
        if chosen is None:
            what = "codes" if suffix == "CD" else "names"
            report.add(f"cannot tell which column holds the area {what}; name it with {option}")
        elif chosen not in columns:
            report.add(f"no column {chosen!r} in the file (it has: {', '.join(columns)})")
    if not report.ok:
        return report, []
    assert code_field is not None and name_field is not None  # noqa: S101 (checked above)
    report.notes.append(f"codes from column {code_field}, names from column {name_field}")

    # Coordinate reference system: the one declared, or --crs; then British National Grid.
    source_crs = frame.crs
    if crs is not None:
        try:
            source_crs = CRS.from_user_input(crs)
        except CRSError:
            report.add(f"--crs {crs!r} is not a coordinate reference system pyproj knows")
            return report, []
        frame = frame.set_crs(source_crs, allow_override=True)
    if source_crs is None:
        report.add(
            "the file does not say its coordinate reference system; "
            "give it with --crs (e.g. --crs EPSG:27700)"
        )
        return report, []
    epsg = CRS.from_user_input(source_crs).to_epsg()
    report.notes.append(
        f"read as {('EPSG:' + str(epsg)) if epsg else source_crs.name}, stored as EPSG:27700"
    )
    frame = frame.to_crs(BNG) if epsg != BNG else frame
    minx, miny, maxx, maxy = frame.total_bounds
    gx0, gy0, gx1, gy1 = GB_BOUNDS
    if not (gx0 <= minx and gy0 <= miny and maxx <= gx1 and maxy <= gy1):
        report.add(
            f"the coordinates do not fall in Great Britain when read as "
            f"{('EPSG:' + str(epsg)) if epsg else source_crs.name} (British National Grid "
            f"bounds {minx:.0f},{miny:.0f} to {maxx:.0f},{maxy:.0f}): the file's coordinate "
            "reference system is wrong or missing; correct it or give --crs"
        )
        return report, []

    codes = [
        "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        for v in frame[code_field]
    ]
    names = [
        "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        for v in frame[name_field]
    ]
    first_row: dict[str, int] = {}
    counts = Counter(codes)
    geoms = list(frame.geometry)
    rows: list[BoundaryRow] = []
    n_repaired = 0
    for i in _progress(list(range(len(frame))), "checking"):
        feature = i + 1
        code = codes[i]
        where = {"row": feature, "row_label": "feature"}
        if not code:
            report.add("missing area code", column=code_field, value="", **where)
            continue
        if counts[code] > 1:
            if code in first_row:
                report.add(
                    f"duplicate code (first on feature {first_row[code]})",
                    column=code_field,
                    value=code,
                    **where,
                )
                continue
            first_row[code] = feature
        if not code_fits_level(code, level):
            report.add(
                f"not a {level.slug} code: expected a 9-character GSS code starting "
                f"{' or '.join(level.gss_prefixes)}",
                column=code_field,
                value=code,
                **where,
            )
            continue
        if not names[i]:
            report.add("missing area name", column=name_field, value="", **where)
            continue
        geom = geoms[i]
        if geom is None or geom.is_empty:
            report.add("missing geometry", column="geometry", value=code, **where)
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            n_repaired += 1
        polygons = _polygons_only(geom)
        if polygons is None or polygons.is_empty:
            report.add(
                f"geometry is a {geom.geom_type}, not a polygon",
                column="geometry",
                value=code,
                **where,
            )
            continue
        rows.append(BoundaryRow(code, names[i], shapely.to_wkb(polygons)))
    report.notes.append(f"{n_repaired} invalid geometr{'y' if n_repaired == 1 else 'ies'} repaired")
    return report, (rows if report.ok else [])
