/* Memo AI Coach: the Progress tab. Loads the charts when the tab is shown (and again after a
   new evaluation), keeps keyboard focus on the range buttons and announces what is shown.
   All markup, the SVG charts included, comes rendered and escaped from the server. */
(function () {
  "use strict";

  var byId = function (id) { return document.getElementById(id); };
  var stale = true; // reload the next time the tab is shown
  var range = "month";
  var refocus = null; // what to focus after the next swap: "range" or "comparison"

  function body() { return byId("progress-body"); }
  function panel() { return byId("panel-progress"); }

  function load() {
    var target = body();
    if (!target || !window.htmx) return;
    stale = false;
    target.setAttribute("aria-busy", "true");
    window.htmx.ajax("GET", target.dataset.src + "?range=" + encodeURIComponent(range),
      { target: "#progress-body", swap: "innerHTML" });
  }

  function loadIfShown() {
    var shown = panel();
    if (stale && shown && !shown.hidden) load();
  }

  function afterBodySwap() {
    var target = body();
    target.setAttribute("aria-busy", "false");
    var view = target.querySelector(".progress-view");
    if (view) {
      range = view.dataset.range || range;
      var status = byId("progress-status");
      if (status) status.textContent = view.dataset.status || "";
    }
    if (refocus === "range") {
      var pressed = target.querySelector('.range-button[aria-pressed="true"]');
      if (pressed) pressed.focus();
    }
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || !source.matches) return;
    if (source.matches(".range-button")) refocus = "range";
    else if (source.closest && source.closest(".chain-list")) refocus = "comparison";
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    if (target.id === "panel-overall") { stale = true; loadIfShown(); return; }
    if (target.id === "progress-body") afterBodySwap();
    if (target.id === "comparison" && refocus === "comparison") {
      var heading = byId("comparison-heading");
      if (heading) heading.focus();
    }
    refocus = null;
  });

  var watched = panel();
  if (watched) {
    new MutationObserver(loadIfShown).observe(watched, { attributes: true, attributeFilter: ["hidden"] });
  }
  loadIfShown();
})();
