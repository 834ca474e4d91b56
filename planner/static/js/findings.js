// Findings capture: keyboard-friendly entry. Progressive enhancement only: the form works without it.
(function () {
  "use strict";

  // Enter saves the entry, Shift+Enter starts a new line (textareas marked data-enter-submits).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || !target.matches ||
        !target.matches("textarea[data-enter-submits]")) {
      return;
    }
    event.preventDefault();
    var form = target.form;
    if (form && typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else if (form) {
      form.submit();
    }
  });

  // After htmx replaced the capture region, the text field has the focus again for the next entry.
  document.addEventListener("htmx:afterSwap", function (event) {
    var region = document.getElementById("capture-region");
    if (!region || !region.contains(event.target) && event.target !== region) {
      return;
    }
    var summary = document.getElementById("error-summary");
    var field = summary || region.querySelector("textarea[data-enter-submits]");
    if (field) {
      field.focus();
    }
  });
})();
