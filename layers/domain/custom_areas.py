"""What makes a custom area's definition acceptable (pure).

A custom area (a neighbourhood) is a named set of whole LSOAs (DISCLOSURE.md 6.1: built
from permitted units, never from OAs or a drawn polygon that cuts LSOAs). Its figures are
sums of published LSOA figures only (6.2, `sum_of_published`), so it adds no disclosure
risk; the minimum number of constituents (section 3, `custom_areas.min_constituents`,
default 3) keeps a "neighbourhood" from being one or two LSOAs under another name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from layers.domain.errors import ParamError
from layers.domain.levels import Level, LevelKind

MIN_CONSTITUENTS = 3
MAX_CONSTITUENTS = 5000
MAX_NAME_LENGTH = 200
_LISTED = 10  # codes named in one message; the count says how many more


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, naming the field at fault."""

    parameter: str
    message: str


class DefinitionError(ParamError):
    """A custom area's definition has problems; `problems` lists every one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems), parameter=problems[0].parameter)
        self.problems = list(problems)


def _listed(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:_LISTED])
    return shown + (f" and {len(codes) - _LISTED} more" if len(codes) > _LISTED else "")


def check_definition(
    *,
    name: str,
    codes: Sequence[object],
    levels_of: Mapping[str, set[str]],
    base_level: Level,
    min_constituents: int = MIN_CONSTITUENTS,
) -> list[Problem]:
    """Every problem with a definition (empty when it is acceptable).

    - `name`: required, at most MAX_NAME_LENGTH characters;
    - `codes`: text codes, each once, each an area of `base_level` (an LSOA level):
      codes no level knows are named as unknown, codes of another level as such, with
      that level; at least `min_constituents` and at most MAX_CONSTITUENTS of them.

    `levels_of` maps each known code to the slugs of the levels it is an area of.
    """
    problems: list[Problem] = []
    if not name or not name.strip():
        problems.append(Problem("name", "name is required"))
    elif len(name.strip()) > MAX_NAME_LENGTH:
        problems.append(Problem("name", f"name must be at most {MAX_NAME_LENGTH} characters"))
    if base_level.kind is not LevelKind.LSOA:
        problems.append(
            Problem("base_level", f"custom areas are built from LSOAs, not {base_level.slug}")
        )
    not_text = [c for c in codes if not isinstance(c, str) or not c]
    if not_text:
        problems.append(Problem("codes", "codes must be non-empty strings (GSS codes)"))
    texts = [c for c in codes if isinstance(c, str) and c]
    repeated = sorted(code for code, n in Counter(texts).items() if n > 1)
    if repeated:
        problems.append(Problem("codes", f"codes given more than once: {_listed(repeated)}"))
    distinct = sorted(set(texts))
    unknown = [c for c in distinct if c not in levels_of]
    if unknown:
        problems.append(Problem("codes", f"unknown area codes: {_listed(unknown)}"))
    elsewhere = [
        f"{c} ({', '.join(sorted(levels_of[c]))})"
        for c in distinct
        if c in levels_of and base_level.slug not in levels_of[c]
    ]
    if elsewhere:
        problems.append(Problem("codes", f"not {base_level.slug} areas: {_listed(elsewhere)}"))
    if len(distinct) < min_constituents:
        problems.append(
            Problem(
                "codes",
                f"a custom area needs at least {min_constituents} {base_level.slug} areas, "
                f"not {len(distinct)}",
            )
        )
    if len(distinct) > MAX_CONSTITUENTS:
        problems.append(
            Problem("codes", f"a custom area may have at most {MAX_CONSTITUENTS} areas")
        )
    return problems
