/* Memo AI Coach: the signed-in session in the browser. Two minutes before the login ends
   (the sliding idle timeout or the token's hard limit, whichever comes first) a dialog offers
   to stay signed in; when it ends, the page signs out so nothing private stays on screen.
   Signing out also forgets the drafts this browser kept. */
(function () {
  "use strict";

  var WARN_MS = 120 * 1000;
  // The server writes a session's slide at most once a minute: its true end may be that early.
  var SLIDE_SLACK_MS = 60 * 1000;
  var ACTIVITY_KEY = "memoai.activity";
  var byId = function (id) { return document.getElementById(id); };
  var _ = window.memoaiText;
  var signingOut = false; // once set, nothing more is written to this browser's storage

  /* ---- signing out forgets this browser's drafts ------------------------------------- */
  function forgetDrafts() {
    signingOut = true;
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf("memoai.") === 0) localStorage.removeItem(key);
      }
    } catch (e) { /* storage may be off */ }
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-logout]") && event.target.elements.reason.value !== "idle") forgetDrafts();
  });

  /* ---- the account menu closes with Escape and when focus or a click leaves it ---------- */
  var menu = document.querySelector(".account-menu");
  if (menu) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  }

  var dialog = byId("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") return;

  /* ---- when does the login end? --------------------------------------------------------- */
  var timeoutMs = parseInt(dialog.dataset.sessionTimeout, 10) * 1000;
  var skew = 0; // server clock minus this browser's clock
  var sessionEnds = Infinity;
  var tokenEnds = Infinity;
  var loadedAt = Date.now();

  function parseTime(iso) {
    var ms = Date.parse(iso);
    return isNaN(ms) ? Infinity : ms - skew;
  }

  function learn(expiry) {
    var now = Date.parse(expiry.server_now);
    skew = isNaN(now) ? 0 : now - Date.now();
    sessionEnds = parseTime(expiry.session_expires_at);
    tokenEnds = parseTime(expiry.token_expires_at);
  }

  function lastActivity() {
    var stored = 0;
    try { stored = parseInt(localStorage.getItem(ACTIVITY_KEY) || "0", 10) || 0; } catch (e) { stored = 0; }
    return Math.max(stored, loadedAt);
  }

  function recordActivity() {
    if (signingOut) return;
    try { localStorage.setItem(ACTIVITY_KEY, String(Date.now())); } catch (e) { /* storage off */ }
  }

  // Any request this page (or another tab) makes to the coach slides the session forward.
  function deadline() {
    var idle = Math.max(sessionEnds === Infinity ? 0 : sessionEnds, lastActivity() + timeoutMs - SLIDE_SLACK_MS);
    return Math.min(idle, tokenEnds);
  }

  if (window.PerformanceObserver) {
    new PerformanceObserver(function (list) {
      var touched = list.getEntries().some(function (entry) {
        return entry.name.indexOf(location.origin + "/ui/") === 0;
      });
      if (touched) recordActivity();
    }).observe({ type: "resource", buffered: false });
  }

  /* ---- the warning ---------------------------------------------------------------------- */
  var left = dialog.querySelector("[data-session-left]");
  var problem = dialog.querySelector("[data-session-error]");
  var returnFocus = null;

  function timeLeft(ms) {
    var seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds > 90) return _("in %(count)s minutes", { count: Math.round(seconds / 60) });
    if (seconds > 1) return _("in %(count)s seconds", { count: seconds });
    return _("now");
  }

  function clock(ms) {
    var at = new Date(ms);
    return String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
  }

  function warn(end) {
    left.textContent = _("%(left)s, at %(time)s", { left: timeLeft(end - Date.now()), time: clock(end) });
    if (dialog.open) return;
    problem.hidden = true;
    returnFocus = document.activeElement;
    dialog.showModal();
  }

  function closeWarning() {
    if (!dialog.open) return;
    dialog.close();
    if (returnFocus && returnFocus.focus) returnFocus.focus();
  }

  function signOut() {
    var form = byId("logout-form");
    if (!form) { location.assign("/login?reason=idle"); return; }
    form.elements.reason.value = "idle";
    form.elements.next.value = location.pathname + location.search;
    form.submit();
  }

  var ended = false;
  function tick() {
    if (ended) return;
    var end = deadline();
    var now = Date.now();
    if (now >= end) { ended = true; signOut(); }
    else if (now >= end - WARN_MS) warn(end);
    else closeWarning(); // activity elsewhere (another tab) kept the session alive
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)memoai_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function staySignedIn() {
    problem.hidden = true;
    try {
      var response = await fetch("/ui/session/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      });
      var body = await response.json().catch(function () { return {}; });
      if (body.redirect) { location.assign(body.redirect); return; }
      if (!response.ok || !body.data) throw new Error("refresh refused");
      learn(body.data);
      recordActivity();
      closeWarning();
    } catch (error) {
      problem.textContent = _("The coach could not be reached to keep you signed in. Try again.");
      problem.hidden = false;
    }
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", staySignedIn);
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); staySignedIn(); });

  learn(dialog.dataset.sessionExpiresAt ? {
    server_now: dialog.dataset.serverNow,
    session_expires_at: dialog.dataset.sessionExpiresAt,
    token_expires_at: dialog.dataset.tokenExpiresAt,
  } : {});
  window.addEventListener("storage", function (event) { if (event.key === ACTIVITY_KEY) tick(); });
  setInterval(tick, 1000);
})();
