from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from layers.models import Indicator, Release
from tests.builders import make_member, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

GOOD = b"area_code,period,indicator,value\nE01013600,2024-03,all-crime,12\n"
BAD = b"area_code,period,indicator,value\nE01013600,2024-03,all-crime,twelve\n"


@pytest.fixture
def world(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    settings.UPLOAD_TMP = tmp_path / "incoming"
    parties = three_parties()
    Indicator.objects.create(
        dataset=parties["dataset"],
        slug="all-crime",
        name="All crime",
        measure="count",
        is_summable=True,
    )
    parties["steward"] = make_member("sam", parties["police"], "data_steward")
    parties["council_steward"] = make_member("cora", parties["council"], "data_steward")
    return parties


def upload(client, content: bytes, name: str = "release.csv", **extra):
    return client.post(
        "/uploads/",
        {"dataset": "recorded-crime", "file": SimpleUploadedFile(name, content), **extra},
    )


def test_steward_uploads_a_release_and_sees_its_report(client, world):
    sign_in(client, "sam")
    response = upload(client, GOOD)
    release = Release.objects.get(dataset=world["dataset"])
    assert response.status_code == 302 and response["Location"] == f"/uploads/{release.public_id}/"
    assert release.status == "published" and release.uploaded_by == world["steward"]
    page = client.get(response["Location"]).content.decode()
    assert "published" in page and "release.csv" in page


def test_rejected_upload_report_names_row_column_value(client, world):
    sign_in(client, "sam")
    upload(client, GOOD)
    response = upload(client, BAD, "bad.csv")
    rejected = Release.objects.get(status="rejected")
    page = client.get(response["Location"]).content.decode()
    assert "not a number" in page and "twelve" in page
    assert Release.objects.get(status="published").file_name == "release.csv"
    report = client.get(f"/uploads/{rejected.public_id}/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert rows[0] == ["row", "column", "value", "problem"]
    assert rows[1][:3] == ["2", "value", "twelve"]


def test_analyst_gets_no_upload_form_and_cannot_post(client, world):
    sign_in(client, "ana")
    assert "Upload a release" not in client.get("/uploads/").content.decode()
    assert upload(client, GOOD).status_code == 403
    assert not Release.objects.exists()


def test_a_steward_of_another_agency_cannot_upload_or_see_the_report(client, world):
    sign_in(client, "sam")
    upload(client, GOOD)
    release = Release.objects.get()
    client.logout()
    sign_in(client, "cora")
    assert upload(client, GOOD, "again.csv").status_code == 403  # no dataset of theirs
    assert client.get(f"/uploads/{release.public_id}/").status_code == 404
    withdraw = client.post(f"/uploads/{release.public_id}/withdraw/", {"reason": "x"})
    assert withdraw.status_code == 404


def test_steward_withdraws_a_release(client, world):
    sign_in(client, "sam")
    upload(client, GOOD)
    upload(client, GOOD.replace(b"12", b"13"), "second.csv")
    second = Release.objects.get(status="published")
    missing_reason = client.post(f"/uploads/{second.public_id}/withdraw/", {"reason": " "})
    assert missing_reason.status_code == 400
    client.post(f"/uploads/{second.public_id}/withdraw/", {"reason": "wrong month"})
    assert Release.objects.get(status="published").file_name == "release.csv"


def test_upload_refuses_an_empty_file_clearly(client, world):
    sign_in(client, "sam")
    response = upload(client, b"", "empty.csv")
    assert response.status_code == 200  # the form itself says the file is empty
    assert "The submitted file is empty" in response.content.decode()


def test_releases_go_by_random_ids_never_their_row_number(client, settings, tmp_path):
    # Row numbers would tell a reader how many releases every agency has published.
    from layers.models import Release

    ids = list(Release.objects.values_list("id", "public_id"))
    assert all(len(public) == 12 and public != str(row) for row, public in ids)
    assert len({public for _, public in ids}) == len(ids)
