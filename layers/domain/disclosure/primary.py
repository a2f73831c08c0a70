"""Primary disclosure rules and rounding (DISCLOSURE.md sections 1.5, 3, 4.2).

Pure. The policy comes from the agreement that grants the read.
"""

from __future__ import annotations

import math

from layers.domain.disclosure.cells import Cell, Protection
from layers.domain.disclosure.policy import DisclosurePolicy, ZeroPolicy


def round_half_away(value: float, base: int) -> float:
    """Round to a multiple of `base`, halves away from zero (DISCLOSURE.md 1.5).

    Python's round() rounds halves to even, so this uses floor arithmetic instead.
    Base 0 means no rounding.
    """
    if not base:
        return value
    scaled = abs(value) / base
    rounded = math.floor(scaled + 0.5) * base
    return float(math.copysign(rounded, value)) if value else 0.0


def count_protection(value: float, policy: DisclosurePolicy) -> Protection | None:
    """Why a count must be withheld on its own, or None.

    0 < n < min_count is withheld; a zero is published unless the policy suppresses zeros
    (DISCLOSURE.md 4.2: a true zero of events reveals nothing about a person).
    """
    if value == 0:
        return Protection.ZERO if policy.zero_policy is ZeroPolicy.SUPPRESS else None
    if 0 < value < policy.min_count:
        return Protection.SMALL_COUNT
    return None


def rate_protection(cell: Cell, policy: DisclosurePolicy) -> Protection | None:
    """Why a rate or percentage must be withheld, judged on its numerator and denominator.

    Withheld when the numerator would be withheld as a count, when the denominator is
    below min_denominator, or when the complement (denominator - numerator) is a small
    count: a rate of 100% of 7 people tells as much as 0%. Class disclosure (0 of n or
    n of n in a small group) is withheld under `suppress_if_class_disclosure`.
    """
    numerator, denominator = cell.numerator, cell.denominator
    if denominator is not None and denominator < policy.min_denominator:
        return Protection.RATE_DENOMINATOR
    if numerator is None:
        return None
    by_count = count_protection(numerator, policy)
    if by_count is not None:
        return Protection.RATE_NUMERATOR
    if denominator is not None:
        complement = denominator - numerator
        if 0 < complement < policy.min_count:
            return Protection.RATE_COMPLEMENT
        if policy.zero_policy is ZeroPolicy.SUPPRESS_IF_CLASS_DISCLOSURE and (
            numerator == 0 or complement == 0
        ):
            return Protection.ZERO_CLASS
    return None
