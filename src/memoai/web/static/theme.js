/* Memo AI Coach: the colour theme. Light, dark, or the system's preference (the default).
   Loaded without `defer` in <head>: the remembered choice is set on <html data-theme> before
   the page is drawn, so it never flashes. The header's switch changes it and remembers it in
   localStorage; other open tabs follow. */
(function () {
  "use strict";
  var KEY = "memoai-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "system";
    } catch (error) {
      return "system"; // storage refused (privacy settings): follow the system
    }
  }

  function apply(choice) {
    if (choice === "light" || choice === "dark") {
      root.setAttribute("data-theme", choice);
    } else {
      root.removeAttribute("data-theme");
    }
  }

  function remember(choice) {
    try {
      if (choice === "system") {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, choice);
      }
    } catch (error) {
      /* not remembered, but applied to this page */
    }
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("theme-select");
    if (!select) return;
    select.value = stored();
    select.closest("[data-theme-switch]").hidden = false;
    select.addEventListener("change", function () {
      remember(select.value);
      apply(select.value);
    });
    window.addEventListener("storage", function (event) {
      if (event.key !== KEY) return;
      select.value = stored();
      apply(select.value);
    });
  });
})();
