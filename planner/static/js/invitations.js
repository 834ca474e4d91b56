// Progressive enhancement for the invitation pages: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  // The invite page: the ticked people's count and sector balance, updated while ticking and announced politely
  // (the summary is a status region). The confirmation step shows the same balance, computed by the server.
  function updateSelection() {
    var summary = document.getElementById("selection-summary");
    var list = document.getElementById("selection-balance");
    if (!summary || !list) { return; }
    // The selection kept from other pages and filters (data-elsewhere, from the server) plus this page's ticks.
    var boxes = document.querySelectorAll(".invite-form input[name=person_id]:checked");
    var total = boxes.length + (parseInt(summary.getAttribute("data-elsewhere"), 10) || 0);
    var counts = {};
    Array.prototype.forEach.call(boxes, function (box) {
      var sector = box.getAttribute("data-sector") || "";
      counts[sector] = (counts[sector] || 0) + 1;
    });
    var parts = [];
    Array.prototype.forEach.call(list.querySelectorAll("li[data-sector]"), function (item) {
      var n = (counts[item.getAttribute("data-sector")] || 0) + (parseInt(item.getAttribute("data-elsewhere"), 10) || 0);
      item.querySelector(".selection-balance__count").textContent = String(n);
      item.hidden = item.getAttribute("data-sector") === "" && n === 0;
      if (!item.hidden) { parts.push(item.querySelector(".selection-balance__label").textContent + " " + n); }
    });
    var template = summary.getAttribute(total === 1 ? "data-one" : "data-other");
    summary.textContent = template.replace("{n}", String(total)) + (total ? ": " + parts.join(", ") : "");
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".invite-form input[name=person_id]")) { updateSelection(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // The browser may restore ticks on "back": show their balance at once.
    if (document.querySelector(".invite-form input[name=person_id]:checked")) { updateSelection(); }
  });
})();
