/* Memo AI Coach: the My memos tab. Loads the list when the tab is shown (and again after a new
   evaluation), opens and closes the delete confirmations, and keeps the page's address naming
   the evaluation on show. All markup comes rendered and escaped from the server. */
(function () {
  "use strict";

  var byId = function (id) { return document.getElementById(id); };
  var stale = true; // reload the list the next time the tab is shown
  var refocus = null; // after the next swap: "search" or "pager"
  var opener = null; // the button that opened a dialog, focused again when it closes

  function body() { return byId("memos-body"); }
  function panel() { return byId("panel-memos"); }

  function load() {
    var target = body();
    if (!target || !window.htmx) return;
    stale = false;
    target.setAttribute("aria-busy", "true");
    window.htmx.ajax("GET", target.dataset.src, { target: "#memos-body", swap: "innerHTML" });
  }

  function loadIfShown() {
    var shown = panel();
    if (stale && shown && !shown.hidden) load();
  }

  function afterBodySwap() {
    var target = body();
    target.setAttribute("aria-busy", "false");
    var view = target.querySelector(".memos-view");
    var status = byId("memos-status");
    if (view && status) status.textContent = view.dataset.status || "";
    if (refocus === "search") {
      var input = byId("memos-q");
      if (input) { input.focus(); input.setSelectionRange(input.value.length, input.value.length); }
    } else if (refocus === "pager") {
      var count = byId("memos-count");
      if (count) count.focus();
    }
    refocus = null;
  }

  /* A new evaluation's panels: the address, the Chat and the Progress tab follow it. */
  function followEvaluation(path) {
    var match = /\/ui\/evaluations\/([0-9a-f-]{36})\/panels/.exec(path || "");
    if (!match) return;
    var id = match[1];
    var params = new URLSearchParams(location.search);
    params.set("evaluation", id);
    history.replaceState(null, "", "?" + params.toString());
    var chat = byId("chat-body");
    if (chat) chat.dataset.chatSrc = "/ui/chat?evaluation_id=" + encodeURIComponent(id);
    var progress = byId("progress-body");
    if (progress) progress.dataset.src = "/ui/progress/of/" + encodeURIComponent(id);
    // Tabs not filled yet (a page renders only its active one) load this evaluation's too.
    document.querySelectorAll("[data-tab-src]").forEach(function (pending) {
      pending.dataset.tabSrc = pending.dataset.tabSrc.split("?")[0] + "?evaluation=" + encodeURIComponent(id);
    });
    document.querySelectorAll('.tablist [role="tab"]').forEach(function (tab) {
      tab.setAttribute("href", "/?evaluation=" + encodeURIComponent(id) + "&tab=" + tab.dataset.tab);
    });
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || !source.closest) return;
    if (source.closest(".memos-search")) refocus = "search";
    else if (source.closest(".memos-pager")) refocus = "pager";
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    if (target.id === "memos-body") afterBodySwap();
    // The tab filled after the page (first shown): load the list into it.
    if (target.id === "panel-memos") { stale = true; loadIfShown(); return; }
    if (target.id === "panel-overall") {
      stale = true;
      followEvaluation(event.detail.pathInfo && event.detail.pathInfo.requestPath);
    }
  });

  document.addEventListener("click", function (event) {
    var open = event.target.closest("[data-open-dialog]");
    if (open) {
      var dialog = byId(open.dataset.openDialog);
      if (dialog && dialog.showModal) { opener = open; dialog.showModal(); }
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close) {
      var shown = close.closest("dialog");
      if (shown) shown.close();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches(".confirm-dialog") && opener) {
      opener.focus();
      opener = null;
    }
  }, true);

  // "deleted" only says what just happened: a reload must not say it again.
  var params = new URLSearchParams(location.search);
  if (params.has("deleted")) {
    params.delete("deleted");
    history.replaceState(null, "", "?" + params.toString());
  }

  var watched = panel();
  if (watched) {
    new MutationObserver(loadIfShown).observe(watched, { attributes: true, attributeFilter: ["hidden"] });
  }
  loadIfShown();
})();
