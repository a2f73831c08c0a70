// The boundary map: vector tiles of the chosen level, drawn with MapLibre GL.
// No base map and no CDN: everything comes from this server.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var container = document.getElementById("map");
  var picker = document.getElementById("level-picker");
  var hoverName = document.getElementById("hover-name");
  var hoverCode = document.getElementById("hover-code");
  if (!config.levels.length) {
    container.dataset.status = "empty";
    return;
  }

  function levelInfo(slug) {
    return config.levels.find(function (lv) { return lv.slug === slug; }) || config.levels[0];
  }

  function tileUrl(lv) {
    var base = window.location.origin + config.tileUrl.replace("{level}", lv.slug);
    return base + "?v=" + encodeURIComponent(lv.boundary_version);
  }

  var current = levelInfo(config.level);
  var map = new maplibregl.Map({
    container: container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f4f2" } }],
    },
    bounds: current.bbox_4326,
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.commonGroundMap = map; // for browser tests and the console

  var hovered = null;

  function showLevel(lv) {
    if (map.getLayer("areas-fill")) {
      map.removeLayer("areas-line");
      map.removeLayer("areas-fill");
      map.removeSource("areas");
    }
    hovered = null;
    map.addSource("areas", {
      type: "vector",
      tiles: [tileUrl(lv)],
      minzoom: 0,
      maxzoom: 16,
      promoteId: "gss_code",
    });
    map.addLayer({
      id: "areas-fill", type: "fill", source: "areas", "source-layer": "areas",
      paint: {
        "fill-color": ["case", ["boolean", ["feature-state", "hover"], false], "#f1a340", "#9ecae1"],
        "fill-opacity": 0.55,
      },
    });
    map.addLayer({
      id: "areas-line", type: "line", source: "areas", "source-layer": "areas",
      paint: { "line-color": "#08519c", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.3, 14, 1.5] },
    });
    container.dataset.level = lv.slug;
  }

  function setHover(feature) {
    if (hovered !== null) {
      map.setFeatureState({ source: "areas", sourceLayer: "areas", id: hovered }, { hover: false });
    }
    hovered = feature ? feature.id : null;
    if (feature) {
      map.setFeatureState({ source: "areas", sourceLayer: "areas", id: hovered }, { hover: true });
      hoverName.textContent = feature.properties.name;
      hoverName.classList.remove("muted");
      hoverCode.textContent = feature.properties.gss_code;
    } else {
      hoverName.textContent = "Point at an area to see its name and code.";
      hoverName.classList.add("muted");
      hoverCode.textContent = "";
    }
  }

  map.on("load", function () {
    showLevel(current);
    map.once("idle", function () { container.dataset.status = "ready"; });
  });
  map.on("mousemove", "areas-fill", function (e) {
    map.getCanvas().style.cursor = "pointer";
    setHover(e.features[0]);
  });
  map.on("mouseleave", "areas-fill", function () {
    map.getCanvas().style.cursor = "";
    setHover(null);
  });

  picker.addEventListener("change", function () {
    current = levelInfo(picker.value);
    var url = new URL(window.location.href);
    url.searchParams.set("level", current.slug);
    window.history.replaceState(null, "", url);
    container.dataset.status = "loading";
    showLevel(current);
    map.fitBounds(current.bbox_4326, { padding: 20, duration: 0 });
    map.once("idle", function () { container.dataset.status = "ready"; });
  });
})();
