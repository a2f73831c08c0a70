"""A bounded fuzz run of the file parsers (issue #10 "Done when"): hypothesis feeds the
whole ingest pipeline (detection, parsing, validation; a dry run) with arbitrary bytes,
damaged spreadsheets and archives, and CSVs built from hostile cells. Every file must
end in a report — accepted, or refused with problems that say why — and never in an
exception. The API side of the fuzzing is tests/api/v1/test_schemathesis.py."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from ingest.pipeline.run import run
from layers.models import Dataset, Release

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure can be reproduced
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NAMES = ["upload.csv", "upload.xlsx", "upload.zip", "upload.geojson", "upload.txt", "upload"]
HEADER = ["area_code", "period", "indicator", "value"]

hostile_text = st.one_of(
    st.sampled_from(
        [
            "E01013600",
            "E01013601",
            "2024-03",
            "2024/25",
            "2024-Q3",
            "all-crime",
            "burglary",
            "12",
            "-1",
            "1e309",
            "nan",
            "NaN",
            "inf",
            "",
            " ",
            '"',
            "=2+2",
            "\x00",
            "\ufeffarea_code",
            "9" * 400,
        ]
    ),
    st.text(max_size=30),
)


def check_report(path: Path, dataset: Dataset, name: str) -> None:
    """The pipeline answers with a report; a refusal names its problems."""
    result = run(path, dataset, commit=False, file_name=name)
    assert result.committed is False
    if not result.ok:
        assert result.problems and all(str(p).strip() for p in result.problems)
    assert not Release.objects.filter(dataset=dataset, status="published").exists()


def spreadsheet(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@FUZZ
@given(content=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_arbitrary_bytes_get_a_report(crime, tmp_path, settings, content, name):
    settings.FILE_STORE = tmp_path / "store"
    path = tmp_path / "fuzz.bin"
    path.write_bytes(content)
    check_report(path, crime, name)


@FUZZ
@given(
    rows=st.lists(st.lists(hostile_text, min_size=0, max_size=6), max_size=8),
    header=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_csvs_of_hostile_cells_get_a_report(crime, tmp_path, settings, rows, header, delimiter):
    settings.FILE_STORE = tmp_path / "store"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([HEADER, *rows] if header else rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
    check_report(path, crime, "fuzz.csv")


@FUZZ
@given(
    rows=st.lists(st.lists(hostile_text, min_size=1, max_size=5), max_size=5),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    as_zip=st.booleans(),
)
def test_damaged_spreadsheets_and_archives_get_a_report(
    crime, tmp_path, settings, rows, cuts, as_zip
):
    settings.FILE_STORE = tmp_path / "store"
    try:
        content = bytearray(spreadsheet([HEADER, *rows]))
    except IllegalCharacterError:  # openpyxl will not write control characters
        return
    for offset, byte in cuts:  # flip bytes inside the (zipped XML) workbook
        content[offset % len(content)] = byte
    name = "fuzz.xlsx"
    if as_zip:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("inner.xlsx", bytes(content))
        content, name = bytearray(archive.getvalue()), "fuzz.zip"
    path = tmp_path / name
    path.write_bytes(bytes(content))
    check_report(path, crime, name)
