// The map's side panel: one area's figure for the chosen indicator and period, its rank
// and decile in the partnership, the district's and the partnership's figures (with the
// 95% interval and significance where there is a denominator), a trend chart drawn here
// as SVG, and a link to the area's profile. Data from /map/area/ (layers.profile).
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var METHODS = {
    released_total_per_area: "average per area of the released total",
    released_total_pro_rata: "released total per LSOA × the area's LSOAs",
    ratio_of_summed_numerators_and_denominators: "from the summed numerators and denominators",
    median_of_shown_area_figures: "median of the areas' shown figures",
  };
  var SIGNIFICANCE = {
    better: "significantly better",
    worse: "significantly worse",
    similar: "not significantly different",
    higher: "significantly higher",
    lower: "significantly lower",
  };

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function figureText(f, h, unit) {
    if (!f) return "";
    if (f.status === "withheld") return "withheld [c]";
    if (f.status !== "shown" || f.value === null) return "no data " + (f.marker || "[x]");
    return h.fmt(f.value) + (unit ? " " + unit : "");
  }

  // Trend: a line through the shown figures; a withheld or missing period breaks the
  // line and is marked on the axis, never drawn as zero.
  function trendChart(trend, current, h) {
    var w = 300, ht = 130, left = 34, right = 8, top = 10, bottom = 24;
    var shown = trend.filter(function (t) { return t.status === "shown" && t.value !== null; });
    var chart = svg("svg", { viewBox: "0 0 " + w + " " + ht, class: "trend", role: "img" });
    var label = "Trend: " + trend.map(function (t) { return h.periodLabel(t.period) + " " + figureText(t, h); }).join(", ");
    chart.appendChild(svg("title", {}, label));
    if (!shown.length) {
      chart.appendChild(svg("text", { x: left, y: ht / 2 }, "No figures to draw"));
      return chart;
    }
    var values = shown.map(function (t) { return t.value; });
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (lo > 0 && lo < hi * 0.5) lo = 0;
    if (hi === lo) { hi += 1; lo = Math.max(0, lo - 1); }
    var n = trend.length;
    var x = function (i) { return left + (n === 1 ? (w - left - right) / 2 : i * (w - left - right) / (n - 1)); };
    var y = function (v) { return top + (hi - v) * (ht - top - bottom) / (hi - lo); };
    [lo, (lo + hi) / 2, hi].forEach(function (v) {
      chart.appendChild(svg("line", { x1: left, x2: w - right, y1: y(v), y2: y(v), class: "grid" }));
      chart.appendChild(svg("text", { x: left - 4, y: y(v) + 3, "text-anchor": "end" }, h.fmt(v)));
    });
    chart.appendChild(svg("line", { x1: left, x2: w - right, y1: ht - bottom, y2: ht - bottom, class: "axis" }));
    var segment = [];
    var flush = function () {
      if (segment.length > 1) chart.appendChild(svg("polyline", { points: segment.join(" "), class: "line" }));
      segment = [];
    };
    trend.forEach(function (t, i) {
      if (t.status === "shown" && t.value !== null) segment.push(x(i) + "," + y(t.value));
      else flush();
    });
    flush();
    trend.forEach(function (t, i) {
      if (t.status === "shown" && t.value !== null) {
        chart.appendChild(svg("circle", { cx: x(i), cy: y(t.value), r: t.period === current ? 4 : 2.5, class: "point" + (t.period === current ? " current" : "") }));
      } else {
        chart.appendChild(svg("rect", { x: x(i) - 3, y: ht - bottom - 3, width: 6, height: 6, class: "gap" }));
      }
    });
    chart.appendChild(svg("text", { x: left, y: ht - 6 }, h.periodLabel(trend[0].period)));
    chart.appendChild(svg("text", { x: w - right, y: ht - 6, "text-anchor": "end" }, h.periodLabel(trend[n - 1].period)));
    return chart;
  }

  function render(data, body, h) {
    var el = h.el;
    var item = data.indicators[0];
    var area = data.area;
    var unit = item.indicator.unit;
    body.appendChild(el("p", "panel-sub", h.levelName(area.level) + " · " + area.code));

    body.appendChild(el("h3", "", item.indicator.name + ", " + h.periodLabel(item.period.code)));
    var figure = el("p", "panel-figure" + (item.value.status === "shown" ? "" : " withheld"), figureText(item.value, h, unit));
    figure.id = "panel-value";
    body.appendChild(figure);
    if (item.interval) {
      body.appendChild(el("p", "panel-sub", "95% confidence interval " + h.fmt(item.interval.low) + " to " + h.fmt(item.interval.high)));
    }
    if (h.row && h.payload && h.payload.mode === "change") {
      var c = h.payload.change;
      var change = h.row.status === "shown"
        ? h.fmt(h.row.value, h.payload) + " since " + h.periodLabel(c.from) + " (" + h.fmt(h.row.from) + " → " + h.fmt(h.row.to) + ")"
        : "Change since " + h.periodLabel(c.from) + ": " + (h.row.status === "withheld" ? "withheld [c]" : "not available " + (h.row.marker || "[x]"));
      body.appendChild(el("p", "panel-sub", change));
    }

    var facts = el("dl", "facts");
    var rank = item.rank;
    facts.append(el("dt", "", "Rank"), el("dd", "", rank ? rank.rank + " of " + rank.of : "not ranked"));
    facts.lastChild.id = "panel-rank";
    facts.append(el("dt", "", "Decile"), el("dd", "", rank ? String(rank.decile) : "–"));
    facts.lastChild.id = "panel-decile";
    body.appendChild(facts);
    var worstEnd = rank && rank.order === "lowest_first" ? "lowest" : "highest";
    body.appendChild(el("p", "hint", "Among the partnership's " + h.levelName(area.level) + " with a figure shown; rank 1 and decile 1 are the " + worstEnd + " (the worse end for this indicator)."));

    body.appendChild(el("h3", "", "Compared with"));
    var table = el("table", "compare");
    var head = el("tr");
    head.append(el("th", "", ""), el("th", "", "Figure"), el("th", "", ""));
    table.appendChild(head);
    var methods = {};
    [["This area", item.value, null], ["district", item.district], ["partnership", item.partnership]].forEach(function (r, i) {
      var cmp = r[1];
      if (!cmp) return;
      var tr = el("tr");
      var name = i === 0 ? r[0] : cmp.area_name + (i === 1 ? " (district)" : "");
      var value = i === 0 ? cmp : cmp.value;
      var cell = el("td", "num", figureText(value, h, unit));
      if (i > 0 && cmp.total && cmp.total.status === "shown") cell.title = "total " + h.fmt(cmp.total.value);
      tr.append(el("th", "", name), cell, el("td", "small", i > 0 ? SIGNIFICANCE[cmp.significance] || "" : ""));
      tr.id = i === 0 ? "panel-row-area" : i === 1 ? "panel-row-district" : "panel-row-partnership";
      table.appendChild(tr);
      if (i > 0) methods[cmp.method] = true;
    });
    body.appendChild(table);
    Object.keys(methods).forEach(function (m) {
      body.appendChild(el("p", "hint", "Comparators: " + (METHODS[m] || m.replace(/_/g, " ")) + "."));
    });
    if (!item.interval) body.appendChild(el("p", "hint", "No confidence interval: this indicator has no denominator."));

    body.appendChild(el("h3", "", "Trend"));
    body.appendChild(trendChart(item.trend, item.period.code, h));
    if (item.trend.some(function (t) { return t.status !== "shown"; })) {
      body.appendChild(el("p", "hint", "□ on the axis: withheld [c] or no data for that period (a gap in the line, never a zero)."));
    }

    if (item.agreement) {
      body.appendChild(el("p", "hint", "Shared under " + item.agreement.reference + " v" + item.agreement.version + "."));
    }
    if (item.indicator.simulated) body.appendChild(el("p", "hint", "SIMULATED figures."));
    var link = el("a", "profile-link", "Open the profile of " + area.name + " →");
    link.href = data.profile_url;
    body.appendChild(link);
  }

  window.CommonGroundPanel = { render: render };
})();
