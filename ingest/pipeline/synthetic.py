"""A SYNTHETIC national geography for scale tests (the scale issue: `generate_national`).

England and Wales have about 188,900 Output Areas in 35,700 LSOAs in 7,300 MSOAs in 330
districts, and about 8,700 wards that nest in districts but not in MSOAs. This builds a
geography with those counts and that nesting as valid polygons over an England-sized
extent in EPSG:27700, from a seed, so benchmarks of tiles, values, disclosure and the map
run at national size without any real data. Nothing here is real: every name says
"Synthetic", the codes are numbered from 500001 (past every real GSS code of these
kinds), and the demo never loads it.

How: top down, each parent is cut into its children by the Voronoi cells of seed points
drawn inside it, clipped to the parent, so children tile their parent exactly and nesting
holds by construction. Seeds are drawn in proportion to a population density made of
a few dozen "towns" over a rural background, so areas are small in towns and large in
the country, as real ones are (each holds a similar population). Wards are unions of
whole LSOAs grouped around seeds within each district: they nest in districts and cut
across MSOAs, like the best-fit wards of the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

# England and Wales: about 151,000 km2. A 300 km x 500 km extent has the same area.
EXTENT = (200_000.0, 50_000.0, 500_000.0, 550_000.0)
FULL = {"lad": 330, "msoa": 7_300, "lsoa": 35_700, "oa": 188_900, "ward": 8_700}
# Real nesting has floors: a district has at least a few MSOAs, an MSOA at least 3 LSOAs
# (ONS builds them from 5 +/- ...), an LSOA at least 4 OAs.
MIN_CHILDREN = {"msoa": 3, "lsoa": 3, "oa": 4}
CODE_PREFIX = {"lad": "E06", "msoa": "E02", "lsoa": "E01", "oa": "E00", "ward": "E05"}
FIRST_NUMBER = 500_001


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many areas of each kind: the national counts times `scale` (at least 1)."""

    lad: int
    msoa: int
    lsoa: int
    oa: int
    ward: int

    @classmethod
    def at_scale(cls, scale: float) -> Sizes:
        n_lad = max(1, round(FULL["lad"] * scale))
        n_msoa = max(n_lad * MIN_CHILDREN["msoa"], round(FULL["msoa"] * scale))
        n_lsoa = max(n_msoa * MIN_CHILDREN["lsoa"], round(FULL["lsoa"] * scale))
        n_oa = max(n_lsoa * MIN_CHILDREN["oa"], round(FULL["oa"] * scale))
        n_ward = max(n_lad, round(FULL["ward"] * scale))
        return cls(lad=n_lad, msoa=n_msoa, lsoa=n_lsoa, oa=n_oa, ward=n_ward)


@dataclass(slots=True)
class SyntheticArea:
    code: str
    name: str
    geom: BaseGeometry
    parents: dict[str, str] = field(default_factory=dict)  # kind -> parent code
    point: tuple[float, float] = (0.0, 0.0)  # a point inside, for grouping into wards


@dataclass(slots=True)
class Geography:
    """Areas by kind (lad, msoa, lsoa, oa, ward), each kind in code order."""

    areas: dict[str, list[SyntheticArea]]
    extent: tuple[float, float, float, float]


class Density:
    """Population per unit area: Gaussian towns of assorted sizes over a flat background."""

    def __init__(self, rng: np.random.Generator, extent: tuple[float, float, float, float]):
        minx, miny, maxx, maxy = extent
        side = min(maxx - minx, maxy - miny)
        n_towns = 40
        self.centres = rng.uniform((minx, miny), (maxx, maxy), (n_towns, 2))
        self.weights = rng.lognormal(mean=0.0, sigma=1.0, size=n_towns) * 30.0
        self.radii = rng.uniform(0.01, 0.05, size=n_towns) * side
        self.background = 1.0

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx = x[:, None] - self.centres[None, :, 0]
        dy = y[:, None] - self.centres[None, :, 1]
        towns = self.weights * np.exp(-(dx**2 + dy**2) / (2 * self.radii**2))
        return np.asarray(self.background + towns.sum(axis=1))


def _counts(
    total: int, n_parents: int, floor: int, weights: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Children per parent: `floor` each plus the rest shared out (multinomially, in
    proportion to `weights`), so the totals are exact and no parent is below the floor."""
    spare = max(0, total - floor * n_parents)
    p = np.full(n_parents, 1.0 / n_parents) if weights is None else weights / weights.sum()
    return floor + rng.multinomial(spare, p)


def _seeds_in(
    polygon: BaseGeometry, n: int, density: Density, rng: np.random.Generator
) -> np.ndarray:
    """`n` distinct points inside `polygon`, drawn in proportion to the density."""
    minx, miny, maxx, maxy = polygon.bounds
    chosen: list[np.ndarray] = []
    need = n
    for _ in range(50):
        trial = rng.uniform((minx, miny), (maxx, maxy), (max(64, 8 * need), 2))
        inside = trial[shapely.contains_xy(polygon, trial[:, 0], trial[:, 1])]
        if len(inside) == 0:
            continue
        weight = density(inside[:, 0], inside[:, 1])
        take = min(need, len(inside))
        picked = rng.choice(len(inside), size=take, replace=False, p=weight / weight.sum())
        chosen.append(inside[picked])
        need -= take
        if need == 0:
            break
    if need > 0:  # a sliver too thin to hit: fall back on points along its inside
        chosen.append(
            np.array(
                [
                    shapely.get_coordinates(shapely.point_on_surface(polygon))[0] + (i * 1e-3, 0.0)
                    for i in range(need)
                ]
            )
        )
    return np.vstack(chosen)


def _polygons(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of a clipping result (clips can leave lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def split(
    polygon: BaseGeometry, n: int, density: Density, rng: np.random.Generator
) -> list[BaseGeometry]:
    """Cut `polygon` into `n` pieces that tile it: Voronoi cells of seeds inside it,
    clipped to it. Pieces come in a stable order (west to east, then south to north)."""
    if n <= 1:
        return [polygon]
    seeds = _seeds_in(polygon, n, density, rng)
    order = np.lexsort((seeds[:, 1], seeds[:, 0]))
    seeds = seeds[order]
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=polygon, ordered=True)
    pieces = shapely.intersection(np.asarray(cells.geoms), polygon)
    out = [_polygons(shapely.make_valid(p)) for p in pieces]
    return [p for p in out if not p.is_empty] or [polygon]


def _code(kind: str, index: int) -> str:
    return f"{CODE_PREFIX[kind]}{FIRST_NUMBER + index:06d}"


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the suffix ONS gives LSOAs within an MSOA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def generate(
    *,
    seed: int,
    scale: float = 1.0,
    with_oas: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> Geography:
    """The synthetic geography for `seed` (the same seed gives the same geography)."""
    rng = np.random.default_rng(seed)
    sizes = Sizes.at_scale(scale)
    minx, miny, maxx, maxy = EXTENT
    shrink = (1 - scale**0.5) / 2 if scale < 1 else 0.0
    extent = (
        minx + shrink * (maxx - minx),
        miny + shrink * (maxy - miny),
        maxx - shrink * (maxx - minx),
        maxy - shrink * (maxy - miny),
    )
    density = Density(rng, extent)
    land = shapely.box(*extent)
    tick = progress or (lambda kind, n: None)

    # Districts: cells of density-drawn seeds, so towns get small districts. Each district
    # gets MSOAs in proportion to its population (sampled points falling in it).
    districts = split(land, sizes.lad, density, rng)
    sample = _seeds_in(land, 5_000, density, rng)
    tree = cKDTree(np.array([shapely.get_coordinates(d.centroid)[0] for d in districts]))
    population = np.bincount(tree.query(sample)[1], minlength=len(districts)) + 1.0
    n_msoa = _counts(sizes.msoa, len(districts), MIN_CHILDREN["msoa"], population, rng)

    areas: dict[str, list[SyntheticArea]] = {k: [] for k in ("lad", "msoa", "lsoa", "oa")}
    for d_index, district in enumerate(districts):
        areas["lad"].append(
            SyntheticArea(_code("lad", d_index), f"Synthetic district {d_index + 1:03d}", district)
        )
    tick("lad", len(areas["lad"]))
    for lad, n in zip(areas["lad"], n_msoa, strict=True):
        for i, piece in enumerate(split(lad.geom, int(n), density, rng)):
            number = len(areas["msoa"])
            areas["msoa"].append(
                SyntheticArea(
                    _code("msoa", number),
                    f"{lad.name.removeprefix('Synthetic district ')}-{i + 1:03d}",
                    piece,
                    {"lad": lad.code},
                )
            )
    tick("msoa", len(areas["msoa"]))
    n_lsoa = _counts(sizes.lsoa, len(areas["msoa"]), MIN_CHILDREN["lsoa"], None, rng)
    for msoa, n in zip(areas["msoa"], n_lsoa, strict=True):
        for i, piece in enumerate(split(msoa.geom, int(n), density, rng)):
            number = len(areas["lsoa"])
            areas["lsoa"].append(
                SyntheticArea(
                    _code("lsoa", number),
                    f"{msoa.name}{_letters(i)}",
                    piece,
                    {"msoa": msoa.code, "lad": msoa.parents["lad"]},
                )
            )
        if len(areas["lsoa"]) % 5000 < n:
            tick("lsoa", len(areas["lsoa"]))
    for msoa in areas["msoa"]:
        msoa.name = f"Synthetic {msoa.name}"
    tick("lsoa", len(areas["lsoa"]))
    if with_oas:
        n_oa = _counts(sizes.oa, len(areas["lsoa"]), MIN_CHILDREN["oa"], None, rng)
        for lsoa, n in zip(areas["lsoa"], n_oa, strict=True):
            for i, piece in enumerate(split(lsoa.geom, int(n), density, rng)):
                number = len(areas["oa"])
                areas["oa"].append(
                    SyntheticArea(
                        _code("oa", number),
                        f"Synthetic {lsoa.name}-{i + 1}",
                        piece,
                        {"lsoa": lsoa.code, **lsoa.parents},
                    )
                )
            if len(areas["oa"]) % 20000 < n:
                tick("oa", len(areas["oa"]))
        tick("oa", len(areas["oa"]))
    for lsoa in areas["lsoa"]:
        lsoa.point = tuple(shapely.get_coordinates(shapely.point_on_surface(lsoa.geom))[0])
        lsoa.name = f"Synthetic {lsoa.name}"
    areas["ward"] = _wards(areas, sizes.ward, rng)
    tick("ward", len(areas["ward"]))
    return Geography(areas=areas, extent=extent)


def _wards(
    areas: dict[str, list[SyntheticArea]], n_wards: int, rng: np.random.Generator
) -> list[SyntheticArea]:
    """Wards as groups of whole LSOAs within each district, around seeds (two rounds of
    k-means on the LSOAs' inner points), so they cut across MSOAs but not districts."""
    by_district: dict[str, list[SyntheticArea]] = {}
    for lsoa in areas["lsoa"]:
        by_district.setdefault(lsoa.parents["lad"], []).append(lsoa)
    n_lsoa = len(areas["lsoa"])
    wards: list[SyntheticArea] = []
    for lad in areas["lad"]:
        members = by_district.get(lad.code, [])
        if not members:
            continue
        k = max(1, min(len(members), round(n_wards * len(members) / n_lsoa)))
        points = np.array([m.point for m in members])
        centres = points[rng.choice(len(members), size=k, replace=False)]
        for _ in range(2):
            label = cKDTree(centres).query(points)[1]
            for j in range(k):
                if np.any(label == j):
                    centres[j] = points[label == j].mean(axis=0)
        label = cKDTree(centres).query(points)[1]
        groups = [np.flatnonzero(label == j) for j in range(k)]
        groups = [g for g in groups if len(g)]
        groups.sort(key=lambda g: tuple(points[g].mean(axis=0)))
        for j, group in enumerate(groups):
            code = _code("ward", len(wards))
            for i in group:
                members[i].parents["ward"] = code
            geom = shapely.union_all([members[i].geom for i in group])
            wards.append(
                SyntheticArea(
                    code,
                    f"Synthetic ward {lad.name.removeprefix('Synthetic district ')}/{j + 1:02d}",
                    geom,
                    {"lad": lad.code},
                )
            )
    return wards


def counts(
    n_areas: int, *, mean: float, rng: np.random.Generator, shape: float = 4.0
) -> np.ndarray:
    """Overdispersed counts with the given mean: Poisson with a gamma-distributed rate per
    area (a negative binomial), as crime and health counts by small area are."""
    rates = rng.gamma(shape, mean / shape, size=n_areas)
    return rng.poisson(rates)
