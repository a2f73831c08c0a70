"""Check rows of a release, one at a time, against the dataset and the geography.

Every problem names the row, the column, the value and the rule. Rows that pass come
out as records ready to store: (indicator id, area id, period code, value, numerator,
denominator). Nothing here touches the database: the caller loads the context.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ingest.pipeline.parse import Columns, Rows
from ingest.pipeline.report import Problem
from layers.domain.periods import Period, PeriodError, parse_period

Record = tuple[int, int, str, float, float | None, float | None]
MAX_PROBLEMS = 1000  # listed; all are counted


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    id: int
    slug: str
    measure: str
    is_summable: bool


@dataclass(frozen=True, slots=True)
class EditionLink:
    new_code: str
    weight: float
    change: str


@dataclass(slots=True)
class Context:
    level_slug: str
    area_ids: dict[str, int]
    other_levels: dict[str, str]
    indicators: dict[str, IndicatorInfo]
    default_period: str | None = None
    skip_unknown_areas: bool = False
    conversion_level: str | None = None
    conversion: dict[str, list[EditionLink]] = field(default_factory=dict)
    conversion_method: str | None = None
    # Looks up which other level codes belong to; `other_levels` is filled by it, for
    # the codes a file has that are not in the geography, rather than loaded whole.
    level_of_codes: Callable[[list[str]], dict[str, str]] | None = None


@dataclass(slots=True)
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    n_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    n_rows: int = 0
    n_records: int = 0
    n_skipped_unknown: int = 0
    n_converted: int = 0
    periods: dict[str, Period] = field(default_factory=dict)
    area_ids_seen: set[int] = field(default_factory=set)
    conversion_used: str = ""


def best_fit(links: list[EditionLink]) -> EditionLink:
    """The one new area an old one's figure goes to under the best-fit method: the link
    with the largest weight (the share of the old area's population, as ONS publishes
    it), and among equal weights the lowest new code, so that the choice never depends
    on the order the lookup rows come in."""
    return min(links, key=lambda link: (-link.weight, link.new_code))


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


class RowChecker:
    def __init__(self, context: Context, columns: Columns, header: list[str]) -> None:
        self.context = context
        self.columns = columns
        self.header = header
        self.outcome = Outcome()
        self._seen: set[tuple[int, int, str]] = set()
        self._period_cache: dict[str, Period | str] = {}
        self._merged: dict[tuple[int, int, str], list[float | None]] = {}
        # the first row that made each converted record (for reports about it)
        self.merged_rows: dict[tuple[int, int, str], int] = {}

    def problem(self, message: str, row: int, column: int | None, value: str) -> None:
        self.outcome.n_problems += 1
        if len(self.outcome.problems) < MAX_PROBLEMS:
            self.outcome.problems.append(
                Problem(
                    message,
                    row=row,
                    column=self.header[column] if column is not None else None,
                    value=value,
                )
            )

    def period(self, row: int, cells: list[str]) -> Period | None:
        index = self.columns.period
        text = cells[index].strip() if index is not None and index < len(cells) else ""
        if not text:
            if self.context.default_period:
                text = self.context.default_period
            else:
                self.problem("no period: add a period column or give --period", row, index, "")
                return None
        cached = self._period_cache.get(text)
        if cached is None:
            try:
                cached = parse_period(text)
            except PeriodError as exc:
                cached = str(exc)
            self._period_cache[text] = cached
        if isinstance(cached, str):
            self.problem(f"period not understood: {cached.split(': ', 1)[-1]}", row, index, text)
            return None
        self.outcome.periods[cached.code] = cached
        return cached

    def area(self, row: int, cells: list[str]) -> tuple[int, bool] | None:
        """(area id, whether it came through an edition conversion)."""
        index = self.columns.area
        assert index is not None  # noqa: S101 (map_columns guarantees it)
        code = cells[index].strip().upper() if index < len(cells) else ""
        ctx = self.context
        if not code:
            self.problem("missing area code", row, index, "")
            return None
        if code in ctx.area_ids:
            return ctx.area_ids[code], False
        links = ctx.conversion.get(code)
        if links:
            changes = {link.change for link in links}
            if changes <= {"U", "M"}:
                self.outcome.conversion_used = self.outcome.conversion_used or "exact"
                return ctx.area_ids[links[0].new_code], True
            if ctx.conversion_method == "best_fit":
                self.outcome.conversion_used = "best_fit"
                return ctx.area_ids[best_fit(links).new_code], True
            kind = "split" if "S" in changes else "changed in a complex way"
            self.problem(
                f"{ctx.conversion_level} area {kind} in {ctx.level_slug}: it has no "
                "exact equivalent; choose a method (--edition-method best_fit)",
                row,
                index,
                code,
            )
            return None
        if code in ctx.other_levels:
            self.problem(
                f"a {ctx.other_levels[code]} code, but this dataset is at {ctx.level_slug}",
                row,
                index,
                code,
            )
            return None
        if ctx.skip_unknown_areas:
            self.outcome.n_skipped_unknown += 1
            return None
        self.problem(f"unknown area code: no {ctx.level_slug} area has it", row, index, code)
        return None

    def value(
        self,
        row: int,
        cells: list[str],
        index: int,
        indicator: IndicatorInfo,
        *,
        required: bool = True,
        what: str = "value",
    ) -> tuple[bool, float | None]:
        text = cells[index] if index < len(cells) else ""
        number = _number(text)
        if number is None:
            if required:
                self.problem(
                    f"missing {what}: missing is not zero; leave the row out if there is no figure",
                    row,
                    index,
                    text,
                )
                return False, None
            return True, None
        if math.isnan(number):
            self.problem(f"not a number ({what})", row, index, text)
            return False, None
        if number < 0 and indicator.measure != "score":
            self.problem(f"negative {what} for a {indicator.measure}", row, index, text)
            return False, None
        if indicator.measure == "count" and what == "value" and not number.is_integer():
            self.problem("a count must be a whole number", row, index, text)
            return False, None
        return True, number

    def check(self, row: int, cells: list[str]) -> Iterator[Record]:
        """The records of one row (a wide row holds several), or none with problems noted."""
        self.outcome.n_rows += 1
        columns = self.columns
        period = self.period(row, cells)
        area = self.area(row, cells)
        if columns.is_long:
            assert columns.indicator is not None and columns.value is not None  # noqa: S101
            slug = cells[columns.indicator].strip() if columns.indicator < len(cells) else ""
            indicator = self.context.indicators.get(slug)
            if indicator is None:
                self.problem(
                    "unknown indicator (the dataset has: "
                    + ", ".join(sorted(self.context.indicators))
                    + ")",
                    row,
                    columns.indicator,
                    slug,
                )
                return
            pairs = [(columns.value, indicator)]
        else:
            pairs = [(i, self.context.indicators[s]) for i, s in columns.wide.items()]
        for index, indicator in pairs:
            ok, number = self.value(row, cells, index, indicator, required=columns.is_long)
            if not ok or number is None:
                continue
            numerator = denominator = None
            if columns.is_long and columns.numerator is not None:
                ok, numerator = self.value(
                    row, cells, columns.numerator, indicator, required=False, what="numerator"
                )
                if not ok:
                    continue
            if columns.is_long and columns.denominator is not None:
                ok, denominator = self.value(
                    row, cells, columns.denominator, indicator, required=False, what="denominator"
                )
                if not ok:
                    continue
            if (
                numerator is not None
                and denominator is not None
                and numerator > denominator
                and indicator.measure != "rate"
            ):
                self.problem(
                    "numerator larger than denominator",
                    row,
                    columns.numerator,
                    cells[columns.numerator or 0],
                )
                continue
            if period is None or area is None:
                continue
            area_id, converted = area
            key = (indicator.id, area_id, period.code)
            if converted:
                self.outcome.n_converted += 1
                if key in self._merged:
                    if not indicator.is_summable:
                        self.problem(
                            f"{indicator.slug} cannot be summed, so areas merged in "
                            f"{self.context.level_slug} cannot be combined",
                            row,
                            columns.area,
                            cells[columns.area or 0],
                        )
                        continue
                    merged = self._merged[key]
                    merged[0] = (merged[0] or 0) + number
                    merged[1] = (
                        None if merged[1] is None or numerator is None else merged[1] + numerator
                    )
                    merged[2] = (
                        None
                        if merged[2] is None or denominator is None
                        else merged[2] + denominator
                    )
                else:
                    self._merged[key] = [number, numerator, denominator]
                    self.merged_rows[key] = row
                continue
            if key in self._seen:
                self.problem(
                    f"duplicate: {indicator.slug} for this area and period "
                    "is already on an earlier row",
                    row,
                    columns.area,
                    cells[columns.area or 0],
                )
                continue
            self._seen.add(key)
            self.outcome.area_ids_seen.add(area_id)
            self.outcome.n_records += 1
            yield (indicator.id, area_id, period.code, number, numerator, denominator)

    def merged_records(self) -> Iterator[Record]:
        """Records that came through an edition conversion, summed where areas merged."""
        for (indicator_id, area_id, period_code), values in self._merged.items():
            if (indicator_id, area_id, period_code) in self._seen:
                self.outcome.n_problems += 1
                self.outcome.problems.append(
                    Problem(
                        "an area is given both directly and through an edition conversion "
                        f"(period {period_code})"
                    )
                )
                continue
            self.outcome.area_ids_seen.add(area_id)
            self.outcome.n_records += 1
            yield (indicator_id, area_id, period_code, values[0] or 0.0, values[1], values[2])


def check_rows(
    rows: Rows, checker: RowChecker, progress: Callable[[int], None] | None = None
) -> Iterator[Record]:
    """Every record of every row, then the converted ones; `progress` every 10,000 rows."""
    for number, cells in rows:
        yield from checker.check(number, cells)
        if progress is not None and checker.outcome.n_rows % 10_000 == 0:
            progress(checker.outcome.n_rows)
    yield from checker.merged_records()
