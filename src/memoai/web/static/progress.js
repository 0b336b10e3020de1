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
    var filled = /^\/ui\/tabs\//.test((event.detail.pathInfo && event.detail.pathInfo.requestPath) || "");
    // A new evaluation's panels, or this tab filled after the page (first shown): (re)load.
    if ((target.id === "panel-overall" && !filled) || target.id === "panel-progress") {
      stale = true; loadIfShown(); return;
    }
    if (target.id === "progress-body") afterBodySwap();
    if (target.id === "comparison" && refocus === "comparison") {
      var heading = byId("comparison-heading");
      if (heading) heading.focus();
    }
    refocus = null;
  });

  /* ---- chart points: named on hover and keyboard focus (arrow keys move along them) ---- */
  var tip = null;
  var pointed = null;

  function showTip(point) {
    var holder = point.closest(".chart-svg");
    if (!holder) return;
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "chart-tip";
      tip.setAttribute("aria-hidden", "true"); // the point's own name is what is announced
    }
    if (pointed && pointed !== point) pointed.classList.remove("is-pointed");
    pointed = point;
    point.classList.add("is-pointed");
    tip.textContent = point.dataset.point;
    holder.appendChild(tip);
    var box = holder.getBoundingClientRect();
    var dot = point.getBoundingClientRect();
    var left = dot.left + dot.width / 2 - box.left - tip.offsetWidth / 2;
    left = Math.max(0, Math.min(left, holder.clientWidth - tip.offsetWidth));
    var top = dot.top - box.top - tip.offsetHeight - 8;
    if (top < 0) top = dot.bottom - box.top + 8;
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hideTip() {
    if (pointed) pointed.classList.remove("is-pointed");
    pointed = null;
    if (tip && tip.parentNode) tip.parentNode.removeChild(tip);
  }

  function pointOf(target) {
    return target && target.closest ? target.closest(".chart-svg [data-point]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    var point = pointOf(event.target);
    if (point) showTip(point);
    else if (pointed && document.activeElement !== pointed) hideTip();
  });
  document.addEventListener("focusin", function (event) {
    var point = pointOf(event.target);
    if (point) showTip(point);
    else hideTip();
  });
  document.addEventListener("keydown", function (event) {
    var point = pointOf(event.target);
    if (!point) return;
    if (event.key === "Escape") { hideTip(); return; }
    var all = Array.prototype.slice.call(point.ownerSVGElement.querySelectorAll("[data-point]"));
    var index = all.indexOf(point);
    var next = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1,
                 ArrowUp: index - 1, Home: 0, End: all.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    var target = all[Math.max(0, Math.min(next, all.length - 1))];
    all.forEach(function (p) { p.setAttribute("tabindex", p === target ? "0" : "-1"); });
    target.focus();
  });

  var watched = panel();
  if (watched) {
    new MutationObserver(loadIfShown).observe(watched, { attributes: true, attributeFilter: ["hidden"] });
  }
  loadIfShown();
})();
