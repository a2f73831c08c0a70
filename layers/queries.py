"""Every read the access gate needs, returning domain objects (never querysets)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Max, OuterRef, Subquery

from layers.domain.access import (
    AgreementStatus,
    DatasetRef,
    Grant,
    Membership,
    Role,
    Use,
    Viewer,
)
from layers.domain.disclosure.policy import DisclosurePolicy, WardMethod, ZeroPolicy
from layers.members import memberships_of
from layers.models import AgreementVersion, Area, Dataset, GeographyLevel, Lookup
from layers.sqlfile import load_statements


def viewer_for(user: Any) -> Viewer:
    """The viewer a signed-in user (or token holder) is: every agency and role they hold."""
    if user is None or not user.is_authenticated:
        return Viewer(user_id=0, memberships=())
    rows = memberships_of(user).order_by("agency_id")
    return Viewer(
        user_id=user.id,
        memberships=tuple(Membership(r.agency_id, Role(r.role)) for r in rows),
    )


def dataset_ref(dataset: Dataset) -> DatasetRef:
    return DatasetRef(id=dataset.id, owner_agency_id=dataset.owner_id)


def current_versions() -> Any:
    """The current (highest) version of every agreement, as a queryset for callers here."""
    latest = (
        AgreementVersion.objects.filter(agreement=OuterRef("agreement"))
        .values("agreement")
        .annotate(v=Max("version"))
        .values("v")
    )
    return AgreementVersion.objects.filter(version=Subquery(latest))


def policy_of(version: AgreementVersion) -> DisclosurePolicy:
    return DisclosurePolicy(
        min_count=version.min_count,
        round_to=version.round_to,
        min_denominator=version.min_denominator,
        zero_policy=ZeroPolicy(version.zero_policy),
        secondary=version.secondary,
        ward_method=WardMethod(version.ward_method),
    )


def grant_of(version: AgreementVersion) -> Grant:
    return Grant(
        agreement_ref=version.agreement.reference,
        version=version.version,
        status=AgreementStatus(version.status),
        starts_on=version.starts_on,
        ends_on=version.ends_on,
        recipient_agency_ids=frozenset(a.id for a in version.recipients.all()),
        dataset_ids=frozenset(d.id for d in version.datasets.all()),
        roles=frozenset(Role(r) for r in version.roles),
        uses=frozenset(Use(u) for u in version.uses),
        purposes=frozenset(version.purposes),
        finest_level=version.finest_level.as_domain(),
        policy=policy_of(version),
    )


def grants_for(viewer: Viewer, dataset: DatasetRef) -> list[Grant]:
    """Current agreement versions naming the dataset and one of the viewer's agencies."""
    agencies = [m.agency_id for m in viewer.memberships]
    if not agencies:
        return []
    versions = (
        current_versions()
        .filter(datasets__id=dataset.id, recipients__id__in=agencies)
        .select_related("agreement", "finest_level")
        .prefetch_related("recipients", "datasets")
        .distinct()
    )
    return [grant_of(v) for v in versions]


def public_grants_for(dataset: DatasetRef) -> list[Grant]:
    """Current agreement versions that publish the dataset to the public (use `public`),
    whatever their status: `decide_public` checks that. Agreements that only share with
    partners are not loaded, so a refusal never hints at them."""
    versions = (
        current_versions()
        .filter(datasets__id=dataset.id, uses__contains=[Use.PUBLIC.value])
        .select_related("agreement", "finest_level")
        .prefetch_related("recipients", "datasets")
        .distinct()
    )
    return [grant_of(v) for v in versions]


_VALUES_FOR_PERIOD = (Path(__file__).parent / "sql" / "values_for_period.sql").read_text()


def fetch_values(
    release_id: int,
    indicator_id: int,
    period_id: int,
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Area code -> (value, numerator, denominator) of one release, indicator, period."""
    with connection.cursor() as cursor:
        cursor.execute(
            _VALUES_FOR_PERIOD,
            {"release_id": release_id, "indicator_id": indicator_id, "period_id": period_id},
        )
        return {code: (value, num, den) for code, value, num, den in cursor.fetchall()}


def area_codes(level: GeographyLevel) -> list[str]:
    return list(
        Area.objects.filter(level=level).order_by("gss_code").values_list("gss_code", flat=True)
    )


def exact_parents(level: GeographyLevel) -> dict[str, dict[str, str]]:
    """For each coarser level linked by an exact lookup: child code -> parent code."""
    out: dict[str, dict[str, str]] = {}
    for child, parent_slug, parent in Lookup.objects.filter(
        child_level=level, method=Lookup.Method.EXACT
    ).values_list("child_code", "parent_level__slug", "parent_code"):
        out.setdefault(parent_slug, {})[child] = parent
    return out


def best_fit_parents(level: GeographyLevel) -> dict[str, dict[str, str]]:
    """Wards and other non-nesting levels: child code -> parent code by best fit."""
    out: dict[str, dict[str, str]] = {}
    for child, parent_slug, parent in (
        Lookup.objects.filter(child_level=level)
        .exclude(method__in=[Lookup.Method.EXACT, Lookup.Method.EDITION_CHANGE])
        .values_list("child_code", "parent_level__slug", "parent_code")
    ):
        out.setdefault(parent_slug, {})[child] = parent
    return out


_PERIODS_OF_RELEASE = (Path(__file__).parent / "sql" / "periods_of_release.sql").read_text()


@lru_cache(maxsize=1024)
def fetch_period_ids(release_id: int, indicator_id: int) -> tuple[int, ...]:
    """The periods one release holds values for, for one indicator. Kept per process: a
    release's values never change once stored (it is published whole or not at all)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PERIODS_OF_RELEASE, {"release_id": release_id, "indicator_id": indicator_id}
        )
        return tuple(row[0] for row in cursor.fetchall())


_PERIODS_OF_INDICATORS = (Path(__file__).parent / "sql" / "periods_of_indicators.sql").read_text()


def fetch_period_ids_by_indicator(
    release_id: int, indicator_ids: list[int]
) -> dict[int, list[int]]:
    """Indicator id -> the periods one release holds values for, in one query."""
    out: dict[int, list[int]] = {i: [] for i in indicator_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            _PERIODS_OF_INDICATORS, {"release_id": release_id, "indicator_ids": indicator_ids}
        )
        for indicator_id, period_id in cursor.fetchall():
            out.setdefault(indicator_id, []).append(period_id)
    return out


def area_names(level: GeographyLevel) -> dict[str, str]:
    """Area code -> name for every area of a level, in code order."""
    return dict(
        Area.objects.filter(level=level).order_by("gss_code").values_list("gss_code", "name")
    )


def codes_within(level: GeographyLevel, code: str) -> set[str] | None:
    """Codes of `level` inside the area `code` (any level): the area itself, or its
    children along any lookup. None when no area carries that code."""
    if not Area.objects.filter(gss_code=code).exists():
        return None
    if Area.objects.filter(level=level, gss_code=code).exists():
        return {code}
    return set(
        Lookup.objects.filter(child_level=level, parent_code=code)
        .exclude(method=Lookup.Method.EDITION_CHANGE)
        .values_list("child_code", flat=True)
    )


_AREA_GEOMETRY = (Path(__file__).parent / "sql" / "area_geometry.sql").read_text()


def fetch_geometry(
    level_id: int,
    codes: list[str],
    *,
    simplify: float,
    precision: int,
) -> dict[str, str]:
    """Area code -> GeoJSON geometry text (lon/lat) for the given codes of one level."""
    with connection.cursor() as cursor:
        cursor.execute(
            _AREA_GEOMETRY,
            {"level_id": level_id, "codes": codes, "simplify": simplify, "precision": precision},
        )
        return dict(cursor.fetchall())


def parent_level_slugs(level: GeographyLevel) -> set[str]:
    """Levels a lookup links `level` to (exact or best fit), without loading the rows."""
    return set(_linked_levels(level.id, _newest_lookup_id(), exact_only=False))


def _newest_lookup_id() -> int:
    return Lookup.objects.aggregate(n=Max("id"))["n"] or 0


# Finding which levels a level links to reads every link of it (a DISTINCT over about
# 107,000 rows for national LSOAs, 150-400 ms). Links only change when lookups are loaded,
# which replaces rows and so gives them new ids: kept per process, keyed by the newest id.
@lru_cache(maxsize=256)
def _linked_levels(level_id: int, newest_lookup_id: int, *, exact_only: bool) -> frozenset[str]:
    links = Lookup.objects.filter(child_level_id=level_id)
    links = (
        links.filter(method=Lookup.Method.EXACT)
        if exact_only
        else links.exclude(method=Lookup.Method.EDITION_CHANGE)
    )
    return frozenset(links.values_list("parent_level__slug", flat=True).distinct())


def district_map(level: GeographyLevel) -> tuple[str | None, dict[str, str]]:
    """The district (a LAD-kind level, newest edition) each area of `level` lies in: by an
    exact lookup where there is one, otherwise (wards and other best-fit levels) the
    district most of the area's own units lie in (ties: the lowest code). Returns the
    district level's slug (None when there is none) and area code -> district code."""
    links = Lookup.objects.exclude(method=Lookup.Method.EDITION_CHANGE).filter(
        parent_level__kind="lad"
    )
    if level.kind == "lad":
        return level.slug, {}
    newest_first = ("-parent_level__edition", "parent_level__slug")
    direct = links.filter(child_level=level).order_by(*newest_first)
    slug = direct.values_list("parent_level__slug", flat=True).first()
    if slug is not None:
        return slug, dict(
            direct.filter(parent_level__slug=slug).values_list("child_code", "parent_code")
        )
    # Through the units: child -> this level (best fit), child -> district (exact).
    parts = list(
        Lookup.objects.filter(parent_level=level)
        .exclude(method=Lookup.Method.EDITION_CHANGE)
        .values_list("child_level_id", "child_code", "parent_code")
    )
    if not parts:
        return None, {}
    unit_level = parts[0][0]
    up = links.filter(child_level_id=unit_level).order_by(*newest_first)
    slug = up.values_list("parent_level__slug", flat=True).first()
    if slug is None:
        return None, {}
    district_of_unit = dict(
        up.filter(parent_level__slug=slug).values_list("child_code", "parent_code")
    )
    votes: dict[str, dict[str, int]] = {}
    for _, unit, area in parts:
        if unit in district_of_unit:
            tally = votes.setdefault(area, {})
            tally[district_of_unit[unit]] = tally.get(district_of_unit[unit], 0) + 1
    return slug, {area: min(tally, key=lambda d: (-tally[d], d)) for area, tally in votes.items()}


def area_name(level_slug: str, code: str) -> str:
    return (
        Area.objects.filter(level__slug=level_slug, gss_code=code)
        .values_list("name", flat=True)
        .first()
        or code
    )


_RATIO_PARTS = (Path(__file__).parent / "sql" / "ratio_parts_complete.sql").read_text()


@lru_cache(maxsize=4096)
def has_ratio_parts(release_id: int, indicator_id: int) -> bool:
    """Does every value of the indicator in the release carry numerator and denominator?
    Kept per process: a release's values never change once stored."""
    with connection.cursor() as cursor:
        cursor.execute(_RATIO_PARTS, {"release_id": release_id, "indicator_id": indicator_id})
        row = cursor.fetchone()
    return bool(row and row[0])


def exact_parents_slugs(level: GeographyLevel) -> list[str]:
    """Levels an exact lookup links `level` to, without loading the rows."""
    return sorted(_linked_levels(level.id, _newest_lookup_id(), exact_only=True))


_SNAP = (Path(__file__).parent / "sql" / "custom_area_snap.sql").read_text()


def fetch_areas_in_polygon(level_id: int, polygon_geojson: str) -> list[tuple[str, str]]:
    """(code, name) of the areas of a level whose point on surface is in the polygon."""
    with connection.cursor() as cursor:
        cursor.execute(_SNAP, {"level_id": level_id, "polygon": polygon_geojson})
        return [(code, name) for code, name in cursor.fetchall()]


_LOCATOR = load_statements(Path(__file__).parent / "sql" / "locator_shapes.sql")


def fetch_area_shapes(
    level_id: int,
    codes: list[str],
    *,
    simplify: float,
    min_area: float,
    srid: int,
    precision: int,
    near: tuple[float, float, float, float] | None = None,
) -> list[tuple[str, str, str]]:
    """(code, name, GeoJSON geometry text) of areas of one level, in the SRID asked for;
    with `near` (a box in British National Grid metres), only those touching it."""
    minx, miny, maxx, maxy = near or (-1e9, -1e9, 1e9, 1e9)
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCATOR["areas"],
            {
                "level_id": level_id,
                "codes": codes,
                "simplify": simplify,
                "min_area": min_area,
                "srid": srid,
                "precision": precision,
                "minx": minx,
                "miny": miny,
                "maxx": maxx,
                "maxy": maxy,
            },
        )
        return [(code, name, geometry) for code, name, geometry in cursor.fetchall()]


def fetch_custom_area_shape(
    custom_area_id: int, *, simplify: float, min_area: float, srid: int, precision: int
) -> str | None:
    """GeoJSON geometry text of a custom area's union (None before it is computed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCATOR["custom_area"],
            {
                "custom_area_id": custom_area_id,
                "simplify": simplify,
                "min_area": min_area,
                "srid": srid,
                "precision": precision,
            },
        )
        row = cursor.fetchone()
    return row[0] if row else None


_AREA_NEIGHBOURS = (Path(__file__).parent / "sql" / "area_neighbours.sql").read_text()


@lru_cache(maxsize=8)
def _neighbours(level_id: int, boundary_version: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_AREA_NEIGHBOURS, {"level_id": level_id})
        for code, other in cursor.fetchall():
            out.setdefault(code, []).append(other)
    return {code: tuple(others) for code, others in out.items()}


def area_neighbours(level: GeographyLevel) -> dict[str, tuple[str, ...]]:
    """Area code -> the codes of the areas of the same level it meets (queen contiguity),
    computed in PostGIS and kept per process for the level's boundary version (a boundary
    load gives the level a new one). Areas with no neighbour are absent. Shared: callers
    only read it."""
    return _neighbours(level.id, level.boundary_version)
