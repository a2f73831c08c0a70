"""The protective marking a document carries (pure).

A profile may hold figures shared under several agreements, each setting its own marking
(the Government Security Classifications: OFFICIAL, with the OFFICIAL-SENSITIVE handling
caveat, SECRET, TOP SECRET). A document is marked with the strictest of them, so no
figure travels under a weaker marking than its agreement sets.
"""

from __future__ import annotations

from collections.abc import Iterable

# Weakest first. An agreement's own wording (a caveat such as "OFFICIAL-SENSITIVE
# PERSONAL") is kept as written and ranked by the classification it starts with.
_ORDER = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


def _rank(marking: str) -> int:
    text = marking.strip().upper()
    ranks = [i for i, known in enumerate(_ORDER) if text == known or text.startswith(known + " ")]
    return max(ranks) if ranks else len(_ORDER)


def document_marking(markings: Iterable[str], *, default: str = DEFAULT_MARKING) -> str:
    """The marking for a document holding figures under these markings: the strictest
    known classification; a marking we do not recognise is never dropped (all the
    distinct markings are then named, strictest first). With none, `default` (figures
    an agency reads of its own data)."""
    distinct = sorted(
        {m.strip() for m in markings if m and m.strip()}, key=lambda m: (-_rank(m), m)
    )
    if not distinct:
        return default
    if _rank(distinct[0]) == len(_ORDER):
        return " / ".join(distinct)
    return distinct[0]
