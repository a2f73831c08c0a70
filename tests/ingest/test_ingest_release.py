"""ingest_release: every rejection rule with a real file, the warnings, publishing,
superseding, withdrawing, duplicate uploads and edition conversion."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from ingest.pipeline.publish import withdraw_release
from ingest.pipeline.report import Problem
from ingest.pipeline.run import Options, run
from layers.models import AuditEvent, Dataset, Indicator, Release
from tests.ingest.conftest import values_of

pytestmark = pytest.mark.django_db

HEADER = "area_code,period,indicator,value\n"
GOOD = (
    HEADER + "E01013600,2024-03,all-crime,12\nE01013601,2024-03,all-crime,7\n"
    "E01013600,2024-03,burglary,0\n"
)


def write(tmp_path: Path, text: str, name: str = "release.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def ingest(path: Path, dataset: Dataset, *, commit: bool = True, **options) -> str:
    out = StringIO()
    call_command(
        "ingest_release", str(path), dataset=dataset.slug, commit=commit, stdout=out, **options
    )
    return out.getvalue()


@pytest.fixture
def published(crime, tmp_path) -> Release:
    ingest(write(tmp_path, GOOD, "first.csv"), crime)
    return Release.objects.get(dataset=crime, status="published")


def test_ingest_publishes_a_long_csv(crime, tmp_path):
    out = ingest(write(tmp_path, GOOD), crime)
    release = Release.objects.get(dataset=crime)
    assert release.status == "published" and release.n_values == 3
    assert values_of(release) == {
        ("all-crime", "2024-03", "E01013600"): 12.0,
        ("all-crime", "2024-03", "E01013601"): 7.0,
        ("burglary", "2024-03", "E01013600"): 0.0,
    }
    assert "published as release" in out
    assert Path(release.stored_path).read_bytes() == GOOD.encode()
    assert AuditEvent.objects.filter(action="release.published", dataset_id=crime.id).exists()


def test_ingest_dry_run_writes_nothing(crime, tmp_path):
    out = ingest(write(tmp_path, GOOD), crime, commit=False)
    assert "Dry run: nothing written" in out
    assert not Release.objects.filter(dataset=crime).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_value WHERE dataset_id = %s", [crime.id])
        assert cursor.fetchone()[0] == 0


def test_ingest_reads_a_wide_xlsx_with_ons_column_names_and_a_period_option(crime, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["LSOA11CD", "LSOA11NM", "All crime", "burglary"])
    sheet.append(["E01013600", "Leicester 003A", 10, 2])
    sheet.append(["E01013601", "Leicester 003B", "1,204", 0])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    out = ingest(path, crime, period="2024/25")
    release = Release.objects.get(dataset=crime, status="published")
    assert values_of(release)[("all-crime", "2024/25", "E01013601")] == 1204.0
    assert release.n_values == 4 and release.file_format == "xlsx"
    assert "columns not used: LSOA11NM" in out


def test_ingest_superseding_keeps_the_previous_release_queryable(published, crime, tmp_path):
    ingest(write(tmp_path, HEADER + "E01013600,2024-04,all-crime,9\n", "second.csv"), crime)
    published.refresh_from_db()
    assert published.status == "superseded"
    assert values_of(published)[("all-crime", "2024-03", "E01013600")] == 12.0
    current = Release.objects.get(dataset=crime, status="published")
    assert values_of(current) == {("all-crime", "2024-04", "E01013600"): 9.0}


def test_same_file_twice_does_nothing(published, crime, tmp_path):
    out = ingest(write(tmp_path, GOOD, "renamed.csv"), crime)
    assert f"already uploaded for recorded-crime as release {published.id}" in out
    assert Release.objects.filter(dataset=crime).count() == 1


def test_withdraw_makes_the_previous_release_current_again(published, crime, tmp_path):
    ingest(write(tmp_path, HEADER + "E01013600,2024-04,all-crime,9\n", "second.csv"), crime)
    second = Release.objects.get(dataset=crime, status="published")
    restored = withdraw_release(second, reason="wrong month", acting_user=None)
    assert restored == published
    second.refresh_from_db()
    assert (second.status, second.withdrawn_reason) == ("withdrawn", "wrong month")
    assert Release.objects.get(dataset=crime, status="published") == published
    assert AuditEvent.objects.filter(action="release.withdrawn").exists()
    with pytest.raises(ValueError, match="only a published or superseded"):
        withdraw_release(second, reason="again", acting_user=None)


def test_warnings_missing_areas_and_large_changes(published, crime, tmp_path, settings):
    settings.INGEST_CHANGE_FACTOR = 3
    out = ingest(write(tmp_path, HEADER + "E01013600,2024-03,all-crime,120\n", "jump.csv"), crime)
    assert "501 lsoa11 area(s) have no row in this release" in out
    assert "never as 0" in out
    assert "1 value(s) changed by more than 3×" in out
    assert "all-crime 2024-03 E01013600: 12 -> 120" in out


REJECTIONS = [
    (
        "unknown area",
        HEADER + "E01099999,2024-03,all-crime,1\n",
        ["row 2, column area_code, value 'E01099999'", "unknown area code"],
    ),
    (
        "wrong level",
        HEADER + "E02002829,2024-03,all-crime,1\n",
        [
            "row 2, column area_code, value 'E02002829'",
            "a msoa11 code, but this dataset is at lsoa11",
        ],
    ),
    (
        "duplicate",
        HEADER + "E01013600,2024-03,all-crime,1\nE01013600,2024-03,all-crime,2\n",
        ["row 3, column area_code, value 'E01013600'", "duplicate"],
    ),
    (
        "not a number",
        HEADER + "E01013600,2024-03,all-crime,twelve\n",
        ["row 2, column value, value 'twelve'", "not a number"],
    ),
    (
        "negative",
        HEADER + "E01013600,2024-03,all-crime,-3\n",
        ["row 2, column value, value '-3'", "negative value for a count"],
    ),
    (
        "fractional count",
        HEADER + "E01013600,2024-03,all-crime,2.5\n",
        ["row 2, column value, value '2.5'", "a count must be a whole number"],
    ),
    (
        "missing value",
        HEADER + "E01013600,2024-03,all-crime,\n",
        ["row 2, column value", "missing value: missing is not zero"],
    ),
    (
        "numerator over denominator",
        "area_code,period,indicator,value,numerator,denominator\n"
        "E01013600,2024-03,pct-solved,120,12,10\n",
        ["row 2, column numerator, value '12'", "numerator larger than denominator"],
    ),
    (
        "unknown indicator",
        HEADER + "E01013600,2024-03,all-crimes,1\n",
        ["row 2, column indicator, value 'all-crimes'", "unknown indicator"],
    ),
    (
        "bad period",
        HEADER + "E01013600,March,all-crime,1\n",
        ["row 2, column period, value 'March'", "period not understood"],
    ),
    (
        "no period",
        "area_code,indicator,value\nE01013600,all-crime,1\n",
        ["row 2", "no period: add a period column or give --period"],
    ),
    (
        "no area column",
        "place,period,indicator,value\nE01013600,2024-03,all-crime,1\n",
        ["row 1", "no area code column"],
    ),
    ("header only", HEADER, ["the file has no rows of values"]),
    (
        "wrong delimiter",
        HEADER.replace(",", "#") + "E01013600#2024-03#all-crime#1\n",
        ["only one column found", "delimiter"],
    ),
]


@pytest.mark.parametrize(("case", "text", "messages"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_ingest_rejects_with_row_column_value_and_rule(
    published, crime, tmp_path, case, text, messages
):
    before = values_of(published)
    path = write(tmp_path, text, f"{case.replace(' ', '_')}.csv")
    with pytest.raises(CommandError, match="rejected: nothing was published; the file is kept"):
        ingest(path, crime)
    rejected = Release.objects.filter(dataset=crime, status="rejected").get()
    listed = " | ".join(
        str(Problem(p["message"], row=p["row"], column=p["column"], value=p["value"]))
        for p in rejected.report["problems"]
    )
    for message in messages:
        assert message in listed, listed
    assert Path(rejected.stored_path).exists()  # the file is kept
    published.refresh_from_db()
    assert published.status == "published" and values_of(published) == before
    assert values_of(rejected) == {}
    assert AuditEvent.objects.filter(action="release.rejected").exists()


def test_ingest_rejects_a_file_that_is_not_utf8(published, crime, tmp_path):
    path = write(
        tmp_path,
        HEADER + "E01013600,2024-03,all-crime,1\n# Café\n",
        "latin.csv",
        encoding="latin-1",
    )
    with pytest.raises(CommandError):
        ingest(path, crime)
    report = Release.objects.get(dataset=crime, status="rejected").report
    assert "not UTF-8 text (row 3" in report["problems"][0]["message"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("broken.xlsx", b"PK\x03\x04not really a zip", "a damaged zip archive or spreadsheet"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel (.xls)"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text, spreadsheet or GIS"),
    ],
)
def test_ingest_refuses_files_it_cannot_read(published, crime, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = run(path, crime, commit=True)
    assert not result.ok and message in str(result.problems[0])
    # Refused before reading, and still a rejected release with its report, its audit
    # event and the file kept (content-addressed); the published one is untouched.
    rejected = Release.objects.get(dataset=crime, status="rejected")
    assert message in rejected.report["problems"][0]["message"]
    assert rejected.file_name == name and rejected.file_size == len(content)
    kept = Path(rejected.stored_path)
    assert kept.read_bytes() == content and kept.name == rejected.file_sha256
    assert AuditEvent.objects.filter(
        action="release.rejected", detail__release=rejected.id
    ).exists()
    assert Release.objects.get(dataset=crime, status="published") == published


def test_a_refused_file_in_a_dry_run_leaves_no_release(crime, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = run(path, crime, commit=False)
    assert not result.ok and "the file is empty" in str(result.problems[0])
    assert not Release.objects.filter(dataset=crime).exists()


def test_ingest_rejects_an_unreadable_spreadsheet(published, crime, tmp_path):
    import zipfile

    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    with pytest.raises(CommandError):
        ingest(path, crime)
    report = Release.objects.get(dataset=crime, status="rejected").report
    assert "not a readable spreadsheet" in report["problems"][0]["message"]


def test_ingest_refuses_a_file_over_the_size_limit(published, crime, tmp_path, settings):
    settings.INGEST_MAX_BYTES = 50
    result = run(write(tmp_path, GOOD * 3), crime, commit=True)
    assert not result.ok and "more than the 50 allowed" in str(result.problems[0])
    # Over the limit, only the name and the size are recorded: the content is not kept.
    rejected = Release.objects.get(dataset=crime, status="rejected")
    assert rejected.file_size == len(GOOD * 3) and rejected.stored_path == ""
    assert "the file was not kept" in rejected.report["problems"][0]["message"]
    assert not any(settings.FILE_STORE.rglob("*")) or all(
        p.is_dir() or p.read_bytes() != (GOOD * 3).encode() for p in settings.FILE_STORE.rglob("*")
    )
    assert AuditEvent.objects.filter(
        action="release.rejected", detail__release=rejected.id
    ).exists()


def test_ingest_lists_every_problem_not_just_the_first(crime, tmp_path):
    rows = "".join(f"E0109{i:04d},2024-03,all-crime,1\n" for i in range(30))
    with pytest.raises(CommandError):
        ingest(write(tmp_path, HEADER + rows), crime)
    assert Release.objects.get(dataset=crime).n_problems == 30


def test_skip_unknown_areas_counts_them_as_a_warning(crime, tmp_path):
    out = ingest(
        write(tmp_path, GOOD + "E01099999,2024-03,all-crime,1\n"), crime, skip_unknown_areas=True
    )
    assert "1 row(s) for areas outside this geography were skipped" in out
    assert Release.objects.get(dataset=crime).status == "published"


def test_ingest_converts_unchanged_and_merged_2011_codes_exactly(lsoa21, tmp_path):
    text = HEADER + (
        "E01013600,2024-03,all-crime,5\nE01013601,2024-03,all-crime,3\n"
        "E01013602,2024-03,all-crime,4\n"
    )
    out = ingest(write(tmp_path, text), lsoa21)
    release = Release.objects.get(dataset=lsoa21, status="published")
    assert values_of(release) == {
        ("all-crime", "2024-03", "E01099001"): 5.0,
        ("all-crime", "2024-03", "E01099002"): 7.0,
    }
    assert release.conversion_method == "exact"
    assert "3 value(s) converted from lsoa11 to lsoa21 (exact)" in out


def test_ingest_rejects_a_split_2011_code_unless_a_method_is_chosen(lsoa21, tmp_path):
    text = HEADER + "E01013603,2024-03,all-crime,6\n"
    with pytest.raises(CommandError):
        ingest(write(tmp_path, text), lsoa21)
    problem = Release.objects.get(dataset=lsoa21, status="rejected").report["problems"][0]
    assert (
        "split in lsoa21" in problem["message"]
        and "--edition-method best_fit" in (problem["message"])
    )
    ingest(write(tmp_path, text), lsoa21, edition_method="best_fit")  # the same file again
    release = Release.objects.get(dataset=lsoa21, status="published")
    assert values_of(release) == {("all-crime", "2024-03", "E01099003"): 6.0}
    assert release.conversion_method == "best_fit"


def test_ingest_refuses_to_merge_a_non_summable_indicator(lsoa21, tmp_path):
    Indicator.objects.create(
        dataset=lsoa21, slug="rank", name="rank", measure="rank", is_summable=False
    )
    text = HEADER + "E01013601,2024-03,rank,5\nE01013602,2024-03,rank,9\n"
    result = run(write(tmp_path, text), lsoa21, commit=True, options=Options())
    assert not result.ok
    assert "rank cannot be summed" in str(result.problems[0])
