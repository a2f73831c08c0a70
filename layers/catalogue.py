"""The catalogue a caller may use: datasets and indicators with the levels, periods and
uses their agreements allow today, and the agreements that name the caller."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from layers import queries
from layers.domain.access import Permission, Use, decide_public, permissions
from layers.domain.levels import Level
from layers.models import Dataset, Release
from layers.protection import best_fit_has_figures, best_fit_levels, published_levels
from layers.read import periods_of


def dataset_permissions(user: Any) -> list[tuple[Dataset, list[Permission]]]:
    """Datasets the caller may read in some way today, each with how (by slug)."""
    viewer = queries.viewer_for(user)
    today = timezone.localdate()
    out = []
    for dataset in Dataset.objects.select_related("owner", "level").order_by("slug"):
        ref = queries.dataset_ref(dataset)
        found = permissions(
            viewer=viewer, dataset=ref, on=today, grants=queries.grants_for(viewer, ref)
        )
        if found:
            out.append((dataset, found))
    return out


def indicator_entries(dataset: Dataset, granted: list[Permission]) -> list[dict[str, Any]]:
    """Each indicator of a readable dataset with its levels, periods and uses."""
    release = Release.objects.filter(dataset=dataset, status=Release.Status.PUBLISHED).first()
    uses = sorted({u.value for p in granted for u in p.uses})
    own = dataset.level.as_domain()
    best_fit = best_fit_levels(dataset.level)

    def offered(lv: Level, p: Permission) -> bool:
        if p.finest_level is not None and lv.is_finer_than(p.finest_level):
            return False
        return lv.slug not in best_fit or best_fit_has_figures(own, p.finest_level, p.policy)

    out = []
    for indicator in dataset.indicators.order_by("slug"):
        levels = [
            lv.slug
            for lv in published_levels(indicator, dataset.level, release)
            if any(offered(lv, p) for p in granted)
        ]
        periods = [p.code for p in periods_of(release, indicator)] if release else []
        out.append(
            {
                "indicator": indicator,
                "levels": levels,
                "periods": periods,
                "uses": uses,
                "release": release,
            }
        )
    return out


def agreements_of(user: Any) -> list[dict[str, Any]]:
    """The current version of every agreement naming one of the caller's agencies, with
    what it grants the caller today (nothing, when it is not in force for their role)."""
    viewer = queries.viewer_for(user)
    agencies = [m.agency_id for m in viewer.memberships]
    today = timezone.localdate()
    versions = (
        queries.current_versions()
        .filter(recipients__id__in=agencies)
        .select_related("agreement", "agreement__provider", "finest_level")
        .prefetch_related("datasets", "recipients")
        .distinct()
        .order_by("agreement__reference")
    )
    out = []
    for version in versions:
        grant = queries.grant_of(version)
        in_force = {
            ds.slug: bool(
                permissions(
                    viewer=viewer, dataset=queries.dataset_ref(ds), on=today, grants=[grant]
                )
            )
            for ds in version.datasets.all()
        }
        out.append(
            {"version": version, "grants_you": any(in_force.values()), "datasets": sorted(in_force)}
        )
    return out


def catalogue_for(user: Any, *, use: Use, purpose: str | None) -> list[dict[str, Any]]:
    """The datasets and indicators the caller may read today for `use` under the stated
    `purpose` (their own agency's data whatever the purpose), each indicator with its
    permitted levels and periods, and whether an export would also be allowed.

    It only narrows what `layers.read.read_values` would grant, for the pickers; the
    read path still decides every request."""

    def fits(permission: Permission, wanted: Use) -> bool:
        return wanted in permission.uses and (
            permission.agreement_ref is None or bool(purpose and purpose in permission.purposes)
        )

    out = []
    for dataset, granted in dataset_permissions(user):
        usable = [p for p in granted if fits(p, use)]
        if not usable:
            continue
        out.append(
            {
                "dataset": dataset,
                "permissions": usable,
                "can_export": any(fits(p, Use.EXPORT) for p in granted),
                "indicators": indicator_entries(dataset, usable),
            }
        )
    return out


def public_catalogue() -> list[dict[str, Any]]:
    """What is published to the public today: each dataset some in-force agreement with
    the use `public` releases, its indicators with the levels (no finer than the
    agreement allows) and periods, and the agreement whose policy applies (the one
    `decide_public` names at the dataset's finest public level). For the public page
    and API; the read path still decides every request."""
    today = timezone.localdate()
    out = []
    for dataset in Dataset.objects.select_related("owner", "level").order_by("theme", "title"):
        ref = queries.dataset_ref(dataset)
        grants = queries.public_grants_for(ref)
        if not grants:
            continue
        release = Release.objects.filter(dataset=dataset, status=Release.Status.PUBLISHED).first()
        if release is None:
            continue
        indicators = []
        decision = None
        own = dataset.level.as_domain()
        best_fit = best_fit_levels(dataset.level)
        for indicator in dataset.indicators.order_by("slug"):
            levels = []
            for lv in published_levels(indicator, dataset.level, release):
                found = decide_public(dataset=ref, level=lv, on=today, grants=grants)
                if found.allowed and (
                    lv.slug not in best_fit
                    or best_fit_has_figures(own, found.finest_level, found.policy)
                ):
                    levels.append(lv.slug)
                    decision = decision or found
            periods = [p.code for p in periods_of(release, indicator)]
            if levels and periods:
                indicators.append({"indicator": indicator, "levels": levels, "periods": periods})
        if indicators and decision is not None:
            out.append(
                {
                    "dataset": dataset,
                    "release": release,
                    "decision": decision,
                    "indicators": indicators,
                }
            )
    return out
