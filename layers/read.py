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
from typing import Any

from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from layers import audit, queries
from layers.domain.access import Decision, Use, decide
from layers.domain.disclosure.cells import MARKERS, PublicReason, Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import UNPROTECTED, DisclosurePolicy, policy_key
from layers.domain.errors import DomainError, NotFound, ParamError
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
    datasets it asks about (the area profile). Use `decide_access` for a single read."""
    viewer = queries.viewer_for(user)
    ref = queries.dataset_ref(dataset)
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

    @property
    def n_withheld(self) -> int:
        return sum(1 for r in self.rows if r.status == Status.WITHHELD.value)

    @property
    def etag(self) -> str:
        """Changes with the release, the policy and the rows asked for; never the values."""
        parts = [
            str(self.release.id),
            self.indicator.slug,
            self.level,
            self.period.code,
            policy_key(self.policy or UNPROTECTED),
            ",".join(r.area_code for r in self.rows),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def indicator_named(slug: str) -> Indicator:
    indicator = (
        Indicator.objects.select_related("dataset", "dataset__level").filter(slug=slug).first()
    )
    if indicator is None:
        raise NotFound(f"no indicator {slug!r}", parameter="indicator")
    return indicator


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
    asked = dataset.level if is_custom else level_named(level)
    readable = published_levels(found, dataset.level, published_release(dataset))
    if asked.as_domain() not in readable:
        raise ParamError(
            f"{found.slug} is published at: {', '.join(lv.slug for lv in readable)}"
            + (f", {CUSTOM}" if found.is_summable and found.measure == "count" else "")
            + f"; not at {asked.slug}",
            parameter="level",
        )
    if is_custom and not (found.is_summable and found.measure == "count"):
        raise ParamError(f"{found.slug} cannot be summed over custom areas", parameter="level")
    decision = decide_access(user, dataset, asked, use=use, purpose=purpose)
    release = current_release(dataset)
    periods = periods_of(release, found)
    chosen = _period(period, periods)
    policy = decision.policy if decision.disclosure_applies else None
    finest = _finest(decision, dataset)
    table = protected_table(
        release=release,
        indicator=found,
        period=chosen,
        policy=policy or UNPROTECTED,
        finest_level=finest,
    )

    if is_custom:
        areas = list(
            visible_custom_areas(user)
            .filter(base_level=dataset.level)
            .prefetch_related("members")
            .order_by("name", "id")
        )
        units = table.cells.get(dataset.level.slug, {})
        released_units = {
            code: Released(code, c[0], Status(c[1]), PublicReason(c[2]) if c[2] else None, c[3])
            for code, c in units.items()
        }
        sums = sum_of_published(
            released_units,
            {custom_area_code(a): [m.gss_code for m in a.members.all()] for a in areas},
        )
        rows = [
            _row(custom_area_code(a), a.name, as_cell(sums[custom_area_code(a)])) for a in areas
        ]
    else:
        names = queries.area_names(asked)
        if within:
            inside = queries.codes_within(asked, within.strip())
            if inside is None:
                raise ParamError(f"no area with code {within!r}", parameter="within")
            names = {c: n for c, n in names.items() if c in inside}
        cells = table.cells.get(asked.slug, {})
        rows = [_row(code, name, cells.get(code)) for code, name in names.items()]

    result = ReleasedTable(
        indicator=found,
        level=level,
        period=chosen,
        periods=periods,
        release=release,
        decision=decision,
        policy=policy,
        rows=rows,
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


def released_cells(
    source: Source,
    periods: Sequence[Period],
    wanted: Mapping[str, Collection[str] | None],
) -> dict[str, dict[str, dict[str, Released]]]:
    """Released figures for several periods and levels of one indicator:
    period code -> level slug -> area code -> figure.

    `wanted` maps a level slug (or `partnership`) to the area codes wanted, or None for
    every area of the level. The figures come from the protected tables for the granting
    policy (computed on first use, then kept); only the wanted cells are taken out of
    each table, in one query, so a one-area trend does not load whole tables. A level
    absent from the result is not published to this viewer.
    """
    policy = source.policy or UNPROTECTED
    identity = {
        "release": source.release,
        "indicator": source.indicator,
        "policy_key": policy_key(policy),
        "finest_level": source.finest,
    }
    fields: dict[str, tuple[str, str | None]] = {}
    expressions: dict[str, Any] = {}
    for level, codes in wanted.items():
        if codes is None:
            alias = f"f{len(fields)}"
            fields[alias] = (level, None)
            expressions[alias] = KeyTransform(level, "cells")
            continue
        for code in codes:
            alias = f"f{len(fields)}"
            fields[alias] = (level, code)
            expressions[alias] = KeyTransform(code, KeyTransform(level, "cells"))
    code_of = {p.id: p.code for p in periods}

    def fetch() -> list[dict[str, Any]]:
        # One query: the kept tables for these periods (unique per release, indicator,
        # period, policy and finest level), only the wanted cells taken out of each.
        tables = ProtectedTable.objects.filter(**identity, period__in=list(periods))
        return list(tables.values("period_id", **expressions))

    rows = fetch()
    missing = [p for p in periods if p.id not in {r["period_id"] for r in rows}]
    for period in missing:
        protected_table(
            release=source.release,
            indicator=source.indicator,
            period=period,
            policy=policy,
            finest_level=source.finest,
        )
    if missing:
        rows = fetch()
    out: dict[str, dict[str, dict[str, Released]]] = {p.code: {} for p in periods}
    for row in rows:
        levels = out[code_of[row["period_id"]]]
        for alias, (level, code) in fields.items():
            found = row[alias]
            if found is None:
                continue
            if code is None:
                levels[level] = {c: _released(c, cell) for c, cell in found.items()}
            else:
                levels.setdefault(level, {})[code] = _released(code, found)
    return out


def interval_parts(
    source: Source, period: Period, shown: Mapping[str, Collection[str]]
) -> dict[tuple[str, str], tuple[float, float]]:
    """(level, code) -> (numerator, denominator) for SHOWN figures of a rate or
    percentage, to compute their confidence intervals. The caller passes only figures
    the viewer was given as shown; a withheld figure's parts are never read out."""
    parts = ratio_parts(source.release, source.indicator, period)
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
