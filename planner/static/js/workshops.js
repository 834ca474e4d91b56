// Workshops: progressive enhancement only; every page works without it.
// The one-page agenda: after a change (a page load, or an htmx swap of #agenda-editor) the keyboard focus returns
// to the element the server names in data-focus (the moved block's button, the saved block's heading); blocks can
// be dragged by their handle, and the new order is sent with the hidden reorder form.
(function () {
  "use strict";

  function restoreFocus(root) {
    var editor = root && root.id === "agenda-editor" ? root : document.getElementById("agenda-editor");
    if (!editor) { return; }
    var summary = editor.querySelector("#error-summary");
    var target = summary || (editor.dataset.focus && document.getElementById(editor.dataset.focus));
    if (!target && /^block-\d+-(up|down)$/.test(editor.dataset.focus || "")) {
      // The moved block reached the top or bottom: its other move button, else its heading.
      var parts = editor.dataset.focus.split("-");
      target = document.getElementById("block-" + parts[1] + "-" + (parts[2] === "up" ? "down" : "up")) ||
        document.getElementById("block-" + parts[1] + "-title");
    }
    if (target) { target.focus(); }
  }

  function enableDragging(editor) {
    var list = editor && editor.querySelector(".agenda-list");
    var form = editor && editor.querySelector("#agenda-reorder");
    if (!list || !form) { return; }
    var dragged = null;
    Array.prototype.forEach.call(list.querySelectorAll(".agenda-item"), function (item) {
      var handle = item.querySelector(".agenda-item__handle");
      if (!handle) { return; }  // the block being edited
      handle.hidden = false;
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("agenda-item--dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.blockId);
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("agenda-item--dragging");
        var order = Array.prototype.map.call(list.querySelectorAll(".agenda-item"), function (li) {
          return li.dataset.blockId;
        }).join(",");
        if (dragged && order !== form.elements.order.value) {
          form.elements.order.value = order;
          form.elements.moved.value = dragged.dataset.blockId;
          form.requestSubmit();
        }
        dragged = null;
      });
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      var over = event.target.closest && event.target.closest(".agenda-item");
      if (!over || over === dragged) { return; }
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) { event.preventDefault(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Conflict warnings on the workshop form are announced like the error summary.
    var conflicts = document.getElementById("conflicts");
    if (conflicts && !document.getElementById("error-summary")) { conflicts.focus(); }
    var editor = document.getElementById("agenda-editor");
    if (editor) {
      editor.dataset.ready = "true";
      enableDragging(editor);
      if (editor.dataset.focus || editor.querySelector("#error-summary")) {
        restoreFocus(editor);
        // Scrolling to the URL's #block-N fragment moves the focus to the page itself (HTML's "scroll to the
        // fragment"), which may happen after this handler: put it back once the page has loaded.
        window.addEventListener("load", function () {
          window.setTimeout(function () {
            if (!document.activeElement || document.activeElement === document.body) { restoreFocus(editor); }
          }, 0);
        });
      }
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // A stale edit answers 409 with the conflict shown in the editor: show it like a 200.
    if (event.detail.xhr.status === 409 && event.detail.target && event.detail.target.id === "agenda-editor") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    // After a swap the editor is a new element: enable it once and return the focus.
    var editor = document.getElementById("agenda-editor");
    if (editor && !editor.dataset.ready) {
      editor.dataset.ready = "true";
      enableDragging(editor);
      restoreFocus(editor);
    }
  });
}());
