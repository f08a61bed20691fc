// Okapi's page behaviour, without inline scripts (the Content-Security-Policy forbids them).
// - <select data-autosubmit> submits its form on change (the workspace switcher).
// - <canvas data-chart="ID"> draws the Chart.js configuration in <script id="ID"
//   type="application/json"> (rendered with Django's json_script); charts inside content that
//   htmx swaps in are drawn too.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      canvas.dataset.drawn = "1";
      var config = JSON.parse(source.textContent);
      (window.okapiChartHooks || []).forEach(function (hook) { hook(config, canvas); });
      new window.Chart(canvas, config);
    });
  }

  function wire(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    drawCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
