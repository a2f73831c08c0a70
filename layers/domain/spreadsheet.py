"""Text cells that a spreadsheet would run (issue #10 "Exports")."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: Any) -> Any:
    """Neutralise spreadsheet formula injection in a text cell (=, +, -, @, tab, CR): a
    leading ' makes a spreadsheet show the text, never run it. Every CSV and XLSX the
    portal writes puts its text cells through this one function."""
    if isinstance(text, str) and text[:1] in FORMULA_STARTS:
        return "'" + text
    return text
