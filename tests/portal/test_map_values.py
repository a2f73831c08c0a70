"""The map's JSON endpoints and page config over the demo partnership (tests/portal/conftest.py):
ana (council analyst) receives police crime under ISA-2025-001 (LSOA and up) and A&E
under ISA-2025-002 (MSOA and up), and owns IMD and population; paul (police) owns crime;
hana (health) owns A&E only; fred (fire) receives crime only."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import AgreementVersion, AuditEvent

pytestmark = pytest.mark.django_db


def signed_in(username: str, purpose: str = "community_safety") -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.session
    session["purpose"] = purpose
    session.save()
    return client


def page_config(client: Client, url: str = "/") -> dict:
    html = client.get(url).content.decode()
    start = html.index('<script id="map-config" type="application/json">') + 48
    return json.loads(html[start : html.index("</script>", start)])


def offered(config: dict) -> dict[str, dict[str, list[str]]]:
    return {
        d["slug"]: {i["slug"]: i["levels"] for i in d["indicators"]}
        for t in config["themes"]
        for d in t["datasets"]
    }


def test_map_page_needs_a_signed_in_user_and_a_purpose(demo, client):
    assert client.get("/").status_code == 302
    client.force_login(User.objects.get(username="ana"))
    response = client.get("/?indicator=all-crime")
    assert response.status_code == 302
    assert response["Location"].startswith("/purpose/?next=")


def test_map_pickers_offer_each_agency_only_what_its_agreements_allow_for_map(demo):
    crime = ["all-crime", "asb", "burglary"]
    ana = offered(page_config(signed_in("ana")))
    assert sorted(ana) == ["ae-attendances", "imd-2019", "population", "recorded-crime"]
    assert sorted(ana["recorded-crime"]) == crime
    assert ana["recorded-crime"]["all-crime"] == ["lsoa11", "msoa11", "ward13", "lad19"]
    # ISA-2025-002's finest level is MSOA: no LSOA for the council
    # MSOA at finest, and no wards: they come from LSOAs, which the council is not given.
    assert ana["ae-attendances"]["assault-attendances"] == ["msoa11", "lad19"]
    assert ana["imd-2019"]["imd-rank"] == ["lsoa11"]  # a rank cannot be summed upwards
    fred = offered(page_config(signed_in("fred")))
    assert sorted(fred) == ["recorded-crime"]
    hana = offered(page_config(signed_in("hana", "own_agency")))
    assert sorted(hana) == ["ae-attendances"]
    assert hana["ae-attendances"]["assault-attendances"][0] == "lsoa11"  # her own data
    paul = offered(page_config(signed_in("paul")))
    assert sorted(paul) == ["ae-attendances", "recorded-crime"]
    # a neighbourhood manager is not among ISA-2025-002's roles
    assert "ae-attendances" not in offered(page_config(signed_in("nina")))


def test_map_pickers_follow_the_purpose_stated_for_the_session(demo):
    # ISA-2025-001 (crime) is for community safety only
    config = page_config(signed_in("ana", "violence_reduction"))
    assert "recorded-crime" not in offered(config)
    assert "ae-attendances" in offered(config)


def test_map_values_are_the_apis_figures_with_classes_ranks_and_citation(demo):
    client = signed_in("ana")
    response = client.get("/map/values/", {"indicator": "all-crime", "level": "lsoa11"})
    assert response.status_code == 200
    body = response.json()
    api = client.get(
        "/api/v1/indicators/all-crime/values/", {"level": "lsoa11", "purpose": "community_safety"}
    ).json()
    assert [{k: r[k] for k in api["values"][0]} for r in body["values"]] == api["values"]
    for key in ("indicator", "level", "period", "periods", "agreement", "policy", "notes"):
        assert body[key] == api[key]
    assert body["citation"]["marking"] == "OFFICIAL-SENSITIVE"
    assert body["summary"]["withheld"] == body["n_withheld"] > 0
    shown = [r for r in body["values"] if r["status"] == "shown"]
    assert body["summary"]["shown"] == len(shown)
    bands = body["classes"]["bands"]
    assert body["classes"]["k"] == 5 and sum(b["count"] for b in bands) == len(shown)
    for row in body["values"]:
        if row["status"] == "shown":
            band = bands[row["class"]]
            assert band["lower"] <= row["value"] <= band["upper"]
            assert 1 <= row["rank"] <= len(shown) and 1 <= row["decile"] <= 10
        else:
            assert row["value"] is None and row["class"] is None and row["rank"] is None
    first = min(shown, key=lambda r: r["rank"])
    # Crime: lower is better, so the worse end (rank 1) is the highest figure.
    assert body["rank_order"] == "highest_first"
    assert first["value"] == max(r["value"] for r in shown)


def test_map_ranks_imd_deciles_so_that_1_is_still_the_most_deprived(demo):
    # IMD decile: higher is better (10 = least deprived). The worse end ranks first, so
    # the map's rank 1 is the lowest decile and its decile 1 the most deprived tenth.
    body = signed_in("ana").get("/map/values/", {"indicator": "imd-decile", "level": "lsoa11"})
    body = body.json()
    assert body["rank_order"] == "lowest_first"
    shown = [r for r in body["values"] if r["status"] == "shown"]
    assert min(shown, key=lambda r: r["rank"])["value"] == min(r["value"] for r in shown)
    most_deprived = [r for r in shown if r["value"] == 1]
    assert most_deprived and all(r["decile"] == 1 for r in most_deprived)


@pytest.mark.parametrize("method", ["quantiles", "jenks", "equal_interval"])
def test_map_values_classify_by_each_method(demo, method):
    body = (
        signed_in("ana")
        .get(
            "/map/values/",
            {"indicator": "all-crime", "level": "msoa11", "method": method, "k": 7},
        )
        .json()
    )
    assert body["classes"]["method"] == method and body["classes"]["k"] == 7
    assert sum(b["count"] for b in body["classes"]["bands"]) == body["summary"]["shown"]


def test_map_values_change_is_withheld_where_either_period_is(demo):
    client = signed_in("ana")
    query = {"indicator": "all-crime", "level": "lsoa11"}
    before = {
        r["area_code"]: r
        for r in client.get("/map/values/", {**query, "period": "2025-06"}).json()["values"]
    }
    after = {r["area_code"]: r for r in client.get("/map/values/", query).json()["values"]}
    body = client.get(
        "/map/values/", {**query, "mode": "change", "base": "2025-06", "change": "absolute"}
    ).json()
    assert body["change"] == {"from": "2025-06", "to": "2025-12", "kind": "absolute"}
    assert body["classes"]["kind"] == "diverging"
    n_either = 0
    for row in body["values"]:
        was, now = before[row["area_code"]], after[row["area_code"]]
        if "withheld" in (was["status"], now["status"]):
            n_either += 1
            assert (row["status"], row["value"], row["marker"]) == ("withheld", None, "[c]")
        else:
            assert row["value"] == now["value"] - was["value"]
    assert n_either > 0 and body["summary"]["withheld"] == n_either
    percent = client.get(
        "/map/values/", {**query, "mode": "change", "base": "2025-06", "change": "percent"}
    ).json()
    some = next(r for r in percent["values"] if r["status"] == "shown" and r["from"])
    assert math.isclose(some["value"], round((some["to"] - some["from"]) / some["from"] * 100, 1))


def test_map_values_refuse_a_user_without_an_agreement_and_return_no_figures(demo):
    for username, indicator, level in (
        ("fred", "assault-attendances", "msoa11"),
        ("hana", "all-crime", "lsoa11"),
        ("ana", "assault-attendances", "lsoa11"),  # finer than ISA-2025-002 allows
    ):
        response = signed_in(username, "community_safety").get(
            "/map/values/", {"indicator": indicator, "level": level}
        )
        assert response.status_code == 403, username
        body = response.json()
        assert response["Content-Type"] == "application/problem+json"
        assert "values" not in body and body["reason"] in ("no_agreement", "level_too_fine")
    refused = AuditEvent.objects.filter(action="access.refused", username="fred", use="map")
    assert refused.exists()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"level": "lsoa11"}, "indicator"),
        ({"indicator": "all-crime", "level": "lsoa11", "k": "12"}, "k"),
        ({"indicator": "all-crime", "level": "lsoa11", "method": "magic"}, "method"),
        (
            {
                "indicator": "all-crime",
                "level": "lsoa11",
                "mode": "change",
                "base": "2025-01",
                "k": "4",
            },
            "k",
        ),
        ({"indicator": "all-crime", "level": "lsoa11", "mode": "change"}, "base"),
        ({"indicator": "all-crime", "level": "lsoa11", "period": "1999"}, "period"),
        ({"indicator": "all-crime", "level": "nowhere"}, "level"),
    ],
)
def test_map_values_name_the_bad_parameter(demo, query, parameter):
    response = signed_in("ana").get("/map/values/", query)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_map_values_need_a_signed_in_user(demo, client):
    response = client.get("/map/values/", {"indicator": "all-crime", "level": "lsoa11"})
    assert response.status_code == 401


def test_map_csv_export_reads_for_export_and_is_audited(demo):
    client = signed_in("ana")
    query = {"indicator": "all-crime", "level": "lsoa11", "period": "2025-11"}
    response = client.get("/map/export.csv", query)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("# OFFICIAL-SENSITIVE\n")
    assert "ISA-2025-001 v1" in text and "SIMULATED" in text
    rows = list(
        csv.DictReader(
            io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))
        )
    )
    shown = client.get("/map/values/", query).json()["values"]
    assert [(r["area_code"], r["value"]) for r in rows] == [
        (v["area_code"], v["marker"] if v["value"] is None else str(int(v["value"]))) for v in shown
    ]
    read = AuditEvent.objects.filter(action="values.read", username="ana", use="export")
    assert read.count() == 1 and read.get().agreement_ref == "ISA-2025-001"
    assert AuditEvent.objects.filter(action="export.csv", username="ana").count() == 1


def test_map_exports_are_refused_and_explained_without_the_export_use(demo):
    version = AgreementVersion.objects.get(agreement__reference="ISA-2025-002")
    version.uses = ["map"]
    version.save()
    client = signed_in("ana")
    query = {"indicator": "assault-attendances", "level": "msoa11"}
    assert client.get("/map/values/", query).status_code == 200
    for url in ("/map/export.csv", "/map/export/png/"):
        response = client.get(url, query)
        assert response.status_code == 403
        assert response.json()["reason"] == "use_not_permitted"
        assert "export" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action__startswith="export.", username="ana").exists()
    dataset = next(
        d
        for t in page_config(client)["themes"]
        for d in t["datasets"]
        if d["slug"] == "ae-attendances"
    )
    assert dataset["can_export"] is False


def test_map_png_export_gives_the_caption_with_agreement_and_marking(demo):
    response = signed_in("ana").get(
        "/map/export/png/", {"indicator": "all-crime", "level": "ward13"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["marking"] == "OFFICIAL-SENSITIVE"
    assert "ISA-2025-001 v1" in body["caption"] and "SIMULATED" in body["caption"]
    assert AuditEvent.objects.filter(action="export.png", username="ana").count() == 1


def test_map_search_finds_wards_and_districts_by_name_and_areas_by_code(demo):
    client = signed_in("ana")
    ward = client.get("/map/search/", {"q": "wibsey"}).json()["results"][0]
    assert (ward["name"], ward["level"]) == ("Wibsey", "ward13")
    west, south, east, north = ward["bbox_4326"]
    assert -1.9 < west < east < -1.6 and 53.7 < south < north < 53.9
    first = client.get("/map/search/", {"q": "Leicester"}).json()["results"][0]
    assert (first["level"], first["name"]) == ("lad19", "Leicester")
    by_code = client.get("/map/search/", {"q": "E01010568"}).json()["results"][0]
    assert by_code["gss_code"] == "E01010568" and "Bradford" in by_code["within"]
    assert "value" not in json.dumps(by_code)


def test_map_area_panel_figures_agree_with_the_values_and_come_from_the_profile(demo):
    client = signed_in("ana")
    query = {"indicator": "all-crime", "level": "lsoa11", "period": "2025-12"}
    rows = client.get("/map/values/", query).json()["values"]
    shown = next(r for r in rows if r["status"] == "shown" and r["rank"] > 10)
    body = client.get("/map/area/", {**query, "code": shown["area_code"]}).json()
    item = body["indicators"][0]
    assert body["area"]["code"] == shown["area_code"] and body["use"] == "map"
    assert item["value"]["value"] == shown["value"]
    assert (item["rank"]["rank"], item["rank"]["decile"]) == (shown["rank"], shown["decile"])
    assert item["district"]["level"] == "lad19" and item["partnership"]["area_code"] == "ALL"
    assert [t["period"] for t in item["trend"]][-1] == "2025-12"
    assert body["profile_url"] == f"/profiles/lsoa11/{shown['area_code']}/"
    withheld = next(r for r in rows if r["status"] == "withheld")
    hidden = client.get("/map/area/", {**query, "code": withheld["area_code"]}).json()
    figure = hidden["indicators"][0]["value"]
    assert (figure["value"], figure["marker"]) == (None, "[c]")
    assert hidden["indicators"][0]["rank"] is None
    assert AuditEvent.objects.filter(action="profile.read", username="ana", use="map").count() == 2


def test_map_area_panel_is_refused_without_an_agreement(demo):
    response = signed_in("fred").get(
        "/map/area/",
        {"indicator": "assault-attendances", "level": "msoa11", "code": "E02002183"},
    )
    assert response.status_code == 403
    assert "indicators" not in response.json()
