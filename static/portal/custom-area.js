// The custom-area page's map: click LSOAs to add or remove them, or draw a shape that
// the server snaps to whole LSOAs (each whose point on surface lies inside), shown before
// it is added. The codes box is the one record of the choice: the map writes to it and
// reads from it, so the form works the same without the map. No CDN, no base map.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("custom-area-config").textContent);
  var container = document.getElementById("area-map");
  var form = document.getElementById("custom-area-form");
  var textarea = document.getElementById("id_codes");
  var levelSelect = document.getElementById("id_base_level");
  var count = document.getElementById("selection-count");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var drawStart = document.getElementById("draw-start");
  var drawFinish = document.getElementById("draw-finish");
  var drawCancel = document.getElementById("draw-cancel");
  var snapBox = document.getElementById("snap-result");
  var snapSummary = document.getElementById("snap-summary");
  var snapError = document.getElementById("snap-error");
  var CODE = /^[EWSNK]\d{8}$/;

  if (!config.levels.length) {
    container.dataset.status = "empty";
    return;
  }

  function level() {
    var slug = levelSelect ? levelSelect.value : config.level;
    return config.levels.find(function (lv) { return lv.slug === slug; }) || config.levels[0];
  }

  function tileUrl(lv) {
    return window.location.origin + config.tileUrl.replace("{level}", lv.slug) +
      "?v=" + encodeURIComponent(lv.version);
  }

  var current = level();
  var map = new maplibregl.Map({
    container: container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f4f2" } }],
    },
    bounds: config.start || current.bbox,
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.customAreaMap = map; // for browser tests and the console

  var selected = new Set();
  var preview = new Set();
  var drawing = false;
  var vertices = [];

  function setState(code, state) {
    if (!map.getSource("lsoas")) { return; }
    map.setFeatureState({ source: "lsoas", sourceLayer: "areas", id: code }, state);
  }

  function codesInBox() {
    return textarea.value.split(/[\s,;|]+/).map(function (t) {
      return t.replace(/^["']|["']$/g, "");
    }).filter(function (t) { return CODE.test(t); });
  }

  function showCount() {
    var n = selected.size;
    count.textContent = n === 1 ? "1 LSOA chosen." : n + " LSOAs chosen.";
    container.dataset.selected = String(n);
  }

  function readBox() {
    var now = new Set(codesInBox());
    selected.forEach(function (code) { if (!now.has(code)) { setState(code, { selected: false }); } });
    now.forEach(function (code) { setState(code, { selected: true }); });
    selected = now;
    showCount();
  }

  function writeBox() {
    // Keep lines that are not codes (a typo the server will name) after the codes.
    var others = textarea.value.split(/[\s,;|]+/).filter(function (t) {
      return t && !CODE.test(t.replace(/^["']|["']$/g, ""));
    });
    textarea.value = Array.from(selected).concat(others).join("\n");
    showCount();
  }

  function toggle(code) {
    if (selected.has(code)) {
      selected.delete(code);
      setState(code, { selected: false });
    } else {
      selected.add(code);
      setState(code, { selected: true });
    }
    writeBox();
  }

  function showLevel(lv) {
    if (map.getLayer("lsoa-fill")) {
      map.removeLayer("lsoa-line");
      map.removeLayer("lsoa-fill");
      map.removeSource("lsoas");
    }
    map.addSource("lsoas", {
      type: "vector", tiles: [tileUrl(lv)], minzoom: 0, maxzoom: 16, promoteId: "gss_code",
    });
    map.addLayer({
      id: "lsoa-fill", type: "fill", source: "lsoas", "source-layer": "areas",
      paint: {
        "fill-color": ["case",
          ["boolean", ["feature-state", "preview"], false], "#f1a340",
          ["boolean", ["feature-state", "selected"], false], "#1f5fa8",
          "#9ecae1"],
        "fill-opacity": ["case", ["boolean", ["feature-state", "selected"], false], 0.7, 0.45],
      },
    }, "drawn-fill");
    map.addLayer({
      id: "lsoa-line", type: "line", source: "lsoas", "source-layer": "areas",
      paint: { "line-color": "#08519c", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.3, 14, 1.2] },
    }, "drawn-fill");
    readBox();
  }

  function drawnData() {
    var ring = vertices.length >= 3 ? vertices.concat([vertices[0]]) : vertices;
    var features = vertices.map(function (v) {
      return { type: "Feature", geometry: { type: "Point", coordinates: v }, properties: {} };
    });
    if (vertices.length >= 2) {
      features.push({ type: "Feature", geometry: { type: "LineString", coordinates: ring }, properties: {} });
    }
    if (vertices.length >= 3) {
      features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: {} });
    }
    return { type: "FeatureCollection", features: features };
  }

  function redraw() { map.getSource("drawn").setData(drawnData()); }

  function setDrawing(on) {
    drawing = on;
    drawStart.setAttribute("aria-pressed", on ? "true" : "false");
    drawFinish.hidden = !on;
    drawCancel.hidden = !on;
    container.dataset.drawing = on ? "yes" : "no";
    if (on) { map.doubleClickZoom.disable(); } else { map.doubleClickZoom.enable(); }
    map.getCanvas().style.cursor = on ? "crosshair" : "";
  }

  function clearPreview() {
    preview.forEach(function (code) { setState(code, { preview: false }); });
    preview = new Set();
    snapBox.hidden = true;
  }

  function finish() {
    if (vertices.length < 3) {
      snapError.textContent = "A shape needs at least three corners: click the map to add them.";
      snapError.hidden = false;
      return;
    }
    var polygon = { type: "Polygon", coordinates: [vertices.concat([vertices[0]])] };
    setDrawing(false);
    snapError.hidden = true;
    fetch(config.snapUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ level: level().slug, polygon: polygon }),
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (result) {
        if (!result.ok) { throw new Error(result.body.error || "the shape could not be used"); }
        clearPreview();
        result.body.areas.forEach(function (a) { preview.add(a.code); setState(a.code, { preview: true }); });
        var n = preview.size;
        snapSummary.textContent = n === 0
          ? "The shape holds no LSOA's centre point. Draw a larger one."
          : "The shape takes " + n + " whole LSOA" + (n === 1 ? "" : "s") + " (orange): " +
            result.body.areas.slice(0, 6).map(function (a) { return a.name; }).join(", ") +
            (n > 6 ? " and " + (n - 6) + " more." : ".");
        snapBox.hidden = false;
        container.dataset.snapped = String(n);
      })
      .catch(function (error) {
        snapError.textContent = error.message;
        snapError.hidden = false;
      });
  }

  map.on("load", function () {
    map.addSource("drawn", { type: "geojson", data: drawnData() });
    map.addLayer({ id: "drawn-fill", type: "fill", source: "drawn", filter: ["==", "$type", "Polygon"],
      paint: { "fill-color": "#f1a340", "fill-opacity": 0.15 } });
    map.addLayer({ id: "drawn-line", type: "line", source: "drawn", filter: ["==", "$type", "LineString"],
      paint: { "line-color": "#b35806", "line-width": 2, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "drawn-points", type: "circle", source: "drawn", filter: ["==", "$type", "Point"],
      paint: { "circle-radius": 4, "circle-color": "#b35806" } });
    showLevel(current);
    map.once("idle", function () { container.dataset.status = "ready"; });
  });

  map.on("click", function (e) {
    if (drawing) {
      vertices.push([e.lngLat.lng, e.lngLat.lat]);
      redraw();
      return;
    }
    var hit = map.queryRenderedFeatures(e.point, { layers: ["lsoa-fill"] });
    if (hit.length) { toggle(hit[0].properties.gss_code); }
  });
  map.on("dblclick", function (e) {
    if (drawing) { e.preventDefault(); finish(); }
  });
  map.on("mousemove", "lsoa-fill", function () {
    if (!drawing) { map.getCanvas().style.cursor = "pointer"; }
  });
  map.on("mouseleave", "lsoa-fill", function () {
    if (!drawing) { map.getCanvas().style.cursor = ""; }
  });

  drawStart.addEventListener("click", function () {
    clearPreview();
    vertices = [];
    redraw();
    snapError.hidden = true;
    setDrawing(true);
  });
  drawFinish.addEventListener("click", finish);
  drawCancel.addEventListener("click", function () {
    vertices = [];
    redraw();
    setDrawing(false);
  });
  document.getElementById("snap-add").addEventListener("click", function () {
    preview.forEach(function (code) { selected.add(code); setState(code, { selected: true }); });
    clearPreview();
    vertices = [];
    redraw();
    writeBox();
  });
  document.getElementById("snap-replace").addEventListener("click", function () {
    selected.forEach(function (code) { setState(code, { selected: false }); });
    selected = new Set(preview);
    selected.forEach(function (code) { setState(code, { selected: true }); });
    clearPreview();
    vertices = [];
    redraw();
    writeBox();
  });
  document.getElementById("snap-discard").addEventListener("click", function () {
    clearPreview();
    vertices = [];
    redraw();
  });

  var typing = null;
  textarea.addEventListener("input", function () {
    window.clearTimeout(typing);
    typing = window.setTimeout(readBox, 300);
  });
  var goTo = document.getElementById("go-to");
  if (goTo) {
    goTo.addEventListener("change", function () {
      var d = config.districts.find(function (x) { return x.code === goTo.value; });
      if (d) { map.fitBounds(d.bbox, { padding: 20, duration: 0 }); }
    });
  }
  if (levelSelect) {
    levelSelect.addEventListener("change", function () {
      current = level();
      showLevel(current);
      map.fitBounds(current.bbox, { padding: 20, duration: 0 });
    });
  }
  showCount();
})();
