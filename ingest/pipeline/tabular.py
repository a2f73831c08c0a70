"""Check a table of values a chunk at a time, on integer codes.

Each chunk is read as categorical columns: pandas' C reader turns every cell into a small
integer standing for one of the column's distinct texts, and makes a Python string only
for each distinct text. Area codes, periods, indicator names and even values (counts
repeat a lot) have few distinct texts, so every rule runs once per distinct text and
is then spread to the rows by indexing (numpy `take`): no Python work per row, and no
text -> Python string -> number round trip per cell.

The rules and messages are validate.RowChecker's, which still handles the rare rows that
need a decision of their own (area codes not in the geography: other levels, edition
conversion, skipping). Checked values go to a `Records` collector.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from queue import Full, Queue
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ingest.pipeline.parse import Columns, ParseError, Rows, read_table
from ingest.pipeline.records import Records, Summary
from ingest.pipeline.report import Problem
from ingest.pipeline.validate import MAX_PROBLEMS, Context, RowChecker
from layers.domain.periods import Period, PeriodError, parse_period

CHUNK_ROWS = 100_000
# Much of a chunk's work is per distinct area code, and a chunk of a level with many
# areas holds most of them: such a level reads in larger chunks (chunk_rows).
AREAS_PER_STEP = 10_000
MAX_STEPS = 5
# what an area code missing from the geography is (TableChecker._unknown_kinds)
_KNOWN, _MISSING, _CONVERT_OR_OTHER_LEVEL, _SKIPPED, _UNKNOWN = range(5)
_SAMPLE = 64 * 1024
_MAX_CELL = 1 << 30
_BLOCK = 1 << 20

Texts = npt.NDArray[np.object_]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


def check_text(path: Path) -> tuple[list[str], str]:
    """The header and the delimiter of a CSV file, once the whole file is known to be
    UTF-8 (read in blocks, never all at once)."""
    offset, carry = 0, b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK)
            data = carry + block
            if block:
                # A newline byte is never inside a UTF-8 sequence: cut there.
                cut = data.rfind(b"\n") + 1
                if not cut:
                    carry = data
                    continue
                complete, carry = data[:cut], data[cut:]
            else:
                complete, carry = data, b""
            try:
                complete.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                handle.seek(0)
                line = 1 + sum(
                    handle.read(min(_BLOCK, bad - done)).count(b"\n")
                    for done in range(0, bad, _BLOCK)
                )
                raise ParseError(
                    f"not UTF-8 text (row {line}, byte {bad}): save the file as CSV UTF-8"
                ) from None
            offset += len(complete)
            if not block:
                break
        handle.seek(0)
        head = handle.read(_SAMPLE)
    if len(head) == _SAMPLE and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    sample = head.decode("utf-8-sig", errors="ignore")
    try:
        delimiter = csv.Sniffer().sniff(sample[:16384], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    # newline="": a file whose lines end in a lone CR reads as pandas reads it.
    header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), None)
    if header is None:
        raise ParseError("the file is empty")
    if not header:
        raise ParseError("the first line is blank: it should hold the column names")
    if len(header) < 2:
        raise ParseError(
            f"only one column found (header {header[0][:60]!r}): the delimiter "
            "should be a comma, semicolon, tab or |"
        )
    return [h.strip() for h in header], delimiter


Frames = Callable[[Collection[int], int], Iterator[pd.DataFrame]]


def chunk_rows(n_areas: int) -> int:
    """Rows per chunk for a level of `n_areas` areas: CHUNK_ROWS, times one more for each
    AREAS_PER_STEP areas up to MAX_STEPS (at national LSOA size, 35,700 areas, ten million
    rows read in 8.6 s in chunks of 300,000 rather than 11.2 s in chunks of 100,000;
    a small level keeps small chunks, so storing starts and ends sooner)."""
    return CHUNK_ROWS * max(1, min(MAX_STEPS, n_areas // AREAS_PER_STEP))


# (row, column) -> the cell's text exactly as written, for a few cells
CellTexts = Callable[[Collection[tuple[int, int]]], dict[tuple[int, int], str]]


def read_frames(path: Path, file_format: str) -> tuple[list[str], Frames, CellTexts | None]:
    """The header, a reader of chunks of the table indexed by spreadsheet row number (the
    header is row 1), and, for a CSV, a reader of a few cells' exact texts.

    The chunk reader is told which columns to read as text, exactly; the others come as
    categorical columns. A categorical column whose every text reads as a number comes
    back with numbers for categories ("2.50" -> 2.5, "007" -> 7): fine for checking
    figures, codes and periods (Column.of writes a whole number back without ".0"), and
    messages quote such cells from the file itself (TableChecker.flush_problems).
    Indicator names are read exactly when one of them reads as a number, so that "007"
    is never taken for 7."""
    if file_format == "csv":
        header, delimiter = check_text(path)

        def frames(exact: Collection[int], rows: int) -> Iterator[pd.DataFrame]:
            reader = pd.read_csv(
                path,
                sep=delimiter,
                dtype={i: object if i in exact else "category" for i in range(len(header))},
                encoding="utf-8-sig",
                na_filter=False,
                skip_blank_lines=False,
                chunksize=rows,
                header=0,
                names=list(range(len(header))),
                engine="c",
            )
            try:
                for frame in reader:
                    if not isinstance(frame.index, pd.RangeIndex):
                        # pandas takes a first data row longer than the header as
                        # "the leading cells are an index": refuse, never shift columns.
                        raise ParseError(
                            f"the rows do not line up with the header: row 2 has more "
                            f"cells than the header's {len(header)} columns"
                        )
                    frame.index = frame.index + 2
                    yield frame
            except pd.errors.ParserError as exc:
                raise ParseError(
                    f"the rows do not line up with the header ({exc})".replace(
                        "Error tokenizing data. C error: ", ""
                    )
                ) from None

        def cell_texts(cells: Collection[tuple[int, int]]) -> dict[tuple[int, int], str]:
            """One pass over the file to the last row asked for (rows numbered as pandas
            numbers them: one per record, blank lines included)."""
            wanted: dict[int, list[int]] = {}
            for row, column in cells:
                wanted.setdefault(row, []).append(column)
            out: dict[tuple[int, int], str] = {}
            if not wanted:
                return out
            last = max(wanted)
            # pandas reads cells of any length; the csv module stops at 128 kB unless told.
            csv.field_size_limit(max(csv.field_size_limit(), _MAX_CELL))
            try:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    records = csv.reader(handle, delimiter=delimiter)
                    for row, record in enumerate(records, start=1):
                        for column in wanted.get(row, ()):
                            if column < len(record):
                                out[(row, column)] = record[column]
                        if row >= last:
                            break
            except csv.Error:  # the messages keep the texts pandas gave
                pass
            return out

        return header, frames, cell_texts
    header, rows = read_table(path, file_format)
    return header, lambda exact, size: _frames_from_rows(rows, len(header), size), None


def _frames_from_rows(rows: Rows, width: int, size: int) -> Iterator[pd.DataFrame]:
    numbers: list[int] = []
    cells: list[list[str]] = []
    for number, row in rows:
        numbers.append(number)
        cells.append((row + [""] * width)[:width])
        if len(cells) >= size:
            yield pd.DataFrame(cells, index=numbers, columns=list(range(width)), dtype=object)
            numbers, cells = [], []
    if cells:
        yield pd.DataFrame(cells, index=numbers, columns=list(range(width)), dtype=object)


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """The same items, the next one read on another thread while this one is used:
    pandas' tokenizer releases the GIL, so reading and checking share two cores."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=1)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(message, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _written(number: Any) -> str:
    """A number pandas read from a cell, as text again: a whole number without ".0" (a
    chunk holding the periods "2024" and "2024.5" reads both as floats, and "2024" must
    still read as the year)."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return str(number)


@dataclass(slots=True)
class Column:
    """One column of a chunk: a code per row into its distinct texts."""

    codes: Ints
    texts: Texts
    # False when the texts are numbers written back (the file's "2.50" is "2.5" here)
    exact: bool = True

    @classmethod
    def of(cls, series: pd.Series) -> Column:
        exact = True
        if isinstance(series.dtype, pd.CategoricalDtype):
            categorical = series.array
            codes = np.asarray(categorical.codes, dtype=np.int64)  # type: ignore[attr-defined]
            categories = categorical.categories  # type: ignore[attr-defined]
            texts = np.asarray(categories, dtype=object)
            if not pd.api.types.is_string_dtype(categories.dtype):  # read as numbers
                texts = np.array(["" if pd.isna(t) else _written(t) for t in texts], object)
                exact = False
        else:
            found, uniques = pd.factorize(series.to_numpy(dtype=object))
            codes, texts = found.astype(np.int64), np.asarray(uniques, dtype=object)
        if len(codes) and codes.min() < 0:  # a missing cell reads as empty
            texts = np.append(texts, "")
            codes = np.where(codes < 0, len(texts) - 1, codes)
        return cls(codes, texts, exact)

    def take(self, mask: Bools) -> Column:
        return Column(self.codes[mask], self.texts, self.exact)

    def cells(self) -> Texts:
        return self.texts[self.codes]


def _numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(numbers, is_empty, is_not_a_number) for a column of text.

    Plain numbers convert in one vectorised step; only the cells that do not (thousands
    separators, spaces, blanks, words) are cleaned and looked at again.
    """
    numbers = pd.to_numeric(text, errors="coerce").astype(np.float64)
    odd = numbers.isna()
    empty = pd.Series(False, index=text.index)
    if odd.any():
        cleaned = (
            text[odd]
            .str.replace(",", "", regex=False)
            .str.replace("\u00a0", "", regex=False)
            .str.strip()
        )
        empty[odd] = cleaned == ""
        numbers[odd] = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").astype(
            np.float64
        )
    bad = numbers.isna() & ~empty | ~np.isfinite(numbers.fillna(0))
    return numbers.where(~bad), empty, bad


def _parsed(column: Column) -> tuple[Floats, Bools, Bools]:
    """_numbers over a column's distinct texts, spread to its rows."""
    numbers, empty, bad = _numbers(pd.Series(column.texts, dtype=object))
    codes = column.codes
    return (
        numbers.to_numpy(dtype=np.float64)[codes],
        empty.to_numpy(dtype=bool)[codes],
        bad.to_numpy(dtype=bool)[codes],
    )


class TableChecker:
    def __init__(
        self,
        context: Context,
        columns: Columns,
        header: list[str],
        records: Records,
        cell_texts: CellTexts | None = None,
    ) -> None:
        self.context = context
        self.columns = columns
        self.header = header
        self.records = records
        self.rows = RowChecker(context, columns, header)
        self.outcome = self.rows.outcome
        slugs = sorted(context.indicators)
        self.indicator_list = [context.indicators[s] for s in slugs]
        self.indicator_index = {slug: i for i, slug in enumerate(slugs)}
        self.indicator_ids = np.array([i.id for i in self.indicator_list], dtype=np.int64)
        self._periods: dict[str, Period | str] = {}
        self._asked: set[str] = set()  # codes whose level was looked up
        self._pending: list[tuple[int, int | None, str, str]] = []
        self._codes: pd.Index | None = None
        self.cell_texts = cell_texts
        self._inexact: set[int] = set()  # columns read back as numbers in some chunk
        self._code_ids = np.empty(0, dtype=np.float64)

    def problem(
        self,
        rows: Ints,
        column: int | None,
        values: Texts | str,
        message: Texts | str,
    ) -> None:
        """Note a problem on each of `rows` (values and messages per row, or one for all)."""
        self.outcome.n_problems += len(rows)
        room = MAX_PROBLEMS - len(self._pending) - len(self.outcome.problems)
        for i in range(min(room, len(rows))):
            value = values if isinstance(values, str) else str(values[i])
            text = message if isinstance(message, str) else str(message[i])
            self._pending.append((int(rows[i]), column, value, text))

    def flush_problems(self) -> None:
        """Every problem noted so far, in row order (then column order), quoting each
        cell as the file has it."""
        self.outcome.problems.extend(
            Problem(
                message,
                row=row,
                column=self.header[column] if column is not None else None,
                value=value,
            )
            for row, column, value, message in self._pending
        )
        self._pending.clear()
        order = {name: i for i, name in enumerate(self.header)}
        if self._inexact and self.cell_texts is not None:
            problems = self.outcome.problems
            at = [
                (p.row, order[p.column])
                for p in problems
                if p.row is not None and order.get(p.column or "", -1) in self._inexact
            ]
            texts = self.cell_texts(at)
            self.outcome.problems = [
                replace(p, value=texts.get((p.row, order[p.column]), p.value))
                if p.row is not None and order.get(p.column or "", -1) in self._inexact
                else p
                for p in problems
            ]
        self.outcome.problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", -1)))

    def _area_ids(self, texts: Texts) -> Floats:
        """Area ids for distinct codes (NaN where unknown); lower case or padded codes
        are tidied first."""
        if self._codes is None:  # once: a hash index of the level's codes
            self._codes = pd.Index(list(self.context.area_ids), dtype=object)
            self._code_ids = np.fromiter(self.context.area_ids.values(), dtype=np.float64)
        position = self._codes.get_indexer(texts)
        out = np.where(position >= 0, self._code_ids[position], np.nan)
        ids = self.context.area_ids
        for i in np.flatnonzero(position < 0).tolist():
            found = ids.get(texts[i].strip().upper())
            out[i] = np.nan if found is None else found
        return out

    def _unknown_kinds(self, texts: Texts) -> npt.NDArray[np.int8]:
        """What each distinct area code not in the geography is (validate.RowChecker.area
        decides the same, one row at a time)."""
        ctx = self.context
        codes = [t.strip().upper() for t in texts]
        ask = {
            c
            for c in codes
            if c
            and c not in ctx.area_ids
            and c not in ctx.conversion
            and c not in ctx.other_levels
            and c not in self._asked
        }
        if ask and ctx.level_of_codes is not None:
            ctx.other_levels.update(ctx.level_of_codes(sorted(ask)))
            self._asked |= ask
        kinds = np.zeros(len(texts), dtype=np.int8)
        for i, code in enumerate(codes):
            if code in ctx.area_ids:
                kinds[i] = _KNOWN
            elif not code:
                kinds[i] = _MISSING
            elif code in ctx.conversion or code in ctx.other_levels:
                kinds[i] = _CONVERT_OR_OTHER_LEVEL
            elif ctx.skip_unknown_areas:
                kinds[i] = _SKIPPED
            else:
                kinds[i] = _UNKNOWN
        return kinds

    def _periods_of(self, column: Column | None, rows: Ints) -> npt.NDArray[np.int32]:
        """Each row's period (an index into records.period_codes; -1 when it has none);
        rows with no period or one that cannot be read are noted as problems."""
        if column is None:
            column = Column(np.zeros(len(rows), dtype=np.int64), np.array([""], dtype=object))
        texts = np.array([v.strip() for v in column.texts], dtype=object)
        if self.context.default_period:
            texts = np.where(texts == "", self.context.default_period, texts)
        period_of = np.full(len(texts), -1, dtype=np.int32)
        messages = np.full(len(texts), "", dtype=object)
        for k, value in enumerate(texts):
            if not value:
                messages[k] = "no period: add a period column or give --period"
                continue
            if value not in self._periods:
                try:
                    self._periods[value] = parse_period(value)
                except PeriodError as exc:
                    self._periods[value] = str(exc)
            parsed = self._periods[value]
            if isinstance(parsed, Period):
                period_of[k] = self.records.period(parsed.code)
                self.outcome.periods[parsed.code] = parsed
            else:
                messages[k] = f"period not understood: {parsed.split(': ', 1)[-1]}"
        codes = column.codes
        bad = (period_of < 0)[codes]
        if bad.any():
            self.problem(rows[bad], self.columns.period, texts[codes[bad]], messages[codes[bad]])
        return period_of[codes]

    def check(self, frame: pd.DataFrame) -> None:
        """Check one chunk; good values go to the records, problems are noted."""
        every = {i: Column.of(frame[i]) for i in frame.columns}
        self._inexact.update(i for i, column in every.items() if not column.exact)
        blank = np.ones(len(frame), dtype=bool)
        for column in every.values():
            blank &= (column.texts == "")[column.codes]
        rows = frame.index.to_numpy(dtype=np.int64)
        if blank.any():
            keep = ~blank
            rows = rows[keep]
            every = {i: c.take(keep) for i, c in every.items()}
        if not len(rows):
            return
        columns = self.columns
        assert columns.area is not None  # noqa: S101 (map_columns guarantees it)
        area = every[columns.area]
        area_id = self._area_ids(area.texts)[area.codes]
        unknown = np.isnan(area_id)
        if unknown.any():
            kind = self._unknown_kinds(area.texts)[area.codes]
            slow = unknown & (kind == _CONVERT_OR_OTHER_LEVEL)
            if slow.any():
                # Edition conversion or a code of another level: one row at a time.
                cells = [every[i].take(slow).cells() for i in range(len(self.header))]
                for position, number in enumerate(rows[slow]):
                    row_cells = [str(c[position]) for c in cells]
                    row_cells[columns.area] = row_cells[columns.area].strip().upper()
                    records = list(self.rows.check(int(number), row_cells))  # counts the row
                    self.records.add_tuples(records, [int(number)] * len(records))
                keep = ~slow
                rows, area_id, kind = rows[keep], area_id[keep], kind[keep]
                every = {i: c.take(keep) for i, c in every.items()}
                area = every[columns.area]
                if not len(rows):
                    return
            # The rest stay in the checks below (their other cells are checked as any
            # row's are) but never become values.
            skipped = kind == _SKIPPED
            self.outcome.n_skipped_unknown += int(skipped.sum())
            missing = kind == _MISSING
            if missing.any():
                self.problem(rows[missing], columns.area, "", "missing area code")
            strange = kind == _UNKNOWN
            if strange.any():
                self.problem(
                    rows[strange],
                    columns.area,
                    np.array([t.strip().upper() for t in area.take(strange).cells()], object),
                    f"unknown area code: no {self.context.level_slug} area has it",
                )
            area_id = np.where(np.isnan(area_id), -1, area_id)
        self.outcome.n_rows += len(rows)
        ids = area_id.astype(np.int64)
        period = self._periods_of(
            every[columns.period] if columns.period is not None else None, rows
        )
        if columns.is_long:
            assert columns.indicator is not None and columns.value is not None  # noqa: S101
            slugs = every[columns.indicator]
            lookup = self.indicator_index
            which = np.array(
                [lookup.get(s, lookup.get(s.strip(), -1)) for s in slugs.texts], dtype=np.int64
            )[slugs.codes]
            bad = which < 0
            if bad.any():
                self.problem(
                    rows[bad],
                    columns.indicator,
                    slugs.take(bad).cells(),
                    "unknown indicator (the dataset has: "
                    + ", ".join(sorted(self.context.indicators))
                    + ")",
                )
                keep = ~bad
                rows, ids, period, which = rows[keep], ids[keep], period[keep], which[keep]
                every = {i: c.take(keep) for i, c in every.items()}
            self._values(rows, ids, period, which, every, columns.value, required=True, long=True)
        else:
            for column, slug in columns.wide.items():
                which = np.full(len(rows), self.indicator_index[slug], dtype=np.int64)
                self._values(rows, ids, period, which, every, column, required=False, long=False)

    def _values(
        self,
        rows: Ints,
        area_id: Ints,
        period: npt.NDArray[np.int32],
        which: Ints,
        every: dict[int, Column],
        column: int,
        *,
        required: bool,
        long: bool,
    ) -> None:
        measures = np.array([i.measure for i in self.indicator_list], dtype=object)

        def of_measure(name: str) -> Bools:
            """Which rows' indicator has this measure (compared once per indicator)."""
            return (measures == name)[which]

        values = every[column]
        value, empty, bad = _parsed(values)
        ok = ~bad & ~empty
        if required and empty.any():
            self.problem(
                rows[empty],
                column,
                "",
                "missing value: missing is not zero; leave the row out if there is no figure",
            )
        if bad.any():
            self.problem(rows[bad], column, values.take(bad).cells(), "not a number (value)")
        is_score = of_measure("score")
        negative = ok & (value < 0) & ~is_score
        if negative.any():
            self.problem(
                rows[negative],
                column,
                values.take(negative).cells(),
                "negative value for a " + measures[which[negative]].astype(str).astype(object),
            )
            ok &= ~negative
        fraction = ok & of_measure("count") & (value % 1 != 0)
        if fraction.any():
            self.problem(
                rows[fraction],
                column,
                values.take(fraction).cells(),
                "a count must be a whole number",
            )
            ok &= ~fraction
        numerator: Floats | None = None
        denominator: Floats | None = None
        for name, index in (
            ("numerator", self.columns.numerator),
            ("denominator", self.columns.denominator),
        ):
            if not long or index is None:
                continue
            cells = every[index]
            parsed, _, wrong = _parsed(cells)
            wrong_ok = wrong & ok
            if wrong_ok.any():
                self.problem(
                    rows[wrong_ok], index, cells.take(wrong_ok).cells(), f"not a number ({name})"
                )
            ok &= ~wrong
            negative = ok & (parsed < 0) & ~is_score
            if negative.any():
                self.problem(
                    rows[negative],
                    index,
                    cells.take(negative).cells(),
                    f"negative {name} for a "
                    + measures[which[negative]].astype(str).astype(object),
                )
                ok &= ~negative
            if name == "numerator":
                numerator = parsed
            else:
                denominator = parsed
        if numerator is not None and denominator is not None:
            over = ok & ~of_measure("rate") & (numerator > denominator)
            if over.any():
                assert self.columns.numerator is not None  # noqa: S101
                self.problem(
                    rows[over],
                    self.columns.numerator,
                    every[self.columns.numerator].take(over).cells(),
                    "numerator larger than denominator",
                )
                ok &= ~over
        ok &= (period >= 0) & (area_id >= 0)
        if not ok.any():
            return
        self.records.add(
            indicator_id=self.indicator_ids[which[ok]],
            period=period[ok],
            area_id=area_id[ok],
            value=value[ok],
            numerator=None if self.columns.numerator is None or not long else numerator[ok],  # type: ignore[index]
            denominator=(
                None if self.columns.denominator is None or not long else denominator[ok]  # type: ignore[index]
            ),
            row=rows[ok],
        )

    def read(self, frames: Frames, progress: Callable[[int], None] | None = None) -> None:
        """Check every chunk, then add the values that came through an edition conversion."""
        columns = self.columns
        # Indicator names are read as text when one of the dataset's reads as a number
        # ("01" must not come back as 1).
        exact = set()
        if columns.indicator is not None and any(
            _numbers(pd.Series(list(self.context.indicators), dtype=object))[0].notna()
        ):
            exact.add(columns.indicator)
        n_areas = len(self.context.area_ids)
        if columns.area is not None and n_areas >= AREAS_PER_STEP:
            # pandas makes categories slowly when a chunk has tens of thousands of
            # distinct texts (it sorts them): at national LSOA size, reading the codes as
            # text and numbering them here is about twice as fast.
            exact.add(columns.area)
        for frame in read_ahead(frames(exact, chunk_rows(n_areas))):
            self.check(frame)
            # Stored while the next chunk is read, unless the file is already rejected.
            self.records.flush(write=not self.outcome.n_problems)
            if progress is not None:
                progress(self.outcome.n_rows)
        merged = list(self.rows.merged_records())
        self.records.add_tuples(merged, [self.rows.merged_rows[(r[0], r[1], r[2])] for r in merged])

    def finish(self, values: Summary) -> None:
        """Report repeated (indicator, period, area) values, in row order with the rest."""
        if values.repeats:
            slugs = {i.id: i.slug for i in self.indicator_list}
            codes = {i: c for c, i in self.context.area_ids.items()}
            for repeat in values.repeats:
                self.outcome.n_problems += 1
                if len(self._pending) + len(self.outcome.problems) < MAX_PROBLEMS:
                    self._pending.append(
                        (
                            repeat.row,
                            self.columns.area,
                            codes.get(repeat.area_id, ""),
                            f"duplicate: {slugs[repeat.indicator_id]} for this area and "
                            "period is already on an earlier row",
                        )
                    )
        self.outcome.n_records = values.n_values
        self.outcome.area_ids_seen.update(values.area_ids.tolist())
        self.flush_problems()
