// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Confirm destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // A second click while the first submit is on its way does not send the form twice.
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    var htmx = ["hx-post", "hx-get", "data-hx-post", "data-hx-get"].some(function (name) {
      return form.hasAttribute(name);
    });
    if (!htmx) {
      form.dataset.submitting = "true";
    }
  });

  // Move focus to the error summary so screen readers announce it (WCAG 3.3.1).
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });

  // A page restored from the back/forward cache may be re-submitted: reset the guard.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
    });
  });
})();
