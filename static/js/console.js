/* Staff pages (moderator console, presenter screen), progressively enhanced.
 *
 * The pages are complete without this script: every action is a real form. With it:
 * - the page listens to the dialogue's WebSocket (staff audience) and, when something changes,
 *   fetches the same page again and swaps in the regions marked [data-live-region]. That markup
 *   is rendered and escaped by the server; no event data is ever written as HTML here.
 * - a region the user is working in (focus inside, text typed, a choice changed) is left alone
 *   and a notice offers the update, so focus is never stolen and nothing typed is lost.
 * - console forms marked [data-ws-action] are sent as socket frames with a request_id, and the
 *   ack or error is shown; when the socket is not open the form is submitted as usual.
 */
(function () {
  "use strict";

  var page = document.getElementById("staff-page");
  if (!page || !("WebSocket" in window) || !window.fetch || !window.DOMParser) return;
  var labelsNode = document.getElementById("console-labels");
  var text = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  var statusNode = document.getElementById("live-status");
  var announcer = document.getElementById("live-announcer");
  var feedback = document.getElementById("console-feedback");
  var staleNote = document.getElementById("stale-note");
  var lastSeq = parseInt(page.getAttribute("data-seq"), 10) || 0;
  var wsActions = page.getAttribute("data-ws-actions") === "1";
  var socket = null;
  var retries = 0;
  var refreshTimer = null;
  var pendingDoc = null;
  var waiting = {};
  var counter = 0;

  function setStatus(state) {
    if (!statusNode) return;
    statusNode.hidden = false;
    statusNode.setAttribute("data-state", state);
    statusNode.textContent = text[state] || "";
  }

  function say(message) {
    if (!announcer || !message) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  // New questions are announced once a second at most, together ("#12, #13 và 5 câu hỏi
  // khác"): during a burst one announcement per question would flood a screen reader.
  var submittedIds = [];
  var submittedTimer = null;
  function announceSubmitted(id) {
    submittedIds.push("#" + id);
    if (submittedTimer !== null) return;
    submittedTimer = window.setTimeout(function () {
      submittedTimer = null;
      var more = submittedIds.length - 5;
      var message = text.submitted.replace("%s", submittedIds.slice(0, 5).join(", "));
      if (more > 0 && text.submitted_more) message += " " + text.submitted_more.replace("%s", more);
      submittedIds = [];
      say(message);
    }, 1000);
  }

  function show(message, isError) {
    if (!feedback) return;
    var p = document.createElement("p");
    p.className = "message" + (isError ? " message-error" : "");
    p.textContent = message;
    feedback.replaceChildren(p);
  }

  /* --- keeping regions fresh --------------------------------------------------------------- */

  function isDirty(region) {
    var fields = region.querySelectorAll("textarea, input[type=text], select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.tagName === "SELECT") {
        // With no `selected` attribute the first option is the default choice.
        var initial = 0;
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].defaultSelected) initial = j;
        }
        if (f.selectedIndex !== initial) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function openDetails(region) {
    var keys = [];
    Array.prototype.forEach.call(region.querySelectorAll("details[open]"), function (d) {
      var owner = d.closest("[id]");
      var siblings = owner ? owner.querySelectorAll("details") : [];
      keys.push([owner ? owner.id : "", Array.prototype.indexOf.call(siblings, d)]);
    });
    return keys;
  }

  function reopen(region, keys) {
    keys.forEach(function (key) {
      var owner = key[0] ? region.querySelector("#" + CSS.escape(key[0])) || (region.id === key[0] ? region : null) : null;
      if (!owner) return;
      var d = owner.querySelectorAll("details")[key[1]];
      if (d) d.open = true;
    });
  }

  var CONTROLS = "input, textarea, select, button, summary, a[href]";

  function hasFocus(region) {
    return region.contains(document.activeElement) && document.activeElement !== document.body;
  }

  /* `acted` is the question id of the user's own action that just succeeded: its region may be
   * replaced under the focus, and focus then goes to that question's heading (or the column's). */
  function apply(doc, force, acted) {
    var stale = false;
    var refocus = null;
    var refocusId = "";
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-region]"), function (region) {
      var fresh = doc.getElementById(region.id);
      if (!fresh) return;
      if (fresh.innerHTML === region.innerHTML) return;
      var focused = hasFocus(region);
      // Focus on a control (a half-made choice, a link about to be followed) holds the column
      // back; focus on a heading the script placed there does not, or the column would freeze.
      var onControl = focused && document.activeElement.matches(CONTROLS);
      if (!force && (isDirty(region) || (onControl && !acted))) { stale = true; return; }
      var focusedId = focused ? document.activeElement.id : "";
      var keys = openDetails(region);
      var imported = document.importNode(fresh, true);
      region.replaceWith(imported);
      reopen(imported, keys);
      if (focused) { refocus = imported; refocusId = focusedId; }
    });
    if (refocus) {
      // The user's own action moved the question: follow it to where it now is; otherwise keep
      // focus on the same element (by id) in the fresh column.
      var target = (acted && document.getElementById("q-" + acted + "-h")) ||
        (refocusId && document.getElementById(refocusId)) || refocus.querySelector("h2");
      if (target) {
        target.setAttribute("tabindex", "-1");
        target.focus({ preventScroll: true });
      }
    }
    if (staleNote) staleNote.hidden = !stale;
    pendingDoc = stale ? doc : null;
  }

  // Throttled, not debounced (as in inbox.js): during a burst of questions a timer restarted by
  // every event would never fire. The first event schedules one fetch, later ones share it; one
  // fetch at a time, and an event during a fetch asks for one more after it.
  var actedOn;
  var fetching = false;
  var refetch = false;
  function refresh(acted) {
    if (acted) actedOn = acted;
    if (refreshTimer !== null) return;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      if (fetching) { refetch = true; return; }
      fetching = true;
      fetch(window.location.pathname + window.location.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var mine = actedOn;
          actedOn = undefined;
          apply(new DOMParser().parseFromString(html, "text/html"), false, mine);
        })
        .catch(function () { /* the next event or reconnect tries again */ })
        .then(function () {
          fetching = false;
          if (refetch) { refetch = false; refresh(); }
        });
    }, 250);
  }

  if (staleNote) {
    var applyButton = document.getElementById("stale-apply");
    if (applyButton) applyButton.addEventListener("click", function () {
      if (pendingDoc) apply(pendingDoc, true);
      staleNote.hidden = true;
    });
  }
  // When the user leaves a region they were working in, bring it up to date.
  document.addEventListener("focusout", function () {
    if (pendingDoc) window.setTimeout(function () { if (pendingDoc) apply(pendingDoc, false); }, 100);
  });

  /* --- the socket -------------------------------------------------------------------------- */

  function onFrame(message) {
    var frame;
    try { frame = JSON.parse(message.data); } catch (e) { return; }
    if (frame.type === "snapshot") {
      lastSeq = frame.seq;
      retries = 0;
      refresh();
    } else if (frame.type === "event") {
      if (frame.seq <= lastSeq) return;
      if (frame.seq > lastSeq + 1) { socket.close(); return; }
      lastSeq = frame.seq;
      retries = 0;
      var q = frame.data && frame.data.question;
      if (frame.event === "question.submitted" && q && text.submitted) announceSubmitted(q.id);
      if (frame.event === "question.on_air" && q && text.on_air) say(text.on_air.replace("%s", "#" + q.id));
      if (frame.event === "question.forwarded" && q && text.forwarded) say(text.forwarded.replace("%s", "#" + q.id));
      refresh();
    } else if (frame.type === "ack" || frame.type === "error") {
      var done = waiting[frame.request_id];
      if (done) { delete waiting[frame.request_id]; done(frame); }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    setStatus(retries ? "retrying" : "connecting");
    socket = new WebSocket(scheme + "//" + window.location.host + page.getAttribute("data-ws-path") + "?after=" + lastSeq);
    socket.addEventListener("open", function () { setStatus("connected"); });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      if (event.code === 4404) { statusNode.hidden = true; return; }
      setStatus("retrying");
      retries += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(retries, 5))) * (0.5 + Math.random() / 2);
      window.setTimeout(connect, delay);
    });
  }

  /* --- actions over the socket ------------------------------------------------------------- */

  function frameFrom(form) {
    var data = new FormData(form);
    var frame = {
      type: form.getAttribute("data-ws-action"),
      request_id: "c" + Date.now().toString(36) + "-" + (counter += 1),
      question_id: parseInt(data.get("question_id"), 10),
      version: parseInt(data.get("version"), 10)
    };
    var ok = true;
    Array.prototype.forEach.call(form.querySelectorAll("[data-ws-field]"), function (el) {
      var name = el.getAttribute("data-ws-field");
      var kind = el.getAttribute("data-ws-type");
      var value = el.value;
      if (kind === "int") { frame[name] = parseInt(value, 10); ok = ok && !isNaN(frame[name]); }
      else if (kind === "opt_int") { frame[name] = value === "" ? null : parseInt(value, 10); }
      else if (kind === "int_list") {
        var parts = value.split(/[\s,;#]+/).filter(Boolean);
        frame[name] = parts.map(function (p) { return parseInt(p, 10); });
        ok = ok && parts.length > 0 && frame[name].every(function (n) { return !isNaN(n); });
      } else { frame[name] = value; }
    });
    return ok ? frame : null;
  }

  if (wsActions) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-ws-action")) return;
      if (!socket || socket.readyState !== WebSocket.OPEN) return; // the plain form does it
      var frame = frameFrom(form);
      if (!frame) return; // let the server explain what is wrong with the input
      event.preventDefault();
      // Not `disabled`: that would drop the keyboard focus. A second press is ignored instead.
      if (form.getAttribute("aria-busy") === "true") return;
      form.setAttribute("aria-busy", "true");
      var fallback = window.setTimeout(function () {
        if (!waiting[frame.request_id]) return;
        delete waiting[frame.request_id];
        form.submit(); // no answer in time: the form's own POST decides
      }, 8000);
      waiting[frame.request_id] = function (reply) {
        window.clearTimeout(fallback);
        form.removeAttribute("aria-busy");
        if (reply.type === "ack") show((text.done || "").replace("%s", "#" + frame.question_id), false);
        else show(reply.message || text.failed || "", true);
        refresh(reply.type === "ack" ? frame.question_id : undefined);
      };
      socket.send(JSON.stringify(frame));
    });
  }

  connect();
})();
