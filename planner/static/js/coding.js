/* The coding queue's keys (progressive enhancement: every action is also a plain button).
   Inside a comment (not while typing or choosing in a field): A accepts the suggestion, S codes all similar
   comments the same, J/K move to the next/previous comment. After htmx swapped the queue in, the first
   comment takes the focus so the keyboard work goes on. */
(function () {
  "use strict";
  function items() { return Array.prototype.slice.call(document.querySelectorAll("[data-coding-item]")); }
  function focusItem(item) {
    if (!item) { return; }
    var target = item.querySelector("[data-key='a']") || item.querySelector("select");
    if (target) { target.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var el = event.target;
    if (el && /^(INPUT|SELECT|TEXTAREA)$/.test(el.nodeName)) { return; }
    var item = el && el.closest ? el.closest("[data-coding-item]") : null;
    if (!item) { return; }
    var key = event.key.toLowerCase();
    if (key === "a" || key === "s") {
      var button = item.querySelector("[data-key='" + key + "']");
      if (button) { event.preventDefault(); button.click(); }
    } else if (key === "j" || key === "k") {
      var list = items();
      var next = list[list.indexOf(item) + (key === "j" ? 1 : -1)];
      if (next) { event.preventDefault(); focusItem(next); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "coding-queue" || (event.detail && event.detail.target &&
        event.detail.target.id === "coding-queue")) {
      focusItem(items()[0]);
    }
  });
})();
