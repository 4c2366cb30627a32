/* The statistics charts: the trend line, the bar ranking and the county choropleth, drawn from the
   #stats-chart-data JSON on the page; drawn again whenever htmx swaps in a refreshed screen.
   A click on a bar or a county opens the figure's records or the county's own view. */
(function () {
  "use strict";

  var COLORS = ["#b4232a", "#1d5fa8", "#1f8a4c", "#c28a00"];
  var geoLoaded = {};

  /* ECharts 6.1.0 throws on a map drawn or resized at 0×0 (apache/echarts#21706), as a chart is
     before the stylesheet gives it a height: such a drawing waits until the element has a size. */
  var waiting = [];
  function sized(el) { return el.clientWidth > 0 && el.clientHeight > 0; }
  function whenSized(el, draw) {
    if (sized(el)) { draw(); return; }
    waiting.push({ el: el, draw: draw });
    if (window.ResizeObserver) { new window.ResizeObserver(drawWaiting).observe(el); }
  }
  function drawWaiting() {
    waiting = waiting.filter(function (w) {
      if (!w.el.isConnected) { return false; }
      if (!sized(w.el)) { return true; }
      w.draw();
      return false;
    });
  }

  function chartOf(el) {
    /* the hall's large screen is dark: ECharts' own dark theme, on the page's background */
    var dark = document.body.classList.contains("stats-screen-body");
    return window.echarts.getInstanceByDom(el) || window.echarts.init(el, dark ? "dark" : null);
  }

  function go(params) {
    var url = params && params.data && params.data.url;
    if (url) { window.location.href = url; }
  }

  function trend(el, data) {
    chartOf(el).setOption({
      color: COLORS,
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, smooth: false, connectNulls: false, symbolSize: 5 };
      }),
      backgroundColor: "transparent",
      animation: false
    }, true);
  }

  function bar(el, rows, name) {
    var list = rows.slice().reverse();
    var chart = chartOf(el);
    chart.setOption({
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: list.map(function (r) {
        return r.name.length > 14 ? r.name.slice(0, 13) + "…" : r.name; }) },
      series: [{ name: name, type: "bar", barMaxWidth: 18, itemStyle: { color: "#b4232a" },
                 label: { show: true, position: "right" },
                 data: list.map(function (r) { return { value: r.value, url: r.url }; }) }],
      backgroundColor: "transparent",
      animation: false
    }, true);
    chart.off("click");
    chart.on("click", go);
  }

  function map(el, rows, name, geoUrl, mapName) {
    function draw() {
      var values = rows.map(function (r) { return r.value || 0; });
      var chart = chartOf(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          return p.name + "：" + (p.value === undefined || isNaN(p.value) ? "—" : p.value); } },
        visualMap: { min: 0, max: Math.max.apply(null, values.concat([1])), left: 0, bottom: 0,
                     text: ["高", "低"], calculable: true, inRange: { color: ["#fbeaea", "#b4232a"] } },
        series: [{ name: name, type: "map", map: mapName, roam: false,
                   label: { show: true, formatter: function (p) {
                     return p.name + "\n" + (p.value === undefined || isNaN(p.value) ? "—" : p.value); } },
                   data: rows.map(function (r) { return { name: r.name, value: r.value, url: r.url }; }) }],
        backgroundColor: "transparent",
        animation: false
      }, true);
      chart.off("click");
      chart.on("click", go);
    }
    /* the GeoJSON is fetched and registered once per page, however often the chart is drawn */
    if (!geoLoaded[mapName]) {
      geoLoaded[mapName] = fetch(geoUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) { window.echarts.registerMap(mapName, geo); });
    }
    geoLoaded[mapName].then(function () { if (el.isConnected) { whenSized(el, draw); } });
  }

  function drawAll() {
    var script = document.getElementById("stats-chart-data");
    if (!script || !window.echarts) { return; }
    var data = JSON.parse(script.textContent);
    var el = document.getElementById("trend-chart");
    if (el && data.trend) { trend(el, data.trend); }
    el = document.getElementById("bar-chart");
    if (el && data.bar) { bar(el, data.bar, data.indicator); }
    el = document.getElementById("map-chart");
    if (el && data.map) { map(el, data.map, data.indicator, data.geo, data.mapName); }
  }

  function resize() {
    ["trend-chart", "bar-chart", "map-chart"].forEach(function (id) {
      var el = document.getElementById(id);
      var chart = el && window.echarts ? window.echarts.getInstanceByDom(el) : null;
      if (chart && sized(el)) { chart.resize(); }
    });
    drawWaiting();
  }

  function ready() {
    drawAll();
    /* htmx also reports the first load of the body: only a swapped-in screen is drawn again */
    if (window.htmx) { window.htmx.onLoad(function (elt) { if (elt !== document.body) { drawAll(); } }); }
    window.addEventListener("resize", resize);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
