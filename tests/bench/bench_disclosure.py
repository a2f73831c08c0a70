"""Disclosure benchmark (not a test): protection plus audit of one indicator-period on a
generated national-size hierarchy (SYNTHETIC: ~35,700 LSOAs -> ~7,300 MSOAs -> ~330
districts -> one total), at mean counts of 20, 12 and 6 per LSOA.

    .venv/bin/python tests/bench/bench_disclosure.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.disclosure.secondary import Group, protect

N_LSOA, N_MSOA, N_LAD = 35_700, 7_300, 330


def hierarchy(rng: np.random.Generator) -> tuple[list[str], list[Group]]:
    lsoas = [f"E01{i:06d}" for i in range(N_LSOA)]
    # Every MSOA gets at least 3 LSOAs, the rest spread at random (real MSOAs: 3-11).
    sizes = np.full(N_MSOA, 3) + np.bincount(
        rng.integers(0, N_MSOA, N_LSOA - 3 * N_MSOA), minlength=N_MSOA
    )
    groups, start = [], 0
    for m, size in enumerate(sizes):
        groups.append(Group(f"E02{m:06d}", tuple(lsoas[start : start + size])))
        start += size
    lad_sizes = np.full(N_LAD, 10) + np.bincount(
        rng.integers(0, N_LAD, N_MSOA - 10 * N_LAD), minlength=N_LAD
    )
    msoas = [g.key for g in groups]
    start = 0
    lads = []
    for d, size in enumerate(lad_sizes):
        lads.append(Group(f"E06{d:06d}", tuple(msoas[start : start + size])))
        start += size
    return lsoas, [*groups, *lads, Group("E92000001", tuple(g.key for g in lads))]


def wards(groups: list[Group]) -> list[Group]:
    """~8,700 SYNTHETIC wards of about 4 LSOAs, inside districts but across MSOAs."""
    by_key = {g.key: g for g in groups}
    out = []
    for lad in (g for g in groups if g.key.startswith("E06")):
        lsoas = [u for m in lad.children for u in by_key[m].children]
        start, n = 0, 0
        while start < len(lsoas):
            size = 2 if start == 0 else 4  # the offset makes wards straddle MSOAs
            out.append(Group(f"E05{lad.key[3:]}{n:03d}", tuple(lsoas[start : start + size])))
            start += size
            n += 1
    return out


def main() -> None:
    rng = np.random.default_rng(11)
    lsoas, groups = hierarchy(rng)
    policy = DisclosurePolicy(min_count=10, round_to=5, min_denominator=100, secondary=True)
    print(
        f"SYNTHETIC hierarchy: {len(lsoas):,} LSOAs, {N_MSOA:,} MSOAs, {N_LAD} districts, "
        f"1 total; policy: {policy.describe()}"
    )
    print(
        f"{'mean':>5} {'primary':>8} {'secondary':>9} {'failed':>7} {'rounds':>6} "
        f"{'components':>10} {'narrowest':>9} {'seconds':>8}"
    )
    run(rng, lsoas, groups, policy, overlays=[], regions=[])
    overlay = wards(groups)
    print(f"with {len(overlay):,} SYNTHETIC wards in the protected system (opt-in):")
    run(
        rng,
        lsoas,
        groups,
        policy,
        overlays=overlay,
        regions=[g.key for g in groups if g.key.startswith("E06")],
    )


def run(
    rng: np.random.Generator,
    lsoas: list[str],
    groups: list[Group],
    policy: DisclosurePolicy,
    *,
    overlays: list[Group],
    regions: list[str],
) -> None:
    for mean in (20, 12, 6):
        counts = rng.poisson(mean, size=len(lsoas))
        units = {code: float(n) for code, n in zip(lsoas, counts, strict=True)}
        started = time.perf_counter()
        result = protect(units, groups, policy, overlays=overlays, regions=regions)
        elapsed = time.perf_counter() - started
        r = result.report
        narrow = "-" if r.narrowest_primary is None else f"{r.narrowest_primary:.0f}"
        print(
            f"{mean:>5} {r.n_primary:>8,} {r.n_secondary:>9,} {r.n_failed_closed:>7,} "
            f"{r.rounds:>6} {r.n_components:>10,} {narrow:>9} {elapsed:>8.2f}"
        )


if __name__ == "__main__":
    main()
