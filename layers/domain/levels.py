"""Geography levels: the boundary sets values sit on, ordered fine to coarse.

Pure: no Django. The levels themselves are data (the `layers_geographylevel` table,
seeded from KNOWN_LEVELS); this module holds the rules about them: what a GSS code of a
level looks like, which level is finer, and how an ONS column name names a level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class LevelKind(StrEnum):
    """The kinds of boundary set, each with editions (DESIGN.md "Domain")."""

    OA = "oa"
    LSOA = "lsoa"
    MSOA = "msoa"
    WARD = "ward"
    LAD = "lad"


# Fine to coarse. Wards and MSOAs are of a similar size and neither nests in the other,
# so they share a rank: an agreement whose finest level is one allows the other.
KIND_RANK: dict[LevelKind, int] = {
    LevelKind.OA: 0,
    LevelKind.LSOA: 1,
    LevelKind.MSOA: 2,
    LevelKind.WARD: 2,
    LevelKind.LAD: 3,
}

# GSS entity codes (ONS Register of Geographic Codes): England E.., Wales W...
GSS_PREFIXES: dict[LevelKind, tuple[str, ...]] = {
    LevelKind.OA: ("E00", "W00"),
    LevelKind.LSOA: ("E01", "W01"),
    LevelKind.MSOA: ("E02", "W02"),
    LevelKind.WARD: ("E05", "W05"),
    LevelKind.LAD: ("E06", "E07", "E08", "E09", "W06"),
}

# The column stems ONS uses in its lookups and boundary files: LSOA21CD, WD24CD, LAD19NM.
_COLUMN_STEMS: dict[str, LevelKind] = {
    "OA": LevelKind.OA,
    "LSOA": LevelKind.LSOA,
    "MSOA": LevelKind.MSOA,
    "WD": LevelKind.WARD,
    "LAD": LevelKind.LAD,
}
_COLUMN_RE = re.compile(r"^(OA|LSOA|MSOA|WD|LAD)(\d{2})(CD|NM)$", re.IGNORECASE)
_GSS_RE = re.compile(r"^[EWSNK]\d{8}$")


@dataclass(frozen=True, slots=True)
class Level:
    """A boundary set with an edition, e.g. `lsoa21`."""

    slug: str
    kind: LevelKind
    edition: int
    name: str

    @property
    def rank(self) -> int:
        """Position fine (0) to coarse."""
        return KIND_RANK[self.kind]

    @property
    def gss_prefixes(self) -> tuple[str, ...]:
        """The GSS code prefixes an area of this level may carry."""
        return GSS_PREFIXES[self.kind]

    def is_finer_than(self, other: Level) -> bool:
        """True when this level is strictly finer than `other` (OA finer than LSOA ...)."""
        return self.rank < other.rank


def _level(kind: LevelKind, yy: int, label: str) -> Level:
    return Level(slug=f"{kind.value}{yy:02d}", kind=kind, edition=2000 + yy, name=label)


KNOWN_LEVELS: tuple[Level, ...] = (
    _level(LevelKind.OA, 11, "Output Areas (2011)"),
    _level(LevelKind.LSOA, 11, "Lower layer Super Output Areas (2011)"),
    _level(LevelKind.MSOA, 11, "Middle layer Super Output Areas (2011)"),
    _level(LevelKind.WARD, 13, "Electoral wards (2013)"),
    _level(LevelKind.LAD, 19, "Local authority districts (2019)"),
    _level(LevelKind.OA, 21, "Output Areas (2021)"),
    _level(LevelKind.LSOA, 21, "Lower layer Super Output Areas (2021)"),
    _level(LevelKind.MSOA, 21, "Middle layer Super Output Areas (2021)"),
    _level(LevelKind.WARD, 24, "Electoral wards (2024)"),
    _level(LevelKind.LAD, 24, "Local authority districts (2024)"),
)


def sort_fine_to_coarse(levels: list[Level]) -> list[Level]:
    """Levels ordered fine to coarse (MSOA before ward), newest edition first, then by slug."""
    kinds = list(LevelKind)
    return sorted(levels, key=lambda lv: (lv.rank, kinds.index(lv.kind), -lv.edition, lv.slug))


def is_gss_code(code: str) -> bool:
    """True for a well-formed 9-character GSS code such as E01000001."""
    return bool(_GSS_RE.match(code))


def code_fits_level(code: str, level: Level) -> bool:
    """True when `code` is a GSS code with one of the level's prefixes."""
    return is_gss_code(code) and code.startswith(level.gss_prefixes)


def level_slug_for_column(column: str) -> tuple[str, str] | None:
    """Read an ONS column name: `LSOA21CD` -> ("lsoa21", "CD"), `WD13NM` -> ("ward13", "NM").

    Returns None for a column that does not name a level.
    """
    match = _COLUMN_RE.match(column.strip())
    if match is None:
        return None
    stem, yy, suffix = match.groups()
    kind = _COLUMN_STEMS[stem.upper()]
    return f"{kind.value}{yy}", suffix.upper()
