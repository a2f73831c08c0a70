"""What makes a custom area's definition acceptable (pure).

A custom area (a neighbourhood) is a named set of whole LSOAs (DISCLOSURE.md 6.1: built
from permitted units, never from OAs or a drawn polygon that cuts LSOAs). Its figures are
sums of published LSOA figures only (6.2, `sum_of_published`), so it adds no disclosure
risk; the minimum number of constituents (section 3, `custom_areas.min_constituents`,
default 3) keeps a "neighbourhood" from being one or two LSOAs under another name.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from layers.domain.errors import ParamError
from layers.domain.levels import Level, LevelKind

MIN_CONSTITUENTS = 3
MAX_CONSTITUENTS = 5000
MAX_NAME_LENGTH = 200
_LISTED = 10  # codes named in one message; the count says how many more


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, naming the field at fault."""

    parameter: str
    message: str


class DefinitionError(ParamError):
    """A custom area's definition has problems; `problems` lists every one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems), parameter=problems[0].parameter)
        self.problems = list(problems)


def _listed(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:_LISTED])
    return shown + (f" and {len(codes) - _LISTED} more" if len(codes) > _LISTED else "")


def check_definition(
    *,
    name: str,
    codes: Sequence[object],
    levels_of: Mapping[str, set[str]],
    base_level: Level,
    min_constituents: int = MIN_CONSTITUENTS,
) -> list[Problem]:
    """Every problem with a definition (empty when it is acceptable).

    - `name`: required, one line of printable text, at most MAX_NAME_LENGTH characters;
    - `codes`: text codes, each once, each an area of `base_level` (an LSOA level):
      codes no level knows are named as unknown, codes of another level as such, with
      that level; at least `min_constituents` and at most MAX_CONSTITUENTS of them.

    `levels_of` maps each known code to the slugs of the levels it is an area of.
    """
    problems: list[Problem] = []
    if not name or not name.strip():
        problems.append(Problem("name", "name is required"))
    elif len(name.strip()) > MAX_NAME_LENGTH:
        problems.append(Problem("name", f"name must be at most {MAX_NAME_LENGTH} characters"))
    elif any(not ch.isprintable() for ch in name.strip()):
        # A name goes into titles, file headers and spreadsheets: one line of text.
        problems.append(Problem("name", "name must be one line of text (no line breaks or tabs)"))
    if base_level.kind is not LevelKind.LSOA:
        problems.append(
            Problem("base_level", f"custom areas are built from LSOAs, not {base_level.slug}")
        )
    not_text = [c for c in codes if not isinstance(c, str) or not c]
    if not_text:
        problems.append(Problem("codes", "codes must be non-empty strings (GSS codes)"))
    texts = [c for c in codes if isinstance(c, str) and c]
    repeated = sorted(code for code, n in Counter(texts).items() if n > 1)
    if repeated:
        problems.append(Problem("codes", f"codes given more than once: {_listed(repeated)}"))
    distinct = sorted(set(texts))
    unknown = [c for c in distinct if c not in levels_of]
    if unknown:
        problems.append(Problem("codes", f"unknown area codes: {_listed(unknown)}"))
    elsewhere = [
        f"{c} ({', '.join(sorted(levels_of[c]))})"
        for c in distinct
        if c in levels_of and base_level.slug not in levels_of[c]
    ]
    if elsewhere:
        problems.append(Problem("codes", f"not {base_level.slug} areas: {_listed(elsewhere)}"))
    if len(distinct) < min_constituents:
        problems.append(
            Problem(
                "codes",
                f"a custom area needs at least {min_constituents} {base_level.slug} areas, "
                f"not {len(distinct)}",
            )
        )
    if len(distinct) > MAX_CONSTITUENTS:
        problems.append(
            Problem("codes", f"a custom area may have at most {MAX_CONSTITUENTS} areas")
        )
    return problems


# A GSS code: a country letter and eight digits (E01013378). Used only to find the column
# of codes in a pasted or uploaded list; the definition check decides what is a known area.
_GSS = re.compile(r"^[EWSNK]\d{8}$")
_LSOA = re.compile(r"^[EW]01\d{6}$")
_SEPARATORS = re.compile(r"[\s,;|]+")
MAX_POLYGON_POSITIONS = 2000


def parse_code_list(text: str) -> list[str]:
    """The area codes in a pasted or uploaded list, in order.

    Accepts codes separated by new lines, commas, semicolons or spaces, or a CSV file
    (such as an ONS lookup) whose column holding the most GSS-looking codes is taken. A
    first line without any GSS-looking code is a header and is skipped. Other entries
    are kept as they are, so the definition check names them as unknown codes rather
    than them vanishing.
    """
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    # A table: several lines of comma-separated cells (a lookup file); one line of codes
    # separated by commas is a list, not a table.
    if len(rows) > 1 and "," in lines[0] and any(len(row) > 1 for row in rows):
        width = max(len(row) for row in rows)

        def hits(i: int, pattern: re.Pattern[str]) -> int:
            return sum(1 for row in rows if i < len(row) and pattern.match(row[i].strip()))

        # The column with the most LSOA codes (E01, W01), else the most GSS codes.
        column = max(range(width), key=lambda i: (hits(i, _LSOA), hits(i, _GSS), -i))
        if hits(column, _GSS):
            cells = [row[column].strip() if column < len(row) else "" for row in rows]
            if not _GSS.match(cells[0]):
                cells = cells[1:]
            return [c.strip("\"'") for c in cells if c]
    tokens_by_line = [
        [t.strip("\"'") for t in _SEPARATORS.split(line) if t.strip("\"'")] for line in lines
    ]
    if len(tokens_by_line) > 1 and not any(_GSS.match(t) for t in tokens_by_line[0]):
        tokens_by_line = tokens_by_line[1:]
    return [t for tokens in tokens_by_line for t in tokens]


def polygon_rings(shape: Any) -> list[list[tuple[float, float]]]:
    """The rings of a drawn polygon (GeoJSON Polygon geometry in longitude/latitude),
    checked: a ParamError names what is wrong (DISCLOSURE.md 6.1: a drawn polygon only
    chooses whole LSOAs; it never becomes a boundary itself).

    The outer ring needs at least three distinct corners; each position is a pair of
    finite numbers within longitude -180..180 and latitude -90..90; at most
    MAX_POLYGON_POSITIONS positions in all. An open ring is closed.
    """
    if not isinstance(shape, dict) or shape.get("type") != "Polygon":
        raise ParamError("the drawn shape must be a GeoJSON Polygon", parameter="polygon")
    coordinates = shape.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ParamError("the polygon has no coordinates", parameter="polygon")
    rings: list[list[tuple[float, float]]] = []
    total = 0
    for n, ring in enumerate(coordinates):
        if not isinstance(ring, list):
            raise ParamError(f"ring {n + 1} is not a list of positions", parameter="polygon")
        points: list[tuple[float, float]] = []
        for position in ring:
            if (
                not isinstance(position, list | tuple)
                or len(position) < 2
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2]
                )
                or not all(math.isfinite(v) for v in position[:2])
            ):
                raise ParamError(
                    f"ring {n + 1}: every position must be [longitude, latitude]",
                    parameter="polygon",
                )
            lon, lat = float(position[0]), float(position[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ParamError(
                    f"ring {n + 1}: {lon}, {lat} is not a longitude and latitude",
                    parameter="polygon",
                )
            points.append((lon, lat))
        total += len(points)
        if total > MAX_POLYGON_POSITIONS:
            raise ParamError(
                f"the polygon has more than {MAX_POLYGON_POSITIONS} corners", parameter="polygon"
            )
        if points and points[0] != points[-1]:
            points.append(points[0])
        if len(set(points)) < 3:
            raise ParamError(
                f"ring {n + 1} needs at least three different corners", parameter="polygon"
            )
        rings.append(points)
    return rings
