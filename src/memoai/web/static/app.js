/* Memo AI Coach: the page's small script (no build step). Tabs, information bubbles, the memo
   form with its draft, live progress from the evaluation stream, and memo/comment links.
   All markup comes from the server's templates; this script only moves and swaps it. */
(function () {
  "use strict";

  var DRAFT_KEY = "memoai.draft.v1";
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var byId = function (id) { return document.getElementById(id); };
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
    history.replaceState(null, "", "?tab=" + encodeURIComponent(id));
    if (opts.focusTab) chosen.focus();
    if (opts.focusHeading) {
      var heading = byId(id + "-heading");
      if (heading) heading.focus();
    }
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

  function formatNumber(n) { return n.toLocaleString("en-GB"); }

  function updateCounter() {
    var counter = byId("memo-counter");
    if (!memo || !counter) return;
    var length = memo.value.length;
    var over = length - maxChars;
    counter.textContent = formatNumber(length) + " / " + formatNumber(maxChars) + " characters" +
      (over > 0 ? ": " + formatNumber(over) + " over the limit" : "");
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
    if (!text.trim()) return "Write or paste your memo first.";
    if (text.length > maxChars) {
      return "The memo has " + formatNumber(text.length) + " characters; the limit is " +
        formatNumber(maxChars) + ". Shorten it by " + formatNumber(text.length - maxChars) + ".";
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
    submitButton.textContent = on ? "Evaluating…" : "Get feedback";
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
    announce("Sending your memo to the coach…");
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
        setBusy(false);
        if (body.retry && !isRetry) return evaluate(url, payload, true);
        if (live) live.hidden = true;
        announce("");
        showServerErrors(body.errors || [{ code: "HTTP_" + response.status, message: "The coach could not take the memo." }]);
        return;
      }
      await readStream(response);
    } catch (error) {
      var message = "The connection to the coach was lost. Your memo is still here and saved; " +
        "reload the page in a moment to see the result, or try again.";
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

  if (form && memo) {
    restoreDraft();
    updateCounter();
    memo.addEventListener("input", onInput);
    title.addEventListener("input", onInput);
    form.addEventListener("change", saveDraft);
    form.addEventListener("submit", function (event) { event.preventDefault(); submitMemo(); });
  }
})();
