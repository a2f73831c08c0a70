"""The chunked, integer-coded checker: row numbers and duplicates across chunks, exact
texts in messages, values stored a chunk at a time while the file is read, and the read
index."""

from __future__ import annotations

import faulthandler
from pathlib import Path

import pytest
from django.db import connection

from ingest.pipeline import tabular
from ingest.pipeline.run import Options, run
from layers.models import Area, Indicator, Period, Release
from layers.queries import _VALUES_FOR_PERIOD, fetch_values

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


def stored_keys(release: Release) -> list[tuple[int, int, int]]:
    """(indicator, period, area) of a release's values, in the order they lie on disk."""
    with connection.cursor() as cursor:
        table = f"layers_value_r{int(release.id)}"
        cursor.execute(f"SELECT indicator_id, period_id, area_id FROM {table} ORDER BY ctid")  # noqa: S608
        return cursor.fetchall()


def test_values_are_stored_a_chunk_at_a_time_each_in_the_order_of_the_read_index(
    crime, tmp_path, monkeypatch
):
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 8)
    text = HEADER + "".join(
        f"E0101360{a},2024-0{m},{ind},{a + m}\n"
        for m in (3, 1, 2)
        for ind in ("burglary", "all-crime")
        for a in (3, 0, 2, 1)
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert result.committed, result.render()
    stored = stored_keys(Release.objects.get(dataset=crime, status="published"))
    assert len(stored) == 24
    # Each chunk of 8 rows (one month, both indicators) is stored in index order; the
    # chunks follow one another as the file has them.
    chunks = [stored[i : i + 8] for i in range(0, 24, 8)]
    assert all(chunk == sorted(chunk) for chunk in chunks)
    assert stored != sorted(stored)
    months = [{period for _, period, _ in chunk} for chunk in chunks]
    assert all(len(m) == 1 for m in months) and len(set().union(*months)) == 3


def test_a_later_chunk_with_a_problem_rejects_the_file_and_stores_nothing(
    crime, tmp_path, monkeypatch
):
    ok = HEADER + "E01013600,2024-03,all-crime,1\nE01013601,2024-03,all-crime,2\n"
    first = run(write(tmp_path, ok), crime, commit=True)
    assert first.committed, first.render()
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    # Chunk 1 is good and goes to the table; chunk 2 holds an MSOA code, looked up in
    # the database while chunk 1's COPY is still open; chunk 3 is good again.
    text = HEADER + (
        "E01013600,2024-04,all-crime,1\n"
        "E01013601,2024-04,all-crime,2\n"
        "E01013602,2024-04,all-crime,3\n"
        "E02002829,2024-04,all-crime,4\n"
        "E01013603,2024-05,all-crime,5\n"
    )
    second = run(write(tmp_path, text), crime, commit=True)
    assert not second.ok
    assert listed(second) == [
        "row 5, column area_code, value 'E02002829': a msoa11 code, but this dataset is at lsoa11"
    ]
    assert Release.objects.get(dataset=crime, status="published") == first.release
    assert second.release is not None and second.release.status == "rejected"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"layers_value_r{second.release.id}"])
        assert cursor.fetchone() == (None,)
        cursor.execute("SELECT count(*) FROM layers_value WHERE dataset_id = %s", [crime.id])
        assert cursor.fetchone() == (2,)


def test_the_read_index_finds_one_indicator_and_period_right_after_publishing(crime, tmp_path):
    # 502 areas x 2 indicators x 12 months: enough pages for the planner to choose.
    codes = list(
        Area.objects.filter(level=crime.level)
        .order_by("gss_code")
        .values_list("gss_code", flat=True)
    )
    text = HEADER + "".join(
        f"{code},2024-{m:02d},{ind},{k % 7}\n"
        for m in range(1, 13)
        for ind in ("all-crime", "burglary")
        for k, code in enumerate(codes)
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert result.committed, result.render()
    release = Release.objects.get(dataset=crime, status="published")
    indicator = Indicator.objects.get(dataset=crime, slug="burglary")
    period = Period.objects.get(code="2024-07")
    params = {"release_id": release.id, "indicator_id": indicator.id, "period_id": period.id}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + _VALUES_FOR_PERIOD, params)
        plan = cursor.fetchone()[0][0]["Plan"]

    def nodes(node: dict) -> list[dict]:
        return [node, *(n for child in node.get("Plans", []) for n in nodes(child))]

    (scan,) = [n for n in nodes(plan) if n.get("Relation Name") == f"layers_value_r{release.id}"]
    assert scan["Node Type"] == "Bitmap Heap Scan"
    # Only a block range or two (16 pages, about 1,700 values each) around that indicator
    # and month are read, not the release's 12,048 values.
    assert scan["Actual Rows"] == len(codes)
    assert scan["Rows Removed by Index Recheck"] + scan["Actual Rows"] < 4_000
    assert len(fetch_values(release.id, indicator.id, period.id)) == len(codes)


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


def test_cells_read_back_as_numbers_are_quoted_from_the_file(crime, tmp_path, monkeypatch):
    # Every figure reads as a number, so figures come back as numbers ("-05" as -5); the
    # messages still quote the cells as the file has them, on the right rows, across
    # chunks and past a quoted line break in a column that is not used.
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    text = (
        "area_code,period,indicator,value,note\n"
        'E01013600,2024-03,all-crime,1,"two\nlines"\n'  # row 2
        "E01013601,2024-03,all-crime,2.0,\n"  # row 3
        "E01013602,2024-03,all-crime,3,\n"  # row 4
        "E01013603,2024-03,all-crime,-05,\n"  # row 5
        "E01013604,2024-03,all-crime,7.50,\n"  # row 6
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert listed(result) == [
        "row 5, column value, value '-05': negative value for a count",
        "row 6, column value, value '7.50': a count must be a whole number",
    ]


def test_indicator_names_read_back_as_numbers_are_quoted_from_the_file(crime, tmp_path):
    # No indicator of the dataset reads as a number: the column is read as codes, and
    # a name that is not there is quoted as written.
    text = HEADER + "E01013600,2024-03,0042,1\n"
    result = run(write(tmp_path, text), crime, commit=False)
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith("row 2, column indicator, value '0042': unknown")


@pytest.mark.parametrize("areas_per_step", [10_000, 100], ids=["codes as categories", "as text"])
def test_a_level_of_many_areas_is_read_the_same_way(crime, tmp_path, monkeypatch, areas_per_step):
    # A level of many areas reads its codes as text, in larger chunks: 502 test LSOAs
    # count as many when a step is 100 areas. Messages and values come out the same.
    monkeypatch.setattr(tabular, "AREAS_PER_STEP", areas_per_step)
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    text = HEADER + (
        "E01013600,2024-03,all-crime,1\n"
        " e01013601,2024-03,all-crime,2\n"  # tidied
        "E01099999,2024-03,all-crime,3\n"  # unknown
        "E02002829,2024-03,all-crime,4\n"  # another level
        "E01013600,2024-03,all-crime,5\n"  # repeats row 2
    )
    result = run(write(tmp_path, text), crime, commit=False)
    assert listed(result) == [
        "row 4, column area_code, value 'E01099999': unknown area code: no lsoa11 area has it",
        "row 5, column area_code, value 'E02002829': a msoa11 code, but this dataset is at lsoa11",
        "row 6, column area_code, value 'E01013600': duplicate: all-crime for this area and "
        "period is already on an earlier row",
    ]
    good = HEADER + "E01013600,2024-03,all-crime,1\n e01013601,2024-03,all-crime,2\n"
    published = run(write(tmp_path, good), crime, commit=True)
    assert published.committed, published.render()
    release = Release.objects.get(dataset=crime, status="published")
    assert len(stored_keys(release)) == 2
    assert tabular.chunk_rows(502) == 2 * (5 if areas_per_step == 100 else 1)


def test_a_bad_period_among_years_is_the_only_problem(crime, tmp_path):
    # "2024" and "2024.5" in one chunk both come back from pandas as floats: the years
    # must still read as years, and the bad cell is quoted as written.
    text = HEADER + "E01013600,2024,all-crime,1\nE01013601,2024.5,all-crime,2\n"
    result = run(write(tmp_path, text), crime, commit=False)
    (problem,) = listed(result)
    assert problem.startswith("row 3, column period, value '2024.5': period not understood")


def test_a_very_long_cell_before_a_problem_still_gives_a_report(crime, tmp_path):
    # The csv module refuses cells over 128 kB unless told; pandas does not.
    long_note = "x" * 200_000
    text = (
        "area_code,period,indicator,value,note\n"
        f"E01013600,2024-03,all-crime,1,{long_note}\n"
        "E01013601,2024-03,all-crime,2.50,\n"
    )
    result = run(write(tmp_path, text), crime, commit=True)
    assert not result.ok
    assert listed(result) == ["row 3, column value, value '2.50': a count must be a whole number"]
    assert result.release is not None and result.release.status == "rejected"


def test_lines_ending_in_a_lone_cr_are_read(crime, tmp_path):
    path = tmp_path / "release.csv"
    path.write_bytes(
        b"area_code,period,indicator,value\rE01013600,2024-03,all-crime,1\r"
        b"E01013601,2024-03,all-crime,2\r"
    )
    result = run(path, crime, commit=True)
    assert result.committed, result.render()
    assert "2 row(s) read, 2 value(s)" in result.notes[1]


def test_a_failed_last_write_ends_in_an_error_not_a_hang(crime, tmp_path, monkeypatch, artifacts):
    # The last write of the COPY fails (as when the server goes away): the COPY must
    # still be ended, since until then it holds the connection's lock and the rollback
    # would wait for it for ever.
    from ingest.pipeline import store

    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    real_close = store.ValueStream._close

    def failing_close(self, error=None):
        if error is None and self._copy is not None:

            def write(data):
                raise RuntimeError("connection lost")

            self._copy.write = write
        return real_close(self, error)

    monkeypatch.setattr(store.ValueStream, "_close", failing_close)
    # A hang cannot be interrupted from Python (psycopg waits in C): if it happens, end
    # the test run after 120 s, with every thread's traceback in the artifacts, rather
    # than hang CI.
    dump = (artifacts / "hang-failed-last-write.txt").open("w")
    faulthandler.dump_traceback_later(120, exit=True, file=dump)
    try:
        text = HEADER + "".join(f"E0101360{a},2024-03,all-crime,{a}\n" for a in range(5))
        with pytest.raises(RuntimeError, match="connection lost"):
            run(write(tmp_path, text), crime, commit=True)
    finally:
        faulthandler.cancel_dump_traceback_later()
        dump.close()
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert not Release.objects.filter(dataset=crime, status="published").exists()
