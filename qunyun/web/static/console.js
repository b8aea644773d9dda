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

  function merge(a, b) { var o = {}, k; for (k in a) o[k] = a[k]; for (k in b) o[k] = b[k]; return o; }

  var builders = {
    trend: function (d, L) {
      return merge(base, {
        legend: {data: [L.messages, L.active]},
        xAxis: {type: "category", data: d.dates},
        yAxis: [{type: "value", min: 0}, {type: "value", min: 0, minInterval: 1}],
        dataZoom: [{type: "inside"}, {type: "slider", height: 18, bottom: 8}],
        series: [{name: L.messages, type: "line", showSymbol: false, data: d.messages},
                 {name: L.active, type: "line", showSymbol: false, yAxisIndex: 1, data: d.active}]
      });
    },
    joins: function (d, L) {
      return merge(base, {
        legend: {data: [L.joins, L.leaves]},
        xAxis: {type: "category", data: d.dates},
        // Counts of people start at 0: joins and leaves side by side, never a leave as -3.
        yAxis: {type: "value", min: 0, minInterval: 1},
        dataZoom: [{type: "inside"}, {type: "slider", height: 18, bottom: 8}],
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
    cohorts: function (d, L) {
      var cells = [], weeks = [], width = 0;
      d.forEach(function (row, y) {
        weeks.push(row.week + " (" + row.size + ")");
        (row.retained || []).forEach(function (v, k) {
          if (v !== null && v !== undefined) cells.push([k, y, Math.round(v * 1000) / 10]);
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
        series: [{type: "heatmap", data: cells, label: {show: cells.length < 120}}]
      });
    },
    tiers: function (d, L) {
      var names = TIER_NAMES[L.lang] || TIER_NAMES.zh;
      return {
        animation: false, tooltip: {trigger: "item"},
        // Empty tiers are left out: six labels for slices of zero piled up on one spot.
        series: [{type: "pie", radius: ["35%", "65%"], avoidLabelOverlap: true,
                  label: {formatter: "{b} {c}"}, minShowLabelAngle: 3,
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
      chart.setOption(build(JSON.parse(dataEl.textContent), JSON.parse(el.dataset.labels || "{}")));
      el.dataset.drawn = "1";
      charts.push(chart);
    });
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
