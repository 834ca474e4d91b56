// The live card wall: server-sent events (or short polling with a cursor when a proxy blocks streaming), a polite
// and throttled live region, keyboard-operable forms. No framework; every form also works without this script.
(function () {
  "use strict";

  var root = document.getElementById("wall");
  if (!root) { return; }
  var template = document.getElementById("wall-card-template");
  var live = document.getElementById("wall-live");
  var cursor = parseInt(root.dataset.cursor || "0", 10);
  var own = new Set((root.dataset.own || "").split(",").filter(Boolean));
  var myDots = JSON.parse(root.dataset.myDots || "{}");
  var vote = JSON.parse(root.dataset.vote || "null");
  var timer = JSON.parse(root.dataset.timer || "null");
  var group = root.dataset.field || "";
  var stopped = false;

  function msg(name, n) { return (root.dataset["msg" + name] || "").replace("{n}", n); }

  // --- the polite live region: at most one announcement every 4 seconds, summarised -----------------------------
  var pending = { New: 0, Changed: 0, Removed: 0 };
  var extra = [];
  var announceTimer = null;
  function announce(kind, text) {
    if (kind) { pending[kind] += 1; } else if (text) { extra.push(text); }
    if (announceTimer) { return; }
    announceTimer = window.setTimeout(function () {
      var parts = [];
      Object.keys(pending).forEach(function (k) { if (pending[k]) { parts.push(msg(k, pending[k])); pending[k] = 0; } });
      parts = parts.concat(extra); extra = [];
      live.textContent = parts.join(" ");
      announceTimer = null;
    }, 4000);
  }

  // --- cards -----------------------------------------------------------------------------------------------------
  function fill(li, card) {
    li.dataset.card = card.id;
    li.dataset.kind = card.kind;
    li.classList.toggle("wall-card--cluster", !!card.cluster);
    var slot = function (name) { return li.querySelectorAll('[data-slot="' + name + '"]'); };
    slot("number").forEach(function (el) { el.textContent = card.number || ""; });
    slot("sr-number").forEach(function (el) { el.textContent = ": " + (card.number || ""); });
    slot("text").forEach(function (el) { el.textContent = card.text; el.id = "card-" + card.id + "-text"; });
    slot("author").forEach(function (el) { el.textContent = card.author || ""; });
    slot("field").forEach(function (el) { el.textContent = card.field || ""; });
    slot("time").forEach(function (el) { el.textContent = card.time || ""; });
    slot("sources").forEach(function (el) {
      el.textContent = card.sources && card.sources.length ? msg("Sources", "") + " " + card.sources.join(", ") : "";
    });
    slot("edit-text").forEach(function (el) { if (document.activeElement !== el) { el.value = card.text; } });
    var article = li.querySelector("article");
    if (article) { article.setAttribute("aria-labelledby", "card-" + card.id + "-text"); }
    li.querySelectorAll("[id]").forEach(function (el) {
      if (/-(new|0)$/.test(el.id) || /^(edit|pick|move)-\d+$/.test(el.id)) {
        var fresh = el.id.replace(/-(new|\d+)$/, "-" + card.id);
        var label = li.querySelector('label[for="' + el.id + '"]');
        el.id = fresh;
        if (label) { label.htmlFor = fresh; }
      }
    });
    li.querySelectorAll("form[action]").forEach(function (form) {
      // getAttribute/setAttribute: a button named "action" shadows form.action.
      form.setAttribute("action", form.getAttribute("action").replace(/\/card\/\d+\//, "/card/" + card.id + "/"));
    });
    li.querySelectorAll('input[name="cards"]').forEach(function (el) { el.value = card.id; });
    li.querySelectorAll('select[name="kind"]').forEach(function (el) { el.value = card.kind; });
    var edit = li.querySelector("[data-own]");
    if (edit && !root.querySelector("#cluster-form")) {
      edit.hidden = !own.has(String(card.id)) || root.classList.contains("wall--presenter");
    }
    showDots(li, card.id, card.dots);
  }

  function showDots(li, id, stored) {
    var total = vote && vote.tallies ? vote.tallies[String(id)] || 0 : null;
    var dots = vote && vote.open ? total : (stored === null || stored === undefined ? total : stored);
    li.querySelectorAll('[data-slot="dots"]').forEach(function (el) {
      el.hidden = !dots;
      el.textContent = dots ? msg("DotsTotal", dots) : "";
    });
    li.querySelectorAll('[data-slot="mine"]').forEach(function (el) {
      var mine = myDots[String(id)] || 0;
      el.textContent = mine ? msg("Dots", mine) : "";
    });
  }

  function column(kind) { return root.querySelector('[data-column="' + kind + '"]'); }

  function updateCounts() {
    root.querySelectorAll("[data-count]").forEach(function (el) {
      var list = column(el.dataset.count);
      el.textContent = "(" + (list ? list.children.length : 0) + ")";
    });
  }

  function upsert(card) {
    if (group && String(card.field_id) !== group) { return; }
    var li = root.querySelector('.wall-board [data-card="' + card.id + '"]');
    var isNew = !li;
    if (isNew) {
      li = template.content.firstElementChild.cloneNode(true);
    }
    fill(li, card);
    var target = column(card.kind);
    if (target && li.parentNode !== target) {
      var hadFocus = li.contains(document.activeElement) ? document.activeElement : null;
      target.appendChild(li);
      if (hadFocus) { hadFocus.focus(); }
    }
    if (isNew) {
      li.classList.add("wall-card--fresh");
      window.setTimeout(function () { li.classList.remove("wall-card--fresh"); }, 1500);
    }
    announce(isNew ? "New" : "Changed");
    updateCounts();
  }

  function remove(ids) {
    ids.forEach(function (id) {
      var li = root.querySelector('.wall-board [data-card="' + id + '"]');
      if (li) { li.remove(); announce("Removed"); }
    });
    updateCounts();
  }

  function applyVote(state) {
    var wasOpen = vote && vote.open;
    vote = state;
    root.classList.toggle("wall--voting", !!(vote && vote.open));
    if (vote && vote.open && !wasOpen) { myDots = {}; announce(null, msg("VoteOpen")); }
    if (wasOpen && vote && !vote.open) { announce(null, msg("VoteClosed")); }
    var label = root.querySelector('[data-slot="vote-state"]');
    if (label && !(vote && vote.open)) { label.textContent = ""; }
    root.querySelectorAll(".wall-board [data-card]").forEach(function (li) {
      showDots(li, li.dataset.card, null);
    });
  }

  var wallState = root.dataset.state || null;
  function applyWall(state) {
    var label = root.querySelector('[data-slot="wall-state"]');
    if (label) { label.textContent = state.label; }
    root.querySelectorAll("[data-requires-open]").forEach(function (el) { el.disabled = state.state !== "open"; });
    if (state.state !== wallState) { announce(null, msg(state.state === "open" ? "WallOpen" : "WallClosed")); }
    wallState = state.state;
    // The workshop's anonymity (set by the facilitators before the first card): said again before posting.
    root.querySelectorAll('[data-slot="anonymity"]').forEach(function (el) {
      el.textContent = msg(state.anonymous ? "Anonymous" : "Named");
    });
    root.querySelectorAll('[data-slot="anonymity-state"]').forEach(function (el) {
      el.textContent = msg(state.anonymous ? "AnonymousState" : "NamedState");
    });
    applyTimer(state.timer);
  }

  // --- the timer (mm:ss, computed from the server's end time) -------------------------------------------------
  var clock = root.querySelector('[data-slot="timer"]');
  var offset = 0;
  function applyTimer(state) {
    timer = state || { running: false, seconds_left: null };
    if (timer.running && timer.ends_at) { timer.endsAt = Date.parse(timer.ends_at); }
    timer.warned = false;
    tick();
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (!clock || !timer) { return; }
    var left = timer.running ? Math.max(0, Math.ceil((timer.endsAt - Date.now() - offset) / 1000)) : timer.seconds_left;
    clock.textContent = left === null || left === undefined ? "--:--" : pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    clock.classList.toggle("wall-timer__clock--low", left !== null && left <= 60);
    if (timer.running && left === 60 && !timer.warned) { timer.warned = true; announce(null, msg("Minute")); }
    if (timer.running && left === 0 && !timer.done) { timer.done = true; announce(null, msg("TimeUp")); }
  }
  applyTimer(timer || { running: false, seconds_left: null });
  window.setInterval(tick, 1000);

  // --- events ------------------------------------------------------------------------------------------------------
  function handle(item) {
    if (item.id && item.id <= cursor) { return; }
    if (item.id) { cursor = item.id; }
    var data = item.data;
    if (item.kind === "card") { upsert(data); }
    else if (item.kind === "remove") { remove(data.ids); }
    else if (item.kind === "vote") { applyVote(data); }
    else if (item.kind === "timer") { applyTimer(data); }
    else if (item.kind === "wall") { applyWall(data); }
  }

  function gone() {
    if (stopped) { return; }
    stopped = true;
    // Said visibly (and read out once by its role=alert): greyed-out buttons alone would leave people guessing.
    var template = document.getElementById("wall-gone");
    var notice = template.content.firstElementChild.cloneNode(true);
    notice.querySelector('[data-slot="gone-text"]').textContent = msg("Gone");
    template.parentNode.insertBefore(notice, template);
    root.querySelectorAll("form button, form input, form textarea, form select").forEach(function (el) {
      el.disabled = true;
    });
  }

  var failures = 0;
  function stream() {
    if (stopped) { return; }
    if (!window.EventSource || failures >= 3) { poll(); return; }
    var source = new EventSource(root.dataset.events + "?after=" + cursor);
    var opened = false;
    source.addEventListener("hello", function () { opened = true; failures = 0; });
    source.addEventListener("change", function (event) {
      var item = JSON.parse(event.data);
      item.id = parseInt(event.lastEventId, 10);
      handle(item);
    });
    source.addEventListener("gone", function () { source.close(); gone(); });
    // The server has no thread left for another stream: poll with the cursor instead.
    source.addEventListener("busy", function () { source.close(); failures = 3; opened = true; poll(); });
    source.onerror = function () {
      source.close();
      if (failures >= 3) { return; }  // polling already
      if (!opened) { failures += 1; }
      // The server ends each stream after a minute; reconnect from the cursor (a blocked stream → polling).
      window.setTimeout(stream, opened ? 200 : 2000);
    };
  }

  function poll() {
    if (stopped) { return; }
    fetch(root.dataset.poll + "?after=" + cursor, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 410) { gone(); return null; }
        return response.json();
      })
      .then(function (body) {
        if (body && body.events) { body.events.forEach(handle); }
      })
      .catch(function () { /* try again below */ })
      .then(function () { window.setTimeout(poll, 1500); });
  }

  // --- forms: sent with fetch, the answer shown where the user is --------------------------------------------------
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.wallForm) { return; }
    event.preventDefault();
    var body = new FormData(form);
    if (event.submitter && event.submitter.name) { body.append(event.submitter.name, event.submitter.value); }
    if (form.dataset.wallForm === "cluster") {
      root.querySelectorAll('input[form="cluster-form"]:checked').forEach(function (el) { body.append("cards", el.value); });
    }
    var error = form.querySelector('[data-slot="post-error"]');
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; },
        function () { return { status: response.status, data: {} }; });
    }).then(function (result) {
      if (result.status === 410) { gone(); return; }
      if (result.status >= 400 || !result.data.ok) {
        var text = result.data.error || msg("Offline");
        if (error) { error.hidden = false; error.textContent = text; }
        announceNow(text);
        return;
      }
      if (error) { error.hidden = true; error.textContent = ""; }
      if (result.data.card) {
        if (form.dataset.wallForm === "post") { own.add(String(result.data.card.id)); }
        handleLocalCard(result.data.card);
      }
      if (result.data.my_dots) { myDots = result.data.my_dots; }
      if (result.data.vote) { applyVote(result.data.vote); }
      if (form.dataset.wallForm === "post") {
        var text = form.querySelector("textarea");
        text.value = "";
        text.focus();
      }
      if (form.dataset.wallForm === "cluster") {
        form.reset();
        root.querySelectorAll('input[form="cluster-form"]:checked').forEach(function (el) { el.checked = false; });
      }
      if (form.dataset.wallForm === "control") { window.location.reload(); }
      var details = form.closest("details");
      if (details) { details.open = false; details.querySelector("summary").focus(); }
    });
  });

  function handleLocalCard(card) {
    var li = root.querySelector('.wall-board [data-card="' + card.id + '"]');
    if (li) { fill(li, card); } else { upsert(card); }
  }

  function announceNow(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  root.classList.toggle("wall--voting", !!(vote && vote.open));
  root.querySelectorAll(".wall-board [data-card]").forEach(function (li) { showDots(li, li.dataset.card, null); });
  stream();
}());
