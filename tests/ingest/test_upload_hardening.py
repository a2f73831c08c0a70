"""Hostile uploads, each made here for real: zip bombs, archives in archives, names that
climb out of the archive, billion laughs in a spreadsheet, a file whose name lies about
its content, formulas, an upload over the size limit. Each is refused with a clear
message, nothing is published and the current release is untouched."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from openpyxl import Workbook

from ingest.pipeline.parse import ParseError, read_table
from ingest.pipeline.run import run
from ingest.uploads import CappedUploadHandler
from layers.models import Dataset, Release
from tests.builders import make_member
from tests.ingest.conftest import values_of
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

GOOD = "area_code,period,indicator,value\nE01013600,2024-03,all-crime,12\n"


@pytest.fixture
def published(crime, tmp_path) -> Release:
    path = tmp_path / "first.csv"
    path.write_text(GOOD)
    assert run(path, crime, commit=True).committed
    return Release.objects.get(dataset=crime, status="published")


def refused(path: Path, dataset: Dataset, published: Release, message: str) -> Release:
    """Run the upload, check it was refused with `message` and changed nothing else."""
    before = values_of(published)
    result = run(path, dataset, commit=True)
    assert not result.ok and not result.committed
    text = " | ".join(str(p) for p in result.problems)
    assert message in text, text
    published.refresh_from_db()
    assert published.status == "published" and values_of(published) == before
    rejected = Release.objects.get(dataset=dataset, status="rejected")
    assert values_of(rejected) == {}
    return rejected


def a_spreadsheet() -> bytes:
    book = Workbook()
    book.active.append(["area_code", "period", "indicator", "value"])
    book.active.append(["E01013600", "2024-03", "all-crime", 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(original: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """The same zip with some members replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, replace.get(item.filename, source.read(item)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_spreadsheet_is_refused(published, crime, tmp_path):
    # 40 MB of one repeated row, packed to a few tens of kilobytes (over 1000:1).
    rows = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>' * 800_000
    bomb = rezip(a_spreadsheet(), {"xl/worksheets/sheet1.xml": b"<sheetData>" + rows})
    assert len(bomb) < 300_000
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    rejected = refused(path, crime, published, "refused as a possible zip bomb")
    assert Path(rejected.stored_path).read_bytes() == bomb  # kept, as packed


def test_an_archive_unpacking_past_the_limit_is_refused(published, crime, tmp_path, settings):
    settings.INGEST_MAX_UNZIPPED_BYTES = 100_000
    noise = bytes(range(256)) * 1000  # packs poorly: not a ratio case, a size case
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("points.shp", noise)
        archive.writestr("points.dbf", noise)
    refused(path, crime, published, "would unpack to 512,000 bytes, more than the 100,000")


def test_an_archive_inside_an_archive_is_refused(published, crime, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("points.shp", b"shape")
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("points.shp", b"shape")
        archive.writestr("more.dat", inner.getvalue())  # an archive by its content
    refused(path, crime, published, "the archive holds another archive (more.dat)")


def test_a_spreadsheet_with_an_embedded_archive_is_refused(published, crime, tmp_path):
    path = tmp_path / "embedded.xlsx"
    path.write_bytes(rezip(a_spreadsheet(), {}, {"xl/embeddings/data.zip": b"PK\x03\x04..."}))
    refused(path, crime, published, "archives inside archives are refused")


@pytest.mark.parametrize("name", ["../../cron.d/points.shp", "/var/points.shp", "C:/points.shp"])
def test_a_member_name_leaving_the_archive_is_refused(published, crime, tmp_path, name):
    path = tmp_path / "climb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, b"shape")
    refused(path, crime, published, "would be written outside the archive's folder")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>
"""


def test_a_billion_laughs_spreadsheet_is_refused(published, crime, tmp_path):
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(rezip(a_spreadsheet(), {"xl/worksheets/sheet1.xml": BILLION_LAUGHS}))
    refused(path, crime, published, "declares a DTD or entities")


def test_openpyxl_reads_through_defusedxml_too(tmp_path):
    """The second layer: even a file that got past detection is never expanded."""
    path = tmp_path / "laughs"
    path.write_bytes(rezip(a_spreadsheet(), {"xl/worksheets/sheet1.xml": BILLION_LAUGHS}))
    with pytest.raises(ParseError, match="declares a DTD or entities"):
        list(read_table(path, "xlsx")[1])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("figures.xlsx", GOOD.encode(), "named .xlsx but the content is CSV text"),
        ("figures.csv", a_spreadsheet(), "named .csv but the content is an XLSX spreadsheet"),
    ],
)
def test_a_name_that_lies_about_the_content_is_refused(
    published, crime, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    refused(path, crime, published, message)


def test_the_content_decides_the_format_when_the_name_says_nothing(crime, tmp_path):
    path = tmp_path / "figures"
    path.write_bytes(a_spreadsheet())
    result = run(path, crime, commit=True)
    assert result.committed, result.render()
    assert Release.objects.get(dataset=crime, status="published").file_format == "xlsx"


def test_formulas_are_never_evaluated(published, crime, tmp_path):
    # openpyxl writes no cached result: read with data_only, the formula is no value
    # (never computed to 4, never taken as the text "=2+2").
    book = Workbook()
    book.active.append(["area_code", "period", "indicator", "value"])
    book.active.append(["E01013601", "2024-03", "all-crime", "=2+2"])
    path = tmp_path / "formula.xlsx"
    book.save(path)
    refused(path, crime, published, "row 2, column value, value '': missing value")


def test_the_upload_handler_stores_no_more_than_the_limit(settings, tmp_path):
    settings.INGEST_MAX_BYTES = 1000
    request = RequestFactory().post("/")
    handler = CappedUploadHandler(request)
    handler.new_file("file", "big.csv", "text/csv", 50_000)
    for start in range(0, 50_000, 5_000):
        handler.receive_data_chunk(b"x" * 5_000, start)
    upload = handler.file_complete(50_000)
    assert upload.size == 50_000  # what was sent
    assert len(upload.read()) == 1_001  # what was stored: one byte past the limit


def test_an_upload_over_the_limit_is_refused_with_its_true_size(
    published, crime, client, settings, tmp_path
):
    settings.INGEST_MAX_BYTES = 1000
    settings.UPLOAD_TMP = tmp_path / "incoming"
    steward = make_member("steward", crime.owner, "data_steward")
    sign_in(client, steward)
    body = GOOD + "E01013601,2024-03,all-crime,1\n" * 2000
    response = client.post(
        "/uploads/",
        {"dataset": crime.slug, "file": SimpleUploadedFile("big.csv", body.encode())},
    )
    rejected = Release.objects.get(dataset=crime, status="rejected")
    assert response.status_code == 302 and rejected.public_id in response["Location"]
    message = rejected.report["problems"][0]["message"]
    assert f"{len(body):,} bytes is more than the 1,000 allowed" in message
    assert rejected.stored_path == ""
    assert Release.objects.get(dataset=crime, status="published") == published


def test_the_file_store_is_outside_everything_the_web_server_serves():
    from portal import settings as configured  # as configured, not as these tests move it

    store = Path(configured.FILE_STORE).resolve()
    served = [Path(django_settings.STATIC_ROOT), Path(django_settings.MEDIA_ROOT)]
    served += [Path(d[1] if isinstance(d, tuple) else d) for d in django_settings.STATICFILES_DIRS]
    for root in served:
        assert not store.is_relative_to(root.resolve()), root


def test_the_upload_page_still_checks_the_csrf_token(crime, settings, tmp_path):
    from django.test import Client

    settings.UPLOAD_TMP = tmp_path / "incoming"
    client = Client(enforce_csrf_checks=True)
    sign_in(client, make_member("steward", crime.owner, "data_steward"))
    response = client.post(
        "/uploads/", {"dataset": crime.slug, "file": SimpleUploadedFile("r.csv", GOOD.encode())}
    )
    assert response.status_code == 403
    assert not Release.objects.filter(dataset=crime).exists()
