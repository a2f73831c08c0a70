"""The chunked, integer-coded checker: row numbers and duplicates across chunks, exact
texts in messages, and values stored in the order of the read index."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from ingest.pipeline import tabular
from ingest.pipeline.run import Options, run
from layers.models import Indicator, Release

pytestmark = pytest.mark.django_db

HEADER = "area_code,period,indicator,value\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "release.csv"
    path.write_text(text)
    return path


def listed(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_rows_are_numbered_and_duplicates_found_across_chunks(crime, tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    text = HEADER + (
        "E01013600,2024-03,all-crime,1\n"  # row 2, chunk 1
        "E01013601,2024-03,all-crime,2\n"  # row 3, chunk 1
        "E01013602,2024-03,all-crime,3\n"  # row 4, chunk 2
        "E01013603,2024-03,all-crime,x\n"  # row 5, chunk 2
        "E01013600,2024-03,all-crime,5\n"  # row 6, chunk 3: repeats row 2
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert not result.ok
    assert listed(result) == [
        "row 5, column value, value 'x': not a number (value)",
        "row 6, column area_code, value 'E01013600': duplicate: all-crime for this area "
        "and period is already on an earlier row",
    ]


def test_figures_keep_their_exact_text_in_messages(crime, tmp_path):
    # Every value reads as a number, and the periods as integers: the messages still
    # quote the cells as written.
    text = HEADER + "E01013600,2024,all-crime,2.50\nE01013601,2024,all-crime,007\n"
    result = run(write(tmp_path, text), crime, commit=False)
    assert listed(result) == [
        "row 2, column value, value '2.50': a count must be a whole number",
    ]


def test_a_code_written_differently_is_still_a_duplicate(crime, tmp_path):
    text = HEADER + "E01013600,2024-03,all-crime,1\ne01013600 ,2024-03,all-crime,2\n"
    result = run(write(tmp_path, text), crime, commit=False)
    assert [p.row for p in result.problems] == [3]
    assert "duplicate" in result.problems[0].message


def test_values_are_stored_in_the_order_of_the_read_index(crime, tmp_path):
    text = HEADER + "".join(
        f"E0101360{a},2024-0{m},{ind},{a + m}\n"
        for m in (3, 1, 2)
        for ind in ("burglary", "all-crime")
        for a in (3, 0, 2, 1)
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert result.committed, result.render()
    release = Release.objects.get(dataset=crime, status="published")
    with connection.cursor() as cursor:
        table = f"layers_value_r{int(release.id)}"
        cursor.execute(f"SELECT indicator_id, period_id, area_id FROM {table} ORDER BY ctid")  # noqa: S608
        stored = cursor.fetchall()
    assert len(stored) == 24
    assert stored == sorted(stored)


def test_a_row_that_breaks_the_table_is_reported_from_the_reading_thread(
    crime, tmp_path, monkeypatch
):
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    text = HEADER + "E01013600,2024-03,all-crime,1\n" * 3 + "E01013601,2024-03,all-crime,1,9\n"
    result = run(write(tmp_path, text), crime, commit=True)
    assert not result.ok
    assert "the rows do not line up with the header" in str(result.problems[0])
    assert "line 5" in str(result.problems[0])
    assert not Release.objects.filter(dataset=crime, status="published").exists()


def test_rows_for_areas_outside_the_geography_are_skipped_by_code_not_by_row(crime, tmp_path):
    outside = "".join(f"E0109{i:04d},2024-03,all-crime,{i}\n" for i in range(3))
    text = HEADER + "E01013600,2024-03,all-crime,1\n" + outside + "E01013601,2024-03,all-crime,2\n"
    result = run(
        write(tmp_path, text), crime, commit=True, options=Options(skip_unknown_areas=True)
    )
    assert result.committed, result.render()
    assert "5 row(s) read, 2 value(s)" in result.notes[1]
    assert any(
        "3 row(s) for areas outside this geography were skipped" in w for w in result.warnings
    )


def test_a_skipped_row_still_has_its_other_cells_checked(crime, tmp_path):
    text = HEADER + "E01013600,2024-03,all-crime,1\nE01099999,2024-03,all-crime,lots\n"
    result = run(
        write(tmp_path, text), crime, commit=False, options=Options(skip_unknown_areas=True)
    )
    assert [str(p) for p in result.problems] == [
        "row 3, column value, value 'lots': not a number (value)"
    ]


def test_an_indicator_named_like_a_number_keeps_its_name(crime, tmp_path):
    Indicator.objects.create(
        dataset=crime, slug="007", name="Code 007", measure="count", is_summable=True
    )
    text = HEADER + "E01013600,2024-03,007,1\nE01013601,2024-03,007,2\n"
    result = run(write(tmp_path, text), crime, commit=True)
    assert result.committed, result.render()
