/* The scripts' words in the page's language. Each script marks its English text with
   _(english, {name: value}); base.html lists the Spanish of every marked text (Babel extracts
   them, as for the templates) in <template id="js-text">, and English pages list none. */
(function () {
  "use strict";
  var table = null;

  function load() {
    table = {};
    var source = document.getElementById("js-text");
    if (!source) return;
    Array.prototype.forEach.call(source.content.children, function (entry) {
      table[entry.getAttribute("data-en")] = entry.textContent;
    });
  }

  window.memoaiText = function (english, values) {
    if (table === null) load();
    var text = Object.prototype.hasOwnProperty.call(table, english) ? table[english] : english;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };
})();
