/* qunyun console: draws the ECharts charts of a page or HTMX fragment, and sends the
   session's CSRF token with every HTMX request. No inline scripts anywhere (CSP). */
(function () {
  "use strict";
  var charts = [];
  window.qunyunCharts = charts;

  var WEEKDAYS = {
    zh: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
  };
  var TIER_NAMES = {
    zh: {opinion_leader: "意见领袖", co_opinion_leader: "副意见领袖", spreader: "传播者",
         active: "活跃者", participant: "参与者", onlooker: "围观者"},
    en: {opinion_leader: "opinion leader", co_opinion_leader: "co-opinion leader",
         spreader: "spreader", active: "active", participant: "participant",
         onlooker: "onlooker"}
  };
  var base = {animation: false, grid: {left: 48, right: 16, top: 36, bottom: 56},
              tooltip: {trigger: "axis"}};
  // The legend stands above the grid and the zoom slider below the axis labels. ECharts 6
  // puts a legend at the bottom by default, where it sat on top of the slider; one line
  // that scrolls keeps it out of the grid in a phone's width and in English.
  var legendOnTop = {top: 0, left: "center", type: "scroll"};
  function zoomBelow() { return [{type: "inside"}, {type: "slider", height: 18, bottom: 8}]; }

  function merge(a, b) { var o = {}, k; for (k in a) o[k] = a[k]; for (k in b) o[k] = b[k]; return o; }

  var builders = {
    trend: function (d, L) {
      return merge(base, {
        legend: merge(legendOnTop, {data: [L.messages, L.active]}),
        xAxis: {type: "category", data: d.dates},
        yAxis: [{type: "value", min: 0}, {type: "value", min: 0, minInterval: 1}],
        dataZoom: zoomBelow(),
        series: [{name: L.messages, type: "line", showSymbol: false, data: d.messages},
                 {name: L.active, type: "line", showSymbol: false, yAxisIndex: 1, data: d.active}]
      });
    },
    joins: function (d, L) {
      return merge(base, {
        legend: merge(legendOnTop, {data: [L.joins, L.leaves]}),
        xAxis: {type: "category", data: d.dates},
        // Counts of people start at 0: joins and leaves side by side, never a leave as -3.
        yAxis: {type: "value", min: 0, minInterval: 1},
        dataZoom: zoomBelow(),
        series: [{name: L.joins, type: "bar", data: d.joins},
                 {name: L.leaves, type: "bar", data: d.leaves}]
      });
    },
    heatmap: function (d, L) {
      var max = 1;
      d.forEach(function (c) { if (c[2] > max) max = c[2]; });
      var hours = []; for (var h = 0; h < 24; h++) hours.push(String(h));
      return merge(base, {
        tooltip: {position: "top"},
        xAxis: {type: "category", data: hours},
        yAxis: {type: "category", data: WEEKDAYS[L.lang] || WEEKDAYS.zh},
        // The colour scale stands right of the grid, clear of the axis labels.
        visualMap: {min: 0, max: max, calculable: true, orient: "vertical", right: 0,
                    top: "middle", itemHeight: 120},
        grid: {left: 48, right: 80, top: 16, bottom: 32},
        series: [{type: "heatmap", data: d.map(function (c) { return [c[1], c[0], c[2]]; })}]
      });
    },
    cohorts: function (d, L, el) {
      var cells = [], weeks = [], width = 0;
      d.forEach(function (row, y) {
        weeks.push(row.week + " (" + row.size + ")");
        (row.retained || []).forEach(function (v, k) {
          // Whole percents, as report.html shows them (walk13 #65: 81.3 beside 81).
          if (v !== null && v !== undefined) cells.push([k, y, Math.round(v * 100)]);
          if (k + 1 > width) width = k + 1;
        });
      });
      var ks = []; for (var k = 0; k < Math.max(width, 1); k++) ks.push("+" + k);
      return merge(base, {
        tooltip: {position: "top"},
        xAxis: {type: "category", data: ks},
        yAxis: {type: "category", data: weeks, inverse: true},
        visualMap: {min: 0, max: 100, calculable: true, orient: "vertical", right: 0,
                    top: "middle", itemHeight: 120},
        grid: {left: 140, right: 80, top: 16, bottom: 32},
        // A cell's percentage is written in it only where it fits: in a phone's width
        // "93.8" ran over its neighbours' (the tooltip still says it).
        series: [{type: "heatmap", data: cells,
                  label: {show: cells.length < 120 && (el.clientWidth - 220) / ks.length >= 30}}]
      });
    },
    tiers: function (d, L, el) {
      var names = TIER_NAMES[L.lang] || TIER_NAMES.zh;
      // In a phone's width a smaller ring leaves the labels room beside it (they were cut
      // to "…"), name and count on two lines at the chart's edges.
      var narrow = el.clientWidth < 480;
      return {
        animation: false, tooltip: {trigger: "item"},
        // Empty tiers are left out: six labels for slices of zero piled up on one spot.
        series: [{type: "pie", radius: narrow ? ["28%", "50%"] : ["35%", "65%"],
                  avoidLabelOverlap: true, minShowLabelAngle: 3,
                  labelLine: narrow ? {length: 6, length2: 4} : {},
                  label: narrow ? {formatter: "{b}\n{c}", alignTo: "edge", edgeDistance: 4}
                    : {formatter: "{b} {c}"},
                  data: Object.keys(d).filter(function (k) { return d[k] > 0; })
                    .map(function (k) { return {name: names[k] || k, value: d[k]}; })}]
      };
    }
  };

  function draw(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var dataEl = el.nextElementSibling;
      if (!dataEl || !dataEl.classList.contains("chart-data")) return;
      var build = builders[el.dataset.chart];
      if (!build) return;
      var chart = window.echarts.init(el, null, {renderer: "canvas"});
      chart.setOption(build(JSON.parse(dataEl.textContent), JSON.parse(el.dataset.labels || "{}"),
                            el));
      el.dataset.drawn = "1";
      charts.push(chart);
    });
    // When the page's charts were last drawn, in the page's own clock (the browser tests and
    // bench/bench_up_pages.py read it).
    if (charts.length) window.qunyunChartsAt = performance.now();
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = document.body.dataset.csrf;
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

/* Plan editor: line numbers follow the text; a finding's line link selects that line. */
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("plan-form");
    if (!form) return;
    var area = form.querySelector("textarea"), gutter = form.querySelector(".gutter");
    var bad = {};
    gutter.querySelectorAll("div.bad").forEach(function (d) { bad[d.textContent] = true; });
    function renumber() {
      var n = area.value.split("\n").length, html = [];
      for (var i = 1; i <= n; i++) html.push('<div class="' + (bad[i] ? "bad" : "") + '">' + i + "</div>");
      gutter.innerHTML = html.join("");
      gutter.scrollTop = area.scrollTop;
    }
    area.addEventListener("input", renumber);
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    // The numbers follow the text the box holds, not the text the server sent: a browser
    // that restores a form's text (back, a re-shown page) left 1–118 beside a 314-line
    // plan until a reload (issue 11 walk13 #29).
    renumber();
    window.addEventListener("pageshow", renumber);
    document.querySelectorAll("[data-goto]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        var line = parseInt(a.dataset.goto, 10), lines = area.value.split("\n"), start = 0;
        for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
        area.focus();
        area.setSelectionRange(start, start + (lines[line - 1] || "").length);
        area.scrollTop = Math.max(0, (line - 5) * 20);
      });
    });
  }
  document.addEventListener("DOMContentLoaded", setup);
})();

/* Tables with class cards-on-phone become one card per row on a phone (console.css): each
   cell gets its column's heading as data-label, which the card shows before the value.
   Done again after every HTMX swap (the report panels and the home rows arrive later). */
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll("table.cards-on-phone").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead th").forEach(function (th) {
        var span = th.colSpan || 1;
        for (var i = 0; i < span; i++) heads.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var col = 0;
        Array.prototype.forEach.call(tr.cells, function (td) {
          if (!td.hasAttribute("data-label") && heads[col]) td.setAttribute("data-label", heads[col]);
          col += td.colSpan || 1;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  // The whole page: a swapped row (outerHTML) is no longer the event's target.
  document.addEventListener("htmx:afterSettle", function () { label(document); });
})();

/* Escalation reply: a draft still holding its 【请…】 note for the admin is not sent (issue 11
   walk13 #22); the server refuses it too, this only keeps the admin's edits on the page. */
(function () {
  "use strict";
  var FILL_IN = /【请[^】]*】/;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("escalation-reply")) return;
    var area = form.querySelector("textarea"), note = form.querySelector(".fill-in-note");
    if (!area || !FILL_IN.test(area.value)) return;
    e.preventDefault();
    if (note) {
      note.hidden = false;
      note.textContent = note.dataset.message;
      note.className = "error fill-in-note";
      note.setAttribute("role", "alert");
    }
    area.focus();
  });
})();
