"""GET /api/v1/indicators/{slug}/values/ in JSON, CSV and GeoJSON, and its errors."""

from __future__ import annotations

import csv
import io
import re

import pytest

from layers.agreements import edit_agreement
from layers.models import AuditEvent
from tests.api.v1.conftest import SECRET, token_client
from tests.builders import agreement_terms

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/burglary/values/"
Q = {"level": "lsoa11", "purpose": "community_safety"}


def by_code(body: dict) -> dict:
    return {row["area_code"]: row for row in body["values"]}


def test_owner_sees_every_figure_unrounded_with_no_policy(crime):
    body = token_client(crime["police_analyst"]).get(URL, Q).json()
    rows = by_code(body)
    assert body["access"] == "own_agency" and body["agreement"] is None and body["policy"] is None
    assert rows[crime["secret_code"]]["value"] == SECRET
    assert body["period"]["code"] == "2025-03" and body["periods"] == ["2025-02", "2025-03"]
    shown = {c: r["value"] for c, r in rows.items() if r["status"] == "shown"}
    assert shown == crime["counts"]


def test_recipient_gets_small_counts_withheld_and_the_rest_rounded(crime):
    client = token_client(crime["council_analyst"])
    body = client.get(URL, Q).json()
    rows = by_code(body)
    secret = rows[crime["secret_code"]]
    assert secret == {
        "area_code": crime["secret_code"],
        "area_name": secret["area_name"],
        "value": None,
        "status": "withheld",
        "marker": "[c]",
        "rounded_to": None,
    }
    assert body["agreement"] == {"reference": "ISA-2025-001", "version": 1}
    assert body["policy"]["min_count"] == 10 and body["n_withheld"] >= 2  # with a complement
    for code, row in rows.items():
        if row["status"] == "shown":
            assert row["value"] % 5 == 0 and row["rounded_to"] == 5
            assert abs(row["value"] - crime["counts"][code]) <= 2.5
    event = AuditEvent.objects.filter(action="values.read").latest("id")
    assert (event.username, event.agreement_ref, event.n_returned, event.n_withheld) == (
        "ana",
        "ISA-2025-001",
        len(rows),
        body["n_withheld"],
    )
    assert event.use == "api" and event.purpose == "community_safety"


def test_area_with_no_row_is_no_data_never_zero(crime):
    rows = by_code(token_client(crime["council_analyst"]).get(URL, Q).json())
    missing = rows[crime["missing_code"]]
    assert (missing["value"], missing["status"], missing["marker"]) == (None, "no_data", "[x]")


def test_coarser_levels_are_sums_and_within_filters_to_one_district(crime):
    client = token_client(crime["council_analyst"])
    districts = by_code(client.get(URL, {**Q, "level": "lad19"}).json())
    assert len(districts) == 2
    leicester = client.get(URL, {**Q, "within": "E06000016"}).json()
    assert leicester["count"] == 192
    msoas = client.get(URL, {**Q, "level": "msoa11", "within": "E06000016"}).json()
    assert msoas["count"] == 37


def test_csv_marks_withheld_and_missing_and_names_the_agreement(crime):
    response = token_client(crime["council_analyst"]).get(URL, {**Q, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "agreement ISA-2025-001 v1" in text and "[c]: confidential" in text
    rows = {
        r["area_code"]: r
        for r in csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    }
    assert rows[crime["secret_code"]]["value"] == "[c]"
    assert rows[crime["missing_code"]]["value"] == "[x]"


def test_accept_header_chooses_csv(crime):
    response = token_client(crime["council_analyst"]).get(URL, Q, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")


def test_geojson_has_outlines_and_released_properties(crime):
    response = token_client(crime["council_analyst"]).get(URL, {**Q, "format": "geojson"})
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    feature = next(f for f in body["features"] if f["id"] == crime["secret_code"])
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert feature["properties"]["value"] is None and feature["properties"]["marker"] == "[c]"
    lon, lat = (
        feature["geometry"]["coordinates"][0][0][:2]
        if feature["geometry"]["type"] == "Polygon"
        else feature["geometry"]["coordinates"][0][0][0][:2]
    )
    assert -2.5 < lon < -0.5 and 52 < lat < 54


def test_withheld_figure_appears_in_no_format(crime):
    client = token_client(crime["council_analyst"])
    # A figure stands alone; inside an identifier (a random release id) it is not one.
    pattern = re.compile(rf"(?<![\w.]){SECRET}(?![\w.])")
    for fmt in ("json", "csv", "geojson"):
        body = client.get(URL, {**Q, "format": fmt, "within": crime["secret_code"]})
        assert body.status_code == 200
        assert not pattern.search(body.content.decode()), fmt


def test_etag_gives_304_when_nothing_changed(crime):
    client = token_client(crime["council_analyst"])
    first = client.get(URL, Q)
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(URL, Q, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_older_period_can_be_asked_for(crime):
    body = token_client(crime["council_analyst"]).get(URL, {**Q, "period": "2025-02"}).json()
    assert body["period"]["code"] == "2025-02"


def test_service_account_uses_its_default_purpose(crime):
    from layers.models import Membership

    Membership.objects.filter(user=crime["council_feed"]).update(default_purpose="community_safety")
    response = token_client(crime["council_feed"]).get(URL, {"level": "lsoa11"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ({"level": "lsao11"}, "level", "unknown level 'lsao11'"),
        ({}, "level", "level is required"),
        ({"level": "lsoa11", "format": "xml"}, "format", "formats: json, csv, geojson"),
        ({"level": "lsoa11", "period": "March"}, "period", "period 'March'"),
        ({"level": "lsoa11", "period": "2019-01"}, "period", "no values for period '2019-01'"),
        ({"level": "lsoa11", "within": "E99999999"}, "within", "no area with code"),
        ({"level": "oa11"}, "level", "burglary is published at: lsoa11"),
        ({"level": "lad19", "format": "geojson", "simplify": "-1"}, "simplify", "from 0"),
        ({"level": "lad19", "format": "geojson", "precision": "x"}, "precision", "whole number"),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_parameter(crime, query, parameter, words):
    response = token_client(crime["council_analyst"]).get(
        URL, {"purpose": "community_safety", **query}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["parameter"] == parameter and words in body["detail"]
    assert str(SECRET) not in body["detail"]


@pytest.mark.parametrize(
    "url", [URL, "/api/v1/indicators/burglary/concerns/"], ids=["values", "concerns"]
)
def test_levels_an_indicator_is_published_at_are_told_only_to_a_reader(crime, url):
    query = {"level": "oa11", "purpose": "community_safety"}
    recipient = token_client(crime["council_analyst"]).get(url, query)
    assert recipient.status_code == 400
    assert "burglary is published at: lsoa11" in recipient.json()["detail"]
    # Custom areas are offered for values, never scanned.
    assert ("custom" in recipient.json()["detail"]) is (url == URL)
    before = AuditEvent.objects.filter(action="access.refused").count()
    outsider = token_client(crime["fire_analyst"]).get(url, query)
    assert outsider.status_code == 403
    assert "published at" not in outsider.content.decode()
    assert AuditEvent.objects.filter(action="access.refused").count() == before + 1


def test_unknown_indicator_is_404(crime):
    response = token_client(crime["council_analyst"]).get("/api/v1/indicators/nothing/values/", Q)
    assert response.status_code == 404 and response.json()["title"] == "Not found"


def test_anonymous_is_401(crime):
    from rest_framework.test import APIClient

    response = APIClient().get(URL, Q)
    assert response.status_code == 401 and response["WWW-Authenticate"]


def test_outsider_is_refused_with_a_reason_and_the_refusal_is_audited(crime):
    response = token_client(crime["fire_analyst"]).get(URL, Q)
    assert response.status_code == 403 and response.json()["reason"] == "no_agreement"
    assert AuditEvent.objects.filter(action="access.refused", username="fred").exists()
    assert not AuditEvent.objects.filter(action="values.read", username="fred").exists()


@pytest.mark.parametrize(
    ("change", "query", "reason"),
    [
        ({"status": "suspended"}, {}, "agreement_suspended"),
        ({"finest_level": "msoa11"}, {}, "level_too_fine"),
        ({"uses": ["map"]}, {}, "use_not_permitted"),
        ({}, {"purpose": "marketing"}, "purpose_not_permitted"),
        ({"roles": ["neighbourhood_manager"]}, {}, "role_not_permitted"),
    ],
)
def test_recipient_is_refused_when_the_agreement_does_not_cover_the_read(
    crime, change, query, reason
):
    if change:
        edit_agreement(
            crime["agreement"], terms=agreement_terms(**change), acting_user=None, note="test"
        )
    response = token_client(crime["council_analyst"]).get(URL, {**Q, **query})
    assert response.status_code == 403
    assert response.json()["reason"] == reason
    assert str(SECRET) not in response.content.decode().replace(crime["secret_code"], "")


def test_a_kept_body_is_served_only_after_the_gate_and_names_each_callers_agreement(crime):
    from layers.models import Agency
    from tests.builders import make_agreement, make_member

    other = Agency.objects.create(slug="other-council", name="Other council", kind="council")
    make_agreement(reference="ISA-2025-009", provider=crime["police"], recipients=["other-council"])
    second = make_member("olga", other, "analyst")
    first = token_client(crime["council_analyst"]).get(URL, Q).json()
    before = AuditEvent.objects.filter(action="values.read").count()
    again = token_client(crime["council_analyst"]).get(URL, Q).json()
    theirs = token_client(second).get(URL, Q).json()
    assert again == first  # the same rows under the same terms
    assert theirs["agreement"]["reference"] == "ISA-2025-009"
    assert theirs["values"] == first["values"]  # the same policy, so the same figures
    assert AuditEvent.objects.filter(action="values.read").count() == before + 2
    refused = token_client(crime["fire_analyst"]).get(URL, Q)
    assert refused.status_code == 403 and "values" not in refused.json()


def test_gzip_answers_are_weakly_tagged_and_revalidate(crime):
    import gzip

    client = token_client(crime["council_analyst"])
    plain = client.get(URL, Q)
    packed = client.get(URL, Q, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Authorization" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] == f"W/{plain['ETag']}"
    again = client.get(URL, Q, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304
