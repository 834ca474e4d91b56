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

// Drafts: what is typed into a POST form survives an expired session (and leaving the page unsent).
// The fields of a POST form are kept in sessionStorage while the user types and when the form is sent, keyed by
// the page, the form's action and its position. A send that succeeded (redirect to a page that is not the
// sign-in page and shows no errors) drops the draft; a send that bounced (to sign-in, or back with the
// "planner_resend" cookie) keeps it, and the form gets it back with a notice and a button to discard it.
// Never kept: passwords (a form with a password field keeps nothing), hidden fields (the CSRF token), files,
// and fields or forms marked autocomplete="off" or data-no-draft.
(function () {
  "use strict";

  var PREFIX = "planner.draft:";
  var MAX_AGE = 24 * 60 * 60 * 1000;
  var TEXT_TYPES = ["text", "email", "search", "tel", "url", "number", "date", "time", "datetime-local", "month",
    "week"];
  var htmxRequests = typeof WeakMap === "function" ? new WeakMap() : null;

  function storage() {
    try {
      return window.sessionStorage || null;
    } catch (error) {
      return null;  // storage disabled: the forms work as before
    }
  }

  function read(store, key) {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      return draft && typeof draft.fields === "object" ? draft : null;
    } catch (error) {
      return null;
    }
  }

  function write(store, key, draft) {
    try {
      store.setItem(key, JSON.stringify(draft));
    } catch (error) {
      // Storage full or refused: nothing to do.
    }
  }

  function draftKeys(store) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        keys.push(key);
      }
    }
    return keys;
  }

  function template() {
    return document.getElementById("draft-notice");
  }

  function loginPath() {
    var t = template();
    return t ? t.getAttribute("data-login-path") : null;
  }

  function off(el) {
    return el.hasAttribute("data-no-draft") || (el.getAttribute("autocomplete") || "").toLowerCase() === "off";
  }

  function isHtmx(form) {
    return ["hx-post", "data-hx-post"].some(function (name) { return form.hasAttribute(name); });
  }

  function draftable(form) {
    return !!form && form.nodeName === "FORM" && (form.getAttribute("method") || "").toLowerCase() === "post" &&
      !off(form) && !form.querySelector("input[type=password]") && !!loginPath();
  }

  function actionOf(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    return url.pathname + url.search;
  }

  function indexOf(form) {
    var action = actionOf(form);
    var index = 0;
    for (var i = 0; i < document.forms.length && document.forms[i] !== form; i++) {
      if (actionOf(document.forms[i]) === action) {
        index++;
      }
    }
    return index;
  }

  function keyOf(form) {
    return PREFIX + window.location.pathname + "|" + actionOf(form) + "|" + indexOf(form);
  }

  // The fields worth keeping, each with a stable id: its name and its position among fields of that name.
  function fieldsOf(form) {
    var seen = {};
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = (el.type || "").toLowerCase();
      var kind = null;
      if (el.nodeName === "TEXTAREA") {
        kind = "text";
      } else if (el.nodeName === "SELECT") {
        kind = "select";
      } else if (el.nodeName === "INPUT" && (type === "checkbox" || type === "radio")) {
        kind = "check";
      } else if (el.nodeName === "INPUT" && TEXT_TYPES.indexOf(type) !== -1) {
        kind = "text";
      }
      if (!kind || !el.name || el.disabled || off(el)) {
        return;  // passwords, hidden fields, files and buttons never get here
      }
      seen[el.name] = (seen[el.name] || 0) + 1;
      fields.push({el: el, kind: kind, id: el.name + "#" + seen[el.name]});
    });
    return fields;
  }

  function selected(select, byDefault) {
    var values = [];
    Array.prototype.forEach.call(select.options, function (option) {
      if (byDefault ? option.defaultSelected : option.selected) {
        values.push(option.value);
      }
    });
    if (byDefault && !values.length && !select.multiple && select.size <= 1 && select.options.length) {
      values.push(select.options[0].value);
    }
    return values.join("\n");
  }

  function valueOf(field) {
    if (field.kind === "check") {
      return field.el.checked ? "1" : "";
    }
    return field.kind === "select" ? selected(field.el, false) : field.el.value;
  }

  // What the server rendered into the field.
  function initialOf(field) {
    if (field.kind === "check") {
      return field.el.defaultChecked ? "1" : "";
    }
    return field.kind === "select" ? selected(field.el, true) : field.el.defaultValue;
  }

  function setValue(field, value) {
    if (field.kind === "check") {
      field.el.checked = value === "1";
    } else if (field.kind === "select") {
      var values = value.split("\n");
      Array.prototype.forEach.call(field.el.options, function (option) {
        option.selected = values.indexOf(option.value) !== -1;
      });
    } else {
      field.el.value = value;
    }
  }

  function save(form, state) {
    var store = storage();
    if (!store || !draftable(form)) {
      return null;
    }
    var fields = fieldsOf(form);
    var changed = fields.some(function (f) { return valueOf(f) !== initialOf(f); });
    var key = keyOf(form);
    if (!fields.length || (state === "editing" && !changed && !read(store, key))) {
      return null;  // nothing typed: no draft
    }
    var values = {};
    fields.forEach(function (f) {
      values[f.id] = [valueOf(f), initialOf(f)];
    });
    var action = actionOf(form);
    var index = indexOf(form);
    if (state === "pending") {
      // This send supersedes drafts of the same form kept on another page (the form page before an error page).
      draftKeys(store).forEach(function (other) {
        var draft = read(store, other);
        if (other !== key && (!draft || (draft.action === action && draft.index === index))) {
          store.removeItem(other);
        }
      });
    }
    write(store, key, {state: state, saved: Date.now(), page: window.location.pathname + window.location.search,
      action: action, index: index, fields: values});
    return key;
  }

  function onEdit(event) {
    var form = event.target && event.target.form;
    if (form && form.isConnected && draftable(form)) {  // not a form htmx has just swapped out
      save(form, "editing");
    }
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  // Registered after the guard above: a submit it cancelled (confirm declined, double click) is not pending.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!draftable(form)) {
      return;
    }
    if (isHtmx(form)) {
      save(form, "editing");  // sent by htmx: dropped when its request succeeds (below)
    } else if (!event.defaultPrevented) {
      save(form, "pending");
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (htmxRequests && form && form.nodeName === "FORM" && draftable(form) && event.detail.xhr) {
      htmxRequests.set(event.detail.xhr, PREFIX + window.location.pathname + "|" + actionOf(form) + "|");
    }
  });

  // Fired after htmx swapped the response in: the swap may have saved the old form once more (its field lost the
  // focus), under another position, so every draft of this form on this page goes.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var prefix = xhr && htmxRequests && htmxRequests.get(xhr);
    var store = storage();
    if (!prefix || !store) {
      return;
    }
    htmxRequests.delete(xhr);
    var landed = xhr.responseURL ? new URL(xhr.responseURL).pathname : "";
    // An expired session answers htmx with HX-Redirect to sign-in (planner/core/web.py): not sent, keep it.
    var redirect = xhr.getResponseHeader("HX-Redirect");
    var toLogin = landed === loginPath() || (redirect && new URL(redirect, window.location.href).pathname === loginPath());
    if (event.detail.successful && !toLogin) {
      draftKeys(store).forEach(function (key) {
        if (key.indexOf(prefix) === 0) {
          store.removeItem(key);
        }
      });
    }
  });

  // After a send: this page tells whether it went through (redirect, no errors), failed or bounced.
  function settle(store) {
    var navigation = window.performance && performance.getEntriesByType ?
      performance.getEntriesByType("navigation")[0] : null;
    var redirected = !!(navigation && navigation.redirectCount > 0);
    var marker = document.cookie.split("; ").indexOf("planner_resend=1") !== -1;
    if (marker) {
      document.cookie = "planner_resend=; Max-Age=0; Path=/; SameSite=Lax";
    }
    var onLogin = window.location.pathname === loginPath();
    var bounced = marker || onLogin;
    var newest = null;
    // Not sent: the response to the POST itself (an error page), errors by the fields, or an error message shown
    // after a redirect.
    var failed = !redirected || !!document.querySelector("#error-summary, .flash-messages .kern-alert--danger");
    draftKeys(store).forEach(function (key) {
      var draft = read(store, key);
      if (!draft || Date.now() - draft.saved > MAX_AGE) {
        store.removeItem(key);
        return;
      }
      if (draft.state !== "pending") {
        return;
      }
      if (bounced) {
        draft.state = "bounced";
        newest = !newest || draft.saved > newest.saved ? draft : newest;
      } else if (failed) {
        draft.state = "editing";
      } else {
        store.removeItem(key);  // sent: the redirect after a successful POST
        return;
      }
      write(store, key, draft);
    });
    // Sign-in leads back to the page the form was on, not to its action (which may be another page's URL).
    Array.prototype.forEach.call(onLogin && newest ? document.forms : [], function (form) {
      var next = form.elements.namedItem("next");
      if (actionOf(form).split("?")[0] === loginPath() && next && next.value === newest.action && newest.page) {
        next.value = newest.page;
      }
    });
  }

  // A draft for this form: its own, or one that bounced from another page with the same action (an error page).
  function draftFor(store, form, key) {
    var own = read(store, key);
    if (own) {
      return {key: key, draft: own};
    }
    var action = actionOf(form);
    var index = indexOf(form);
    var found = null;
    draftKeys(store).forEach(function (other) {
      var draft = read(store, other);
      if (!found && draft && draft.state === "bounced" && draft.action === action && draft.index === index) {
        found = {key: other, draft: draft};
      }
    });
    return found;
  }

  function restore(store, form) {
    var key = keyOf(form);
    var found = draftFor(store, form, key);
    if (!found || found.draft.state === "pending") {
      return;
    }
    var restored = [];
    fieldsOf(form).forEach(function (field) {
      var saved = found.draft.fields[field.id];
      if (!saved) {
        return;
      }
      var value = saved[0];
      var base = saved[1];
      var now = valueOf(field);
      var initial = initialOf(field);
      // Only a field that still shows what the server rendered, and only when the server renders what it did
      // when the user typed (or nothing): newer content on the server and the user's new input win.
      if (now !== initial || value === now || (initial !== "" && initial !== base)) {
        return;
      }
      setValue(field, value);
      restored.push(field);
    });
    if (found.key !== key) {
      store.removeItem(found.key);
    }
    found.draft.state = "editing";
    write(store, key, found.draft);
    if (restored.length) {
      restored.forEach(function (field) {
        var details = field.el.closest("details");
        if (details) {
          details.open = true;
        }
      });
      announce(form, restored, key);
    }
  }

  // The notice comes from <template id="draft-notice"> in base.html: translated by the server.
  function announce(form, restored, key) {
    var t = template();
    if (!t || !t.content || !t.content.firstElementChild) {
      return;
    }
    var notice = t.content.firstElementChild.cloneNode(true);
    var message = notice.querySelector("[data-draft-message]");
    var button = notice.querySelector("[data-draft-discard]");
    form.insertBefore(notice, form.firstChild);  // inside the form, above its fields (and its error summary)
    // The live region is in the page before its text arrives, so screen readers announce it.
    window.setTimeout(function () {
      message.textContent = message.getAttribute("data-restored");
    }, 150);
    button.addEventListener("click", function () {
      var store = storage();
      if (store) {
        store.removeItem(key);
      }
      restored.forEach(function (field) {
        setValue(field, initialOf(field));
      });
      message.textContent = message.getAttribute("data-discarded");
      button.parentNode.removeChild(button);
      restored[0].el.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var store = storage();
    if (!store || !loginPath()) {
      return;
    }
    settle(store);
    Array.prototype.forEach.call(document.forms, function (form) {
      if (draftable(form)) {
        restore(store, form);
      }
    });
  });
})();
