"""Cells going in and released cells coming out of disclosure control (pure).

Public reasons and markers follow DISCLOSURE.md section 4.1 (GSS symbols): a withheld
figure leaves as `null` with `[c]`, never as 0 or a range, and never says whether it was
primary or secondary. The richer `protection` code stays internal (audit reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SHOWN = "shown"
    WITHHELD = "withheld"
    NO_DATA = "no_data"


class PublicReason(StrEnum):
    CONFIDENTIAL = "confidential"
    NOT_AVAILABLE = "not_available"
    LEVEL_NOT_PERMITTED = "level_not_permitted"
    CUSTOM_AREA_INCOMPLETE = "custom_area_incomplete"


MARKERS: dict[PublicReason, str] = {
    PublicReason.CONFIDENTIAL: "[c]",
    PublicReason.NOT_AVAILABLE: "[x]",
    PublicReason.LEVEL_NOT_PERMITTED: "[z]",
    PublicReason.CUSTOM_AREA_INCOMPLETE: "[c]",
}


class Protection(StrEnum):
    """Why a cell is withheld: internal only (never in an API body, tile or export)."""

    SMALL_COUNT = "primary_threshold"
    ZERO = "zero_suppressed"
    RATE_NUMERATOR = "rate_numerator"
    RATE_DENOMINATOR = "rate_denominator"
    RATE_COMPLEMENT = "rate_complement"
    ZERO_CLASS = "zero_class"
    SECONDARY = "secondary"
    STICKY = "sticky"
    FAILED_CLOSED = "failed_closed"


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure before disclosure control: a count, or a rate/percentage with the
    numerator and denominator it was computed from (rates are checked on those)."""

    key: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True, slots=True)
class Released:
    """One figure after disclosure control."""

    key: str
    value: float | None
    status: Status
    reason: PublicReason | None = None
    rounded_to: int | None = None
    protection: Protection | None = None

    @property
    def marker(self) -> str | None:
        return MARKERS[self.reason] if self.reason is not None else None

    @property
    def is_withheld(self) -> bool:
        return self.status is Status.WITHHELD

    @staticmethod
    def shown(key: str, value: float, rounded_to: int | None) -> Released:
        return Released(key, value, Status.SHOWN, rounded_to=rounded_to or None)

    @staticmethod
    def withheld(key: str, protection: Protection) -> Released:
        return Released(
            key, None, Status.WITHHELD, PublicReason.CONFIDENTIAL, protection=protection
        )

    @staticmethod
    def no_data(key: str) -> Released:
        return Released(key, None, Status.NO_DATA, PublicReason.NOT_AVAILABLE)
