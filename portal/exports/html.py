"""A self-contained HTML profile with an interactive folium map that works offline.

folium's Map template links Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs
(STYLE.md "Tooling"). Here the map is a folium Map with no default links and no tile
layer; Leaflet's script and stylesheet come from the npm package (package.json, served
as static/vendor/leaflet) and are written into the file itself, so the file opens and
works on a laptop with no network, and asks nothing of any other server.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import folium  # noqa: TID251 (exports are where folium belongs, with local assets)
from branca.element import Element, Figure
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.html import escape

from layers.locator import Locator, Shape
from portal.exports.document import ProfileDocument


class OfflineMap(folium.Map):
    """folium's Map without its CDN links (Leaflet is put in the page by `render_html`)."""

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own class attribute)
    default_css: list[tuple[str, str]] = []  # noqa: RUF012


@lru_cache(maxsize=4)
def _static_text(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} is missing (run npm ci)")
    with open(found, encoding="utf-8") as handle:
        return handle.read()


def _inline_script(text: str) -> str:
    return "<script>" + text.replace("</script", "<\\/script") + "</script>"


def _feature(shape: Shape, role: str) -> dict[str, Any]:
    # folium's tooltip writes property values into the page as HTML (innerHTML), and a
    # custom area's name is anyone's to choose: escape them, so they show as text.
    return {
        "type": "Feature",
        "geometry": shape.geometry,
        "properties": {"code": escape(shape.code), "name": escape(shape.name), "role": role},
    }


def _bounds(shape: Shape) -> list[list[float]]:
    coordinates = shape.geometry["coordinates"]
    polygons = [coordinates] if shape.geometry["type"] == "Polygon" else coordinates
    lons = [p[0] for polygon in polygons for ring in polygon for p in ring]
    lats = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _map(locator: Locator) -> OfflineMap | None:
    if locator.focus is None or locator.srid != 4326:
        return None
    fmap = OfflineMap(
        location=None,
        tiles=None,
        zoom_control=True,
        control_scale=True,
        prefer_canvas=False,
        width="100%",
        height="420px",
    )
    tooltip = folium.GeoJsonTooltip(fields=["name", "code"], aliases=["Area", "Code"])
    if locator.context:
        folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [_feature(s, "context") for s in locator.context],
            },
            name="Neighbouring areas",
            style_function=lambda _: {
                "color": "#8a96a3",
                "weight": 1,
                "fillColor": "#ffffff",
                "fillOpacity": 1,
            },
            highlight_function=lambda _: {"weight": 2, "color": "#1f3a5f"},
            tooltip=tooltip,
        ).add_to(fmap)
    if locator.members:
        folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [_feature(s, "member") for s in locator.members],
            },
            name="LSOAs in the area",
            style_function=lambda _: {
                "color": "#7fa7d3",
                "weight": 1,
                "fillColor": "#cfe0f3",
                "fillOpacity": 1,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["LSOA", "Code"]),
        ).add_to(fmap)
    if locator.district is not None:
        folium.GeoJson(
            _feature(locator.district, "district"),
            name="District boundary",
            style_function=lambda _: {
                "color": "#4a5560",
                "weight": 2,
                "dashArray": "6 3",
                "fill": False,
            },
        ).add_to(fmap)
    folium.GeoJson(
        _feature(locator.focus, "focus"),
        name=locator.focus.name,
        style_function=lambda _: {
            "color": "#0b3d78",
            "weight": 3,
            "fillColor": "#1f5fa8",
            "fillOpacity": 0.35,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["Area", "Code"]),
    ).add_to(fmap)
    fmap.fit_bounds(_bounds(locator.focus), padding=(30, 30))
    return fmap


class _AfterMap(Element):
    """Markup that goes after the map's own markup: folium adds the map's <div> to the
    page while the page renders, so a part added beforehand would come first."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._markup = markup

    def render(self, **kwargs: Any) -> str:
        root = self.get_root()
        if not isinstance(root, Figure):
            raise TypeError("profile markup belongs in a Figure")
        root.html.add_child(Element(self._markup), name=self.get_name())
        return ""


def render_html(doc: ProfileDocument, locator: Locator) -> str:
    """The profile as one HTML file: the same body as the page and the PDF, and the
    interactive map (area, neighbours, district), with Leaflet inlined from npm."""
    figure = Figure(title=escape(f"Profile of {doc.profile.area.name}"))  # folium does not
    figure.header.add_child(Element('<meta charset="utf-8">'), name="charset")
    figure.header.add_child(
        Element("<style>" + _static_text("vendor/leaflet/leaflet.css") + "</style>"),
        name="leaflet_css",
    )
    figure.header.add_child(
        Element(_inline_script(_static_text("vendor/leaflet/leaflet.js"))), name="leaflet"
    )
    figure.header.add_child(
        Element("<style>" + _static_text("portal/profile.css") + "</style>"),
        name="profile_css",
    )
    head = render_to_string("portal/exports/profile_html_head.html", {"doc": doc})
    body = render_to_string("portal/exports/profile_html_body.html", {"doc": doc})
    figure.html.add_child(Element(head), name="profile_head")
    fmap = _map(locator)
    if fmap is not None:
        figure.add_child(fmap, name="map")
    figure.add_child(_AfterMap(body), name="profile_body")
    return figure.render()
