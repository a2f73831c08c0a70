"""File -> rows of text cells, and the header -> which column holds what.

CSV is read with the standard library (UTF-8 with or without a byte-order mark; the
delimiter sniffed), XLSX with openpyxl in read-only mode with cached values only
(formulas are never evaluated) and its XML through defusedxml. Row numbers are as a
spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline.report import Problem

Rows = Iterator[tuple[int, list[str]]]


class ParseError(Exception):
    """The file cannot be read as a table; the message says why."""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _text_rows(path: Path) -> tuple[list[str], Rows]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(
            f"not UTF-8 text (row {line}, byte {exc.start}): save the file as CSV UTF-8"
        ) from None
    sample = text[:16384]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError("the file is empty") from None
    if len(header) < 2:
        raise ParseError(
            f"only one column found (header {header[0][:60]!r}): the delimiter "
            "should be a comma, semicolon, tab or |"
        )

    def rows() -> Rows:
        for number, cells in enumerate(reader, start=2):
            if cells and any(c.strip() for c in cells):
                yield number, cells

    return [h.strip() for h in header], rows()


def _unreadable(exc: BaseException) -> ParseError:
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps what the XML parser raised
        if type(cause).__module__.startswith("defusedxml"):
            return ParseError(
                "the spreadsheet's XML declares a DTD or entities, which can be used to "
                f"exhaust the server's memory (refused: {type(cause).__name__})"
            )
        cause = cause.__cause__ or cause.__context__
    return ParseError(f"not a readable spreadsheet ({type(exc).__name__})")


def _xlsx_rows(path: Path) -> tuple[list[str], Rows]:
    """Cells as text, read with openpyxl in read-only mode with `data_only=True`: each
    formula cell gives the value Excel last saved for it (what the steward saw), and no
    formula is ever evaluated here (openpyxl has no evaluator; without data_only it would
    hand back the formula's text). XML is parsed through defusedxml (openpyxl uses it
    when it is installed): a DTD or entity declaration is refused, never expanded."""
    import openpyxl
    from openpyxl import load_workbook

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False, or defusedxml missing
        raise ParseError("spreadsheets cannot be read safely on this server (no defusedxml)")
    try:
        # A file object, not the path: the kept file has no extension, and openpyxl
        # judges a path by its extension.
        workbook = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken file
        raise _unreadable(exc) from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v).strip() for v in next(values)]
    except StopIteration:
        raise ParseError("the first sheet is empty") from None
    except Exception as exc:  # the sheet's XML is parsed as it is read
        raise _unreadable(exc) from None

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    def rows() -> Rows:
        try:
            for number, row in enumerate(values, start=2):
                cells = [cell(v) for v in row]
                if any(c.strip() for c in cells):
                    yield number, cells
        except Exception as exc:  # the sheet's XML is parsed as it is read
            raise _unreadable(exc) from None
        finally:
            workbook.close()

    return header, rows()


def read_table(path: Path, file_format: str) -> tuple[list[str], Rows]:
    if file_format == "csv":
        return _text_rows(path)
    if file_format == "xlsx":
        return _xlsx_rows(path)
    raise ParseError(f"a {file_format} file holds no table of values")


AREA_NAMES = {"areacode", "code", "gsscode", "geographycode", "areacd", "area", "geography"}
PERIOD_NAMES = {"period", "date", "month", "year", "quarter", "financialyear", "timeperiod"}
INDICATOR_NAMES = {"indicator", "indicatorslug", "measure", "variable"}
VALUE_NAMES = {"value", "count", "amount"}
NUMERATOR_NAMES = {"numerator", "num"}
DENOMINATOR_NAMES = {"denominator", "denom", "den"}
_AREA_RE = re.compile(r"^(oa|lsoa|msoa|wd|ward|lad|la)\d{0,4}(cd|code)\d{0,4}$")


@dataclass(slots=True)
class Columns:
    """Where each field is, by column index; `wide` maps columns to indicator slugs."""

    area: int | None = None
    period: int | None = None
    indicator: int | None = None
    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    wide: dict[int, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def is_long(self) -> bool:
        return self.indicator is not None


def map_columns(
    header: list[str],
    *,
    level_kind: str,
    indicators: dict[str, str],
    overrides: dict[str, str],
    indicator_columns: dict[str, str],
) -> tuple[Columns, list[Problem]]:
    """Find the columns. `indicators` maps slug -> name; `overrides` maps a field
    (area, period, indicator, value, numerator, denominator) to a column name the
    steward gave; `indicator_columns` maps slug -> column (wide files)."""
    problems: list[Problem] = []
    normalised = [_norm(h) for h in header]
    columns = Columns()
    taken: set[int] = set()

    def find(field_name: str, names: set[str]) -> int | None:
        if field_name in overrides:
            wanted = overrides[field_name]
            if wanted in header:
                return header.index(wanted)
            if _norm(wanted) in normalised:
                return normalised.index(_norm(wanted))
            problems.append(
                Problem(
                    f"no column {wanted!r} for the {field_name} (columns: {', '.join(header)})",
                    row=1,
                    column=wanted,
                )
            )
            return None
        hits = [i for i, n in enumerate(normalised) if n in names]
        return hits[0] if hits else None

    columns.area = find("area", AREA_NAMES)
    if columns.area is None and "area" not in overrides:
        candidates = [i for i, n in enumerate(normalised) if _AREA_RE.match(n)]
        preferred = [i for i in candidates if normalised[i].startswith(level_kind)]
        pick = preferred or candidates
        if len(pick) == 1:
            columns.area = pick[0]
        elif len(pick) > 1:
            problems.append(
                Problem(
                    "more than one column could hold the area codes ("
                    + ", ".join(header[i] for i in pick)
                    + "); name one with --area-column",
                    row=1,
                )
            )
    if columns.area is None and not problems:
        problems.append(
            Problem(
                "no area code column (e.g. area_code, LSOA21CD); name it with --area-column", row=1
            )
        )
    columns.period = find("period", PERIOD_NAMES)
    columns.indicator = find("indicator", INDICATOR_NAMES)
    columns.value = find("value", VALUE_NAMES)
    columns.numerator = find("numerator", NUMERATOR_NAMES)
    columns.denominator = find("denominator", DENOMINATOR_NAMES)
    taken = {
        i
        for i in (
            columns.area,
            columns.period,
            columns.indicator,
            columns.value,
            columns.numerator,
            columns.denominator,
        )
        if i is not None
    }
    if columns.indicator is not None and columns.value is None:
        problems.append(
            Problem("an indicator column but no value column; name it with --value-column", row=1)
        )
    if columns.indicator is None:
        by_norm = {}
        for slug, name in indicators.items():
            by_norm[_norm(slug)] = slug
            by_norm[_norm(name)] = slug
        for slug, column in indicator_columns.items():
            if slug not in indicators:
                problems.append(
                    Problem(
                        f"unknown indicator {slug!r} (the dataset has: "
                        f"{', '.join(sorted(indicators))})",
                        row=1,
                    )
                )
            elif column in header:
                columns.wide[header.index(column)] = slug
            else:
                problems.append(
                    Problem(f"no column {column!r} for indicator {slug}", row=1, column=column)
                )
        for i, n in enumerate(normalised):
            if i in taken or i in columns.wide:
                continue
            if n in by_norm:
                columns.wide[i] = by_norm[n]
            else:
                columns.ignored.append(header[i])
        if not columns.wide and not problems:
            problems.append(
                Problem(
                    "no indicator column, and no column named after an "
                    "indicator of the dataset ("
                    + ", ".join(sorted(indicators))
                    + "): long files need indicator and value columns",
                    row=1,
                )
            )
    else:
        columns.ignored = [h for i, h in enumerate(header) if i not in taken]
    return columns, problems
