"""The one read path (DESIGN.md): decide access, then fetch, disclose and audit.

`read_values` is the only way an indicator value leaves the database: the map, the API
and every export call it. It decides access (a refusal is audited and raised), finds the
current release and the period, takes the released cells of the protected table for the
granting agreement's policy (computed once per release and policy, layers.protection),
and writes one audit event for the read with what was returned and withheld.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from layers import audit, queries
from layers.domain.access import Decision, Use, decide, decide_public
from layers.domain.disclosure.cells import MARKERS, PublicReason, Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import UNPROTECTED, DisclosurePolicy, policy_key
from layers.domain.errors import DomainError, NotFound, ParamError
from layers.domain.levels import Level
from layers.domain.periods import PeriodError, parse_period
from layers.geography import custom_area_code, visible_custom_areas
from layers.models import (
    Dataset,
    GeographyLevel,
    Indicator,
    Period,
    ProtectedTable,
    Release,
)
from layers.protection import as_cell, protected_table, published_levels, ratio_parts

CUSTOM = "custom"
_WITHHELD = Status.WITHHELD.value


class AccessRefused(DomainError):
    """No agreement lets this viewer see this dataset at this level for this use."""

    code = "access_refused"

    def __init__(self, decision: Decision, *, refused: Mapping[str, str] | None = None) -> None:
        super().__init__(f"access refused: {decision.reason.value}")
        self.decision = decision
        # A read over several datasets: each refused dataset's slug and reason code.
        self.refused = dict(refused or {})


def decision_for(
    user: Any, dataset: Dataset, level: GeographyLevel, *, use: Use, purpose: str | None
) -> Decision:
    """Gate 1 without an audit event, for a read that records one event for all the
    datasets it asks about (the area profile). Use `decide_access` for a single read.

    Use `public` is decided the same for everyone (signed in or not): only an agreement
    publishing the dataset to the public grants it, under that agreement's policy."""
    ref = queries.dataset_ref(dataset)
    if use is Use.PUBLIC:
        return decide_public(
            dataset=ref,
            level=level.as_domain(),
            on=timezone.localdate(),
            grants=queries.public_grants_for(ref),
        )
    viewer = queries.viewer_for(user)
    return decide(
        viewer=viewer,
        dataset=ref,
        level=level.as_domain(),
        use=use,
        purpose=purpose,
        on=timezone.localdate(),
        grants=queries.grants_for(viewer, ref),
    )


def first_agency_of(user: Any) -> int | None:
    viewer = queries.viewer_for(user)
    return viewer.memberships[0].agency_id if viewer.memberships else None


def decide_access(
    user: Any, dataset: Dataset, level: GeographyLevel, *, use: Use, purpose: str | None
) -> Decision:
    """Gate 1 for a signed-in user (or token holder); a refusal is audited and raised."""
    decision = decision_for(user, dataset, level, use=use, purpose=purpose)
    if not decision.allowed:
        audit.record(
            action="access.refused",
            outcome=decision.reason.value,
            user=user,
            agency_id=first_agency_of(user),
            dataset_id=dataset.id,
            level=level.slug,
            use=use.value,
            purpose=purpose,
        )
        raise AccessRefused(decision)
    return decision


def refuse_levels_unless_readable(
    user: Any,
    dataset: Dataset,
    indicator: Indicator,
    asked: GeographyLevel,
    readable: list[Level],
    *,
    use: Use,
    purpose: str | None,
    custom: bool = False,
) -> None:
    """A level the indicator is not published at: a caller allowed to read the dataset
    at its coarsest published level is told which levels there are (400; `custom`: the
    caller's custom areas are among them for a summable count); anyone else is refused
    as for any read (403, audited), and learns nothing about the indicator."""
    coarsest = GeographyLevel.objects.get(slug=readable[-1].slug)
    decide_access(user, dataset, coarsest, use=use, purpose=purpose)
    summable = indicator.is_summable and indicator.measure == "count"
    raise ParamError(
        f"{indicator.slug} is published at: {', '.join(lv.slug for lv in readable)}"
        + (f", {CUSTOM}" if custom and summable else "")
        + f"; not at {asked.slug}",
        parameter="level",
    )


@dataclass(frozen=True, slots=True)
class ReleasedRow:
    """One area's released figure: a value, or null with its public reason and marker."""

    area_code: str
    area_name: str
    value: float | None
    status: str
    reason: str | None
    marker: str | None
    rounded_to: int | None


@dataclass(frozen=True, slots=True)
class ReleasedTable:
    """What a read returns: the rows and everything a reader needs to cite them."""

    indicator: Indicator
    level: str
    period: Period
    periods: list[Period]
    release: Release
    decision: Decision
    policy: DisclosurePolicy | None
    rows: list[ReleasedRow]
    # What the rows are made from (protected table, level, boundary version, areas asked
    # for): equal keys, equal rows. None for custom areas (the rows depend on the viewer).
    rows_key: str | None = None
    withheld: int | None = None  # counted once by read_values

    @property
    def n_withheld(self) -> int:
        if self.withheld is not None:
            return self.withheld
        return sum(1 for r in self.rows if r.status == _WITHHELD)

    @property
    def etag(self) -> str:
        """Changes with the release, the policy and the rows asked for; never the values."""
        parts = [
            str(self.release.id),
            self.indicator.slug,
            self.level,
            self.period.code,
            policy_key(self.policy or UNPROTECTED),
            # The rows' key names the areas asked for; without one, name them.
            self.rows_key or ",".join(r.area_code for r in self.rows),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def indicator_named(slug: str) -> Indicator:
    indicator = (
        Indicator.objects.select_related("dataset", "dataset__level").filter(slug=slug).first()
    )
    if indicator is None:
        raise NotFound(f"no indicator {slug!r}", parameter="indicator")
    return indicator


def public_indicator(slug: str) -> Indicator:
    """An indicator some agreement in force today publishes to the public (use
    `public`); NotFound otherwise, whether or not the indicator exists, so the public
    learns nothing of what is not published to it."""
    found = Indicator.objects.select_related("dataset", "dataset__level").filter(slug=slug).first()
    if found is not None:
        ref = queries.dataset_ref(found.dataset)
        today = timezone.localdate()
        for grant in queries.public_grants_for(ref):
            decided = decide_public(dataset=ref, level=grant.finest_level, on=today, grants=[grant])
            if decided.allowed:
                return found
    raise NotFound(f"no public indicator {slug!r}", parameter="indicator")


def level_named(slug: str) -> GeographyLevel:
    level = GeographyLevel.objects.filter(slug=slug).first()
    if level is None:
        known = ", ".join([*GeographyLevel.objects.values_list("slug", flat=True), CUSTOM])
        raise ParamError(f"unknown level {slug!r} (levels: {known})", parameter="level")
    return level


def current_release(dataset: Dataset) -> Release:
    release = Release.objects.filter(dataset=dataset, status=Release.Status.PUBLISHED).first()
    if release is None:
        raise NotFound(f"dataset {dataset.slug!r} has no published release yet")
    return release


def periods_of(release: Release, indicator: Indicator) -> list[Period]:
    """The periods the release holds for the indicator, oldest first."""
    ids = queries.fetch_period_ids(release.id, indicator.id)
    return list(Period.objects.filter(id__in=ids).order_by("start_on", "end_on"))


def periods_of_many(release: Release, indicators: Sequence[Indicator]) -> dict[int, list[Period]]:
    """Indicator id -> the periods the release holds for it, oldest first (two queries
    for any number of indicators)."""
    ids = queries.fetch_period_ids_by_indicator(release.id, [i.id for i in indicators])
    wanted = {p for period_ids in ids.values() for p in period_ids}
    found = {p.id: p for p in Period.objects.filter(id__in=wanted)}
    return {
        indicator: sorted((found[p] for p in period_ids), key=lambda p: (p.start_on, p.end_on))
        for indicator, period_ids in ids.items()
    }


def _period(text: str | None, periods: list[Period]) -> Period:
    if not periods:
        raise NotFound("the current release holds no values for this indicator")
    if not text:
        return periods[-1]
    try:
        code = parse_period(text).code
    except PeriodError as error:
        raise ParamError(f"period {text!r}: {error}", parameter="period") from None
    for period in periods:
        if period.code == code:
            return period
    available = ", ".join(p.code for p in periods[-12:])
    raise ParamError(
        f"no values for period {code!r} (latest periods: {available})", parameter="period"
    )


def _finest(decision: Decision, dataset: Dataset) -> GeographyLevel:
    """The finest level the granting agreement publishes (the dataset's own for owners)."""
    slug = decision.finest_level.slug if decision.finest_level else dataset.level.slug
    return dataset.level if slug == dataset.level.slug else level_named(slug)


def _row(code: str, name: str, cell: list[Any] | None) -> ReleasedRow:
    if cell is None:
        return ReleasedRow(
            code, name, None, Status.NO_DATA.value, PublicReason.NOT_AVAILABLE.value, "[x]", None
        )
    value, status, reason, rounded_to = cell
    marker = MARKERS[PublicReason(reason)] if reason else None
    return ReleasedRow(code, name, value, status, reason, marker, rounded_to)


def read_values(
    user: Any,
    *,
    indicator: str,
    level: str,
    period: str | None = None,
    within: str | None = None,
    use: Use,
    purpose: str | None,
) -> ReleasedTable:
    """The released figures of one indicator, level and period for this viewer.

    Every area of the level is present (filtered by `within`, an area code of any level):
    shown, withheld (`null`, `[c]`) or with no data (`null`, `[x]`), never 0 for missing.
    Level `custom` gives the viewer's custom areas, as sums of published units only.
    """
    found = indicator_named(indicator)
    dataset = found.dataset
    is_custom = level == CUSTOM
    if is_custom and use is Use.PUBLIC:
        raise ParamError("custom areas are not published to the public", parameter="level")
    asked = dataset.level if is_custom else level_named(level)
    readable = published_levels(found, dataset.level, published_release(dataset))
    if asked.as_domain() not in readable:
        refuse_levels_unless_readable(
            user, dataset, found, asked, readable, use=use, purpose=purpose, custom=True
        )
    if is_custom and not (found.is_summable and found.measure == "count"):
        raise ParamError(f"{found.slug} cannot be summed over custom areas", parameter="level")
    decision = decide_access(user, dataset, asked, use=use, purpose=purpose)
    release = current_release(dataset)
    periods = periods_of(release, found)
    chosen = _period(period, periods)
    policy = decision.policy if decision.disclosure_applies else None
    finest = _finest(decision, dataset)
    table_id = table_ids(
        release=release,
        indicator=found,
        periods=[chosen],
        policy=policy or UNPROTECTED,
        finest=finest,
    )[chosen.id]

    rows_key: str | None = None
    withheld: int | None = None
    if is_custom:
        areas = list(
            visible_custom_areas(user)
            .filter(base_level=dataset.level)
            .prefetch_related("members")
            .order_by("name", "id")
        )
        units = _level_cells(table_id, dataset.level.slug)
        released_units = {code: _released(code, c) for code, c in units.items()}
        sums = sum_of_published(
            released_units,
            {custom_area_code(a): [m.gss_code for m in a.members.all()] for a in areas},
        )
        rows = [
            _row(custom_area_code(a), a.name, as_cell(sums[custom_area_code(a)])) for a in areas
        ]
    else:
        level_rows, withheld = _level_rows(table_id, asked, asked.boundary_version)
        rows = list(level_rows)
        rows_key = f"{table_id}/{asked.id}/{asked.boundary_version}"
        if within:
            inside = queries.codes_within(asked, within.strip())
            if inside is None:
                raise ParamError(f"no area with code {within!r}", parameter="within")
            rows = [r for r in rows if r.area_code in inside]
            rows_key += "/" + hashlib.sha256(",".join(sorted(inside)).encode()).hexdigest()
            withheld = sum(1 for r in rows if r.status == _WITHHELD)

    result = ReleasedTable(
        indicator=found,
        level=level,
        period=chosen,
        periods=periods,
        release=release,
        decision=decision,
        policy=policy,
        rows=rows,
        rows_key=rows_key,
        withheld=withheld,
    )
    audit.record(
        action="values.read",
        outcome=decision.reason.value,
        user=user,
        agency_id=decision.agency_id,
        dataset_id=dataset.id,
        level=level,
        agreement_ref=decision.agreement_ref,
        agreement_version=decision.agreement_version,
        use=use.value,
        purpose=purpose,
        n_returned=len(rows),
        n_withheld=result.n_withheld,
        detail={
            "indicator": found.slug,
            "period": chosen.code,
            "release": release.id,
            **({"within": within} if within else {}),
        },
    )
    return result


# Reads of several figures for one viewer (the area profile): the caller decides access
# per dataset with `decision_for`, takes figures with `released_cells`, and records ONE
# audit event for the whole read with `record_read`.


@dataclass(frozen=True, slots=True)
class Source:
    """Where a granted read of one indicator is served from: the current release, the
    periods it holds (oldest first), and the granting decision (which policy applies)."""

    indicator: Indicator
    release: Release
    periods: list[Period]
    decision: Decision
    finest: GeographyLevel

    @property
    def policy(self) -> DisclosurePolicy | None:
        return self.decision.policy if self.decision.disclosure_applies else None


def source_for(
    indicator: Indicator,
    decision: Decision,
    release: Release | None,
    *,
    periods: list[Period] | None = None,
) -> Source | None:
    """The source of a granted read, or None when there is no release or no values yet.
    `periods`: the release's periods for the indicator, when the caller has them."""
    if not decision.allowed or release is None:
        return None
    if periods is None:
        periods = periods_of(release, indicator)
    if not periods:
        return None
    return Source(indicator, release, periods, decision, _finest(decision, indicator.dataset))


def published_release(dataset: Dataset) -> Release | None:
    return Release.objects.filter(dataset=dataset, status=Release.Status.PUBLISHED).first()


def _released(code: str, cell: list[Any]) -> Released:
    value, status, reason, rounded_to = cell[:4]
    return Released(
        code, value, Status(status), PublicReason(reason) if reason else None, rounded_to
    )


def table_ids(
    *,
    release: Release,
    indicator: Indicator,
    periods: Sequence[Period],
    policy: DisclosurePolicy,
    finest: GeographyLevel,
) -> dict[int, int]:
    """Period id -> id of the protected table for the policy and finest level, computed
    (and kept) where there is none yet. Reads no cells."""
    identity = {
        "release": release,
        "indicator": indicator,
        "policy_key": policy_key(policy),
        "finest_level": finest,
    }
    ids = dict(
        ProtectedTable.objects.filter(**identity, period__in=list(periods)).values_list(
            "period_id", "id"
        )
    )
    for period in periods:
        if period.id not in ids:
            ids[period.id] = protected_table(
                release=release,
                indicator=indicator,
                period=period,
                policy=policy,
                finest_level=finest,
            ).id
    return ids


# A kept protected table never changes (a new release or policy is a new table), and
# area names change only with a boundary load, which gives the level a new
# boundary_version. So one level's released rows are kept in memory per process, and a
# repeated read does no per-area work. Access is still decided, and the read audited,
# every time. The cached values are shared: callers never change them.
@lru_cache(maxsize=32)
def _level_cells(table_id: int, level: str) -> dict[str, list[Any]]:
    found = (
        ProtectedTable.objects.filter(id=table_id)
        .values_list(KeyTransform(level, "cells"), flat=True)
        .first()
    )
    return found or {}


@lru_cache(maxsize=64)
def _level_released(table_id: int, level: str) -> Mapping[str, Released]:
    """Every released figure of one level of a kept table, as domain values (shared and
    never changed by callers: a profile ranks an area among all of them on every read)."""
    return MappingProxyType(
        {code: _released(code, cell) for code, cell in _level_cells(table_id, level).items()}
    )


@lru_cache(maxsize=32)
def _level_rows(
    table_id: int, level: GeographyLevel, boundary_version: str
) -> tuple[tuple[ReleasedRow, ...], int]:
    """Every area of the level with its released figure, and how many are withheld."""
    cells = _level_cells(table_id, level.slug)
    names = queries.area_names(level)
    rows = tuple(_row(code, name, cells.get(code)) for code, name in names.items())
    return rows, sum(1 for r in rows if r.status == _WITHHELD)


def released_cells(
    source: Source,
    periods: Sequence[Period],
    wanted: Mapping[str, Collection[str] | None],
) -> dict[str, dict[str, Mapping[str, Released]]]:
    """Released figures for several periods and levels of one indicator:
    period code -> level slug -> area code -> figure.

    `wanted` maps a level slug (or `partnership`) to the area codes wanted, or None for
    every area of the level (served from a per-process cache of the kept table, shared:
    callers only read it). The figures come from the protected tables for the granting
    policy (computed on first use, then kept); only the wanted cells are taken out of
    each table, in one query, so a one-area trend does not load whole tables. A level
    absent from the result is not published to this viewer.
    """
    ids = table_ids(
        release=source.release,
        indicator=source.indicator,
        periods=periods,
        policy=source.policy or UNPROTECTED,
        finest=source.finest,
    )
    fields: dict[str, tuple[str, str]] = {}
    expressions: dict[str, Any] = {}
    whole = [level for level, codes in wanted.items() if codes is None]
    for level, codes in wanted.items():
        for code in codes or ():
            alias = f"f{len(fields)}"
            fields[alias] = (level, code)
            expressions[alias] = KeyTransform(code, KeyTransform(level, "cells"))
    code_of = {p.id: p.code for p in periods}
    out: dict[str, dict[str, Mapping[str, Released]]] = {p.code: {} for p in periods}
    # Whole levels come from the per-process cache of kept tables (no query once warm).
    for period in periods:
        for level in whole:
            every = _level_released(ids[period.id], level)
            if every:
                out[period.code][level] = every
    if fields:
        for row in ProtectedTable.objects.filter(id__in=list(ids.values())).values(
            "period_id", **expressions
        ):
            levels = out[code_of[row["period_id"]]]
            for alias, (level, code) in fields.items():
                found = row[alias]
                if found is not None:
                    some = levels.setdefault(level, {})
                    assert isinstance(some, dict)  # noqa: S101 (a whole level is never also asked by code)
                    some[code] = _released(code, found)
    return out


@lru_cache(maxsize=64)
def _ratio_parts(
    release_id: int, indicator_id: int, period_id: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """ratio_parts of an immutable (release, indicator, period), kept per process: a
    release's values never change once stored. Shared: callers only read it."""
    release = Release.objects.select_related("dataset__level").get(id=release_id)
    return ratio_parts(
        release, Indicator.objects.get(id=indicator_id), Period.objects.get(id=period_id)
    )


def interval_parts(
    source: Source, period: Period, shown: Mapping[str, Collection[str]]
) -> dict[tuple[str, str], tuple[float, float]]:
    """(level, code) -> (numerator, denominator) for SHOWN figures of a rate or
    percentage, to compute their confidence intervals. The caller passes only figures
    the viewer was given as shown; a withheld figure's parts are never read out."""
    parts = _ratio_parts(source.release.id, source.indicator.id, period.id)
    return {
        (level, code): parts[level][code]
        for level, codes in shown.items()
        for code in codes
        if code in parts.get(level, {})
    }


def record_read(
    *,
    action: str,
    user: Any,
    level: str,
    use: Use,
    purpose: str | None,
    granted: Sequence[Decision],
    refused: Mapping[str, str],
    dataset_id: int | None,
    n_returned: int,
    n_withheld: int,
    detail: dict[str, Any],
) -> None:
    """The one audit event of a read over several datasets: the agreements that granted
    (all named in the detail; the column too when there is one), and every dataset
    refused with its reason."""
    agreements = sorted(
        {(d.agreement_ref, d.agreement_version) for d in granted if d.agreement_ref},
        key=lambda pair: (pair[0] or "", pair[1] or 0),
    )
    reasons = sorted({d.reason.value for d in granted})
    audit.record(
        action=action,
        outcome="+".join(reasons) if reasons else "nothing_permitted",
        user=user,
        agency_id=next((d.agency_id for d in granted), None) or first_agency_of(user),
        dataset_id=dataset_id,
        level=level,
        agreement_ref=agreements[0][0] if len(agreements) == 1 else None,
        agreement_version=agreements[0][1] if len(agreements) == 1 else None,
        use=use.value,
        purpose=purpose,
        n_returned=n_returned,
        n_withheld=n_withheld,
        detail={
            **detail,
            "agreements": [ref for ref, _ in agreements],
            **({"refused": dict(sorted(refused.items()))} if refused else {}),
        },
    )
