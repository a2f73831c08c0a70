"""Custom areas from the portal: made from pasted or uploaded codes (every bad code named,
nothing written), from a drawn shape snapped to whole LSOAs in PostGIS, changed and
deleted by the owning agency only (another agency's area is a 404), each step audited."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from layers.geography import save_custom_area
from layers.models import Area, AuditEvent, CustomArea, GeographyLevel
from tests.builders import make_agency, make_member
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    council = make_agency(slug="city-council", name="City Council")
    police = make_agency(slug="city-police", name="City Police", kind="police")
    return {
        "council": council,
        "police": police,
        "nina": make_member("nina", council, "neighbourhood_manager"),
        "paul": make_member("paul", police, "analyst"),
    }


@pytest.fixture
def codes():
    return sorted(
        Area.objects.filter(level__slug="lsoa11", name__startswith="Leicester").values_list(
            "gss_code", flat=True
        )
    )[:5]


def client_for(user) -> Client:
    return sign_in(Client(), user)


def test_new_custom_area_from_pasted_codes_is_saved_audited_and_shown(people, codes):
    client = client_for(people["nina"])
    response = client.post(
        "/custom-areas/new/",
        {"name": "Clarendon Park", "codes": ", ".join(codes[:4]) + "\n", "shared": "on"},
    )
    custom = CustomArea.objects.get(name="Clarendon Park")
    assert response.status_code == 302
    assert response["Location"] == f"/profiles/custom/{custom.public_id}/"
    assert sorted(custom.members.values_list("gss_code", flat=True)) == codes[:4]
    assert custom.owner == people["council"] and custom.is_shared and custom.area_ha > 0
    event = AuditEvent.objects.filter(action="custom_area.created").latest("id")
    assert event.detail["custom_area"] == f"custom-{custom.public_id}"
    assert event.username == "nina"


def test_new_custom_area_from_an_uploaded_lookup_file(people, codes):
    lookup = "LSOA11CD,LSOA11NM\n" + "".join(f"{c},Somewhere\n" for c in codes[:3])
    upload = SimpleUploadedFile("lookup.csv", lookup.encode("utf-8-sig"), "text/csv")
    response = client_for(people["nina"]).post(
        "/custom-areas/new/", {"name": "From a file", "file": upload}
    )
    assert response.status_code == 302
    members = CustomArea.objects.get(name="From a file").members
    assert sorted(members.values_list("gss_code", flat=True)) == codes[:3]


def test_bad_codes_are_each_named_and_nothing_is_written(people, codes):
    ward = Area.objects.filter(level__slug="ward13").values_list("gss_code", flat=True)[0]
    before = CustomArea.objects.count()
    response = client_for(people["nina"]).post(
        "/custom-areas/new/",
        {"name": "Bad", "codes": f"{codes[0]}\nE01999999\n{ward}\nnonsense"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "E01999999" in html and "nonsense" in html and f"{ward} (ward13)" in html
    assert CustomArea.objects.count() == before
    # What was typed is kept, so nothing is lost.
    assert "E01999999" in html.split('id="id_codes"')[1].split("</textarea>")[0]


def test_an_upload_that_is_not_text_is_refused_by_name(people):
    upload = SimpleUploadedFile("codes.xlsx", b"PK\x03\x04\xff\xfe\x00binary", "application/zip")
    response = client_for(people["nina"]).post(
        "/custom-areas/new/", {"name": "Binary", "file": upload}
    )
    assert response.status_code == 400
    assert "must be text" in response.content.decode()


def snap(client: Client, polygon) -> list[str]:
    response = client.post(
        "/custom-areas/snap/",
        json.dumps({"level": "lsoa11", "polygon": polygon}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return [a["code"] for a in response.json()["areas"]]


def outline(sql: str, params: list) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return json.loads(cursor.fetchone()[0])


def test_a_drawn_shape_snaps_to_whole_lsoas_by_point_on_surface(people, codes):
    client = client_for(people["nina"])
    level_id = GeographyLevel.objects.get(slug="lsoa11").id
    # An LSOA's own outline drawn 20 m inside: that LSOA, and none of its neighbours.
    inside = outline(
        "SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_GeometryN(geom_27700, 1), -20), 4326), 7)"
        " FROM layers_area WHERE level_id = %s AND gss_code = %s",
        [level_id, codes[0]],
    )
    assert snap(client, inside) == [codes[0]]
    # A box around a few LSOAs: whole LSOAs whose point on surface is in the box; an LSOA
    # the box only clips is not taken, and nothing is cut.
    box = outline(
        "SELECT ST_AsGeoJSON(ST_Transform(ST_Envelope(ST_Collect(geom_27700)), 4326), 7)"
        " FROM layers_area WHERE level_id = %s AND gss_code = ANY(%s)",
        [level_id, codes[:3]],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gss_code, ST_Within(geom_27700, ST_Transform(ST_SetSRID("
            "ST_GeomFromGeoJSON(%s), 4326), 27700)) FROM layers_area WHERE level_id = %s AND "
            "ST_Intersects(geom_27700, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326), "
            "27700))",
            [json.dumps(box), level_id, json.dumps(box)],
        )
        touching = dict(cursor.fetchall())
    got = snap(client, box)
    assert set(codes[:3]) <= set(got) <= set(touching)
    assert all(code in got for code, within in touching.items() if within)
    assert CustomArea.objects.count() == 0  # snapping shows the result; it saves nothing


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ("not json", "body"),
        (json.dumps([1, 2]), "body"),
        (json.dumps({"level": "ward13", "polygon": None}), "level"),
        (json.dumps({"level": "lsoa11", "polygon": {"type": "Point"}}), "polygon"),
        (
            json.dumps(
                {"level": "lsoa11", "polygon": {"type": "Polygon", "coordinates": [[[0, 0]]]}}
            ),
            "polygon",
        ),
    ],
)
def test_snap_refuses_a_bad_shape_with_a_400_naming_the_parameter(people, body, parameter):
    response = client_for(people["nina"]).post(
        "/custom-areas/snap/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_snap_needs_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, people["nina"])
    response = client.post(
        "/custom-areas/snap/", json.dumps({"level": "lsoa11"}), content_type="application/json"
    )
    assert response.status_code == 403


def test_owner_changes_and_deletes_with_audit(people, codes):
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    custom = save_custom_area(owner=people["council"], name="Old", base_level=lsoa, codes=codes[:3])
    client = client_for(people["nina"])
    page = client.get(f"/custom-areas/{custom.public_id}/edit/")
    assert page.status_code == 200 and codes[0] in page.content.decode()
    response = client.post(
        f"/custom-areas/{custom.public_id}/edit/",
        {"name": "New name", "codes": "\n".join(codes[1:5])},
    )
    assert response.status_code == 302
    custom.refresh_from_db()
    assert custom.name == "New name" and not custom.is_shared
    assert sorted(custom.members.values_list("gss_code", flat=True)) == codes[1:5]
    changed = AuditEvent.objects.filter(action="custom_area.changed").latest("id")
    assert changed.detail["added"] == [codes[3], codes[4]] and changed.detail["removed"] == [
        codes[0]
    ]
    assert client.get(f"/custom-areas/{custom.public_id}/delete/").status_code == 200
    assert client.post(f"/custom-areas/{custom.public_id}/delete/").status_code == 302
    assert not CustomArea.objects.filter(id=custom.id).exists()
    deleted = AuditEvent.objects.filter(action="custom_area.deleted").latest("id")
    assert deleted.detail["members"] == codes[1:5] and deleted.detail["name"] == "New name"


def test_another_agencys_area_is_not_found_and_a_shared_one_is_read_only(people, codes):
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    private = save_custom_area(
        owner=people["council"], name="Private", base_level=lsoa, codes=codes[:3]
    )
    shared = save_custom_area(
        owner=people["council"], name="Shared", base_level=lsoa, codes=codes[:3], is_shared=True
    )
    client = client_for(people["paul"])
    s = client.session
    s["purpose"] = "community_safety"
    s.save()
    for url in (
        f"/custom-areas/{private.public_id}/edit/",
        f"/custom-areas/{private.public_id}/delete/",
        f"/profiles/custom/{private.public_id}/",
        f"/custom-areas/{shared.public_id}/edit/",
        f"/custom-areas/{shared.public_id}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/custom-areas/{shared.public_id}/delete/").status_code == 404
    assert CustomArea.objects.filter(id=shared.id).exists()
    listing = client.get("/custom-areas/").content.decode()
    assert "Shared" in listing and "Private" not in listing
    assert f"/custom-areas/{shared.public_id}/edit/" not in listing
    assert client.get(f"/profiles/custom/{shared.public_id}/").status_code == 200


def test_a_name_the_agency_already_uses_is_refused(people, codes):
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    save_custom_area(owner=people["council"], name="Taken", base_level=lsoa, codes=codes[:3])
    response = client_for(people["nina"]).post(
        "/custom-areas/new/", {"name": "Taken", "codes": "\n".join(codes[:3])}
    )
    assert response.status_code == 400
    assert "already has a custom area named" in response.content.decode()
