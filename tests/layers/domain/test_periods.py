from __future__ import annotations

from datetime import date

import pytest

from layers.domain.periods import PeriodError, PeriodKind, parse_period


@pytest.mark.parametrize(
    ("text", "code", "kind", "start", "end"),
    [
        ("2024", "2024", PeriodKind.YEAR, date(2024, 1, 1), date(2024, 12, 31)),
        ("2024/25", "2024/25", PeriodKind.FINANCIAL_YEAR, date(2024, 4, 1), date(2025, 3, 31)),
        ("2024-25", "2024/25", PeriodKind.FINANCIAL_YEAR, date(2024, 4, 1), date(2025, 3, 31)),
        ("FY2024/2025", "2024/25", PeriodKind.FINANCIAL_YEAR, date(2024, 4, 1), date(2025, 3, 31)),
        ("1999/00", "1999/00", PeriodKind.FINANCIAL_YEAR, date(1999, 4, 1), date(2000, 3, 31)),
        ("2024-Q3", "2024-Q3", PeriodKind.QUARTER, date(2024, 7, 1), date(2024, 9, 30)),
        ("Q1 2024", "2024-Q1", PeriodKind.QUARTER, date(2024, 1, 1), date(2024, 3, 31)),
        ("2024 q4", "2024-Q4", PeriodKind.QUARTER, date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-03", "2024-03", PeriodKind.MONTH, date(2024, 3, 1), date(2024, 3, 31)),
        ("2024/2", "2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("Feb 2023", "2023-02", PeriodKind.MONTH, date(2023, 2, 1), date(2023, 2, 28)),
        ("September 2024", "2024-09", PeriodKind.MONTH, date(2024, 9, 1), date(2024, 9, 30)),
        (
            "2024-01-01/2024-06-30",
            "2024-01-01/2024-06-30",
            PeriodKind.RANGE,
            date(2024, 1, 1),
            date(2024, 6, 30),
        ),
        (
            "2024-01-01 to 2024-06-30",
            "2024-01-01/2024-06-30",
            PeriodKind.RANGE,
            date(2024, 1, 1),
            date(2024, 6, 30),
        ),
    ],
)
def test_parse_period_normalises(text, code, kind, start, end):
    period = parse_period(text)
    assert (period.code, period.kind, period.start_on, period.end_on) == (code, kind, start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13", "month 13 does not exist"),
        ("2024/26", "month 26 does not exist"),
        ("2024/2026", "runs from one year into the next"),
        ("2024-06-30/2024-01-01", "ends before it starts"),
        ("2024-02-30/2024-03-01", "not a real date"),
        ("last year", r"is not a period: expected a year \(2024\)"),
        ("", "is not a period"),
        ("Smarch 2024", "is not a period"),
    ],
)
def test_parse_period_refuses_with_a_reason(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text)
