"""The one read path (DESIGN.md): decide access, then fetch, disclose and audit.

`read_values` is the only way an indicator value leaves the database: the map, the API
and every export call it. It decides access (a refusal is audited and raised), finds the
current release and the period, takes the released cells of the protected table for the
granting agreement's policy (computed once per release and policy, layers.protection),
and writes one audit event for the read with what was returned and withheld.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from layers import audit, queries
from layers.domain.access import Decision, Use, decide
from layers.domain.disclosure.cells import MARKERS, PublicReason, Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import UNPROTECTED, DisclosurePolicy, policy_key
from layers.domain.errors import DomainError, NotFound, ParamError
from layers.domain.periods import PeriodError, parse_period
from layers.models import (
    CustomArea,
    Dataset,
    GeographyLevel,
    Indicator,
    Membership,
    Period,
    Release,
)
from layers.protection import as_cell, protected_table, published_levels

CUSTOM = "custom"


class AccessRefused(DomainError):
    """No agreement lets this viewer see this dataset at this level for this use."""

    code = "access_refused"

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"access refused: {decision.reason.value}")
        self.decision = decision


def decide_access(
    user: Any, dataset: Dataset, level: GeographyLevel, *, use: Use, purpose: str | None
) -> Decision:
    """Gate 1 for a signed-in user (or token holder); a refusal is audited and raised."""
    viewer = queries.viewer_for(user)
    ref = queries.dataset_ref(dataset)
    decision = decide(
        viewer=viewer,
        dataset=ref,
        level=level.as_domain(),
        use=use,
        purpose=purpose,
        on=timezone.localdate(),
        grants=queries.grants_for(viewer, ref),
    )
    if not decision.allowed:
        agency = viewer.memberships[0].agency_id if viewer.memberships else None
        audit.record(
            action="access.refused",
            outcome=decision.reason.value,
            user=user,
            agency_id=agency,
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


def visible_custom_areas(user: Any) -> Any:
    """Custom areas of the viewer's agencies, and those shared with the partnership."""
    agencies = Membership.objects.filter(user_id=getattr(user, "id", None)).values("agency_id")
    return CustomArea.objects.filter(Q(owner_id__in=agencies) | Q(is_shared=True))


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
    readable = published_levels(found, dataset.level)
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
    finest_slug = decision.finest_level.slug if decision.finest_level else dataset.level.slug
    finest = dataset.level if finest_slug == dataset.level.slug else level_named(finest_slug)
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
            released_units, {f"custom-{a.id}": [m.gss_code for m in a.members.all()] for a in areas}
        )
        rows = [_row(f"custom-{a.id}", a.name, as_cell(sums[f"custom-{a.id}"])) for a in areas]
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
