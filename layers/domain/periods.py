"""Periods of time a value covers, normalised to one code each (pure).

Accepted spellings, with the code they normalise to:
- a year: `2024` -> `2024` (1 Jan to 31 Dec);
- a financial year: `2024/25`, `2024-25`, `FY2024/25` -> `2024/25` (1 Apr to 31 Mar);
- a quarter: `2024-Q3`, `2024 Q3`, `Q3 2024` -> `2024-Q3` (calendar quarters);
- a month: `2024-03`, `2024/03`, `Mar 2024`, `March 2024` -> `2024-03`;
- a date range: `2024-01-01/2024-06-30` (or `..` or ` to `) -> `2024-01-01/2024-06-30`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PeriodKind(StrEnum):
    YEAR = "year"
    FINANCIAL_YEAR = "financial_year"
    QUARTER = "quarter"
    MONTH = "month"
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    kind: PeriodKind
    start_on: date
    end_on: date


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})

_YEAR = re.compile(r"^(\d{4})$")
_FY = re.compile(r"^(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})\s*[- ]?\s*Q([1-4])$|^Q([1-4])\s*[- ]?\s*(\d{4})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_NAME = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:/|\.\.|\s+to\s+)\s*(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """The text is not a period we understand; the message lists the accepted forms."""


ACCEPTED = (
    "a year (2024), a financial year (2024/25), a quarter (2024-Q3), a month "
    "(2024-03) or a date range (2024-01-01/2024-06-30)"
)


def _is_next_year(start: int, end: str) -> bool:
    return int(end) == (start + 1 if len(end) == 4 else (start + 1) % 100)


def _month(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(
        f"{year:04d}-{month:02d}", PeriodKind.MONTH, date(year, month, 1), date(year, month, last)
    )


def parse_period(text: str) -> Period:
    """Normalise `text` to a Period, or raise PeriodError saying what is accepted."""
    value = text.strip()
    if m := _YEAR.match(value):
        year = int(m.group(1))
        return Period(f"{year}", PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    if (m := _FY.match(value)) and _is_next_year(int(m.group(1)), m.group(2)):
        start = int(m.group(1))
        return Period(
            f"{start}/{(start + 1) % 100:02d}",
            PeriodKind.FINANCIAL_YEAR,
            date(start, 4, 1),
            date(start + 1, 3, 31),
        )
    if m := _QUARTER.match(value):
        year = int(m.group(1) or m.group(4))
        q = int(m.group(2) or m.group(3))
        first = 3 * (q - 1) + 1
        return Period(
            f"{year}-Q{q}", PeriodKind.QUARTER, date(year, first, 1), _month(year, first + 2).end_on
        )
    if m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(
                f"{text!r}: month {month} does not exist (a financial year is written 2024/25)"
            )
        return _month(year, month)
    if (m := _MONTH_NAME.match(value)) and m.group(1).lower() in _MONTHS:
        return _month(int(m.group(2)), _MONTHS[m.group(1).lower()])
    if _FY.match(value) and not _MONTH.match(value):
        raise PeriodError(
            f"{text!r}: a financial year runs from one year into the next (e.g. 2024/25)"
        )
    if m := _RANGE.match(value):
        try:
            start_on, end_on = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        except ValueError:
            raise PeriodError(f"{text!r}: not a real date") from None
        if end_on < start_on:
            raise PeriodError(f"{text!r}: the range ends before it starts")
        return Period(f"{start_on}/{end_on}", PeriodKind.RANGE, start_on, end_on)
    raise PeriodError(f"{text!r} is not a period: expected {ACCEPTED}")
