"""The disclosure policy an agreement sets (DISCLOSURE.md section 3).

Pure. The policy is part of an agreement version and so is versioned with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ZeroPolicy(StrEnum):
    """What a zero count means (DISCLOSURE.md section 4.2)."""

    PUBLISH = "publish"
    SUPPRESS = "suppress"
    SUPPRESS_IF_CLASS_DISCLOSURE = "suppress_if_class_disclosure"


class WardMethod(StrEnum):
    """How wards (and other levels that do not nest in MSOAs) get their figures
    (DISCLOSURE.md 6.2): by default only from already-published LSOA figures, which adds
    no risk; opt-in, as totals inside the protected system itself (section 5.3 step C),
    which shows more wards at the cost of more withheld cells."""

    SUM_OF_PUBLISHED = "sum_of_published"
    PROTECTED = "protected"


_ZERO_STRICTNESS = {
    ZeroPolicy.PUBLISH: 0,
    ZeroPolicy.SUPPRESS_IF_CLASS_DISCLOSURE: 1,
    ZeroPolicy.SUPPRESS: 2,
}


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """Thresholds for one agreement: counts 0 < n < min_count are withheld, shown counts
    are rounded to `round_to` (0: no rounding), rates need a denominator of at least
    `min_denominator`, and `secondary` turns on complementary suppression.
    """

    min_count: int = 10
    round_to: int = 5
    min_denominator: int = 100
    zero_policy: ZeroPolicy = ZeroPolicy.PUBLISH
    secondary: bool = True
    ward_method: WardMethod = WardMethod.SUM_OF_PUBLISHED

    def problems(self) -> list[str]:
        """What is wrong with these numbers, as sentences naming the field (empty if none)."""
        found = []
        if self.min_count < 0:
            found.append(f"min_count must be 0 or more, not {self.min_count}")
        if self.round_to < 0:
            found.append(f"round_to must be 0 (no rounding) or more, not {self.round_to}")
        if self.min_denominator < 0:
            found.append(f"min_denominator must be 0 or more, not {self.min_denominator}")
        return found

    def strictness(self) -> tuple[int, int, int, int, int, int]:
        """A key that orders policies from least to most strict, field by field
        (wards from published LSOAs only is the stricter ward method)."""
        return (
            self.min_count,
            self.round_to,
            self.min_denominator,
            _ZERO_STRICTNESS[self.zero_policy],
            int(self.secondary),
            int(self.ward_method is WardMethod.SUM_OF_PUBLISHED),
        )

    def describe(self) -> str:
        """One line for people: what this policy withholds and rounds."""
        parts = [f"counts below {self.min_count} withheld" if self.min_count else "no threshold"]
        parts.append(f"rounded to {self.round_to}" if self.round_to else "not rounded")
        parts.append(f"rates need a denominator of {self.min_denominator}")
        parts.append(f"zeros: {self.zero_policy.value}")
        parts.append("secondary suppression on" if self.secondary else "secondary suppression off")
        parts.append(
            "wards from published LSOAs"
            if self.ward_method is WardMethod.SUM_OF_PUBLISHED
            else "wards in the protected system"
        )
        return "; ".join(parts)

    def in_plain_words(self) -> str:
        """The policy for the public, in sentences (the public page's note on sources)."""
        out = []
        if self.min_count:
            out.append(f"Counts below {self.min_count} are not shown")
        if self.round_to:
            out.append(
                ("others are" if self.min_count else "Counts are")
                + f" rounded to the nearest {self.round_to}"
            )
        sentences = ["; ".join(out) + "."] if out else ["Counts are shown as they are."]
        if self.min_denominator:
            sentences.append(
                f"Rates are not shown where they rest on fewer than {self.min_denominator} people."
            )
        if self.zero_policy is ZeroPolicy.SUPPRESS:
            sentences.append("Zero counts are not shown either.")
        elif self.zero_policy is ZeroPolicy.SUPPRESS_IF_CLASS_DISCLOSURE:
            sentences.append(
                "A zero is not shown where it would say something about everyone in a group."
            )
        if self.secondary:
            sentences.append(
                "Where a hidden figure could be worked out from a total, another figure is "
                "hidden too."
            )
        return " ".join(sentences)


# What the owning agency sees of its own data: nothing withheld, nothing rounded.
UNPROTECTED = DisclosurePolicy(
    min_count=0, round_to=0, min_denominator=0, zero_policy=ZeroPolicy.PUBLISH, secondary=False
)


def policy_key(policy: DisclosurePolicy) -> str:
    """A stable, readable key: protected tables are kept per (release, policy)."""
    return (
        f"t{policy.min_count}-r{policy.round_to}-d{policy.min_denominator}-"
        f"{policy.zero_policy.value}-{'s' if policy.secondary else 'n'}"
        f"{'-wp' if policy.ward_method is WardMethod.PROTECTED else ''}"
    )
