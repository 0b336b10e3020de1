/* Memo AI Coach: the Chat tab. Loads the conversation when the tab is shown, sends questions,
   and shows the reply as it streams. Messages arrive rendered (and escaped) by the server's
   template; the streamed reply is appended as text nodes only, never parsed as HTML. */
(function () {
  "use strict";

  var byId = function (id) { return document.getElementById(id); };
  var panel = byId("panel-chat");
  if (!panel) return;
  // The tab's content may arrive after the page (filled when first shown): looked up each time.
  function chatBody() { return byId("chat-body"); }

  var busy = false;
  var stale = true; // the conversation must be (re)loaded the next time the tab shows
  var pending = null; // the reply being written: { item, text }

  function numberText(n) { return n.toLocaleString(document.documentElement.lang || "en"); }
  var _ = window.memoaiText;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)memoai_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* ---- loading the conversation ---------------------------------------------------------- */
  function load() {
    var body = chatBody();
    if (busy || !body) return;
    stale = false;
    body.setAttribute("aria-busy", "true");
    window.htmx.ajax("GET", body.dataset.chatSrc, { target: "#chat-body", swap: "innerHTML" })
      .then(function () {
        body.setAttribute("aria-busy", "false");
        updateCounter();
        scrollToEnd();
      });
  }

  function loadIfShown() { if (stale && !panel.hidden) load(); }

  new MutationObserver(loadIfShown).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  // A finished evaluation changes what the chat is about: reload when next shown.
  // The tab itself filled after the page: load the conversation into it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var filled = /^\/ui\/tabs\//.test((event.detail.pathInfo && event.detail.pathInfo.requestPath) || "");
    if ((target.id === "panel-overall" && !filled) || target.id === "panel-chat") {
      stale = true;
      loadIfShown();
    }
  });

  /* ---- the form ---------------------------------------------------------------------------- */
  function form() { return byId("chat-form"); }
  function input() { return byId("chat-input"); }
  function maxChars() { return parseInt(form().dataset.maxChars, 10) || 2000; }

  function updateCounter() {
    var counter = byId("chat-counter");
    if (!input() || !counter) return;
    var length = input().value.length;
    var over = length - maxChars();
    var counts = { count: numberText(length), limit: numberText(maxChars()), over: numberText(over) };
    counter.textContent = over > 0
      ? _("%(count)s / %(limit)s characters: %(over)s over the limit", counts)
      : _("%(count)s / %(limit)s characters", counts);
    counter.classList.toggle("over", over > 0);
  }

  function showError(message) {
    var element = byId("chat-error");
    if (!element) return;
    element.textContent = message || "";
    element.hidden = !message;
    if (message) input().setAttribute("aria-invalid", "true");
    else input().removeAttribute("aria-invalid");
  }

  function announce(text) {
    var status = byId("chat-status");
    if (status) status.textContent = text;
  }

  function problem(text) {
    if (!text.trim()) return _("Type a question first.");
    if (text.length > maxChars()) {
      return _("The question has %(count)s characters; the limit is %(limit)s. Shorten it by %(over)s.", {
        count: numberText(text.length), limit: numberText(maxChars()), over: numberText(text.length - maxChars()),
      });
    }
    return "";
  }

  function setBusy(on) {
    busy = on;
    var send = byId("chat-send");
    if (send) {
      send.disabled = on;
      send.textContent = on ? _("Waiting for the reply…") : _("Send");
    }
    var log = byId("chat-log");
    if (log) log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function scrollToEnd() {
    var log = byId("chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  /* ---- the stream ---------------------------------------------------------------------------- */
  /* The stream reader is app.js's (window.MemoAI.readEvents). */

  function startReply() {
    var template = byId("chat-pending");
    var item = template.content.firstElementChild.cloneNode(true);
    byId("chat-messages").appendChild(item);
    pending = { item: item, text: item.querySelector(".chat-text") };
    announce(_("The coach is typing…"));
  }

  function handle(event) {
    var messages = byId("chat-messages");
    if (event.type === "question") {
      var empty = byId("chat-empty");
      if (empty) empty.remove();
      window.htmx.swap(messages, event.data.html, { swapStyle: "beforeend", swapDelay: 0, settleDelay: 0 });
      startReply();
    } else if (event.type === "delta" && pending) {
      pending.text.hidden = false;
      pending.text.appendChild(document.createTextNode(event.data.text));
    } else if (event.type === "done" && pending) {
      window.htmx.swap(pending.item, event.data.html, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
      pending = null;
      announce(event.data.message);
    } else if (event.type === "interrupted") {
      showError(event.data.message);
      announce(event.data.message);
    }
    scrollToEnd();
  }

  async function send(text, isRetry) {
    if (busy || !form()) return;
    var wrong = problem(text);
    showError(wrong);
    if (wrong) { input().focus(); return; }
    setBusy(true);
    announce(_("Sending your question…"));
    try {
      var response = await fetch("/ui/chat/" + encodeURIComponent(form().dataset.evaluation) + "/messages", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ message_content: text }),
      });
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("text/event-stream") < 0) {
        var refusal = await response.json().catch(function () { return {}; });
        if (refusal.redirect) { location.assign(refusal.redirect); return; } // signed out
        setBusy(false);
        if (refusal.retry && !isRetry) return send(text, true);
        var errors = refusal.errors || [{ code: "HTTP_" + response.status, message: _("The coach could not take the question.") }];
        showError(errors.map(function (e) { return e.message + " (" + e.code + ")"; }).join(" "));
        announce("");
        return;
      }
      if (input().value === text) { input().value = ""; updateCounter(); }
      await window.MemoAI.readEvents(response, handle);
      if (pending) throw new Error("stream ended early");
    } catch (error) {
      var message = _("The connection to the coach was lost. Your question is saved; open the Chat tab again in a moment to see the answer.");
      if (pending) { pending.item.remove(); pending = null; }
      showError(message);
      announce(message);
      stale = true;
    } finally {
      setBusy(false);
    }
  }

  /* ---- wiring (delegated: the conversation is swapped in and out) ------------------------- */
  panel.addEventListener("submit", function (event) {
    if (event.target.id !== "chat-form") return;
    event.preventDefault();
    send(input().value, false);
  });

  panel.addEventListener("keydown", function (event) {
    if (event.target.id !== "chat-input" || event.key !== "Enter") return;
    if (event.shiftKey || event.isComposing) return;
    event.preventDefault();
    send(input().value, false);
  });

  panel.addEventListener("input", function (event) {
    if (event.target.id !== "chat-input") return;
    updateCounter();
    if (input().getAttribute("aria-invalid") === "true") showError(problem(input().value));
  });

  panel.addEventListener("click", function (event) {
    var starter = event.target.closest("[data-chat-ask]");
    var retry = event.target.closest("[data-chat-retry]");
    if (starter) {
      input().value = starter.dataset.chatAsk;
      updateCounter();
      send(starter.dataset.chatAsk, false);
    } else if (retry) {
      var question = retry.closest(".chat-message").previousElementSibling;
      var text = question && question.querySelector(".chat-text");
      if (text) send(text.textContent, false);
    }
  });

  loadIfShown();
})();
