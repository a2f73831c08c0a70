"""Check a table of values a chunk at a time, with pandas (vectorised).

The same rules and messages as validate.RowChecker, which still handles the rare rows
that need a decision of their own (area codes not in the geography: other levels,
edition conversion, skipping). Vectorising is what lets a million-row file be checked
in about the time it takes to read it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.pipeline.parse import Columns, ParseError, Rows, _text_rows, read_table
from ingest.pipeline.report import Problem
from ingest.pipeline.validate import MAX_PROBLEMS, Context, RowChecker
from layers.domain.periods import Period, PeriodError, parse_period

CHUNK_ROWS = 200_000
BATCH_COLUMNS = ["indicator_id", "area_id", "period_code", "value", "numerator", "denominator"]


def read_frames(path: Path, file_format: str) -> tuple[list[str], Iterator[pd.DataFrame]]:
    """The header and chunks of the table as strings, indexed by spreadsheet row number."""
    if file_format == "csv":
        header, _ = _text_rows(path)  # checks encoding, delimiter and header first
        text = path.read_bytes().decode("utf-8-sig")
        try:
            import csv

            dialect = csv.Sniffer().sniff(text[:16384], delimiters=",;\t|")
            sep = dialect.delimiter
        except csv.Error:
            sep = ","
        reader = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            chunksize=CHUNK_ROWS,
            header=0,
            names=list(range(len(header))),
            engine="c",
        )

        def frames() -> Iterator[pd.DataFrame]:
            try:
                for frame in reader:
                    frame.index = frame.index + 2
                    yield frame
            except pd.errors.ParserError as exc:
                raise ParseError(
                    f"the rows do not line up with the header ({exc})".replace(
                        "Error tokenizing data. C error: ", ""
                    )
                ) from None

        return header, frames()
    header, rows = read_table(path, file_format)
    return header, _frames_from_rows(rows, len(header))


def _frames_from_rows(rows: Rows, width: int) -> Iterator[pd.DataFrame]:
    numbers: list[int] = []
    cells: list[list[str]] = []
    for number, row in rows:
        numbers.append(number)
        cells.append((row + [""] * width)[:width])
        if len(cells) >= CHUNK_ROWS:
            yield pd.DataFrame(cells, index=numbers, columns=list(range(width)))
            numbers, cells = [], []
    if cells:
        yield pd.DataFrame(cells, index=numbers, columns=list(range(width)))


def _numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(numbers, is_empty, is_not_a_number) for a column of text.

    Plain numbers convert in one vectorised step; only the cells that do not (thousands
    separators, spaces, blanks, words) are cleaned and looked at again.
    """
    numbers = pd.to_numeric(text, errors="coerce")
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
        numbers[odd] = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce")
    bad = numbers.isna() & ~empty | ~np.isfinite(numbers.fillna(0))
    return numbers.where(~bad), empty, bad


class TableChecker:
    def __init__(self, context: Context, columns: Columns, header: list[str]) -> None:
        self.context = context
        self.columns = columns
        self.header = header
        self.rows = RowChecker(context, columns, header)
        self.outcome = self.rows.outcome
        self.area_codes = pd.Index(list(context.area_ids))
        # NaN last: get_indexer's -1 for an unknown code picks it.
        self.area_id_array = np.array([*context.area_ids.values(), np.nan], dtype=np.float64)
        slugs = sorted(context.indicators)
        self.indicator_index = {slug: i for i, slug in enumerate(slugs)}
        self.indicator_list = [context.indicators[s] for s in slugs]
        self._periods: dict[str, Period | str] = {}
        self._period_index: dict[str, int] = {}
        self._keys: list[np.ndarray] = []
        self._key_rows: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        self._pending: list[tuple[int, int | None, str, str]] = []

    def problem(
        self, rows: pd.Index, column: int | None, values: pd.Series | str, message: str
    ) -> None:
        for i, row in enumerate(rows):
            self.outcome.n_problems += 1
            if len(self._pending) + len(self.outcome.problems) < MAX_PROBLEMS:
                value = values if isinstance(values, str) else str(values.iloc[i])
                self._pending.append((int(row), column, value, message))

    def flush_problems(self) -> None:
        """Every problem noted so far, in row order (then column order)."""
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
        self.outcome.problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", -1)))

    def _area_ids(self, codes: pd.Series) -> pd.Series:
        """Area ids for codes (NaN where unknown), by one hash lookup per cell."""
        return pd.Series(self.area_id_array[self.area_codes.get_indexer(codes)], index=codes.index)

    def _period_codes(self, frame: pd.DataFrame) -> pd.Series:
        index = self.columns.period
        raw = frame[index] if index is not None else pd.Series("", index=frame.index)
        uniques = pd.Index(raw.unique())
        text = pd.Series(
            np.array([v.strip() for v in uniques], dtype=object)[uniques.get_indexer(raw)],
            index=frame.index,
        )
        if self.context.default_period:
            text = text.where(text != "", self.context.default_period)
        missing = text == ""
        if missing.any():
            self.problem(
                frame.index[missing], index, "", "no period: add a period column or give --period"
            )
        code_of: dict[str, str | None] = {}
        for value in text[~missing].unique():
            if value not in self._periods:
                try:
                    self._periods[value] = parse_period(value)
                except PeriodError as exc:
                    self._periods[value] = str(exc)
            parsed = self._periods[value]
            if isinstance(parsed, Period):
                code_of[value] = parsed.code
                self.outcome.periods[parsed.code] = parsed
                self._period_index.setdefault(parsed.code, len(self._period_index))
            else:
                code_of[value] = None
                rows = frame.index[text == value]
                self.problem(
                    rows, index, value, f"period not understood: {parsed.split(': ', 1)[-1]}"
                )
        # get_indexer gives -1 for a miss, which picks the None put last.
        codes = np.array([*code_of.values(), None], dtype=object)
        return pd.Series(codes[pd.Index(list(code_of)).get_indexer(text)], index=frame.index)

    def check(self, frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
        """Batches of good records from one chunk; problems are noted."""
        frame = frame[(frame != "").any(axis=1)]
        if frame.empty:
            return
        columns = self.columns
        self.outcome.n_rows += len(frame)
        assert columns.area is not None  # noqa: S101 (map_columns guarantees it)
        area_id = self._area_ids(frame[columns.area])
        unknown = area_id.isna()
        if unknown.any():  # lower case or padded codes: tidy those cells only
            area_id[unknown] = self._area_ids(frame[columns.area][unknown].str.strip().str.upper())
            unknown = area_id.isna()
        if unknown.any():
            # Other levels, edition conversion, skipping: one row at a time.
            for number, cells in zip(
                frame.index[unknown], frame[unknown].itertuples(index=False), strict=True
            ):
                row_cells = list(cells)
                row_cells[columns.area] = row_cells[columns.area].strip().upper()
                batch = list(self.rows.check(int(number), row_cells))
                if batch:
                    yield pd.DataFrame(batch, columns=BATCH_COLUMNS)
            frame, area_id = frame[~unknown], area_id[~unknown]
            if frame.empty:
                return
        period = self._period_codes(frame)
        if columns.is_long:
            assert columns.indicator is not None and columns.value is not None  # noqa: S101
            slugs = frame[columns.indicator]
            known = pd.Index(list(self.indicator_index))
            index = pd.Series(known.get_indexer(slugs), index=frame.index)
            if (index < 0).any():
                index[index < 0] = known.get_indexer(slugs[index < 0].str.strip())
            bad = index < 0
            if bad.any():
                self.problem(
                    frame.index[bad],
                    columns.indicator,
                    slugs[bad],
                    "unknown indicator (the dataset has: "
                    + ", ".join(sorted(self.context.indicators))
                    + ")",
                )
            for i, info in enumerate(self.indicator_list):
                mask = index == i
                if mask.any():
                    yield from self._values(
                        frame[mask], area_id[mask], period[mask], info, columns.value, required=True
                    )
        else:
            for column, slug in columns.wide.items():
                yield from self._values(
                    frame, area_id, period, self.context.indicators[slug], column, required=False
                )

    def _values(
        self,
        frame: pd.DataFrame,
        area_id: pd.Series,
        period: pd.Series,
        info,  # type: ignore[no-untyped-def]
        column: int,
        *,
        required: bool,
    ) -> Iterator[pd.DataFrame]:
        value, empty, bad = _numbers(frame[column])
        ok = ~bad & ~empty
        if required and empty.any():
            self.problem(
                frame.index[empty],
                column,
                "",
                "missing value: missing is not zero; leave the row out if there is no figure",
            )
        if bad.any():
            self.problem(frame.index[bad], column, frame[column][bad], "not a number (value)")
        if info.measure != "score":
            negative = ok & (value < 0)
            if negative.any():
                self.problem(
                    frame.index[negative],
                    column,
                    frame[column][negative],
                    f"negative value for a {info.measure}",
                )
                ok &= ~negative
        if info.measure == "count":
            fraction = ok & (value % 1 != 0)
            if fraction.any():
                self.problem(
                    frame.index[fraction],
                    column,
                    frame[column][fraction],
                    "a count must be a whole number",
                )
                ok &= ~fraction
        numerator = denominator = pd.Series(np.nan, index=frame.index)
        for which, col_index in (
            ("numerator", self.columns.numerator),
            ("denominator", self.columns.denominator),
        ):
            if not self.columns.is_long or col_index is None:
                continue
            parsed, _, wrong = _numbers(frame[col_index])
            if wrong.any():
                self.problem(
                    frame.index[wrong & ok],
                    col_index,
                    frame[col_index][wrong & ok],
                    f"not a number ({which})",
                )
                ok &= ~wrong
            negative = ok & (parsed < 0) & (info.measure != "score")
            if negative.any():
                self.problem(
                    frame.index[negative],
                    col_index,
                    frame[col_index][negative],
                    f"negative {which} for a {info.measure}",
                )
                ok &= ~negative
            if which == "numerator":
                numerator = parsed
            else:
                denominator = parsed
        if info.measure != "rate":
            over = ok & (numerator > denominator)
            if over.any():
                assert self.columns.numerator is not None  # noqa: S101
                self.problem(
                    frame.index[over],
                    self.columns.numerator,
                    frame[self.columns.numerator][over],
                    "numerator larger than denominator",
                )
                ok &= ~over
        ok &= period.notna()
        if not ok.any():
            return
        ids = area_id[ok].astype("int64").to_numpy()
        known = pd.Index(list(self._period_index))
        period_index = np.array(list(self._period_index.values()), dtype=np.int64)[
            known.get_indexer(period[ok])
        ]
        keys = (np.int64(self.indicator_index[info.slug]) << 44) | (period_index << 32) | ids
        # Duplicates are found once, over the whole file, at the end (any duplicate
        # rejects the release, so the rows may be written meanwhile).
        self._keys.append(keys)
        self._key_rows.append(frame.index[ok].to_numpy(dtype=np.int64))
        self._ids.append(ids)
        self.outcome.n_records += len(ids)
        yield pd.DataFrame(
            {
                "indicator_id": info.id,
                "area_id": ids,
                "period_code": period[ok].to_numpy(),
                "value": value[ok].to_numpy(),
                "numerator": numerator[ok].to_numpy(),
                "denominator": denominator[ok].to_numpy(),
            }
        )

    def _duplicates(self) -> None:
        if not self._keys:
            return
        keys = np.concatenate(self._keys)
        rows = np.concatenate(self._key_rows)
        order = np.lexsort((rows, keys))
        repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1]) + 1
        if len(repeated):
            slugs = {i: s for s, i in self.indicator_index.items()}
            codes = {i: c for c, i in self.context.area_ids.items()}
            for position in order[repeated]:
                key = int(keys[position])
                self._pending_duplicate(
                    int(rows[position]), slugs[key >> 44], codes.get(key & 0xFFFFFFFF, "")
                )
        self.outcome.n_records -= len(repeated)
        self.outcome.area_ids_seen.update(np.unique(np.concatenate(self._ids)).tolist())

    def _pending_duplicate(self, row: int, slug: str, code: str) -> None:
        self.outcome.n_problems += 1
        if len(self._pending) + len(self.outcome.problems) < MAX_PROBLEMS:
            self._pending.append(
                (
                    row,
                    self.columns.area,
                    code,
                    f"duplicate: {slug} for this area and period is already on an earlier row",
                )
            )

    def batches(
        self, frames: Iterator[pd.DataFrame], progress: Callable[[int], None] | None = None
    ) -> Iterator[pd.DataFrame]:
        for frame in frames:
            yield from self.check(frame)
            if progress is not None:
                progress(self.outcome.n_rows)
        merged = list(self.rows.merged_records())
        if merged:
            yield pd.DataFrame(merged, columns=BATCH_COLUMNS)
        self._duplicates()
        self.flush_problems()
