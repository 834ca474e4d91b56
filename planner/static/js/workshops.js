// Workshops: progressive enhancement only; every page works without it.
// After "move up/down" the page reloads at the moved block: put the focus back on its move button,
// so keyboard users can keep moving the same block.
(function () {
  "use strict";
  var KEY = "planner.agenda.move";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var direction = form.querySelector && form.querySelector("input[name=direction]");
    if (direction && window.sessionStorage) {
      window.sessionStorage.setItem(KEY, direction.value);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Conflict warnings on the workshop form are announced like the error summary.
    var conflicts = document.getElementById("conflicts");
    if (conflicts && !document.getElementById("error-summary")) { conflicts.focus(); }
    if (!window.sessionStorage) { return; }
    var direction = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
    var hash = window.location.hash;
    if (!direction || !/^#block-\d+$/.test(hash)) { return; }
    var row = document.getElementById(hash.slice(1));
    if (!row) { return; }
    var input = row.querySelector("input[name=direction][value=" + direction + "]") ||
      row.querySelector("input[name=direction]");
    var button = input && input.form.querySelector("button");
    if (button) { button.focus(); }
  });
}());
