/* Memo AI Coach: the page's small script (no build step). Tabs, information bubbles, the memo
   form with its draft, live progress from the evaluation stream, and memo/comment links.
   All markup comes from the server's templates; this script only moves and swaps it. */
(function () {
  "use strict";

  // One draft per account in this browser (anonymous work keeps the plain key).
  var DRAFT_KEY = "memoai.draft.v1" + (document.body.dataset.account ? ":" + document.body.dataset.account : "");
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var byId = function (id) { return document.getElementById(id); };
  var _ = window.memoaiText;
  document.documentElement.classList.add("js");

  /* ---- tabs (WAI-ARIA tabs pattern, automatic activation) ---------------------------- */
  function allTabs() { return Array.prototype.slice.call(document.querySelectorAll('[role="tab"]')); }

  function selectTab(id, options) {
    var opts = options || {};
    var chosen = byId("tab-" + id);
    if (!chosen) return;
    allTabs().forEach(function (tab) {
      var on = tab === chosen;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      var panel = byId(tab.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    var menu = byId("tab-select");
    if (menu) menu.value = id;
    // Only the tab changes: an evaluation the address names (My memos) stays named.
    var params = new URLSearchParams(location.search);
    params.set("tab", id);
    history.replaceState(null, "", "?" + params.toString());
    if (opts.focusTab) chosen.focus();
    var filled = fillPanel(byId("panel-" + id));
    if (opts.focusHeading) {
      filled.then(function () {
        var heading = byId(id + "-heading");
        if (heading) heading.focus();
      });
    }
  }

  /* A full page renders only its active tab (and Write); the others arrive from
     /ui/tabs/<id> the first time they are shown, into the panel itself. A fill that fails
     says why in place of "Loading…" (the tab's link still opens it as a page). */
  function fillPanel(panel) {
    var pending = panel ? panel.querySelector("[data-tab-src]") : null;
    if (!pending || !window.htmx) return Promise.resolve();
    if (!pending.filling) {
      var state = pending.querySelector(".pending-state");
      var failure = null;
      var note = function (event) {
        var xhr = event.detail && event.detail.xhr;
        failure = xhr && xhr.status ? xhr.status : 0;
      };
      panel.addEventListener("htmx:responseError", note);
      panel.addEventListener("htmx:sendError", note);
      if (state) state.textContent = _("Loading…");
      panel.setAttribute("aria-busy", "true");
      var settled = function () {
        panel.removeAttribute("aria-busy");
        panel.removeEventListener("htmx:responseError", note);
        panel.removeEventListener("htmx:sendError", note);
        if (!panel.contains(pending)) return;
        // Not answered: say why; the next showing tries again.
        pending.filling = null;
        if (state && failure !== null) {
          state.textContent = failure
            ? _("this section could not be loaded (the coach answered with status %(status)s). Show the tab again to retry.", { status: failure })
            : _("this section could not be loaded: the connection to the coach failed. Show the tab again to retry.");
        }
      };
      // htmx rejects the promise when the request fails to send: settled either way.
      pending.filling = window.htmx.ajax("GET", pending.dataset.tabSrc, {
        source: "#" + panel.id, target: "#" + panel.id, swap: "innerHTML"  // events on the panel
      }).then(settled, settled);
    }
    return pending.filling;
  }

  function onTabKey(event) {
    var tabs = allTabs();
    var index = tabs.indexOf(event.target);
    if (index < 0) return;
    var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    var target = tabs[(next + tabs.length) % tabs.length];
    selectTab(target.dataset.tab, { focusTab: true });
  }

  /* ---- information bubbles ----------------------------------------------------------- */
  function setBubble(button, open) {
    var popover = byId(button.getAttribute("aria-controls"));
    if (!popover) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    popover.hidden = !open;
    popover.classList.remove("flip");
    if (open && popover.getBoundingClientRect().right > window.innerWidth - 8) {
      popover.classList.add("flip");
    }
  }

  function openBubbles() {
    return Array.prototype.slice.call(document.querySelectorAll('.info-button[aria-expanded="true"]'));
  }

  function closeBubbles(except) {
    openBubbles().forEach(function (button) { if (button !== except) setBubble(button, false); });
  }

  /* ---- memo form: counter, validation, draft ----------------------------------------- */
  var form = byId("memo-form");
  var memo = byId("memo-text");
  var title = byId("memo-title");
  var submitButton = byId("submit-button");
  var liveStatus = byId("live-status");
  var maxChars = form ? parseInt(form.dataset.maxChars, 10) : 0;
  var busy = false;

  /* The page's language's separators, as the server's Babel writes them (10,000 / 10.000). */
  function formatNumber(n) { return n.toLocaleString(document.documentElement.lang || "en"); }

  function updateCounter() {
    var counter = byId("memo-counter");
    if (!memo || !counter) return;
    var length = memo.value.length;
    var over = length - maxChars;
    var counts = { count: formatNumber(length), limit: formatNumber(maxChars), over: formatNumber(over) };
    counter.textContent = over > 0
      ? _("%(count)s / %(limit)s characters: %(over)s over the limit", counts)
      : _("%(count)s / %(limit)s characters", counts);
    counter.classList.toggle("over", over > 0);
  }

  function fieldError(field, errorId, message) {
    var element = byId(errorId);
    if (!element) return;
    element.textContent = message || "";
    element.hidden = !message;
    if (field) {
      if (message) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    }
  }

  function formError(message) {
    var element = byId("form-error");
    if (!element) return;
    element.textContent = message || "";
    element.hidden = !message;
  }

  function memoProblem() {
    var text = memo.value;
    if (!text.trim()) return _("Write or paste your memo first.");
    if (text.length > maxChars) {
      return _("The memo has %(count)s characters; the limit is %(limit)s. Shorten it by %(over)s.", {
        count: formatNumber(text.length), limit: formatNumber(maxChars), over: formatNumber(text.length - maxChars),
      });
    }
    return "";
  }

  function saveDraft() {
    try {
      localStorage.setItem(DRAFT_KEY, JSON.stringify({
        title: title.value, text: memo.value, revision_of: revisionValue(),
      }));
    } catch (e) { /* storage may be off; the text is still in the box */ }
  }

  function restoreDraft() {
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); } catch (e) { draft = null; }
    if (!draft || memo.value) return;
    memo.value = draft.text || "";
    title.value = draft.title || "";
    var select = byId("revision-of");
    if (select && draft.revision_of) select.value = draft.revision_of;
  }

  /* Once a memo was evaluated, the next one is new unless the writer says otherwise: the
     draft keeps its text and title but no longer names the memo it revised. */
  function forgetRevision() {
    var select = byId("revision-of");
    if (select) select.value = "";
    if (memo && title) saveDraft();
  }

  function revisionValue() {
    var select = byId("revision-of");
    return select ? select.value : "";
  }

  var draftTimer = null;
  function onInput() {
    updateCounter();
    if (memo.getAttribute("aria-invalid") === "true") fieldError(memo, "memo-error", memoProblem());
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraft, 250);
  }

  function showServerErrors(errors) {
    var general = [];
    (errors || []).forEach(function (error) {
      var text = error.message + " (" + error.code + ")";
      if (error.field === "text_content") fieldError(memo, "memo-error", text);
      else if (error.field === "title") fieldError(title, "title-error", text);
      else general.push(text);
    });
    formError(general.join(" "));
    if (errors && errors.some(function (e) { return e.field === "text_content"; })) memo.focus();
  }

  /* ---- live evaluation: fetch() + a stream reader (EventSource cannot POST) ------------ */
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)memoai_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function announce(text) { if (liveStatus) liveStatus.textContent = text; }

  function setBusy(on) {
    busy = on;
    if (!submitButton) return;
    submitButton.disabled = on;
    submitButton.textContent = on ? _("Evaluating…") : _("Get feedback");
  }

  function swapHtml(target, html) {
    if (target) window.htmx.swap(target, html, { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0 });
  }

  function parseEvent(raw) {
    var event = { type: "message", data: "" };
    raw.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event.type = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) event.data += line.slice(5).replace(/^ /, "");
    });
    return event.data ? { type: event.type, data: JSON.parse(event.data) } : null;
  }

  function showResults(done) {
    var url = "/ui/evaluations/" + encodeURIComponent(done.evaluation_id) + "/panels?selected=" +
      encodeURIComponent(revisionValue()) + (done.reused ? "&reused=1" : "");
    return window.htmx.ajax("GET", url, { target: "#panel-overall", swap: "innerHTML" }).then(function () {
      announce(done.message);
      if (done.status === "completed") {
        forgetRevision();
        selectTab("overall", { focusHeading: true });
      } else {
        var retry = document.querySelector("#live-body [data-retry]");
        if (retry) retry.focus();
      }
    });
  }

  function handleEvent(event) {
    if (event.type === "progress") {
      swapHtml(byId("live-body"), event.data.html);
      announce(event.data.status);
    } else if (event.type === "done") {
      return showResults(event.data);
    } else if (event.type === "interrupted") {
      announce(event.data.message);
      formError(event.data.message);
    }
    return null;
  }

  /* Server-sent events of a fetch() response, handed one by one to `handle` (awaited).
     Shared with chat.js through window.MemoAI. */
  async function readEvents(response, handle) {
    var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) return;
      buffer += chunk.value;
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var event = parseEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) await handle(event);
      }
    }
  }
  window.MemoAI = { readEvents: readEvents };

  async function readStream(response) {
    var ended = false;
    await readEvents(response, function (event) {
      if (event.type === "done" || event.type === "interrupted") ended = true;
      return handleEvent(event);
    });
    if (!ended) throw new Error("stream ended early");
  }

  async function evaluate(url, payload, isRetry) {
    if (busy) return;
    setBusy(true);
    formError("");
    var live = byId("live");
    if (live) {
      live.hidden = false;
      live.scrollIntoView({ block: "nearest", behavior: reduceMotion ? "auto" : "smooth" });
    }
    swapHtml(byId("live-body"), byId("live-start") ? byId("live-start").innerHTML : "");
    announce(_("Sending your memo to the coach…"));
    try {
      var response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": csrfToken() },
        body: payload ? JSON.stringify(payload) : "{}",
      });
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("text/event-stream") < 0) {
        var body = await response.json().catch(function () { return {}; });
        if (body.redirect) { location.assign(body.redirect); return; } // signed out: log in again
        setBusy(false);
        if (body.retry && !isRetry) return evaluate(url, payload, true);
        if (live) live.hidden = true;
        announce("");
        showServerErrors(body.errors || [{ code: "HTTP_" + response.status, message: _("The coach could not take the memo.") }]);
        return;
      }
      await readStream(response);
    } catch (error) {
      var message = _("The connection to the coach was lost. Your memo is still here and saved; reload the page in a moment to see the result, or try again.");
      announce(message);
      formError(message);
    } finally {
      setBusy(false);
    }
  }

  function submitMemo(extra) {
    var problem = memoProblem();
    fieldError(memo, "memo-error", problem);
    fieldError(title, "title-error", "");
    if (problem) { memo.focus(); return; }
    saveDraft();
    var payload = { text_content: memo.value, title: title.value, revision_of: revisionValue() };
    Object.keys(extra || {}).forEach(function (key) { payload[key] = extra[key]; });
    evaluate("/ui/evaluate", payload, false);
  }

  /* ---- memo segments and their comments ---------------------------------------------- */
  function partnerOf(element) {
    var link = element.querySelector ? element.querySelector("[data-jump]") : null;
    var id = element.dataset && element.dataset.jump ? element.dataset.jump : link && link.dataset.jump;
    return id ? byId(id) : null;
  }

  function jumpTo(id) {
    var target = byId(id);
    if (!target) return;
    document.querySelectorAll(".seg.is-active, .comment.is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
    target.classList.add("is-active");
    var partner = target.classList.contains("comment") ? partnerOf(target) : null;
    if (partner) partner.classList.add("is-active");
    if (target.classList.contains("seg")) {
      var comment = byId(id.replace("seg-", "comment-"));
      if (comment) comment.classList.add("is-active");
    }
    target.scrollIntoView({ block: "center", behavior: reduceMotion ? "auto" : "smooth" });
    target.focus({ preventScroll: true });
  }

  /* ---- wiring (delegated, so swapped-in fragments work without re-binding) ------------ */
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[role=tab], [data-goto-tab], .info-button, [data-retry], [data-fresh], [data-jump]");
    if (!el) { if (!event.target.closest(".info-popover")) closeBubbles(null); return; }
    if (el.matches("[role=tab]")) { event.preventDefault(); selectTab(el.dataset.tab); }
    else if (el.matches("[data-goto-tab]")) { event.preventDefault(); selectTab(el.dataset.gotoTab, { focusHeading: true }); }
    else if (el.matches(".info-button")) {
      var open = el.getAttribute("aria-expanded") !== "true";
      closeBubbles(el);
      setBubble(el, open);
    } else if (el.matches("[data-retry]")) {
      selectTab("write");
      evaluate("/ui/evaluations/" + encodeURIComponent(el.dataset.retry) + "/retry", null, false);
    } else if (el.matches("[data-fresh]")) { submitMemo({ fresh: true }); }
    else if (el.matches("[data-jump]")) { event.preventDefault(); jumpTo(el.dataset.jump); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = openBubbles();
      if (open.length) { open.forEach(function (b) { setBubble(b, false); }); open[0].focus(); }
    } else if (event.target.getAttribute && event.target.getAttribute("role") === "tab") {
      onTabKey(event);
    }
  });

  var menu = byId("tab-select");
  if (menu) menu.addEventListener("change", function () { selectTab(menu.value); });

  /* ---- one page view: the fragments it loads count with it against the rate limits ---- */
  var main = byId("main");
  var pageView = main ? main.dataset.pageView || "" : "";
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (pageView) event.detail.headers["X-MemoAI-Page-View"] = pageView;
  });
  // A limited fragment says so in place (htmx swaps 2xx answers only by default).
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* ---- downloads (PDF, CSV, JSON): fetched, so a refusal is said beside the link -------- */
  function downloadProblem(link, message) {
    var box = link.parentNode.querySelector(".download-problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "download-problem alert alert-error";
      box.setAttribute("role", "alert");
      link.insertAdjacentElement("afterend", box);
    }
    box.textContent = message;
    box.hidden = !message;
  }

  function fileName(response, fallback) {
    // RFC 6266: the UTF-8 name (filename*) wins over the ASCII one beside it for old clients
    var header = response.headers.get("content-disposition") || "";
    var encoded = /filename\*=UTF-8''([^;\s]+)/i.exec(header);
    if (encoded) {
      try { return decodeURIComponent(encoded[1]); } catch (e) { /* malformed: the ASCII name */ }
    }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  async function download(link) {
    downloadProblem(link, "");
    link.setAttribute("aria-busy", "true");
    try {
      var response = await fetch(link.href, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (!response.ok) {
        var body = await response.json().catch(function () { return {}; });
        var error = (body.errors || [])[0];
        downloadProblem(link, error
          ? _("The download failed: %(reason)s", { reason: error.message })
          : _("The download failed: the coach answered %(status)s. Try again in a moment.", { status: response.status }));
        return;
      }
      var url = URL.createObjectURL(await response.blob());
      var save = document.createElement("a");
      save.href = url;
      save.download = fileName(response, link.getAttribute("download") || "download");
      save.hidden = true;
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    } catch (e) {
      downloadProblem(link, _("The download failed: the coach could not be reached. Try again in a moment."));
    } finally {
      link.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[download][href^="/ui/export/"]');
    if (!link || event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    download(link);
  });

  /* ---- a sample memo, for a first look without writing one --------------------------- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-sample]");
    var sample = byId("sample-memo");
    if (!button || !sample || !memo) return;
    memo.value = sample.content ? sample.content.textContent.trim() : sample.textContent.trim();
    title.value = button.dataset.sampleTitle || "";
    updateCounter();
    saveDraft();
    memo.focus();
  });

  if (form && memo) {
    restoreDraft();
    updateCounter();
    memo.addEventListener("input", onInput);
    title.addEventListener("input", onInput);
    form.addEventListener("change", saveDraft);
    form.addEventListener("submit", function (event) { event.preventDefault(); submitMemo(); });
  }
})();
