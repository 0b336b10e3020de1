/* Memo AI Coach: the Admin tab (loaded for admins only). Loads a sub-section when the tab is
   shown, sends the CSRF token with its forms, keeps the YAML editor's line numbers beside its
   lines, takes the keyboard to a refused line, and moves focus to what an action produced.
   All markup comes rendered and escaped from the server; this script only moves focus,
   toggles attributes and writes line numbers. */
(function () {
  "use strict";

  var byId = function (id) { return document.getElementById(id); };
  var _ = window.memoaiText;
  var panel = byId("panel-admin");
  if (!panel) return;
  var loaded = false;
  var sectionSwitch = false; // the next swap of #admin-body came from the section buttons
  var lastRollback = null; // the "Roll back…" button that opened the confirmation
  var keepFocus = null; // a page button to focus again after its list was replaced

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)memoai_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function announce(text) {
    var status = byId("admin-status");
    if (status) status.textContent = text;
  }

  /* ---- loading a section when the tab is shown ---------------------------------------- */
  function loadIfShown() {
    var body = byId("admin-body");
    if (loaded || panel.hidden || !body || !window.htmx) return;
    loaded = true;
    window.htmx.ajax("GET", body.dataset.src, { target: "#admin-body", swap: "innerHTML" });
  }

  function markSection(button) {
    document.querySelectorAll("[data-admin-section]").forEach(function (other) {
      if (other === button) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
  }

  /* ---- the YAML editor: line numbers, the refused line -------------------------------- */
  function editorParts(area) {
    var editor = area.closest(".yaml-editor");
    return editor ? { editor: editor, gutter: editor.querySelector(".gutter") } : null;
  }

  function errorLine() {
    var alert = document.querySelector("#config-error [data-line]");
    var line = alert ? parseInt(alert.dataset.line, 10) : 0;
    return line > 0 ? line : 0;
  }

  function drawGutter(area) {
    var parts = editorParts(area);
    if (!parts || !parts.gutter) return;
    var count = area.value.split("\n").length;
    var marked = errorLine();
    var gutter = parts.gutter;
    if (gutter.childElementCount !== count || gutter.dataset.marked !== String(marked)) {
      var fragment = document.createDocumentFragment();
      for (var n = 1; n <= count; n++) {
        var number = document.createElement("span");
        number.textContent = String(n);
        if (n === marked) number.className = "gutter-error";
        fragment.appendChild(number);
      }
      gutter.replaceChildren(fragment);
      gutter.dataset.marked = String(marked);
    }
    gutter.scrollTop = area.scrollTop;
  }

  function lineHeight(area) {
    var value = parseFloat(window.getComputedStyle(area).lineHeight);
    return isNaN(value) ? 24 : value;
  }

  function goToLine(line) {
    var area = byId("config-content");
    if (!area || !line) return;
    var lines = area.value.split("\n");
    var index = Math.min(line, lines.length) - 1;
    var start = 0;
    for (var i = 0; i < index; i++) start += lines[i].length + 1;
    area.focus({ preventScroll: true });
    area.setSelectionRange(start, start + lines[index].length);
    area.scrollTop = Math.max(0, (index - 3) * lineHeight(area));
    area.scrollIntoView({ block: "nearest" });
    drawGutter(area);
  }

  function showError() {
    var area = byId("config-content");
    if (!area) return;
    var message = byId("config-error-message");
    var hint = "config-content-hint";
    if (message) {
      area.setAttribute("aria-invalid", "true");
      area.setAttribute("aria-describedby", hint + " config-error-message");
    } else {
      area.removeAttribute("aria-invalid");
      area.setAttribute("aria-describedby", hint);
    }
    drawGutter(area);
    var line = errorLine();
    if (line) goToLine(line);
    else if (message) message.closest("[role=alert]").focus();
  }

  /* ---- focus after an action ------------------------------------------------------------ */
  function afterSwap(target) {
    if (target.id === "admin-body") {
      target.setAttribute("aria-busy", "false");
      var area = byId("config-content");
      if (area) drawGutter(area);
      var heading = byId("admin-section-heading");
      if (sectionSwitch) {
        sectionSwitch = false;
        if (heading) announce(_("%(section)s shown.", { section: heading.textContent }));
        return;
      }
      if (errorLine() || byId("config-error-message")) { showError(); return; }
    }
    if (target.id === "config-preview" && byId("config-error-message")) { showError(); return; }
    if (target.id === "config-preview") showError(); // a fixed draft clears the mark
    var again = keepFocus && target.querySelector('[data-keep-focus="' + keepFocus + '"]');
    keepFocus = null;
    var wanted = again || target.querySelector("[data-autofocus]");
    if (!wanted && target.id === "admin-body") wanted = byId("admin-section-heading");
    if (wanted) wanted.focus();
  }

  function cancelRollback(button) {
    var area = byId("config-diff");
    if (area) area.replaceChildren();
    var version = button.dataset.cancelRollback;
    var back = document.querySelector('[data-rollback-version="' + version + '"]') || lastRollback;
    if (back) back.focus();
  }

  /* ---- wiring (delegated: sections arrive as swapped fragments) ------------------------- */
  document.body.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get" && detail.path.indexOf("/ui/admin/") === 0) {
      detail.headers["X-CSRF-Token"] = csrfToken();
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || !source.closest || !panel.contains(source)) return;
    if (source.matches("[data-admin-section]")) { sectionSwitch = true; markSection(source); }
    if (source.matches("[data-rollback-version]")) lastRollback = source;
    keepFocus = source.dataset.keepFocus || null;
  });

  // The coach unreachable or failing: said above the section (htmx swaps 2xx answers only).
  function showProblem(event) {
    var source = event.detail && event.detail.elt;
    var problem = byId("admin-problem");
    if (!problem || !source || !panel.contains(source)) return;
    problem.textContent = _("The coach could not answer just now. Try again in a moment (open the section again to see what was saved).");
    problem.hidden = false;
  }
  document.body.addEventListener("htmx:responseError", showProblem);
  document.body.addEventListener("htmx:sendError", showProblem);

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !panel.contains(target)) return;
    var problem = byId("admin-problem");
    if (problem) problem.hidden = true;
    if (target.id === "panel-admin") { loaded = false; loadIfShown(); return; }
    afterSwap(target);
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".yaml-input")) drawGutter(event.target);
  });
  document.addEventListener("scroll", function (event) {
    if (event.target.matches && event.target.matches(".yaml-input")) drawGutter(event.target);
  }, true);

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-goto-line], [data-cancel-rollback]");
    if (!el || !panel.contains(el)) return;
    if (el.matches("[data-goto-line]")) goToLine(parseInt(el.dataset.gotoLine, 10));
    else cancelRollback(el);
  });

  new MutationObserver(loadIfShown).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  loadIfShown();
})();
