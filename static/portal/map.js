// The analyst's map. Boundaries come from the vector tiles (code and name only); the
// figures for the chosen indicator, level and period come from /map/values/ (the one
// read path) and are joined here by area code as MapLibre feature state, so switching
// indicator or period never refetches geometry. No CDN, no base map unless configured.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var container = $("map");
  var SOURCE = "areas";
  var LAYER = "areas"; // the tile's layer name
  var NO_DATA = "#b4b4b4";
  var WITHHELD_BASE = "#ffffff";
  var PENDING = "#ececea";
  var SEQUENTIAL = ["YlOrRd", "YlGnBu", "OrRd", "PuBuGn", "Purples", "Blues"];
  var DIVERGING = ["RdBu", "PuOr", "BrBG", "PiYG"]; // each starts at its warm ("worse") end
  var STATUS = { shown: 1, withheld: 2, no_data: 3 };
  var TABLE_LIMIT = 2000;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var themes = config.themes;
  var levels = {};
  config.levels.forEach(function (lv) { levels[lv.slug] = lv; });

  var state = {};      // what is chosen (mirrored in the URL)
  var current = null;  // the last values payload drawn
  var shownLevel = null;
  var selected = null;
  var hovered = null;
  var requestSeq = 0;
  var sortKey = "rank";
  var sortAsc = true;

  // ---------------------------------------------------------------- catalogue --------

  function allIndicators() {
    var out = [];
    themes.forEach(function (t) {
      t.datasets.forEach(function (d) {
        d.indicators.forEach(function (i) { out.push({ theme: t, dataset: d, indicator: i }); });
      });
    });
    return out;
  }

  function find(slug) {
    return allIndicators().find(function (e) { return e.indicator.slug === slug; }) || null;
  }

  function option(select, value, text, isSelected) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    if (isSelected) o.selected = true;
    select.appendChild(o);
  }

  function fill(select, items, chosen) {
    select.textContent = "";
    items.forEach(function (it) { option(select, it[0], it[1], it[0] === chosen); });
    select.disabled = items.length === 0;
  }

  function periodLabel(code) {
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    var m = /^(\d{4})-(\d{2})$/.exec(code);
    if (m) return months[parseInt(m[2], 10) - 1] + " " + m[1];
    var q = /^(\d{4})-Q(\d)$/.exec(code);
    if (q) return q[1] + " Q" + q[2];
    return code;
  }

  // Fill every picker from `state`, falling back to the first allowed choice.
  function syncPickers() {
    var entry = find(state.indicator) || allIndicators()[0];
    if (!entry) return false;
    state.theme = entry.theme.slug;
    state.dataset = entry.dataset.slug;
    state.indicator = entry.indicator.slug;
    fill($("theme-picker"), themes.map(function (t) { return [t.slug, t.name]; }), state.theme);
    fill($("dataset-picker"), entry.theme.datasets.map(function (d) {
      return [d.slug, d.title + (d.simulated && !/simulated/i.test(d.title) ? " (simulated)" : "")];
    }), state.dataset);
    fill($("indicator-picker"), entry.dataset.indicators.map(function (i) { return [i.slug, i.name]; }), state.indicator);
    var ind = entry.indicator;
    if (ind.levels.indexOf(state.level) < 0) state.level = ind.levels[0];
    fill($("level-picker"), ind.levels.map(function (slug) {
      var lv = levels[slug];
      return [slug, (lv ? lv.name : slug) + (lv ? " (" + lv.n_areas.toLocaleString("en-GB") + ")" : "")];
    }), state.level);
    var periods = ind.periods.slice().reverse();
    if (periods.indexOf(state.period) < 0) state.period = periods[0];
    fill($("period-picker"), periods.map(function (p) { return [p, periodLabel(p)]; }), state.period);
    var earlier = ind.periods.filter(function (p) { return p < state.period; }).reverse();
    if (earlier.indexOf(state.base) < 0) state.base = earlier.length ? earlier[0] : "";
    fill($("base-picker"), earlier.map(function (p) { return [p, periodLabel(p)]; }), state.base);
    if (state.mode === "change" && !earlier.length) state.mode = "value";
    document.querySelectorAll("input[name=mode]").forEach(function (r) {
      r.checked = r.value === state.mode;
      if (r.value === "change") r.disabled = ind.periods.length < 2;
    });
    document.querySelectorAll("input[name=change]").forEach(function (r) { r.checked = r.value === state.change; });
    $("change-options").hidden = state.mode !== "change";
    var ks = [];
    for (var k = config.classes.min; k <= config.classes.max; k++) {
      if (state.mode !== "change" || k % 2 === 1) ks.push(k);
    }
    if (ks.indexOf(state.k) < 0) state.k = state.mode === "change" ? 5 : Math.min(Math.max(state.k || 5, ks[0]), ks[ks.length - 1]);
    fill($("k-picker"), ks.map(function (k) { return [String(k), k + " classes"]; }), String(state.k));
    $("method-picker").value = state.method;
    var schemes = state.mode === "change" ? DIVERGING : SEQUENTIAL;
    if (schemes.indexOf(state.palette) < 0) state.palette = schemes[0];
    fill($("palette-picker"), schemes.map(function (s) { return [s, s]; }), state.palette);
    return true;
  }

  function readUrl() {
    var q = new URLSearchParams(window.location.search);
    state = {
      indicator: q.get("indicator") || "",
      level: q.get("level") || "",
      period: q.get("period") || "",
      mode: q.get("mode") === "change" ? "change" : "value",
      base: q.get("base") || "",
      change: q.get("change") === "percent" ? "percent" : "absolute",
      method: ["quantiles", "jenks", "equal_interval"].indexOf(q.get("method")) >= 0 ? q.get("method") : "quantiles",
      k: parseInt(q.get("k") || "5", 10),
      palette: q.get("palette") || "",
      area: q.get("area") || "",
      view: q.get("view") === "table" ? "table" : "map",
    };
  }

  function writeUrl() {
    var q = new URLSearchParams();
    ["indicator", "level", "period", "mode", "method", "k", "palette", "area", "view"].forEach(function (key) {
      if (state[key] !== "" && state[key] !== null && state[key] !== undefined) q.set(key, state[key]);
    });
    if (state.mode === "change") { q.set("base", state.base); q.set("change", state.change); }
    if (state.view !== "table") q.delete("view");
    if (!state.area) q.delete("area");
    window.history.replaceState(null, "", window.location.pathname + "?" + q.toString() + window.location.hash);
  }

  function valuesQuery() {
    var q = new URLSearchParams({
      indicator: state.indicator, level: state.level, period: state.period,
      method: state.method, k: String(state.k), mode: state.mode,
    });
    if (state.mode === "change") { q.set("base", state.base); q.set("change", state.change); }
    return q.toString();
  }

  // ---------------------------------------------------------------- the map ----------

  if (config.workerUrl && maplibregl.setWorkerUrl) maplibregl.setWorkerUrl(config.workerUrl);

  var hasData = allIndicators().length > 0;
  readUrl();
  var asked = state.indicator;
  if (hasData) {
    syncPickers();
    if (asked && asked !== state.indicator) {
      // A bookmark from a colleague with other access: say so, never show a refusal as data.
      var notice = $("notice");
      notice.textContent = config.public ? "“" + asked + "” is not published to the public; showing what is." :
        "“" + asked + "” is not shared with you for mapping under this session's purpose; showing what you may see instead.";
      notice.hidden = false;
    }
  }
  else {
    state.level = state.level && levels[state.level] ? state.level : (config.levels[0] || {}).slug;
    ["theme-picker", "dataset-picker", "indicator-picker", "period-picker"].forEach(function (id) { fill($(id), [], ""); });
    fill($("level-picker"), config.levels.map(function (lv) { return [lv.slug, lv.name]; }), state.level);
    showMessage(config.public ? "Nothing is published to the public for mapping yet." :
      "No dataset is shared with you for mapping under the purpose “" + config.purpose.replace(/_/g, " ") + "”.");
    $("download-csv").disabled = true;
    $("download-png").disabled = true;
  }
  if (!state.level || !levels[state.level]) {
    container.dataset.status = "empty";
    showMessage("No boundaries are loaded yet.");
    return;
  }

  var style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f7f7f5" } }],
  };
  if (config.basemap) {
    style.sources.basemap = { type: "raster", tiles: [config.basemap.tiles], tileSize: 256, attribution: config.basemap.attribution };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap", layout: { visibility: "none" } });
  }
  // Start on the partnership, or on its largest district when its districts lie far
  // apart (two cities would otherwise be specks at opposite corners).
  function startBounds() {
    var all = levels[state.level].bbox_4326;
    var ds = config.districts || [];
    if (ds.length < 2) return all;
    var size = function (b) { return Math.max(b[2] - b[0], b[3] - b[1]); };
    var biggest = ds.slice().sort(function (a, b) { return size(b.bbox_4326) - size(a.bbox_4326); })[0];
    return size(all) > 3 * size(biggest.bbox_4326) ? biggest.bbox_4326 : all;
  }

  var districtBar = $("districts");
  if ((config.districts || []).length > 1) {
    districtBar.appendChild(el("span", "muted", "Zoom to"));
    config.districts.concat([{ name: "All", bbox_4326: levels[state.level].bbox_4326 }]).forEach(function (d) {
      var b = el("button", "secondary", d.name);
      b.type = "button";
      b.addEventListener("click", function () { map.fitBounds(d.bbox_4326, { padding: 30, duration: 500 }); });
      districtBar.appendChild(b);
    });
  }

  var map = new maplibregl.Map({
    container: container,
    style: style,
    bounds: startBounds(),
    fitBoundsOptions: { padding: 30 },
    attributionControl: config.basemap ? { compact: true } : false,
    hash: "view",
    canvasContextAttributes: { preserveDrawingBuffer: true },
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.commonGroundMap = map; // for browser tests and the console

  function hatchImage() {
    // Dark diagonal lines on transparent: drawn over a white fill, "withheld" reads as
    // hatching at every zoom and can never be mistaken for a value or for no data.
    var size = 8, data = new Uint8Array(size * size * 4);
    for (var y = 0; y < size; y++) {
      for (var x = 0; x < size; x++) {
        var d = (x + y) % size, i = (y * size + x) * 4;
        var on = d === 0 || d === 1;
        data[i] = 70; data[i + 1] = 70; data[i + 2] = 70; data[i + 3] = on ? 255 : 0;
      }
    }
    return { width: size, height: size, data: data };
  }

  function tileUrl(slug) {
    var lv = levels[slug];
    return window.location.origin + config.tileUrl.replace("{level}", slug) + "?v=" + encodeURIComponent(lv.boundary_version);
  }

  function fs(name) { return ["feature-state", name]; }

  function showLevel(slug) {
    ["areas-fill", "areas-hatch", "areas-line", "areas-focus", "concerns-casing", "concerns-line"].forEach(function (id) {
      if (map.getLayer(id)) map.removeLayer(id);
    });
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    hovered = null;
    map.addSource(SOURCE, { type: "vector", tiles: [tileUrl(slug)], minzoom: 0, maxzoom: 16, promoteId: "gss_code" });
    map.addLayer({ id: "areas-fill", type: "fill", source: SOURCE, "source-layer": LAYER,
      paint: { "fill-color": FILL, "fill-opacity": config.basemap && basemapOn() ? 0.75 : 1 } });
    map.addLayer({ id: "areas-hatch", type: "fill", source: SOURCE, "source-layer": LAYER,
      paint: { "fill-pattern": "hatch", "fill-opacity": ["case", ["==", fs("s"), STATUS.withheld], 1, 0] } });
    map.addLayer({ id: "areas-line", type: "line", source: SOURCE, "source-layer": LAYER,
      paint: { "line-color": "#ffffff", "line-opacity": 0.85,
        "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.25, 12, 0.8, 15, 1.6] } });
    map.addLayer({ id: "areas-focus", type: "line", source: SOURCE, "source-layer": LAYER,
      paint: {
        "line-color": ["case", ["boolean", fs("sel"), false], "#0b0c0c", "#1d70b8"],
        "line-width": ["case", ["boolean", fs("sel"), false], 3.5, ["boolean", fs("h"), false], 2.5, 0],
      } });
    shownLevel = slug;
    container.dataset.level = slug;
  }

  function basemapOn() { var t = $("basemap-toggle"); return !!(t && t.checked); }

  // Colours for the classes, ordered as the classes (low to high values, or biggest fall
  // to biggest rise), turned so that the strong/warm end means "worse" by polarity.
  function colours(payload) {
    var k = payload.classes.k;
    if (!k) return [];
    var scheme = colorbrewer[state.palette] || colorbrewer[payload.classes.kind === "diverging" ? "RdBu" : "YlOrRd"];
    var n = Math.max(3, k);
    var list = (scheme[n] || scheme[Object.keys(scheme).pop()]).slice(0, n);
    var polarity = payload.indicator.polarity;
    if (payload.classes.kind === "diverging") {
      // arrays start warm: a fall is worse only when higher is better
      if (polarity !== "higher_is_better") list.reverse();
    } else if (polarity === "higher_is_better") {
      list.reverse(); // low values are the worse end: give them the dark colours
    }
    return list.slice(0, k);
  }

  // The fill colour is each area's feature state, so this expression never changes: a new
  // indicator, class count or palette only updates states. (Changing a data-driven paint
  // expression makes MapLibre lay every loaded tile out again: seconds at national scale.)
  var FILL = ["case",
    ["==", fs("s"), STATUS.shown], ["to-color", ["coalesce", fs("col"), PENDING]],
    ["==", fs("s"), STATUS.withheld], WITHHELD_BASE,
    ["==", fs("s"), STATUS.no_data], NO_DATA,
    PENDING];

  function paint(payload) {
    var list = colours(payload);
    payload.colours = list;
    payload.values.forEach(function (row) {
      if (row.status === "shown" && row["class"] !== null) {
        map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: row.area_code }, { col: list[row["class"]] });
      }
    });
    return list;
  }

  function applyStates(payload) {
    map.removeFeatureState({ source: SOURCE, sourceLayer: LAYER });
    var list = colours(payload);
    payload.colours = list;
    var byCode = {};
    payload.values.forEach(function (row) {
      byCode[row.area_code] = row;
      var cls = row["class"];
      map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: row.area_code },
        { s: STATUS[row.status] || STATUS.no_data, c: cls === null ? -1 : cls, col: cls === null ? null : list[cls] });
    });
    payload.byCode = byCode;
    if (selected && byCode[selected]) {
      map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: selected }, { sel: true });
    }
    return list;
  }

  // ---------------------------------------------------------------- formatting -------

  function fmt(v, payload) {
    if (v === null || v === undefined) return "";
    var digits = Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : 1;
    var text = v.toLocaleString("en-GB", { maximumFractionDigits: digits });
    if (payload && payload.mode === "change") {
      var sign = v > 0 ? "+" : "";
      return sign + text + (payload.change.kind === "percent" ? "%" : "");
    }
    return text;
  }

  function valueText(row, payload) {
    if (!row) return "no data";
    if (row.status === "withheld") return "withheld [c]";
    if (row.status !== "shown") return row.marker === "[z]" ? "not applicable [z] (from 0)" : "no data " + (row.marker || "[x]");
    var unit = payload.indicator.unit && payload.mode !== "change" ? " " + payload.indicator.unit : "";
    return fmt(row.value, payload) + unit;
  }

  function levelName(slug) { return levels[slug] ? levels[slug].name : slug; }

  function describe(payload) {
    var when = payload.mode === "change"
      ? "change " + periodLabel(payload.change.from) + " to " + periodLabel(payload.change.to) + (payload.change.kind === "percent" ? " (%)" : "")
      : periodLabel(payload.period.code);
    return when + " · " + levelName(payload.level);
  }

  function legend(payload, list) {
    var ul = $("legend-classes");
    ul.textContent = "";
    payload.classes.bands.forEach(function (b, i) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.setAttribute("aria-hidden", "true");
      sw.style.backgroundColor = list[i];
      var label = document.createElement("span");
      label.className = "legend-label";
      var middle = payload.classes.kind === "diverging" && i === (payload.classes.k - 1) / 2;
      if (middle) label.textContent = "no change";
      else if (!b.count) label.textContent = "(none)";
      else if (b.lower === b.upper) label.textContent = fmt(b.lower, payload);
      else label.textContent = fmt(b.lower, payload) + " to " + fmt(b.upper, payload);
      var count = document.createElement("span");
      count.className = "legend-count";
      count.textContent = "(" + b.count.toLocaleString("en-GB") + ")";
      li.append(sw, label, " ", count);
      li.dataset.count = b.count;
      ul.appendChild(li);
    });
    $("count-withheld").textContent = "(" + payload.summary.withheld.toLocaleString("en-GB") + ")";
    $("count-nodata").textContent = "(" + payload.summary.no_data.toLocaleString("en-GB") + ")";
    $("legend-title").textContent = payload.indicator.name + (payload.indicator.unit ? " (" + payload.indicator.unit + ")" : "");
    var methods = { quantiles: "quantiles", jenks: "natural breaks (Jenks)", equal_interval: "equal intervals" };
    $("legend-subtitle").textContent = describe(payload) + " · " + methods[payload.classes.method];
  }

  function sourceText(payload) {
    var c = payload.citation, parts = [];
    parts.push(c.dataset_title + ", published by " + c.owner + (c.source ? " (" + c.source + ")" : "") + ".");
    if (payload.agreement && config.public) {
      parts.push("Published to the public under " + payload.agreement.reference + " v" + payload.agreement.version +
        (c.agreement_title ? " “" + c.agreement_title + "”" : "") + ".");
      parts.push("Privacy: " + (payload.policy.in_plain_words || payload.policy.description) + "");
    } else if (payload.agreement) {
      parts.push("Shared with you under " + payload.agreement.reference + " v" + payload.agreement.version +
        (c.agreement_title ? " “" + c.agreement_title + "”" : "") + ", " + c.marking + ".");
      parts.push("Disclosure control: " + payload.policy.description + ".");
    } else {
      parts.push("Your own agency's data: shown in full, not disclosure controlled.");
    }
    if (payload.indicator.simulated) parts.push("These figures are SIMULATED for the demo.");
    $("source-text").textContent = parts.join(" ");
  }

  function title(payload) {
    $("map-title-name").textContent = payload.indicator.name;
    $("map-title-detail").textContent = describe(payload);
    $("simulated-badge").hidden = !payload.indicator.simulated;
  }

  function showMessage(text) {
    var m = $("map-message");
    m.textContent = text || "";
    m.hidden = !text;
  }

  // ---------------------------------------------------------------- loading ----------

  function load(options) {
    options = options || {};
    if (!hasData) return;
    writeUrl();
    var seq = ++requestSeq;
    var started = performance.now();
    container.dataset.status = "loading";
    if (shownLevel !== state.level) {
      showLevel(state.level);
      if (options.fit !== false) map.fitBounds(startBounds(), { padding: 30, duration: 0 });
    }
    fetch(config.urls.values + "?" + valuesQuery(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (seq !== requestSeq) return;
        if (!res.ok) throw new Error(res.body.detail || "the figures could not be read");
        current = res.body;
        var fetched = performance.now();
        showMessage("");
        legend(current, applyStates(current));
        sourceText(current);
        title(current);
        tableStale = true;
        if (state.view === "table") renderTable();
        $("download-csv").disabled = false;
        $("download-png").disabled = false;
        $("announce").textContent = current.indicator.name + ", " + describe(current) + ": " +
          current.summary.shown + " areas shown, " + current.summary.withheld + " withheld, " + current.summary.no_data + " with no data.";
        if (selected) openPanel(selected, { quiet: true });
        // For overlays (concerns-overlay.js): what is on the map now.
        container.dispatchEvent(new CustomEvent("cg:values", { detail: current }));
        var applied = performance.now();
        map.once("idle", function () {
          if (seq !== requestSeq) return;
          // For the benchmark: the figures' request, joining them, and drawing.
          container.dataset.fetchMs = String(Math.round(fetched - started));
          container.dataset.applyMs = String(Math.round(applied - fetched));
          container.dataset.drawMs = String(Math.round(performance.now() - started));
          container.dataset.indicator = current.indicator.slug;
          container.dataset.mode = current.mode;
          container.dataset.status = "ready";
        });
        map.triggerRepaint();
      })
      .catch(function (err) {
        if (seq !== requestSeq) return;
        current = null;
        map.removeFeatureState({ source: SOURCE, sourceLayer: LAYER });
        showMessage(err.message);
        container.dataset.status = "error";
      });
  }

  // ---------------------------------------------------------------- hover ------------

  var tooltip = $("map-tooltip");

  function setHover(feature, point) {
    if (hovered !== null) map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: hovered }, { h: false });
    hovered = feature ? feature.id : null;
    if (!feature) { tooltip.hidden = true; return; }
    map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: hovered }, { h: true });
    var row = current && current.byCode ? current.byCode[feature.id] : null;
    tooltip.textContent = "";
    var name = document.createElement("strong");
    name.textContent = feature.properties.name;
    var code = document.createElement("span");
    code.className = "code";
    code.textContent = feature.properties.gss_code;
    var value = document.createElement("span");
    value.className = "tooltip-value";
    value.textContent = current ? valueText(row, current) : "";
    tooltip.append(name, code, value);
    if (row && current.mode === "change" && row.status === "shown") {
      var extra = document.createElement("span");
      extra.className = "small";
      extra.textContent = fmt(row.from) + " → " + fmt(row.to);
      tooltip.appendChild(extra);
    }
    tooltip.hidden = false;
    var w = container.clientWidth;
    tooltip.style.left = Math.min(point.x + 14, w - tooltip.offsetWidth - 8) + "px";
    tooltip.style.top = point.y + 14 + "px";
  }

  map.on("mousemove", "areas-fill", function (e) {
    map.getCanvas().style.cursor = "pointer";
    setHover(e.features[0], e.point);
  });
  map.on("mouseleave", "areas-fill", function () {
    map.getCanvas().style.cursor = "";
    setHover(null);
  });
  map.on("click", "areas-fill", function (e) {
    if (e.features && e.features[0]) openPanel(e.features[0].id);
  });

  // ---------------------------------------------------------------- side panel -------

  function select(code) {
    if (selected && map.getSource(SOURCE)) map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: selected }, { sel: false });
    selected = code;
    state.area = code || "";
    writeUrl();
    if (code && map.getSource(SOURCE)) map.setFeatureState({ source: SOURCE, sourceLayer: LAYER, id: code }, { sel: true });
  }

  function closePanel() {
    select(null);
    $("area-panel").hidden = true;
    container.focus();
  }

  function openPanel(code, options) {
    options = options || {};
    select(code);
    var panel = $("area-panel");
    var body = $("panel-body");
    var row = current && current.byCode ? current.byCode[code] : null;
    $("panel-title").textContent = row ? row.area_name : code;
    body.textContent = "";
    body.appendChild(el("p", "muted", "Loading…"));
    panel.hidden = false;
    panel.dataset.area = code;
    panel.dataset.status = "loading";
    if (!options.quiet) $("panel-title").focus();
    var q = new URLSearchParams(valuesQuery());
    q.set("code", code);
    fetch(config.urls.area + "?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (selected !== code) return;
        body.textContent = "";
        if (!res.ok) {
          body.appendChild(el("p", "error", res.body.detail || "The figures for this area could not be read."));
          panel.dataset.status = "error";
          return;
        }
        renderPanel(res.body, body, code);
        panel.dataset.status = "ready";
      });
  }

  function renderPanel(data, body, code) {
    $("panel-title").textContent = data.area.name;
    window.CommonGroundPanel.render(data, body, {
      el: el, fmt: fmt, periodLabel: periodLabel, levelName: levelName,
      row: current && current.byCode ? current.byCode[code] : null, payload: current,
    });
  }

  $("panel-close").addEventListener("click", closePanel);
  $("area-panel").addEventListener("keydown", function (e) { if (e.key === "Escape") closePanel(); });

  // ---------------------------------------------------------------- table view -------

  // Drawn only when shown: thousands of rows would slow every switch at national scale.
  var tableStale = true;

  function renderTable() {
    tableStale = false;
    var tbody = document.querySelector("#values-table tbody");
    tbody.textContent = "";
    if (!current) return;
    var rows = current.values.slice();
    var key = sortKey;
    rows.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (key === "value" || key === "rank" || key === "decile") {
        if (x === null && y === null) return a.area_name < b.area_name ? -1 : 1;
        if (x === null) return 1; // withheld and missing always last, whichever way
        if (y === null) return -1;
        return sortAsc ? x - y : y - x;
      }
      return (x < y ? -1 : x > y ? 1 : 0) * (sortAsc ? 1 : -1);
    });
    var frag = document.createDocumentFragment();
    rows.slice(0, TABLE_LIMIT).forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.code = row.area_code;
      var nameCell = document.createElement("th");
      nameCell.scope = "row";
      var b = el("button", "link-button", row.area_name);
      b.type = "button";
      b.addEventListener("click", function () { showOnMap(row.area_code); });
      nameCell.appendChild(b);
      var statusText = row.status === "shown" ? "shown" : row.status === "withheld" ? "withheld [c]" : "no data " + (row.marker || "[x]");
      tr.append(nameCell, el("td", "code", row.area_code), el("td", "num", row.status === "shown" ? fmt(row.value, current) : (row.marker || "")),
        el("td", "num", row.rank ? String(row.rank) : ""), el("td", "num", row.decile ? String(row.decile) : ""), el("td", "status-" + row.status, statusText));
      frag.appendChild(tr);
    });
    tbody.appendChild(frag);
    $("table-caption").textContent = current.indicator.name + ", " + describe(current) + ". " +
      (current.mode === "change" ? "Value is the change; " : "") + "rank 1 = " + rankMeaning(current) + ".";
    var more = $("table-more");
    more.hidden = rows.length <= TABLE_LIMIT;
    more.textContent = "Showing " + TABLE_LIMIT.toLocaleString("en-GB") + " of " + rows.length.toLocaleString("en-GB") + " areas; download the CSV for all of them.";
    document.querySelectorAll("#values-table th").forEach(function (th) {
      var k = th.querySelector("button").dataset.sort;
      th.setAttribute("aria-sort", k === sortKey ? (sortAsc ? "ascending" : "descending") : "none");
    });
  }

  // Ranks run from the worse end: the lowest figure first where higher is better
  // (rank_order from the values endpoint), otherwise the highest.
  function rankMeaning(view) {
    var end = view && view.rank_order === "lowest_first" ? "lowest" : "highest";
    return "the " + end + " figure; decile 1 = the " + end + " tenth";
  }

  document.querySelectorAll("#values-table th button").forEach(function (b) {
    b.addEventListener("click", function () {
      var key = b.dataset.sort;
      sortAsc = key === sortKey ? !sortAsc : key !== "value";
      sortKey = key;
      renderTable();
    });
  });

  function setView(view) {
    state.view = view;
    var isTable = view === "table";
    $("table-view").hidden = !isTable;
    container.classList.toggle("behind", isTable);
    $("tab-map").setAttribute("aria-selected", String(!isTable));
    $("tab-table").setAttribute("aria-selected", String(isTable));
    $("tab-map").tabIndex = isTable ? -1 : 0;
    $("tab-table").tabIndex = isTable ? 0 : -1;
    writeUrl();
    if (isTable && tableStale) renderTable();
    if (!isTable) map.resize();
  }

  function showOnMap(code) {
    setView("map");
    var f = map.querySourceFeatures(SOURCE, { sourceLayer: LAYER, filter: ["==", ["get", "gss_code"], code] });
    if (f.length) {
      var b = new maplibregl.LngLatBounds();
      f.forEach(function (feat) { extend(b, feat.geometry.coordinates); });
      map.fitBounds(b, { padding: 80, maxZoom: 14, duration: 600 });
    }
    openPanel(code);
  }

  function extend(bounds, coords) {
    if (typeof coords[0] === "number") { bounds.extend(coords); return; }
    coords.forEach(function (c) { extend(bounds, c); });
  }

  $("tab-map").addEventListener("click", function () { setView("map"); });
  $("tab-table").addEventListener("click", function () { setView("table"); });
  document.querySelector(".view-switch").addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      var next = state.view === "map" ? "table" : "map";
      setView(next);
      $(next === "map" ? "tab-map" : "tab-table").focus();
      e.preventDefault();
    }
  });

  // ---------------------------------------------------------------- search -----------

  var searchBox = $("area-search");
  var results = $("search-results");
  var searchTimer = null;
  var found = [];
  var active = -1;

  function closeResults() {
    results.hidden = true;
    searchBox.setAttribute("aria-expanded", "false");
    searchBox.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function renderResults() {
    results.textContent = "";
    found.forEach(function (a, i) {
      var li = el("li", i === active ? "active" : "");
      li.id = "search-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.appendChild(el("strong", "", a.name));
      li.appendChild(el("span", "muted", " " + a.level_name + " · " + a.gss_code + (a.within.length ? " · in " + a.within.join(", ") : "")));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      results.appendChild(li);
    });
    if (!found.length) results.appendChild(el("li", "muted", "No area matches."));
    results.hidden = false;
    searchBox.setAttribute("aria-expanded", "true");
    if (active >= 0) searchBox.setAttribute("aria-activedescendant", "search-option-" + active);
  }

  function choose(i) {
    var a = found[i];
    if (!a) return;
    closeResults();
    searchBox.value = a.name;
    setView("map");
    map.fitBounds(a.bbox_4326, { padding: 60, maxZoom: 14, duration: 800 });
    showFound(a);
    if (a.level === state.level && current) openPanel(a.gss_code);
  }

  function showFound(a) {
    if (!config.urls.areaGeometry) return; // the public map: no outline of the found area
    fetch(config.urls.areaGeometry.replace("CODE", encodeURIComponent(a.gss_code)) + "?simplify=5", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (feature) {
        if (!feature) return;
        if (map.getSource("found")) map.getSource("found").setData(feature);
        else {
          map.addSource("found", { type: "geojson", data: feature });
          map.addLayer({ id: "found-line", type: "line", source: "found",
            paint: { "line-color": "#0b0c0c", "line-width": 3, "line-dasharray": [2, 1] } });
        }
      });
  }

  searchBox.addEventListener("input", function () {
    clearTimeout(searchTimer);
    var text = searchBox.value.trim();
    if (text.length < 2) { closeResults(); return; }
    searchTimer = setTimeout(function () {
      fetch(config.urls.search + "?" + new URLSearchParams({ q: text }).toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (searchBox.value.trim() !== text) return;
          found = body.results || [];
          active = found.length ? 0 : -1;
          renderResults();
        });
    }, 200);
  });
  searchBox.addEventListener("keydown", function (e) {
    if (results.hidden) return;
    if (e.key === "ArrowDown") { active = Math.min(active + 1, found.length - 1); renderResults(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); renderResults(); e.preventDefault(); }
    else if (e.key === "Enter") { choose(active); e.preventDefault(); }
    else if (e.key === "Escape") { closeResults(); }
  });
  searchBox.addEventListener("blur", function () { setTimeout(closeResults, 150); });

  // ---------------------------------------------------------------- downloads --------

  function status(text, isError) {
    var s = $("download-status");
    s.textContent = text;
    s.classList.toggle("error", !!isError);
  }

  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function fileStem() {
    var s = current.indicator.slug + "-" + current.level + "-" + current.period.code.replace(/\//g, "-");
    return current.mode === "change" ? s + "-change-from-" + current.change.from : s;
  }

  $("download-csv").addEventListener("click", function () {
    if (!current) return;
    status("Preparing the CSV…");
    fetch(config.urls.csv + "?" + valuesQuery(), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) return r.json().then(function (b) { status(b.detail || "The download was refused.", true); });
      return r.blob().then(function (blob) {
        save(blob, fileStem() + ".csv");
        status("CSV downloaded (recorded in the audit trail as an export).");
      });
    });
  });

  $("download-png").addEventListener("click", function () {
    if (!current) return;
    status("Preparing the picture…");
    fetch(config.urls.png + "?" + valuesQuery(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { status(res.body.detail || "The download was refused.", true); return; }
        map.once("render", function () {
          composePng(map.getCanvas(), res.body).toBlob(function (blob) {
            save(blob, fileStem() + ".png");
            status("PNG downloaded (recorded in the audit trail as an export).");
          });
        });
        map.triggerRepaint();
      });
  });

  // The picture: marking, title, the map, its legend and a caption naming the agreement.
  function composePng(mapCanvas, caption) {
    var ratio = mapCanvas.width / mapCanvas.clientWidth || 1;
    var w = mapCanvas.clientWidth, h = mapCanvas.clientHeight;
    var head = 64, foot = 54, legendW = 230;
    var out = document.createElement("canvas");
    out.width = (w + legendW) * ratio;
    out.height = (h + head + foot) * ratio;
    var g = out.getContext("2d");
    g.scale(ratio, ratio);
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, w + legendW, h + head + foot);
    g.drawImage(mapCanvas, 0, head, w, h);
    g.fillStyle = "#0b0c0c";
    g.font = "bold 12px DejaVu Sans, sans-serif";
    if (caption.marking) { g.textAlign = "center"; g.fillText(caption.marking, (w + legendW) / 2, 16); g.fillText(caption.marking, (w + legendW) / 2, h + head + foot - 8); }
    g.textAlign = "left";
    g.font = "bold 18px DejaVu Sans, sans-serif";
    g.fillText(current.indicator.name + (current.indicator.simulated ? " (SIMULATED)" : ""), 12, 40);
    g.font = "13px DejaVu Sans, sans-serif";
    g.fillStyle = "#505a5f";
    g.fillText(describe(current), 12, 58);
    var x = w + 16, y = head + 10;
    g.fillStyle = "#0b0c0c";
    g.font = "bold 13px DejaVu Sans, sans-serif";
    g.fillText("Legend", x, y + 4);
    y += 20;
    g.font = "12px DejaVu Sans, sans-serif";
    var items = document.querySelectorAll("#legend-classes li, .legend-fixed li");
    items.forEach(function (li) {
      var sw = li.querySelector(".swatch");
      if (sw.classList.contains("swatch-withheld")) {
        g.save();
        g.beginPath(); g.rect(x, y - 10, 18, 12); g.clip();
        g.fillStyle = "#ffffff"; g.fillRect(x, y - 10, 18, 12);
        g.strokeStyle = "#464646"; g.lineWidth = 1.2;
        for (var d = -12; d < 18; d += 4) { g.beginPath(); g.moveTo(x + d, y + 2); g.lineTo(x + d + 12, y - 10); g.stroke(); }
        g.restore();
      } else {
        g.fillStyle = sw.classList.contains("swatch-nodata") ? NO_DATA : sw.style.backgroundColor;
        g.fillRect(x, y - 10, 18, 12);
      }
      g.strokeStyle = "#8a8a8a"; g.lineWidth = 0.6; g.strokeRect(x, y - 10, 18, 12);
      g.fillStyle = "#0b0c0c";
      g.fillText(li.textContent.replace(/\s+/g, " ").trim(), x + 26, y);
      y += 20;
    });
    g.fillStyle = "#505a5f";
    g.font = "11px DejaVu Sans, sans-serif";
    wrap(g, caption.caption, 12, h + head + 18, w + legendW - 24, 14);
    return out;
  }

  function wrap(g, text, x, y, width, lineHeight) {
    var words = text.split(" "), line = "";
    words.forEach(function (word) {
      var test = line ? line + " " + word : word;
      if (g.measureText(test).width > width && line) { g.fillText(line, x, y); line = word; y += lineHeight; }
      else line = test;
    });
    if (line) g.fillText(line, x, y);
  }

  // ---------------------------------------------------------------- pickers ----------

  function onPick(changes, options) {
    Object.assign(state, changes);
    syncPickers();
    load(options);
  }

  $("theme-picker").addEventListener("change", function (e) {
    var t = themes.find(function (x) { return x.slug === e.target.value; });
    onPick({ indicator: t.datasets[0].indicators[0].slug });
  });
  $("dataset-picker").addEventListener("change", function (e) {
    var entry = allIndicators().find(function (x) { return x.dataset.slug === e.target.value; });
    onPick({ indicator: entry.indicator.slug });
  });
  $("indicator-picker").addEventListener("change", function (e) { onPick({ indicator: e.target.value }); });
  $("level-picker").addEventListener("change", function (e) {
    if (!hasData) { state.level = e.target.value; showLevel(state.level); map.fitBounds(levels[state.level].bbox_4326, { padding: 30, duration: 0 }); writeUrl(); return; }
    onPick({ level: e.target.value, area: "" });
    selected = null;
    $("area-panel").hidden = true;
  });
  $("period-picker").addEventListener("change", function (e) { onPick({ period: e.target.value }); });
  $("base-picker").addEventListener("change", function (e) { onPick({ base: e.target.value }); });
  $("method-picker").addEventListener("change", function (e) { onPick({ method: e.target.value }); });
  $("k-picker").addEventListener("change", function (e) { onPick({ k: parseInt(e.target.value, 10) }); });
  $("palette-picker").addEventListener("change", function (e) {
    state.palette = e.target.value;
    writeUrl();
    if (current) legend(current, paint(current));
  });
  document.querySelectorAll("input[name=mode]").forEach(function (r) {
    r.addEventListener("change", function () { onPick({ mode: r.value, palette: "" }); });
  });
  document.querySelectorAll("input[name=change]").forEach(function (r) {
    r.addEventListener("change", function () { onPick({ change: r.value }); });
  });
  var toggle = $("basemap-toggle");
  if (toggle) {
    toggle.addEventListener("change", function () {
      map.setLayoutProperty("basemap", "visibility", toggle.checked ? "visible" : "none");
      if (map.getLayer("areas-fill")) map.setPaintProperty("areas-fill", "fill-opacity", toggle.checked ? 0.75 : 1);
    });
  }

  map.on("load", function () {
    map.addImage("hatch", hatchImage(), { pixelRatio: 1 });
    if (!hasData) {
      showLevel(state.level);
      map.once("idle", function () { container.dataset.status = "ready"; });
      return;
    }
    setView(state.view);
    if (state.area) selected = state.area;
    load({ fit: !window.location.hash });
  });
})();
