/* The public live page, progressively enhanced: the server-rendered page works on its own;
 * this script keeps it current over the dialogue's WebSocket.
 *
 * - Resumes from the page's data-seq (?after=), applies each event in order, and reconnects
 *   with a growing delay from the last seq it saw; a gap makes it reconnect to get a replay.
 * - Writes data with textContent only (never innerHTML): every element comes from a
 *   server-rendered <template>.
 * - Announces new questions and answers through a polite live region; never moves focus and
 *   never scrolls.
 */
(function () {
  "use strict";

  var page = document.getElementById("live-page");
  if (!page || !("WebSocket" in window)) return;
  var labelsNode = document.getElementById("live-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : { answer_state: {}, status: {}, text: {} };
  var text = labels.text || {};
  var list = document.getElementById("question-list");
  var qTemplate = document.getElementById("question-template");
  var aTemplate = document.getElementById("answer-template");
  var statusNode = document.getElementById("live-status");
  var announcer = document.getElementById("live-announcer");
  var lastSeq = parseInt(page.getAttribute("data-seq"), 10) || 0;
  var socket = null;
  var retries = 0;
  var timer = null;
  var stopped = false;

  var timeFormat = new Intl.DateTimeFormat("vi-VN", {
    timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit",
    day: "2-digit", month: "2-digit", year: "numeric", hour12: false
  });

  function fmt(value) {
    if (!value) return "";
    var d = new Date(value);
    if (isNaN(d.getTime())) return "";
    var parts = {};
    timeFormat.formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    return parts.hour + ":" + parts.minute + ", " + parts.day + "/" + parts.month + "/" + parts.year;
  }

  function say(message) {
    if (!announcer || !message) return;
    announcer.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeats too.
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function setStatus(state) {
    if (!statusNode) return;
    statusNode.hidden = false;
    statusNode.setAttribute("data-state", state);
    statusNode.textContent = text[state] || "";
  }

  function one(root, selector) { return root.querySelector(selector); }

  function fill(node, selector, value) {
    var el = one(node, selector);
    if (el) el.textContent = value == null ? "" : String(value);
    return el;
  }

  function answerNode(a) {
    var node = aTemplate.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-answer-id", String(a.id));
    fill(node, ".answer-kind", a.kind === "written" ? text.kind_written : text.kind_live);
    fill(node, ".answer-leader", a.leader ? a.leader.name : "");
    fill(node, ".answer-title", a.leader ? a.leader.title : "");
    var time = fill(node, ".answer-time", fmt(a.created_at));
    if (time) time.setAttribute("datetime", a.created_at || "");
    fill(node, ".answer-body", a.body);
    return node;
  }

  function setAnswerState(node, state) {
    var badge = one(node, ".q-state");
    if (!badge) return;
    badge.textContent = labels.answer_state[state] || "";
    badge.setAttribute("data-state", state);
    badge.classList.remove("badge-ok", "badge-warn");
    if (state === "answered_live" || state === "answered_written") badge.classList.add("badge-ok");
    if (state === "awaiting_written") badge.classList.add("badge-warn");
  }

  function addAnswer(node, a) {
    var box = one(node, ".q-answers");
    if (!box || box.querySelector('[data-answer-id="' + String(a.id) + '"]')) return false;
    box.appendChild(answerNode(a));
    return true;
  }

  function newQuestionNode(id) {
    var node = qTemplate.content.firstElementChild.cloneNode(true);
    node.id = "q-" + id;
    node.setAttribute("data-id", String(id));
    var article = one(node, "article");
    if (article) article.setAttribute("aria-labelledby", "q-" + id + "-title");
    var title = one(node, ".q-title");
    if (title) title.id = "q-" + id + "-title";
    var form = one(node, "form.upvote-form");
    if (form) {
      form.setAttribute("action", form.getAttribute("action").replace(/\/questions\/0\/upvote\/$/, "/questions/" + id + "/upvote/"));
      var button = one(form, "button");
      if (button) button.setAttribute("aria-describedby", "q-" + id + "-title");
    }
    return node;
  }

  function renderQuestion(q, node) {
    fill(node, ".q-name", q.display_name);
    fill(node, ".q-locality", q.locality);
    var time = fill(node, ".q-time", fmt(q.published_at));
    if (time) time.setAttribute("datetime", q.published_at || "");
    var topic = fill(node, ".q-topic", q.topic);
    if (topic) topic.hidden = !q.topic;
    fill(node, ".q-body", q.body);
    fill(node, ".q-count", q.upvote_count);
    setAnswerState(node, q.answer_state);
    (q.answers || []).forEach(function (a) { addAnswer(node, a); });
  }

  function upsert(q) {
    var node = document.getElementById("q-" + q.id);
    var created = false;
    if (!node) {
      node = newQuestionNode(q.id);
      list.appendChild(node);
      created = true;
    }
    renderQuestion(q, node);
    counts();
    return created;
  }

  function remove(id) {
    var node = document.getElementById("q-" + id);
    if (node && node.parentNode === list) {
      // Never pull the element that holds focus out from under a keyboard user without
      // moving focus somewhere sensible first.
      var hadFocus = node.contains(document.activeElement);
      node.remove();
      if (hadFocus) {
        var heading = document.getElementById("questions-h");
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
    }
    counts();
  }

  function counts() {
    var n = list.querySelectorAll(":scope > li.question").length;
    var count = document.getElementById("question-count");
    if (count) count.textContent = String(n);
    var empty = document.getElementById("questions-empty");
    if (empty) empty.hidden = n > 0;
  }

  function setOnAir(q) {
    var box = document.getElementById("on-air");
    Array.prototype.forEach.call(list.querySelectorAll(".is-on-air"), function (n) { n.classList.remove("is-on-air"); });
    if (!box) return;
    if (!q) { box.hidden = true; page.setAttribute("data-on-air", ""); return; }
    page.setAttribute("data-on-air", String(q.id));
    fill(box, ".on-air-name", q.display_name);
    fill(box, ".on-air-locality", q.locality);
    fill(box, ".on-air-body", q.body);
    var link = one(box, ".on-air-link");
    if (link) link.setAttribute("href", "#q-" + q.id);
    box.hidden = false;
    var node = document.getElementById("q-" + q.id);
    if (node) node.classList.add("is-on-air");
  }

  function setDialogueStatus(status) {
    page.setAttribute("data-status", status);
    var badge = document.getElementById("dialogue-status");
    if (badge) {
      badge.textContent = status === "live" ? text.live : (labels.status[status] || status);
      badge.classList.toggle("badge-live", status === "live");
    }
    if (status === "ended" || status === "archived") {
      var ask = document.getElementById("ask");
      if (ask) ask.hidden = true;
      var note = document.getElementById("ended-note");
      if (note) note.hidden = false;
      setOnAir(null);
      say(text.ended);
    }
  }

  function applySnapshot(frame) {
    var seen = {};
    (frame.questions || []).forEach(function (q) { seen[q.id] = true; upsert(q); });
    Array.prototype.slice.call(list.querySelectorAll(":scope > li.question")).forEach(function (node) {
      if (!seen[node.getAttribute("data-id")]) remove(node.getAttribute("data-id"));
    });
    // Keep the server's order: append in snapshot order (moving nodes keeps focus intact).
    (frame.questions || []).forEach(function (q) {
      var node = document.getElementById("q-" + q.id);
      if (node && node.parentNode === list && node !== list.lastElementChild && !node.contains(document.activeElement)) list.appendChild(node);
    });
    var d = frame.dialogue || {};
    var onAir = null;
    (frame.questions || []).forEach(function (q) { if (q.id === d.on_air) onAir = q; });
    setOnAir(onAir);
    if (d.status) setDialogueStatus(d.status);
    lastSeq = frame.seq;
  }

  function applyEvent(name, data) {
    var q = data.question;
    switch (name) {
      case "question.published":
        if (upsert(q)) say(text.published.replace("%s", q.display_name));
        break;
      case "question.edited":
      case "question.tagged":
      case "question.answer_state_changed":
        upsert(q);
        break;
      case "question.rejected":
        remove(data.question_id);
        break;
      case "question.merged":
        (data.merged_ids || []).forEach(remove);
        if (q) upsert(q);
        break;
      case "question.on_air":
        upsert(q);
        setOnAir(q);
        say(text.on_air.replace("%s", q.body.slice(0, 120)));
        break;
      case "question.off_air":
        if (page.getAttribute("data-on-air") === String(data.question_id)) setOnAir(null);
        break;
      case "question.upvoted": {
        var node = document.getElementById("q-" + data.question_id);
        if (node) fill(node, ".q-count", data.upvote_count);
        break;
      }
      case "answer.posted": {
        var target = document.getElementById("q-" + data.question_id);
        if (target) {
          setAnswerState(target, data.answer_state);
          if (addAnswer(target, data.answer)) say(text.answered.replace("%s", one(target, ".q-name").textContent));
        }
        break;
      }
      case "dialogue.status_changed":
        setDialogueStatus(data.status);
        break;
      default:
        break;
    }
  }

  function onFrame(message) {
    var frame;
    try { frame = JSON.parse(message.data); } catch (e) { return; }
    if (frame.type === "snapshot") {
      applySnapshot(frame);
      retries = 0;
    } else if (frame.type === "event") {
      if (frame.seq <= lastSeq) return;
      if (frame.seq > lastSeq + 1) { socket.close(); return; } // a gap: reconnect to replay
      lastSeq = frame.seq;
      retries = 0;
      try { applyEvent(frame.event, frame.data || {}); } catch (e) { /* one bad frame must not stop the feed */ }
    }
  }

  function connect() {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + page.getAttribute("data-ws-path") + "?after=" + lastSeq;
    setStatus(retries ? "retrying" : "connecting");
    socket = new WebSocket(url);
    socket.addEventListener("open", function () { setStatus("connected"); });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      if (event.code === 4404) { stopped = true; statusNode.hidden = true; return; }
      setStatus("retrying");
      retries += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(retries, 5))) * (0.5 + Math.random() / 2);
      window.clearTimeout(timer);
      timer = window.setTimeout(connect, delay);
    });
  }

  // Support without leaving the page; the plain form still works without this script.
  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("upvote-form") || !window.fetch) return;
    event.preventDefault();
    var button = one(form, "button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (button) button.disabled = false;
      if (result.ok) {
        fill(form, ".q-count", result.body.upvote_count);
        say(result.body.message);
      } else {
        say(result.body.error ? result.body.error.message : "");
      }
    }).catch(function () { form.submit(); });
  });

  connect();
})();
