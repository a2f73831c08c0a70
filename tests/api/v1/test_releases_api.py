from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from layers.models import Indicator, Release
from layers.tokens import issue_token, revoke_token
from tests.builders import make_member, three_parties

pytestmark = pytest.mark.django_db

GOOD = b"area_code,period,indicator,value\nE01013600,2024-03,all-crime,12\n"
URL = "/api/v1/datasets/recorded-crime/releases/"


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
    parties["police_feed"] = make_member("pfeed", parties["police"], "service")
    parties["council_feed"] = make_member("cfeed", parties["council"], "service")
    return parties


def client_for(user) -> APIClient:
    raw, _ = issue_token(user, days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def post(client: APIClient, content: bytes = GOOD, **data):
    return client.post(
        URL, {"file": SimpleUploadedFile("r.csv", content), **data}, format="multipart"
    )


def test_service_account_of_the_owner_publishes_a_release(world):
    response = post(client_for(world["police_feed"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["release"]["status"] == "published" and body["release"]["n_values"] == 1
    assert Release.objects.get().uploaded_by == world["police_feed"]


def test_rejected_release_is_422_with_the_problems(world):
    response = post(client_for(world["police_feed"]), GOOD.replace(b"12", b"-4"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()["report"]["problems"][0]
    assert (problem["row"], problem["column"], problem["value"]) == (2, "value", "-4")


def test_dry_run_publishes_nothing(world):
    response = post(client_for(world["police_feed"]), dry_run="true")
    assert response.status_code == 200 and not response.json()["committed"]
    assert not Release.objects.exists()


def test_same_file_twice_is_200_and_names_the_release(world):
    client = client_for(world["police_feed"])
    first = post(client).json()["release"]["id"]
    again = post(client)
    assert again.status_code == 200 and again.json()["duplicate"]
    assert again.json()["release"]["id"] == first


def test_a_recipient_agency_cannot_publish_and_sees_404(world):
    response = post(client_for(world["council_feed"]))
    assert response.status_code == 404
    assert not Release.objects.exists()


def test_missing_file_and_bad_option_are_400(world):
    client = client_for(world["police_feed"])
    assert client.post(URL, {}, format="multipart").status_code == 400
    bad = post(client, edition_method="guess")
    assert bad.status_code == 400 and bad.json()["parameter"] == "edition_method"


def test_no_token_bad_token_and_revoked_token_are_401(world):
    assert APIClient().post(URL, {}, format="multipart").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token cg_nonsense")
    response = bad.post(URL, {}, format="multipart")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    raw, token = issue_token(world["police_feed"], days=30)
    revoke_token(token.prefix)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = revoked.post(URL, {}, format="multipart")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_release_detail_for_the_owner_only(world):
    release_id = post(client_for(world["police_feed"])).json()["release"]["id"]
    mine = client_for(world["police_feed"]).get(f"/api/v1/releases/{release_id}/")
    assert mine.status_code == 200 and mine.json()["status"] == "published"
    assert (
        client_for(world["council_feed"]).get(f"/api/v1/releases/{release_id}/").status_code == 404
    )


def test_release_ids_are_opaque_and_the_row_number_finds_nothing(world):
    """No enumeration through sequential ids: the API and the upload pages name a release
    by a random public id; its database row number is not an address for anyone."""
    release_id = post(client_for(world["police_feed"])).json()["release"]["id"]
    release = Release.objects.get(public_id=release_id)
    assert not release_id.isdigit() and len(release_id) == 12
    owner = client_for(world["police_feed"])
    assert owner.get(f"/api/v1/releases/{release.pk}/").status_code == 404
    assert owner.get(f"/api/v1/releases/{release_id}/").status_code == 200
