"""Secondary suppression by Gaussian elimination, for overlays that do not nest (wards
across MSOAs): the GaussSuppression idea (Statistics Norway; DISCLOSURE.md 5.2, 5.3
step C), done region by region (a district at a time) with dense numpy algebra.

Each cell is a vector over the region's units (a unit is e_u, a total is the indicator
of its units). Candidates for publication are taken in priority order (totals first,
then larger values); a candidate is published only if that leaves every withheld
primary cell outside the span of the published vectors, so no primary cell can be
worked out exactly however the published figures are combined. Greedy local repair
cannot promise that once overlays chain MSOAs together (it cascades); elimination does.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

EPS = 1e-9


def eliminate(
    units: Sequence[str],
    cells: Mapping[str, frozenset[str]],
    values: Mapping[str, float],
    protected: set[str],
    rank: Mapping[str, int],
) -> set[str]:
    """The cells of one region to withhold besides `protected` (primary and sticky).

    `cells` maps every cell of the region (units included) to the units it sums;
    `rank` orders publication priority (higher first: totals before units).
    """
    column = {u: i for i, u in enumerate(units)}
    n = len(units)

    def vector(key: str) -> np.ndarray:
        v = np.zeros(n)
        v[[column[u] for u in cells[key]]] = 1.0
        return v

    residuals = np.array([vector(k) for k in sorted(protected)]) if protected else np.zeros((0, n))
    basis = np.zeros((0, n))  # reduced row echelon form of the published vectors
    pivots: list[int] = []
    order = sorted(
        (k for k in cells if k not in protected),
        key=lambda k: (-rank.get(k, 0), -values.get(k, 0.0), zlib.crc32(k.encode()), k),
    )
    withheld: set[str] = set()
    for key in order:
        r = vector(key)
        if pivots:
            r = r - r[pivots] @ basis
        if np.abs(r).max(initial=0.0) < EPS:
            continue  # already determined by what is published: publishing adds nothing
        pivot = int(np.argmax(np.abs(r)))
        r = r / r[pivot]
        trial = residuals - np.outer(residuals[:, pivot], r) if len(residuals) else residuals
        if len(trial) and (np.abs(trial).max(axis=1) < EPS).any():
            withheld.add(key)  # publishing it would let a primary cell be worked out
            continue
        residuals = trial
        basis = (
            np.vstack([basis - np.outer(basis[:, pivot], r), r]) if len(basis) else r[np.newaxis, :]
        )
        pivots.append(pivot)
    # A withheld cell that the published cells determine anyway hides nothing: publish it.
    for key in sorted(withheld):
        r = vector(key)
        if pivots:
            r = r - r[pivots] @ basis
        if np.abs(r).max(initial=0.0) < EPS:
            withheld.discard(key)
    return withheld
