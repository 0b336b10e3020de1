/* Memo AI Coach: the Detailed tab's editor. The memo is a plain <textarea> (native keyboard,
   selection, undo and screen-reader support) over an aria-hidden backdrop that draws the
   highlights. Each comment's passage is tracked by its offsets: an edit before it moves it, an
   edit inside it makes it "passage changed" until the same words appear again. Revise sends
   the edited text as the next version (revision_of) with live progress, then opens the new
   evaluation. The text is kept in localStorage until the new evaluation is stored. */
(function () {
  "use strict";
  if (window.MemoEditor) { window.MemoEditor.init(); return; }

  var byId = function (id) { return document.getElementById(id); };
  var _ = window.memoaiText;
  var account = document.body.dataset.account ? ":" + document.body.dataset.account : "";

  function draftKey(evaluationId) { return "memoai.revise.v1" + account + ":" + evaluationId; }

  function readDraft(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function writeDraft(key, text) {
    try { localStorage.setItem(key, JSON.stringify({ text: text, saved_at: Date.now() })); } catch (e) { /* the text stays in the box */ }
  }

  function dropDraft(key) { try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ } }

  /* Python counts code points, JavaScript UTF-16 units: convert an offset. */
  function unitOffset(text, codePoints) {
    var units = 0;
    for (var n = 0; n < codePoints && units < text.length; n++) {
      var code = text.charCodeAt(units);
      units += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    }
    return units;
  }

  /* The occurrence of `passage` nearest to `near`, or -1. */
  function nearest(text, passage, near) {
    var best = -1;
    var at = text.indexOf(passage);
    while (at >= 0) {
      if (best < 0 || Math.abs(at - near) < Math.abs(best - near)) best = at;
      at = text.indexOf(passage, at + 1);
    }
    return best;
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/[>]/g, "&gt;");
  }

  function Editor(root) {
    this.root = root;
    this.evaluationId = root.dataset.evaluation;
    this.key = draftKey(this.evaluationId);
    this.area = byId("editor-text");
    this.backdrop = root.querySelector(".editor-backdrop");
    this.toggle = byId("editor-toggle");
    this.view = byId("memo-text-view");
    this.status = byId("editor-status");
    this.error = byId("editor-error");
    this.revise = byId("revise-button");
    this.original = this.area.value;
    this.text = this.original;
    this.busy = false;
    this.timer = null;
    this.stored = false;
    var source = byId("editor-passages");
    var list = source ? Array.prototype.map.call(source.children, function (li) {
      return { index: Number(li.dataset.index), start: Number(li.dataset.start), passage: li.dataset.passage || "" };
    }) : [];
    var original = this.original;
    this.passages = list.map(function (p) {
      var start = unitOffset(original, p.start);
      return { index: p.index, quote: p.passage, start: start, end: start + p.passage.length, changed: false };
    });
    this.addCommentControls();
    this.bind();
    var draft = readDraft(this.key);
    if (draft && typeof draft.text === "string" && draft.text !== this.original) {
      this.area.value = draft.text;
      this.refind();
      this.text = draft.text;
      this.open(false);
      this.say(_("Your unsaved edits to this memo were restored from this browser."));
    } else {
      this.render();
    }
    this.toggle.hidden = false;
  }

  Editor.prototype.addCommentControls = function () {
    this.passages.forEach(function (p) {
      var comment = byId("comment-" + p.index);
      if (!comment || comment.querySelector(".passage-state")) return;
      var line = document.createElement("p");
      line.className = "passage-state";
      line.id = "passage-state-" + p.index;
      line.hidden = true;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-link passage-select";
      button.dataset.passage = String(p.index);
      button.textContent = _("Select in editor");
      button.setAttribute("aria-label", _("Select in editor: passage of comment %(number)s", { number: p.index + 1 }));
      var label = document.createElement("span");
      label.className = "passage-label";
      line.appendChild(label);
      line.appendChild(document.createTextNode(" "));
      line.appendChild(button);
      var quote = comment.querySelector(".comment-quote");
      if (quote) quote.insertAdjacentElement("afterend", line);
      else comment.insertBefore(line, comment.firstChild);
    });
  };

  Editor.prototype.bind = function () {
    var self = this;
    this.area.addEventListener("input", function () {
      self.track(self.area.value);
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.save(); }, 250);
    });
    this.area.addEventListener("scroll", function () { self.backdrop.scrollTop = self.area.scrollTop; });
    this.toggle.addEventListener("click", function () {
      if (self.root.hidden) self.open(true); else self.close();
    });
    byId("editor-close").addEventListener("click", function () { self.close(); });
    this.revise.addEventListener("click", function () { self.submit(); });
    window.addEventListener("resize", function () { self.fit(); });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".passage-select");
      if (button && self.root.isConnected) self.select(parseInt(button.dataset.passage, 10));
    });
  };

  Editor.prototype.save = function () {
    if (this.stored) return; // the revision is stored: its draft is gone for good
    if (this.area.value === this.original) dropDraft(this.key);
    else writeDraft(this.key, this.area.value);
  };

  Editor.prototype.open = function (focus) {
    this.root.hidden = false;
    this.view.hidden = true;
    this.toggle.setAttribute("aria-expanded", "true");
    document.querySelectorAll("#panel-detailed .passage-state").forEach(function (el) { el.hidden = false; });
    this.render();
    if (focus) this.area.focus();
  };

  Editor.prototype.close = function () {
    this.root.hidden = true;
    this.view.hidden = false;
    this.toggle.setAttribute("aria-expanded", "false");
    document.querySelectorAll("#panel-detailed .passage-state").forEach(function (el) { el.hidden = true; });
    if (this.area.value !== this.original) {
      this.viewNote(_("Your edits are kept in this browser: choose Edit memo to go on, or Revise to send them."));
    }
    this.toggle.focus();
  };

  Editor.prototype.viewNote = function (text) {
    var note = byId("editor-kept");
    if (!note) {
      note = document.createElement("p");
      note.id = "editor-kept";
      note.className = "muted";
      this.view.insertAdjacentElement("beforebegin", note);
    }
    note.textContent = text;
  };

  /* Move each passage with one edit: the changed run is what lies between the common start
     and the common end of the old and new text. */
  Editor.prototype.track = function (next) {
    var old = this.text;
    var limit = Math.min(old.length, next.length);
    var head = 0;
    while (head < limit && old.charCodeAt(head) === next.charCodeAt(head)) head++;
    var tail = 0;
    while (tail < limit - head && old.charCodeAt(old.length - 1 - tail) === next.charCodeAt(next.length - 1 - tail)) tail++;
    var oldEnd = old.length - tail;
    var delta = next.length - old.length;
    this.passages.forEach(function (p) {
      if (p.changed) return;
      if (p.end <= head) return; // before the edit
      if (p.start >= oldEnd) { p.start += delta; p.end += delta; return; } // after it
      p.changed = true; // the edit touched the passage
    });
    this.text = next;
    this.refind();
  };

  /* A changed passage whose exact words are in the text again (undo, paste back) is found
     again, nearest to where it was. */
  Editor.prototype.refind = function () {
    var text = this.area.value;
    var taken = [];
    this.passages.forEach(function (p) {
      if (!p.changed && text.slice(p.start, p.end) !== p.quote) p.changed = true;
      if (!p.changed) taken.push(p);
    });
    this.passages.forEach(function (p) {
      if (!p.changed) return;
      var at = nearest(text, p.quote, p.start);
      if (at >= 0) { p.start = at; p.end = at + p.quote.length; p.changed = false; }
    });
    this.text = text;
    this.render();
  };

  Editor.prototype.render = function () {
    var text = this.area.value;
    var spans = this.passages.filter(function (p) { return !p.changed; })
      .slice().sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    var html = "";
    var at = 0;
    spans.forEach(function (p) {
      if (p.start < at) return; // overlapping: the first highlight shows both
      html += escapeHtml(text.slice(at, p.start)) + '<mark data-comment="' + p.index + '">' +
        escapeHtml(text.slice(p.start, p.end)) + "</mark>";
      at = p.end;
    });
    html += escapeHtml(text.slice(at)) + "\n";
    this.backdrop.innerHTML = html;
    var changed = 0;
    this.passages.forEach(function (p) {
      var line = byId("passage-state-" + p.index);
      if (p.changed) changed++;
      if (!line) return;
      line.classList.toggle("is-changed", p.changed);
      line.querySelector(".passage-label").textContent = p.changed ? _("Passage changed") : _("Passage in your text");
      line.querySelector(".passage-select").hidden = p.changed;
    });
    var edited = text !== this.original;
    if (!this.busy && this.root.hidden === false) {
      this.say(edited
        ? _("Edited. %(changed)s of %(count)s commented passages changed.", { changed: changed, count: this.passages.length })
        : _("No edits yet."));
    }
    this.fit();
  };

  /* No inline style (the page's CSP refuses style attributes): the box scrolls, the
     backdrop follows. */
  Editor.prototype.fit = function () { this.backdrop.scrollTop = this.area.scrollTop; };

  Editor.prototype.select = function (index) {
    var p = this.passages.filter(function (q) { return q.index === index; })[0];
    if (!p || p.changed) return;
    if (this.root.hidden) this.open(false);
    this.area.focus();
    this.area.setSelectionRange(p.start, p.end);
  };

  Editor.prototype.say = function (text) { this.status.textContent = text; };

  Editor.prototype.fail = function (message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  };

  Editor.prototype.setBusy = function (on) {
    this.busy = on;
    this.revise.disabled = on;
    this.revise.textContent = on ? "Evaluating…" : "Revise";
    this.area.readOnly = on;
  };

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)memoai_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  Editor.prototype.submit = async function () {
    if (this.busy) return;
    var text = this.area.value;
    if (!text.trim()) { this.fail(_("Write your memo first: the box is empty.")); this.area.focus(); return; }
    if (text === this.original) { this.fail(_("Edit the memo first: this text is the version you are reading.")); this.area.focus(); return; }
    this.fail("");
    clearTimeout(this.timer);
    writeDraft(this.key, text);
    this.setBusy(true);
    var live = byId("editor-live");
    var body = byId("editor-live-body");
    live.hidden = false;
    body.textContent = "";
    this.say(_("Sending your revision to the coach…"));
    var self = this;
    var ended = false;
    try {
      var response = await fetch("/ui/evaluate", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ text_content: text, title: this.root.dataset.title || "", revision_of: this.evaluationId }),
      });
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("text/event-stream") < 0) {
        var answer = await response.json().catch(function () { return {}; });
        if (answer.redirect) { location.assign(answer.redirect); return; } // signed out: the draft is kept
        var errors = answer.errors || [{ code: "HTTP_" + response.status, message: _("The coach could not take the memo.") }];
        live.hidden = true;
        this.fail(_("Nothing was sent: %(reasons)s Your text is still here.", {
          reasons: errors.map(function (e) { return e.message + " (" + e.code + ")"; }).join(" "),
        }));
        this.say("");
        return;
      }
      await window.MemoAI.readEvents(response, function (event) {
        if (event.type === "progress") {
          window.htmx.swap(body, event.data.html, { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0 });
          self.say(event.data.status);
        } else if (event.type === "done") {
          ended = true;
          if (event.data.status === "completed") {
            self.stored = true;
            dropDraft(self.key);
            self.say(event.data.message);
            location.assign("/?evaluation=" + encodeURIComponent(event.data.evaluation_id) + "&tab=detailed");
          } else {
            var reason = event.data.message || _("The evaluation did not finish.");
            self.fail(_("%(reason)s Your text is still here and kept in this browser; choose Revise to try again.", { reason: reason }));
          }
        } else if (event.type === "interrupted") {
          ended = true;
          self.fail(_("%(reason)s Your text is still here and kept in this browser.", { reason: event.data.message }));
        }
      });
      if (!ended) throw new Error("stream ended early");
    } catch (error) {
      this.fail(_("The connection to the coach was lost. Your text is still here and kept in this browser; try Revise again in a moment."));
    } finally {
      this.setBusy(false);
    }
  };

  function init() {
    var root = byId("memo-editor");
    if (!root || root.dataset.ready || !window.MemoAI) return;
    root.dataset.ready = "1";
    new Editor(root);
  }

  window.MemoEditor = { init: init };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
