"""Protect one (release, indicator, period) under one disclosure policy and finest level,
once, and keep the result (DISCLOSURE.md section 4): the read path only ever serves
these released cells.

The published system: the dataset's own level (the units), each coarser level reached by
an exact lookup, and the whole partnership. Wards and other best-fit levels come by
default from published units only (`sum_of_published`); an agreement may opt in to put
them inside the protected system instead (`ward_method: protected`). A cell withheld in
the release this one replaced stays withheld (sticky), so two releases cannot be
differenced. The owning agency's own view is the same table under `UNPROTECTED`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from layers import queries
from layers.domain.access import AgreementStatus
from layers.domain.disclosure.cells import Cell, Protection, Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import UNPROTECTED, DisclosurePolicy, WardMethod, policy_key
from layers.domain.disclosure.primary import rate_protection
from layers.domain.disclosure.secondary import Group, protect
from layers.domain.levels import Level
from layers.models import Dataset, GeographyLevel, Indicator, Period, ProtectedTable, Release

PARTNERSHIP = "partnership"
PARTNERSHIP_CODE = "ALL"


def key_of(level: str, code: str) -> str:
    return f"{level}:{code}"


def split_key(key: str) -> tuple[str, str]:
    level, _, code = key.partition(":")
    return level, code


def as_cell(cell: Released) -> list[Any]:
    return [
        cell.value,
        cell.status.value,
        cell.reason.value if cell.reason else None,
        cell.rounded_to,
    ]


def nest(
    unit_level: str, codes: list[str], parents: Mapping[str, Mapping[str, str]], order: list[str]
) -> list[Group]:
    """Totals over the units, one group per area of each coarser level in `order` (fine to
    coarse), and the partnership total over the coarsest. A level's groups are built
    from the level below's groups wherever each of those lies wholly inside one parent
    (MSOAs in districts), so the local rule sees the real nesting; otherwise from units."""
    groups: list[Group] = []
    below: dict[str, list[str]] = {key_of(unit_level, c): [c] for c in codes}
    for slug in order:
        of_unit = parents[slug]
        parent_of_group: dict[str, str] = {}
        for group_key, units in below.items():
            found = {of_unit.get(u) for u in units}
            if len(found) != 1 or None in found:
                parent_of_group = {}
                break
            parent_of_group[group_key] = found.pop()  # type: ignore[assignment]
        members: dict[str, list[str]] = {}
        units_of: dict[str, list[str]] = {}
        if parent_of_group:
            for group_key, parent in sorted(parent_of_group.items()):
                members.setdefault(parent, []).append(group_key)
                units_of.setdefault(parent, []).extend(below[group_key])
        else:
            for unit in codes:
                if unit in of_unit:
                    members.setdefault(of_unit[unit], []).append(key_of(unit_level, unit))
                    units_of.setdefault(of_unit[unit], []).append(unit)
        groups += [Group(key_of(slug, code), tuple(kids)) for code, kids in sorted(members.items())]
        below = {key_of(slug, code): units for code, units in units_of.items()}
    groups.append(Group(key_of(PARTNERSHIP, PARTNERSHIP_CODE), tuple(sorted(below))))
    return groups


def _previous_withheld(
    release: Release, indicator: Indicator, period: Period, key: str, finest: GeographyLevel
) -> frozenset[str]:
    earlier = (
        ProtectedTable.objects.filter(
            release__dataset_id=release.dataset_id,
            release_id__lt=release.id,
            indicator=indicator,
            period=period,
            policy_key=key,
            finest_level=finest,
        )
        .order_by("-release_id")
        .first()
    )
    if earlier is None:
        return frozenset()
    return frozenset(
        key_of(level, code)
        for level, cells in earlier.cells.items()
        for code, cell in cells.items()
        if cell[1] == Status.WITHHELD.value
    )


def protected_table(
    *,
    release: Release,
    indicator: Indicator,
    period: Period,
    policy: DisclosurePolicy,
    finest_level: GeographyLevel,
) -> ProtectedTable:
    """The released cells, computed on first request and kept per (release, policy)."""
    key = policy_key(policy)
    identity = {
        "release": release,
        "indicator": indicator,
        "period": period,
        "policy_key": key,
        "finest_level": finest_level,
    }
    existing = ProtectedTable.objects.filter(**identity).first()
    if existing is not None:
        return existing
    cells, protection, report = _compute(release, indicator, period, policy, finest_level, key)
    try:
        with transaction.atomic():
            return ProtectedTable.objects.create(
                **identity, cells=cells, protection=protection, report=report
            )
    except IntegrityError:  # another request computed the same table first: same result
        return ProtectedTable.objects.get(**identity)


def _compute(
    release: Release,
    indicator: Indicator,
    period: Period,
    policy: DisclosurePolicy,
    finest_level: GeographyLevel,
    key: str,
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, str], dict[str, Any]]:
    level = release.dataset.level
    finest = finest_level.as_domain()
    codes = queries.area_codes(level)
    data = queries.fetch_values(release.id, indicator.id, period.id)
    units_published = not level.as_domain().is_finer_than(finest)
    cells: dict[str, dict[str, list[Any]]] = {}
    protection: dict[str, str] = {}
    report: dict[str, Any] = {"policy": policy.describe(), "policy_key": key}

    if _has_parts(indicator, data):
        return _compute_ratio(release, indicator, period, data, policy, finest_level, key, report)
    if not (indicator.measure == Indicator.Measure.COUNT and indicator.is_summable):
        # Rates and percentages are judged on their numerator and denominator; ranks and
        # scores are not counts of people and carry no small-number rule. None of them
        # can be summed, so they are published at the dataset's own level only.
        if units_published:
            rows = {}
            for code in codes:
                released = _judge(code, data.get(code), indicator, policy)
                rows[code] = as_cell(released)
                if released.protection is not None:
                    protection[key_of(level.slug, code)] = released.protection.value
            cells[level.slug] = rows
        report["note"] = f"{indicator.measure}: published at {level.slug} only"
        return cells, protection, report

    levels = {lv.slug: lv for lv in GeographyLevel.objects.all()}
    exact = queries.exact_parents(level)
    order = sorted(exact, key=lambda s: (levels[s].as_domain().rank, s))
    groups = nest(level.slug, codes, exact, order)
    wards = {
        slug: mapping
        for slug, mapping in queries.best_fit_parents(level).items()
        if not levels[slug].as_domain().is_finer_than(finest)
    }
    protected_wards = policy.ward_method is WardMethod.PROTECTED and policy.secondary
    overlays: list[Group] = []
    if protected_wards:
        for slug, mapping in sorted(wards.items()):
            members: dict[str, list[str]] = {}
            for unit, parent in sorted(mapping.items()):
                members.setdefault(parent, []).append(key_of(level.slug, unit))
            overlays += [Group(key_of(slug, c), tuple(m)) for c, m in sorted(members.items())]
    coarsest = order[-1] if order else PARTNERSHIP
    regions = [g.key for g in groups if split_key(g.key)[0] == coarsest]

    units = {key_of(level.slug, c): data[c][0] if c in data else None for c in codes}
    forced = _previous_withheld(release, indicator, period, key, finest_level)
    unpublished: frozenset[str] = frozenset()
    if not units_published:
        # Known to no one: variables of the system, never shown.
        unpublished = frozenset(units) - forced
        forced |= frozenset(units)
    result = protect(
        units,
        groups,
        policy,
        forced_hidden=forced,
        overlays=overlays,
        regions=regions,
        unpublished=unpublished,
    )
    if protected_wards and result.report.n_failed_closed:
        # Fail closed on the overlay level, not the whole table (DISCLOSURE.md 4 step 5,
        # suppress_level): protect without wards, then give wards only from published units.
        protected_wards = False
        result = protect(units, groups, policy, forced_hidden=forced, unpublished=unpublished)
        report["ward_method"] = (
            "wards in the protected system did not converge: wards given from published "
            "units only (sum_of_published)"
        )
    report |= {
        k: (None if isinstance(v, float) and v == float("inf") else v)  # "unbounded"
        for k, v in asdict(result.report).items()
    }
    published = {s for s in order if not levels[s].as_domain().is_finer_than(finest)}
    published |= {PARTNERSHIP, *(wards if protected_wards else ())}
    if units_published:
        published.add(level.slug)
    for cell_key, cell in result.cells.items():
        slug, code = split_key(cell_key)
        if slug in published:
            cells.setdefault(slug, {})[code] = as_cell(cell)
            if cell.protection is not None:
                protection[cell_key] = cell.protection.value
    if units_published and not protected_wards:
        unit_cells = {
            split_key(k)[1]: c for k, c in result.cells.items() if split_key(k)[0] == level.slug
        }
        for slug, mapping in wards.items():
            parts: dict[str, list[str]] = {}
            for unit, parent in mapping.items():
                parts.setdefault(parent, []).append(unit)
            for code, cell in sum_of_published(unit_cells, parts).items():
                cells.setdefault(slug, {})[code] = as_cell(cell)
    return cells, protection, report


RATIOS = (Indicator.Measure.RATE, Indicator.Measure.PERCENTAGE)


def _has_parts(
    indicator: Indicator, data: Mapping[str, tuple[float | None, float | None, float | None]]
) -> bool:
    """A rate or percentage whose every stored value carries its numerator and
    denominator: it can be published at coarser levels, from summed parts."""
    return (
        indicator.measure in RATIOS
        and bool(data)
        and all(v[1] is not None and v[2] is not None for v in data.values() if v[0] is not None)
    )


def _scale(indicator: Indicator) -> float:
    return 100.0 if indicator.measure == Indicator.Measure.PERCENTAGE else indicator.multiplier


def _compute_ratio(
    release: Release,
    indicator: Indicator,
    period: Period,
    data: Mapping[str, tuple[float | None, float | None, float | None]],
    policy: DisclosurePolicy,
    finest_level: GeographyLevel,
    key: str,
    report: dict[str, Any],
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, str], dict[str, Any]]:
    """A rate or percentage at its own level and every coarser exact level and the
    partnership, from summed numerators and denominators (DISCLOSURE.md 1.5, 4 step 3).

    The numerators are protected as a count system over the same hierarchy as counts
    (primary threshold, secondary suppression, audit). A figure is withheld when its
    numerator is withheld there, when its denominator is below min_denominator, or when
    its complement (denominator - numerator) is a small count; figures withheld for the
    last two reasons are forced into the count system too, so that no withheld figure
    can be recovered from a coarser figure and its published neighbours. Wards are not
    given: a rate cannot be built from published rates.
    """
    level = release.dataset.level
    finest = finest_level.as_domain()
    codes = queries.area_codes(level)
    levels = {lv.slug: lv for lv in GeographyLevel.objects.all()}
    exact = queries.exact_parents(level)
    order = sorted(exact, key=lambda s: (levels[s].as_domain().rank, s))
    groups = nest(level.slug, codes, exact, order)
    units_published = not level.as_domain().is_finer_than(finest)

    parts: dict[str, tuple[float, float]] = {}
    for code in codes:
        row = data.get(code)
        if row is not None and row[0] is not None and row[1] is not None and row[2] is not None:
            parts[key_of(level.slug, code)] = (row[1], row[2])
    for group in groups:  # groups come fine to coarse, children before parents
        found = [parts[c] for c in group.children if c in parts]
        if found:
            parts[group.key] = (sum(p[0] for p in found), sum(p[1] for p in found))

    # Primary rate rules on every cell, from its (summed) parts.
    by_rate: dict[str, Protection] = {}
    for cell_key, (numerator, denominator) in parts.items():
        reason = rate_protection(Cell(cell_key, None, numerator, denominator), policy)
        if reason is not None and reason is not Protection.RATE_NUMERATOR:
            by_rate[cell_key] = reason
    numerators = {
        key_of(level.slug, c): parts[key_of(level.slug, c)][0]
        if key_of(level.slug, c) in parts
        else None
        for c in codes
    }
    forced = _previous_withheld(release, indicator, period, key, finest_level)
    forced |= frozenset(by_rate)
    if not units_published:
        forced |= frozenset(numerators)
    result = protect(numerators, groups, policy, forced_hidden=forced)

    published = {s for s in order if not levels[s].as_domain().is_finer_than(finest)}
    published.add(PARTNERSHIP)
    if units_published:
        published.add(level.slug)
    cells: dict[str, dict[str, list[Any]]] = {}
    protection: dict[str, str] = {}
    scale = _scale(indicator)
    for cell_key, counted in result.cells.items():
        slug, code = split_key(cell_key)
        if slug not in published:
            continue
        if counted.status is Status.WITHHELD:
            why = by_rate.get(cell_key) or (
                Protection.RATE_NUMERATOR
                if counted.protection is Protection.SMALL_COUNT
                else counted.protection
            )
            released = Released.withheld(code, why or Protection.SECONDARY)
        elif counted.status is Status.NO_DATA or cell_key not in parts:
            released = Released.no_data(code)
        elif slug == level.slug:
            released = Released.shown(code, float(data[code][0] or 0.0), None)
        else:
            numerator, denominator = parts[cell_key]
            released = Released.shown(code, numerator / denominator * scale, None)
        cells.setdefault(slug, {})[code] = as_cell(released)
        if released.protection is not None:
            protection[cell_key] = released.protection.value
    report |= {
        k: (None if isinstance(v, float) and v == float("inf") else v)
        for k, v in asdict(result.report).items()
    }
    report["note"] = (
        f"{indicator.measure}: numerators protected as counts; coarser levels from summed "
        "numerators and denominators"
    )
    return cells, protection, report


def _judge(
    code: str,
    row: tuple[float | None, float | None, float | None] | None,
    indicator: Indicator,
    policy: DisclosurePolicy,
) -> Released:
    if row is None or row[0] is None:
        return Released.no_data(code)
    value, numerator, denominator = row
    if indicator.measure in (Indicator.Measure.RATE, Indicator.Measure.PERCENTAGE):
        reason = rate_protection(Cell(code, value, numerator, denominator), policy)
        if reason is not None:
            return Released.withheld(code, reason)
    return Released.shown(code, value, None)


def published_levels(
    indicator: Indicator, dataset_level: GeographyLevel, release: Release | None = None
) -> list[Level]:
    """Levels an indicator can be read at (fine to coarse): its own; for summable counts
    every coarser level reached by an exact or best-fit lookup; for a rate or percentage
    whose values in `release` all carry numerator and denominator, every coarser level
    reached by an exact lookup (from summed parts; not wards, which come only from
    published figures and a rate cannot be summed)."""
    own = dataset_level.as_domain()
    if indicator.measure == Indicator.Measure.COUNT and indicator.is_summable:
        slugs = queries.parent_level_slugs(dataset_level)
    elif (
        indicator.measure in RATIOS
        and release is not None
        and queries.has_ratio_parts(release.id, indicator.id)
    ):
        slugs = set(queries.exact_parents_slugs(dataset_level))
    else:
        return [own]
    others = [lv.as_domain() for lv in GeographyLevel.objects.filter(slug__in=slugs)]
    return [own, *sorted(others, key=lambda lv: (lv.rank, lv.slug))]


def best_fit_levels(dataset_level: GeographyLevel) -> set[str]:
    """Levels reached from the dataset's level only by a best-fit lookup (wards)."""
    return queries.parent_level_slugs(dataset_level) - set(
        queries.exact_parents_slugs(dataset_level)
    )


def best_fit_has_figures(
    dataset_level: Level, finest: Level | None, policy: DisclosurePolicy | None
) -> bool:
    """Can a best-fit level (wards) have figures under an agreement with this finest level
    and policy? By default wards are summed from the published units (_compute): where
    the agreement's finest level is coarser than the dataset's, no unit is published and
    every ward would read "no data". Only a policy that puts wards inside the protected
    system gives them figures then. None for either: the owning agency (everything)."""
    if finest is None or not dataset_level.is_finer_than(finest):
        return True
    return policy is not None and policy.ward_method is WardMethod.PROTECTED and policy.secondary


def ratio_parts(
    release: Release, indicator: Indicator, period: Period
) -> dict[str, dict[str, tuple[float, float]]]:
    """Numerator and denominator of a rate or percentage wherever they are known: the
    stored pair at the dataset's own level, and the sums of the units' pairs for each
    coarser level reached by an exact lookup and for the partnership (only where every
    unit with a value carries both, so a sum never silently leaves an area out).

    Internal: these are true figures, used to judge and to compute intervals for
    figures that are released, never released themselves."""
    level = release.dataset.level
    data = queries.fetch_values(release.id, indicator.id, period.id)
    units: dict[str, tuple[float, float] | None] = {
        code: (row[1], row[2]) if row[1] is not None and row[2] is not None else None
        for code, row in data.items()
        if row[0] is not None
    }
    out: dict[str, dict[str, tuple[float, float]]] = {
        level.slug: {code: pair for code, pair in units.items() if pair is not None}
    }
    groups: dict[tuple[str, str], list[str]] = {(PARTNERSHIP, PARTNERSHIP_CODE): list(units)}
    for slug, parent_of in queries.exact_parents(level).items():
        for unit in units:
            if unit in parent_of:
                groups.setdefault((slug, parent_of[unit]), []).append(unit)
    for (slug, code), members in groups.items():
        pairs = [units[m] for m in members]
        if pairs and all(p is not None for p in pairs):
            out.setdefault(slug, {})[code] = (
                sum(p[0] for p in pairs if p is not None),
                sum(p[1] for p in pairs if p is not None),
            )
    return out


def served_policies(dataset: Dataset) -> list[tuple[DisclosurePolicy, GeographyLevel]]:
    """Every (policy, finest level) a read of `dataset` can be served under today: the
    owning agency's own view (unprotected, at the dataset's level) and that of each
    active agreement naming the dataset (its policy, its finest level), without repeats."""
    found: dict[tuple[str, int], tuple[DisclosurePolicy, GeographyLevel]] = {
        (policy_key(UNPROTECTED), dataset.level_id): (UNPROTECTED, dataset.level)
    }
    versions = (
        queries.current_versions()
        .filter(datasets=dataset, status=AgreementStatus.ACTIVE.value)
        .select_related("finest_level")
        .order_by("agreement__reference")
    )
    for version in versions:
        policy = queries.policy_of(version)
        found.setdefault(
            (policy_key(policy), version.finest_level_id), (policy, version.finest_level)
        )
    return list(found.values())


def protect_release(
    release: Release, *, on_table: Callable[[str], None] | None = None
) -> tuple[int, int]:
    """Compute ahead of any read every protected table a read of `release` can need
    (DISCLOSURE.md section 4: protection is a batch job on publish; reads only fetch).
    Returns (tables computed now, tables already kept)."""
    dataset = release.dataset
    n_new = n_kept = 0
    served = served_policies(dataset)
    for indicator in dataset.indicators.order_by("slug"):
        for period in Period.objects.filter(
            id__in=queries.fetch_period_ids(release.id, indicator.id)
        ).order_by("start_on"):
            for policy, finest in served:
                key = policy_key(policy)
                kept = ProtectedTable.objects.filter(
                    release=release,
                    indicator=indicator,
                    period=period,
                    policy_key=key,
                    finest_level=finest,
                ).exists()
                if kept:
                    n_kept += 1
                    continue
                protected_table(
                    release=release,
                    indicator=indicator,
                    period=period,
                    policy=policy,
                    finest_level=finest,
                )
                n_new += 1
                if on_table is not None:
                    on_table(f"{indicator.slug} {period.code} {key} {finest.slug}")
    return n_new, n_kept


def protect_after_commit(dataset_ids: list[int]) -> None:
    """Once the transaction commits, protect the current release of each dataset on the
    background worker (PROTECT_ON_PUBLISH; on by default where a real worker runs).
    Without it, a table is computed by the first read that needs it."""
    if not settings.PROTECT_ON_PUBLISH or not dataset_ids:
        return
    from layers.tasks import protect_current_releases  # the task module imports this one

    transaction.on_commit(lambda: protect_current_releases.delay(sorted(set(dataset_ids))))
