// The KPI pages' behaviour (loaded by the KPI templates; no inline script, see app.js).
// - A chart hook (window.okapiChartHooks, called by app.js before drawing): a config with an
//   `okapi` entry {unit, timeZone, spanDays} gets axes and tooltips formatted with the unit and
//   dates on its linear time axis; threshold datasets get no tooltip.
// - A form inside [data-swap-422] shows the server's 422 answer (the form with its errors)
//   instead of htmx's default of ignoring error responses.
// - In the KPI form, the fieldsets [data-for-direction] not meant for the chosen direction are
//   hidden (without this script they all show, with help text).
(function () {
  "use strict";
  if (window.okapiKpiPages) return;
  window.okapiKpiPages = true;

  var CURRENCIES = ["$", "€", "£", "¥"];

  function formatNumber(value) {
    var size = Math.abs(value);
    var places = size >= 1000 ? 0 : size >= 1 ? 2 : 3;
    return new Intl.NumberFormat("en-US", { maximumFractionDigits: places }).format(value);
  }

  function formatValue(value, unit) {
    var text = formatNumber(value);
    unit = (unit || "").trim();
    if (!unit) return text;
    if (CURRENCIES.indexOf(unit) >= 0) {
      return text.charAt(0) === "-" ? "-" + unit + text.slice(1) : unit + text;
    }
    if (unit === "x" || unit === "×") return text + unit;
    return text + " " + unit;
  }

  function dateFormat(timeZone, options) {
    var format;
    try {
      format = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: timeZone }, options));
    } catch (error) {
      format = new Intl.DateTimeFormat("en-GB", options);
    }
    // "12 Sep 2026" as on the rest of the page (en-GB writes "Sept")
    return { format: function (date) { return format.format(date).replace("Sept", "Sep"); } };
  }

  function kpiChart(config) {
    var okapi = config.okapi;
    if (!okapi) return;
    delete config.okapi;
    var unit = okapi.unit;
    var tickDate = dateFormat(
      okapi.timeZone,
      okapi.spanDays >= 60 ? { month: "short", year: "numeric" } : { day: "numeric", month: "short" }
    );
    var fullDate = dateFormat(okapi.timeZone, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
    var options = config.options || (config.options = {});
    var scales = options.scales || (options.scales = {});
    scales.x = scales.x || {};
    scales.x.ticks = Object.assign({}, scales.x.ticks, {
      callback: function (value) { return tickDate.format(new Date(value)); },
    });
    if (okapi.ticks && okapi.ticks.length) {  // month starts in the workspace's time zone
      scales.x.afterBuildTicks = function (scale) {
        scale.ticks = okapi.ticks.map(function (value) { return { value: value }; });
      };
    }
    scales.y = scales.y || {};
    scales.y.ticks = Object.assign({}, scales.y.ticks, {
      callback: function (value) { return formatValue(value, unit); },
    });
    var plugins = options.plugins || (options.plugins = {});
    plugins.legend = plugins.legend || {};
    plugins.legend.labels = Object.assign({}, plugins.legend.labels, {
      filter: function (item, data) { return !data.datasets[item.datasetIndex].okapiNoLegend; },
    });
    plugins.tooltip = Object.assign({}, plugins.tooltip, {
      filter: function (item) { return !item.dataset.okapiThreshold; },
      callbacks: {
        title: function (items) {
          return items.length ? fullDate.format(new Date(items[0].parsed.x)) : "";
        },
        label: function (item) { return formatValue(item.parsed.y, unit); },
      },
    });
  }

  (window.okapiChartHooks = window.okapiChartHooks || []).push(kpiChart);

  document.addEventListener("htmx:beforeSwap", function (event) {
    // detail.elt is the swap target here; the element that made the request is in requestConfig
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 422 && source && source.closest("[data-swap-422]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function wireDirection(root) {
    var select = root.querySelector("select[name=direction]");
    var sets = root.querySelectorAll("fieldset[data-for-direction]");
    if (!select || !sets.length) return;
    function show() {
      sets.forEach(function (set) {
        set.hidden = set.dataset.forDirection.split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () { wireDirection(document); });
})();
