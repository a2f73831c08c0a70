// The map's "Areas of concern" overlay: a thick outline over the boundary tiles for each
// area flagged by scanning (layers/scanning.py, read for the use `map` from
// /map/concerns/), the reasons in the sidebar list and in the hover tooltip. It follows
// the map: each time map.js draws new figures ("cg:values"), the overlay asks again for
// the same indicator, level and period. Scanning is for counts; for anything else it says so.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var config = JSON.parse($("map-config").textContent);
  var map = window.commonGroundMap;
  var container = $("map");
  var toggle = $("concerns-toggle");
  var status = $("concerns-status");
  var list = $("concerns-list");
  var LAYER_ID = "concerns-line";
  var CASING_ID = "concerns-casing";
  var SOURCE = "areas";
  var view = null; // the figures on the map (the values payload)
  var found = null; // the last answer: code -> concern
  var seq = 0;

  function say(text) { status.textContent = text || ""; }

  function removeLayer() {
    [LAYER_ID, CASING_ID].forEach(function (id) { if (map.getLayer(id)) map.removeLayer(id); });
  }

  function drawLayer(codes) {
    removeLayer();
    if (!map.getSource(SOURCE)) return;
    // A white casing under a dark purple line: it stands out on every colour scheme
    // (purple is in none of the sequential ones) and from the black selection outline.
    var filter = ["in", ["get", "gss_code"], ["literal", codes]];
    map.addLayer({
      id: CASING_ID, type: "line", source: SOURCE, "source-layer": SOURCE, filter: filter,
      paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 4.5, 13, 8] },
    });
    map.addLayer({
      id: LAYER_ID, type: "line", source: SOURCE, "source-layer": SOURCE, filter: filter,
      paint: { "line-color": "#5b2a86", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 2, 13, 4] },
    });
  }

  function item(concern) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = "/profiles/" + encodeURIComponent(view.level) + "/" + encodeURIComponent(concern.area_code) + "/";
    link.textContent = concern.area_name;
    var reasons = document.createElement("ul");
    concern.reasons.forEach(function (r) {
      var reason = document.createElement("li");
      reason.textContent = r.reason;
      reasons.appendChild(reason);
    });
    li.append(link, reasons);
    li.dataset.code = concern.area_code;
    return li;
  }

  function clear() {
    found = null;
    removeLayer();
    list.textContent = "";
    list.hidden = true;
    container.dataset.concerns = "off";
  }

  function refresh() {
    var mine = ++seq;
    clear();
    if (!toggle.checked) { say(""); return; }
    if (!view) { say("Choose an indicator first."); return; }
    if (view.indicator.measure !== "count") {
      say("Scanning is for counts: choose a count indicator to see areas of concern.");
      container.dataset.concerns = "not_count";
      return;
    }
    if (view.mode === "change") say("Areas of concern are for the period shown, not the change.");
    else say("Scanning…");
    container.dataset.concerns = "loading";
    var q = new URLSearchParams({ indicator: view.indicator.slug, level: view.level, period: view.period.code });
    fetch(config.urls.concerns + "?" + q.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (mine !== seq || !toggle.checked) return;
        if (!res.ok) { say(res.body.detail || "Scanning failed."); container.dataset.concerns = "error"; return; }
        var body = res.body;
        if (!body.scanned) { say("Not scanned: " + body.not_scanned + "."); container.dataset.concerns = "not_scanned"; return; }
        found = {};
        body.concerns.forEach(function (c) { found[c.area_code] = c; list.appendChild(item(c)); });
        list.hidden = body.concerns.length === 0;
        drawLayer(Object.keys(found));
        say(body.concerns.length
          ? body.concerns.length + " area" + (body.concerns.length === 1 ? "" : "s") + " of concern, outlined in purple (strongest first below)."
          : "No area is flagged for this indicator and period.");
        if (body.caution) status.textContent += " " + body.caution;
        container.dataset.concerns = "ready";
        container.dataset.concernCount = String(body.concerns.length);
      })
      .catch(function () { if (mine === seq) say("Scanning failed."); });
  }

  toggle.addEventListener("change", refresh);
  container.addEventListener("cg:values", function (e) {
    view = e.detail;
    if (toggle.checked) refresh();
  });

  // The hover tooltip (map.js fills it first): add the reasons of a flagged area.
  map.on("mousemove", "areas-fill", function (e) {
    var f = e.features && e.features[0];
    var concern = f && found ? found[f.id] : null;
    if (!concern) return;
    var tooltip = $("map-tooltip");
    var extra = document.createElement("span");
    extra.className = "tooltip-concern";
    extra.textContent = "Area of concern: " + concern.reasons.map(function (r) { return r.reason; }).join("; ");
    tooltip.appendChild(extra);
  });
})();
