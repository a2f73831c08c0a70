"""Read delimited text tables the way partner files arrive (BOM, odd delimiters)."""

from __future__ import annotations

import csv
from pathlib import Path


class UnreadableTable(Exception):
    """The file cannot be read as a delimited table; the message says why."""


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a CSV file (UTF-8, with or without a byte-order mark).

    The delimiter is sniffed among comma, semicolon, tab and pipe.
    """
    if not path.exists():
        raise UnreadableTable(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableTable(
            f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None
    if not text.strip():
        raise UnreadableTable(f"{path.name}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    rows = list(csv.reader(text.splitlines(), dialect))
    header = [h.strip() for h in rows[0]]
    return header, rows[1:]
