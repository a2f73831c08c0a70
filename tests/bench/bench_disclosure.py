"""Disclosure benchmark (not a test): protection plus audit of one indicator-period on a
generated national-size hierarchy (SYNTHETIC: ~35,700 LSOAs -> ~7,300 MSOAs -> ~330
districts -> one total), at mean counts of 20, 12 and 6 per LSOA, without and with
~9,000 SYNTHETIC wards (about 4 LSOAs each, straddling MSOAs) inside the protected
system (the opt-in `ward_method: protected`).

    .venv/bin/python tests/bench/bench_disclosure.py            # the table
    .venv/bin/python tests/bench/bench_disclosure.py --verify   # + the full LP audit

Columns: primary and secondary cells withheld; connected components of withheld cells;
LPs solved by the acceptance audit; seconds for the whole protection (wall clock, and
CPU time of this process, which the other work on a shared machine disturbs less) and
for the audit within it; converged (nothing failed closed); exact recoveries (withheld
cells an attacker pins to one value: must be 0) and the narrowest primary width, both
from the exact narrowest widths in the report (computed after the acceptance audit), or
with --verify from an independent full LP audit solving every withheld cell's min and
max (slow: minutes at mean 6).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.cells import Protection, Status
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.disclosure.secondary import Group, protect

N_LSOA, N_MSOA, N_LAD = 35_700, 7_300, 330
PRIMARY = (Protection.SMALL_COUNT, Protection.ZERO)


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
    """SYNTHETIC wards of about 4 LSOAs, inside districts but across MSOAs."""
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--verify", action="store_true", help="also run the full LP audit")
    parser.add_argument("--means", default="20,12,6")
    args = parser.parse_args()
    means = [float(m) for m in args.means.split(",")]
    lsoas, groups = hierarchy(np.random.default_rng(11))
    overlay = wards(groups)
    policy = DisclosurePolicy(min_count=10, round_to=5, min_denominator=100, secondary=True)
    print(
        f"SYNTHETIC hierarchy: {len(lsoas):,} LSOAs, {N_MSOA:,} MSOAs, {N_LAD} districts, "
        f"1 total; {len(overlay):,} SYNTHETIC wards; policy: {policy.describe()}"
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    print(
        f"{'wards':>5} {'mean':>4} {'primary':>8} {'secondary':>9} {'components':>10} "
        f"{'LPs':>6} {'protect s':>9} {'cpu s':>6} {'audit s':>7} {'converged':>9} "
        f"{'exact':>5} {'narrowest':>9}"
    )
    for with_wards in (False, True):
        for mean in means:
            counts = np.random.default_rng(int(mean)).poisson(mean, size=len(lsoas))
            units = {code: float(n) for code, n in zip(lsoas, counts, strict=True)}
            run(units, groups, overlay if with_wards else [], policy, mean, args.verify)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def run(
    units: dict[str, float],
    groups: list[Group],
    overlay: list[Group],
    policy: DisclosurePolicy,
    mean: float,
    verify: bool,
) -> None:
    regions = [g.key for g in groups if g.key.startswith("E06")]
    started, cpu = time.perf_counter(), time.process_time()
    result = protect(units, groups, policy, overlays=overlay, regions=regions)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    r = result.report
    narrowest = r.narrowest_primary
    # The report's narrowest widths are exact minima over all withheld cells: none below
    # 1 means no cell is recovered exactly.
    lowest = min(w for w in (narrowest, r.narrowest_secondary, float("inf")) if w is not None)
    exact: int | str = 0 if lowest >= 1 else ">0"
    if verify:
        exact, narrowest = full_audit(result, units, groups, overlay)
    narrow = "-" if narrowest is None else f"{narrowest:.0f}"
    print(
        f"{'yes' if overlay else 'no':>5} {mean:>4.0f} {r.n_primary:>8,} {r.n_secondary:>9,} "
        f"{r.n_components:>10,} {r.n_lps:>6,} {elapsed:>9.2f} {cpu:>6.2f} "
        f"{r.seconds_audit:>7.2f} {'yes' if not r.n_failed_closed else 'NO':>9} "
        f"{exact:>5} {narrow:>9}"
    )


def full_audit(  # type: ignore[no-untyped-def]
    result, units, groups, overlay
) -> tuple[int, float | None]:
    """Independent check: every withheld cell's min and max by LP over what is released."""
    values = dict(units)
    for g in [*groups, *overlay]:  # children first
        values[g.key] = sum(values[c] for c in g.children)
    hidden = {k for k, c in result.cells.items() if c.status is Status.WITHHELD}
    equations = [Equation(g.key, g.children) for g in [*groups, *overlay]]
    found = intervals(values, hidden, equations)
    primary = {k for k, c in result.cells.items() if c.protection in PRIMARY}
    exact = sum(1 for iv in found.values() if iv.width < 1 - 1e-9)
    widths = [found[k].width for k in primary]
    return exact, (min(widths) if widths else None)


if __name__ == "__main__":
    main()
