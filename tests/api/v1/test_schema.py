"""The OpenAPI schema and the interactive docs, served with no CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_documents_every_endpoint_with_its_errors():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/levels/",
        "/api/v1/areas/",
        "/api/v1/areas/{code}/",
        "/api/v1/datasets/",
        "/api/v1/indicators/",
        "/api/v1/agreements/mine/",
        "/api/v1/indicators/{slug}/values/",
        "/api/v1/indicators/{slug}/concerns/",
        "/api/v1/datasets/{slug}/releases/",
    ):
        assert path in paths, path
    values = paths["/api/v1/indicators/{slug}/values/"]["get"]
    assert {p["name"] for p in values["parameters"]} >= {
        "level",
        "period",
        "within",
        "purpose",
        "format",
    }
    assert {"400", "401", "403", "404", "429"} <= set(values["responses"])
    concerns = paths["/api/v1/indicators/{slug}/concerns/"]["get"]
    assert {p["name"] for p in concerns["parameters"]} >= {"level", "period", "purpose"}
    assert {"400", "401", "403", "404"} <= set(concerns["responses"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_load_swagger_ui_from_our_own_static_files():
    page = Client().get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/") or s.startswith("?") for s in sources), sources
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):  # from node_modules, via npm
        assert finders.find(f"vendor/swagger-ui-dist/{name}"), name


def test_errors_are_documented_as_problem_json_and_unknown_paths_are_problems():
    schema = yaml.safe_load(APIClient().get("/api/v1/schema/").content)
    values = schema["paths"]["/api/v1/indicators/{slug}/values/"]["get"]["responses"]
    assert set(values["200"]["content"]) == {"application/json", "text/csv", "application/geo+json"}
    assert set(values["403"]["content"]) == {"application/problem+json"}
    areas = schema["paths"]["/api/v1/areas/"]["get"]["responses"]
    assert set(areas["200"]["content"]) == {"application/geo+json"}
    for path in ("/api/v1/nothing/", "/api/v1/releases/not.an.id/"):
        response = APIClient().post(path)
        assert (
            response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        )
