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

// Choosing an agenda block preselects the first kind of finding it captures (status quo: strength, ...).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var block = event.target;
    if (block.matches && block.matches("select[name=kind]") && block.value === "measure" && block.form) {
      var details = block.form.querySelector("details.capture-form__measure");
      if (details) {
        details.open = true;
      }
      return;
    }
    if (!block.matches || !block.matches("select[data-kinds]") || !block.form) {
      return;
    }
    var kinds = JSON.parse(block.getAttribute("data-kinds") || "{}")[block.value] || [];
    var kind = block.form.querySelector("select[name=kind]");
    if (kind && kinds.length && kinds.indexOf(kind.value) === -1) {
      kind.value = kinds[0];
    }
    var measure = block.form.querySelector("details.capture-form__measure");
    if (measure && kinds.indexOf("measure") !== -1) {
      measure.open = true;
    }
  });
})();
