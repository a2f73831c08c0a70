"""Wards and custom areas by default (DISCLOSURE.md section 6.2, `sum_of_published`).

Their figures are computed only from already-released unit figures: the sum of the
published (rounded) values when every part is published; `null` with reason
`custom_area_incomplete` when any part is withheld. They therefore reveal nothing new,
whatever their number or overlap: no differencing or tracker attack is possible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from layers.domain.disclosure.cells import PublicReason, Released, Status


def sum_of_published(
    units: Mapping[str, Released],
    overlays: Mapping[str, Sequence[str]],
) -> dict[str, Released]:
    """Released figures for each overlay (key -> its unit keys) from released units.

    - any part withheld: withheld, `custom_area_incomplete` (marker `[c]`);
    - any part with no data (and none withheld): no data (`[x]`): missing is not zero;
    - otherwise the sum of the released values, which are already rounded (so the total
      carries the parts' rounding base, and may differ from a rounded exact total).
    """
    out: dict[str, Released] = {}
    for key, parts in overlays.items():
        cells = [units.get(p) for p in parts]
        if not parts or any(c is None for c in cells):
            out[key] = Released.no_data(key)
        elif any(c.status is Status.WITHHELD for c in cells if c is not None):
            out[key] = Released(key, None, Status.WITHHELD, PublicReason.CUSTOM_AREA_INCOMPLETE)
        elif any(c.status is Status.NO_DATA for c in cells if c is not None):
            out[key] = Released.no_data(key)
        else:
            total = sum(c.value or 0.0 for c in cells if c is not None)
            bases = {c.rounded_to for c in cells if c is not None}
            out[key] = Released.shown(key, total, bases.pop() if len(bases) == 1 else None)
    return out
