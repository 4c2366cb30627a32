/* The heat chart of the 热点问题 page: drawn from the #heat-data JSON beside #heat-chart, on the
   first load and again whenever htmx swaps in new results. */
(function () {
  "use strict";

  function draw(root) {
    var el = root.querySelector ? root.querySelector("#heat-chart") : null;
    if (!el && root.id === "heat-chart") { el = root; }
    var data = document.getElementById("heat-data");
    if (!el || !data || !window.echarts) { return; }
    var rows = JSON.parse(data.textContent).slice().reverse();
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption({
      grid: { left: 8, right: 40, top: 10, bottom: 10, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: rows.map(function (r) {
        var d = r.description.length > 18 ? r.description.slice(0, 17) + "…" : r.description;
        return "#" + r.rank + " " + d; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r.heat; }), itemStyle: { color: "#b4232a" },
                 label: { show: true, position: "right" }, barMaxWidth: 18 }],
      animation: false
    });
  }

  /* One listener for the page: the chart is redrawn on every swap, but resized by this alone. */
  function resize() {
    var el = document.getElementById("heat-chart");
    var chart = el && window.echarts ? window.echarts.getInstanceByDom(el) : null;
    if (chart) { chart.resize(); }
  }

  function ready() {
    draw(document);
    if (window.htmx) { window.htmx.onLoad(draw); }
    window.addEventListener("resize", resize);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
