/* The moderators' inbox (/moderation/), progressively enhanced.
 *
 * The page is complete without this script: every row has real approve / reject forms and the
 * bulk form works. With it:
 * - the list (#inbox-list) follows the inbox socket: on `item.changed` the same list is fetched
 *   again (data-fragment-url, the server-rendered partial) and swapped in. Focus stays on the
 *   same item when it is still there; ticked boxes and chosen reasons are carried over; focus is
 *   never moved when it was not in the list; new items are announced politely.
 * - claims: a row that gets the focus is claimed (and re-claimed while it keeps it, so the claim
 *   does not expire under a moderator who is reading); rows claimed by someone else show
 *   "Đang được … xử lý", live. Deciding on such a row asks for confirmation and sends
 *   confirm_claimed=1; the server's claim check is the real guard.
 * - keyboard shortcuts: j / k next / previous item, a approve, r reject reason, x tick for the
 *   bulk action, ? this help. Never while typing in a field, never with Ctrl/Alt/Meta.
 * Event data is only ever written with textContent; list markup comes from the server.
 */
(function () {
  "use strict";

  var live = document.getElementById("inbox-live");
  if (!live) return;

  var text = {
    claimed: "Đang được %s xử lý",
    claimedMine: "Bạn đang xử lý",
    claimedNotice: "Nội dung này đang được %s xử lý.",
    confirm: "Nội dung này đang được %s xử lý. Bạn vẫn muốn quyết định thay?",
    confirmBulk: "%n nội dung đã chọn đang được người khác xử lý. Bạn vẫn muốn tiếp tục?",
    newItems: "%n nội dung mới",
    gone: "Nội dung bạn đang xem đã được xử lý hoặc không còn trong danh sách.",
    helpTitle: "Phím tắt",
    helpButton: "Phím tắt (?)",
    helpKey: "Phím",
    helpAction: "Tác dụng",
    helpClose: "Đóng",
    helpIntro: "Phím tắt không hoạt động khi bạn đang gõ trong một ô nhập liệu.",
    keyNext: "Nội dung tiếp theo",
    keyPrevious: "Nội dung trước",
    keyApprove: "Duyệt nội dung đang chọn",
    keyReject: "Chọn lý do từ chối cho nội dung đang chọn",
    keyTick: "Đánh dấu / bỏ đánh dấu để xử lý hàng loạt",
    keyHelp: "Mở bảng phím tắt này",
    keyClose: "Đóng bảng phím tắt",
    offline: "Mất kết nối trực tiếp; danh sách sẽ không tự cập nhật cho đến khi kết nối lại."
  };
  // The page may hand over translated labels ({{ labels|json_script:"inbox-labels" }}).
  var labelsNode = document.getElementById("inbox-labels");
  if (labelsNode) {
    try {
      var given = JSON.parse(labelsNode.textContent);
      Object.keys(given).forEach(function (key) { text[key] = given[key]; });
    } catch (e) { /* keep the defaults */ }
  }

  var ROW = "article.inbox-item[data-kind][data-id]";
  var FIELD_TAGS = { INPUT: true, TEXTAREA: true, SELECT: true };
  var me = null;            // {id, name} from the socket's hello
  var clockSkew = 0;        // server time minus local time, in ms
  var claimSeconds = 120;
  var claims = {};          // "kind:id" -> {moderator: {id, name}, expires: local ms}
  var socket = null;
  var retries = 0;
  var counter = 0;
  var lastRow = null;       // the row the keyboard is on, kept across list refreshes by its id
  var claimTimer = null;
  var heartbeat = null;
  var refreshTimer = null;
  var refreshPending = false;

  /* --- small helpers ----------------------------------------------------------------------- */

  function list() { return document.getElementById("inbox-list"); }
  function rows() { var l = list(); return l ? Array.prototype.slice.call(l.querySelectorAll(ROW)) : []; }
  function keyOf(row) { return row.getAttribute("data-kind") + ":" + row.getAttribute("data-id"); }
  function rowOf(node) { return node && node.closest ? node.closest(ROW) : null; }
  function rowByKey(key) {
    var found = null;
    rows().forEach(function (row) { if (!found && keyOf(row) === key) found = row; });
    return found;
  }
  function fill(template, values) {
    return template.replace("%s", values.s === undefined ? "" : values.s)
      .replace("%n", values.n === undefined ? "" : String(values.n));
  }

  var announcer = document.getElementById("inbox-announcer");
  if (!announcer) {
    announcer = document.createElement("div");
    announcer.id = "inbox-announcer";
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    live.appendChild(announcer);
  }
  function say(message) {
    if (!message) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    if (!FIELD_TAGS[target.tagName]) return false;
    // A checkbox, radio or button has no text to type into: shortcuts stay on there.
    if (target.tagName === "INPUT") {
      var type = (target.getAttribute("type") || "text").toLowerCase();
      return ["checkbox", "radio", "button", "submit", "reset", "image"].indexOf(type) === -1;
    }
    return true;
  }

  /* --- claims ------------------------------------------------------------------------------ */

  function claimStore(data) {
    var key = data.kind + ":" + data.object_id;
    if (!data.moderator || !data.expires_at) { delete claims[key]; return key; }
    claims[key] = { moderator: data.moderator, expires: Date.parse(data.expires_at) - clockSkew };
    return key;
  }

  function claimOther(key) {
    var claim = claimLive(key);
    if (!claim || (me && claim.moderator.id === me.id)) return null;
    return claim;
  }

  function claimLive(key) {
    var claim = claims[key];
    return claim && claim.expires > Date.now() ? claim : null;
  }

  // The server renders the claim known when the page was built into .claim-slot; from here on
  // the live claims decide what it says.
  function badgeShow(row) {
    var claim = claimLive(keyOf(row));
    var mine = claim && me && claim.moderator.id === me.id;
    var slot = row.querySelector(".claim-slot");
    if (!slot) {
      slot = document.createElement("span");
      slot.className = "claim-slot";
      var place = row.querySelector(".inbox-meta") || row.querySelector("header") || row;
      place.appendChild(slot);
    }
    if (!claim) {
      slot.replaceChildren();
      row.removeAttribute("data-claimed-by");
      return;
    }
    var badge = document.createElement("span");
    badge.className = "badge badge-claim";
    badge.textContent = mine ? text.claimedMine : fill(text.claimed, { s: claim.moderator.name });
    slot.replaceChildren(badge);
    row.setAttribute("data-claimed-by", String(claim.moderator.id));
  }

  // Until the socket said who we are, the badges the server rendered stay as they are.
  function badgesShow() { if (me) rows().forEach(badgeShow); }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    frame.request_id = "i" + (counter += 1);
    socket.send(JSON.stringify(frame));
    return true;
  }

  function claimRow(row) {
    if (!row) return;
    send({ type: "claim", kind: row.getAttribute("data-kind"), object_id: parseInt(row.getAttribute("data-id"), 10) });
  }

  // Claim the row under the focus once the keyboard settles on it (j j j sends one claim), and
  // again every half claim period while the focus stays there.
  function claimSoon(row) {
    window.clearTimeout(claimTimer);
    window.clearInterval(heartbeat);
    heartbeat = null;
    claimTimer = window.setTimeout(function () {
      claimRow(row);
      heartbeat = window.setInterval(function () {
        var current = lastRow && rowByKey(lastRow);
        if (current && current.contains(document.activeElement)) claimRow(current);
        else { window.clearInterval(heartbeat); heartbeat = null; }
      }, Math.max(5000, claimSeconds * 500));
    }, 300);
  }

  live.addEventListener("focusin", function (event) {
    var row = rowOf(event.target);
    if (!row) return;
    var key = keyOf(row);
    if (key === lastRow && heartbeat) return;
    lastRow = key;
    claimSoon(row);
  });

  // Expired claims disappear by themselves.
  window.setInterval(function () {
    var now = Date.now();
    var changed = false;
    Object.keys(claims).forEach(function (key) {
      if (claims[key].expires <= now) { delete claims[key]; changed = true; }
    });
    if (changed) badgesShow();
  }, 5000);

  /* --- deciding on a claimed item ---------------------------------------------------------- */

  // The server renders a "decide anyway" checkbox on rows claimed when the page was built; a
  // claim that arrived later gets a hidden field. Either way it carries confirm_claimed=1.
  function confirmField(form) {
    var field = form.querySelector("input[name=confirm_claimed]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirm_claimed";
      form.appendChild(field);
    }
    field.value = "1";
    if (field.type === "checkbox") field.checked = true;
  }

  function confirmedAlready(form) {
    var field = form.querySelector("input[type=checkbox][name=confirm_claimed]");
    return !!(field && field.checked);
  }

  // On the document: the bulk form sits outside #inbox-live (its boxes are in the rows).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM") return;
    var row = rowOf(form);
    if (row) {
      var claim = claimOther(keyOf(row));
      if (!claim) { claimRow(row); return; }
      if (confirmedAlready(form)) return;
      if (!window.confirm(fill(text.confirm, { s: claim.moderator.name }))) { event.preventDefault(); return; }
      confirmField(form);
      return;
    }
    // A form outside the rows (the bulk form): ask once for the ticked rows others are on.
    if (!form.elements || !live.contains(form) && form.id !== "bulk-form") return;
    var others = 0;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === "checkbox" && el.checked) {
        var ticked = rowOf(el);
        if (ticked && claimOther(keyOf(ticked))) others += 1;
      }
    });
    if (!others) return;
    if (!window.confirm(fill(text.confirmBulk, { n: others }))) { event.preventDefault(); return; }
    confirmField(form);
  });

  /* --- keyboard shortcuts ------------------------------------------------------------------ */

  function currentRow() {
    var row = rowOf(document.activeElement);
    if (row && list().contains(row)) return row;
    return lastRow ? rowByKey(lastRow) : null;
  }

  function rowFocus(row) {
    if (!row) return;
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus();
    if (row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    var all = rows();
    if (!all.length) return;
    var row = currentRow();
    var index = row ? all.indexOf(row) : -1;
    if (index === -1) { rowFocus(delta > 0 ? all[0] : all[all.length - 1]); return; }
    rowFocus(all[Math.min(all.length - 1, Math.max(0, index + delta))]);
  }

  function approveForm(row) {
    return row.querySelector("form.approve-form");
  }

  function rejectField(row) {
    return row.querySelector("select[data-role=reject-reason]");
  }

  function bulkBox(row) {
    return row.querySelector("input[type=checkbox][name=items]");
  }

  function submit(form) {
    if (form.requestSubmit) { form.requestSubmit(); return; }
    // Older browsers: run the same checks the submit listener would, then submit.
    var event = new Event("submit", { bubbles: true, cancelable: true });
    if (form.dispatchEvent(event)) form.submit();
  }

  var help = null;
  function helpOpen() {
    if (!help) help = helpBuild();
    if (help.open) return;
    if (help.showModal) help.showModal(); else help.setAttribute("open", "");
    help.querySelector("button").focus();
  }

  function helpBuild() {
    var dialog = document.getElementById("inbox-help");
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.id = "inbox-help";
    dialog.setAttribute("aria-labelledby", "inbox-help-title");
    var title = document.createElement("h2");
    title.id = "inbox-help-title";
    title.textContent = text.helpTitle;
    var intro = document.createElement("p");
    intro.textContent = text.helpIntro;
    // A two-column table reads well without any style sheet: key, then what it does.
    var keys = document.createElement("table");
    keys.className = "inbox-shortcuts";
    var head = keys.createTHead().insertRow();
    [text.helpKey, text.helpAction].forEach(function (label) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      head.appendChild(th);
    });
    var body = keys.createTBody();
    [["j", text.keyNext], ["k", text.keyPrevious], ["a", text.keyApprove], ["r", text.keyReject],
      ["x", text.keyTick], ["?", text.keyHelp], ["Esc", text.keyClose]].forEach(function (pair) {
      var tr = body.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      th.appendChild(kbd);
      var td = document.createElement("td");
      td.textContent = pair[1];
      tr.appendChild(th);
      tr.appendChild(td);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button button-secondary";
    close.textContent = text.helpClose;
    close.addEventListener("click", helpClose);
    dialog.appendChild(title);
    dialog.appendChild(intro);
    dialog.appendChild(keys);
    dialog.appendChild(close);
    var returnTo = null;
    dialog.addEventListener("close", function () { if (returnTo && returnTo.focus) returnTo.focus(); });
    dialog.rememberFocus = function () { returnTo = document.activeElement; };
    document.body.appendChild(dialog);
    return dialog;
  }

  function helpClose() {
    if (!help || !help.open) return;
    if (help.close) help.close(); else help.removeAttribute("open");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && help && help.open) {
      if (!help.showModal) { event.preventDefault(); helpClose(); }
      return; // a modal <dialog> closes itself on Esc
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || (help && help.open)) return;
    var row;
    switch (event.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "a":
        row = currentRow();
        var form = row && approveForm(row);
        if (!form) return;
        submit(form);
        break;
      case "r":
        row = currentRow();
        var field = row && rejectField(row);
        if (!field) return;
        field.focus();
        break;
      case "x":
        row = currentRow();
        var box = row && bulkBox(row);
        if (!box) return;
        box.click();
        break;
      case "?":
        if (!help) help = helpBuild();
        if (help.rememberFocus) help.rememberFocus();
        helpOpen();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  /* --- refreshing the list ----------------------------------------------------------------- */

  function fragmentUrl() {
    var url = new URL(live.getAttribute("data-fragment-url") || window.location.href, window.location.href);
    if (!url.searchParams.has("fragment")) url.searchParams.set("fragment", "1");
    // Stay on the page of the list the moderator is reading.
    var page = new URL(window.location.href).searchParams.get("page");
    if (page && !url.searchParams.has("page")) url.searchParams.set("page", page);
    return url.toString();
  }

  // What the user has set in the rows and not sent yet (ticks, chosen reasons, notes), by row
  // and field id, so a refresh of the list loses none of it.
  function fieldKey(el, i) { return el.id || (el.name + "#" + i); }

  function stateOf(oldList) {
    var state = {};
    Array.prototype.forEach.call(oldList.querySelectorAll(ROW), function (row) {
      var fields = {};
      var any = false;
      Array.prototype.forEach.call(row.querySelectorAll("input, select, textarea"), function (el, i) {
        if (el.type === "hidden") return;
        var key = fieldKey(el, i);
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked !== el.defaultChecked) { fields[key] = ["checked", el.checked]; any = true; }
        } else if (el.tagName === "SELECT") {
          var chosen = el.options[el.selectedIndex];
          var initial = 0;
          for (var j = 0; j < el.options.length; j++) if (el.options[j].defaultSelected) initial = j;
          if (chosen && el.selectedIndex !== initial) { fields[key] = ["value", el.value]; any = true; }
        } else if (el.value !== el.defaultValue) {
          fields[key] = ["value", el.value];
          any = true;
        }
      });
      if (any) state[keyOf(row)] = fields;
    });
    return state;
  }

  function stateRestore(row, fields) {
    Array.prototype.forEach.call(row.querySelectorAll("input, select, textarea"), function (el, i) {
      var saved = fields[fieldKey(el, i)];
      if (saved) el[saved[0]] = saved[1];
    });
  }

  function focusables(row) {
    return Array.prototype.slice.call(row.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]"));
  }

  function swap(html) {
    var oldList = list();
    if (!oldList) return;
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("inbox-list");
    if (!fresh) {
      // The fragment is the list's content rather than the list element itself.
      fresh = document.createElement("div");
      fresh.id = "inbox-list";
      Array.prototype.forEach.call(oldList.attributes, function (a) { fresh.setAttribute(a.name, a.value); });
      Array.prototype.forEach.call(doc.body.childNodes, function (n) { fresh.appendChild(document.importNode(n, true)); });
    } else {
      fresh = document.importNode(fresh, true);
    }
    if (fresh.innerHTML === oldList.innerHTML) return;

    var active = document.activeElement;
    var hadFocus = oldList.contains(active);
    var focusedRow = hadFocus ? rowOf(active) : null;
    var focusKey = focusedRow ? keyOf(focusedRow) : null;
    var focusId = focusedRow && active.id ? active.id : "";
    var focusIndex = focusedRow ? focusables(focusedRow).indexOf(active) : -1;
    var oldRows = Array.prototype.slice.call(oldList.querySelectorAll(ROW));
    var oldKeys = oldRows.map(keyOf);
    var position = focusedRow ? oldRows.indexOf(focusedRow) : -1;
    var state = stateOf(oldList);

    oldList.replaceWith(fresh);

    var newRows = rows();
    var added = 0;
    newRows.forEach(function (row) {
      var key = keyOf(row);
      if (oldKeys.indexOf(key) === -1) added += 1;
      if (state[key]) stateRestore(row, state[key]);
    });
    badgesShow();

    if (hadFocus) {
      var again = focusKey ? rowByKey(focusKey) : null;
      if (again) {
        var target = (focusId && document.getElementById(focusId)) || focusables(again)[focusIndex];
        if (target) target.focus({ preventScroll: true }); else rowFocus(again);
      } else if (focusKey) {
        // The item the moderator was on is gone (decided by someone else): stay in the list.
        var next = newRows[Math.min(Math.max(position, 0), newRows.length - 1)];
        if (next) rowFocus(next);
        else { fresh.setAttribute("tabindex", "-1"); fresh.focus({ preventScroll: true }); }
        say(text.gone);
      } else {
        fresh.setAttribute("tabindex", "-1");
        fresh.focus({ preventScroll: true });
      }
    }
    if (added) say(fill(text.newItems, { n: added }));
  }

  // Someone typing in the list (a note, a search box inside it) is never interrupted: the
  // refresh waits until the field is left.
  function busy() {
    var l = list();
    var active = document.activeElement;
    return l && l.contains(active) && typing(active);
  }

  // Throttled, not debounced: during a burst (questions arriving many times a second) a timer
  // restarted by every event would never fire, and the list would stay stale until the burst
  // ends. The first event schedules one fetch; the events before it fires share it; one fetch
  // at a time, and an event during a fetch asks for one more after it.
  var fetching = false;
  var refetch = false;

  function refresh() {
    if (refreshTimer !== null) return;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      if (busy()) { refreshPending = true; return; }
      if (fetching) { refetch = true; return; }
      refreshPending = false;
      fetching = true;
      fetch(fragmentUrl(), { credentials: "same-origin", headers: { "Accept": "text/html", "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          if (busy()) { refreshPending = true; return; }
          swap(html);
        })
        .catch(function () { /* the next event or reconnect tries again */ })
        .then(function () {
          fetching = false;
          if (refetch) { refetch = false; refresh(); }
        });
    }, 300);
  }

  live.addEventListener("focusout", function () {
    if (refreshPending) window.setTimeout(function () { if (refreshPending && !busy()) refresh(); }, 100);
  });

  /* --- the socket -------------------------------------------------------------------------- */

  function onFrame(message) {
    var frame;
    try { frame = JSON.parse(message.data); } catch (e) { return; }
    if (frame.type === "hello") {
      me = frame.me;
      claimSeconds = frame.claim_seconds || claimSeconds;
      clockSkew = frame.now ? Date.parse(frame.now) - Date.now() : 0;
      claims = {};
      (frame.claims || []).forEach(claimStore);
      retries = 0;
      badgesShow();
      var status = document.getElementById("inbox-offline");
      if (status) status.hidden = true;
      if (lastRow && rowByKey(lastRow) && rowByKey(lastRow).contains(document.activeElement)) claimSoon(rowByKey(lastRow));
      if (socket.wasOpen) refresh(); // events may have been missed while disconnected
      socket.wasOpen = true;
    } else if (frame.type === "event") {
      if (frame.event === "claim.changed") {
        var row = rowByKey(claimStore(frame.data));
        if (row && me) badgeShow(row);
      } else if (frame.event === "item.changed") {
        refresh();
      }
    } else if (frame.type === "ack" && frame.claim) {
      var key = claimStore(frame.claim);
      var mine = rowByKey(key);
      if (mine) badgeShow(mine);
      if (!frame.mine && mine && mine.contains(document.activeElement)) {
        say(fill(text.claimedNotice, { s: frame.claim.moderator.name }));
      }
    }
  }

  function offline(show) {
    var status = document.getElementById("inbox-offline");
    if (!status) {
      if (!show) return;
      status = document.createElement("p");
      status.id = "inbox-offline";
      status.className = "notice";
      status.setAttribute("role", "status");
      status.textContent = text.offline;
      live.insertBefore(status, live.firstChild);
    }
    status.hidden = !show;
  }

  var everOpen = false;
  function connect() {
    if (!("WebSocket" in window)) return;
    var path = live.getAttribute("data-ws-path");
    if (!path) return;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + path);
    socket.wasOpen = everOpen;
    socket.addEventListener("open", function () { everOpen = true; });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      if (event.code === 4403) return; // not (or no longer) a moderator: the page says enough
      if (everOpen) offline(true);
      retries += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(retries, 5))) * (0.5 + Math.random() / 2);
      window.setTimeout(connect, delay);
    });
  }

  // Shortcuts exist only with this script, so their help button does too.
  var helpButton = document.createElement("button");
  helpButton.type = "button";
  helpButton.className = "button button-secondary button-small inbox-help-button";
  helpButton.setAttribute("aria-keyshortcuts", "Shift+?");
  helpButton.textContent = text.helpButton;
  helpButton.addEventListener("click", function () {
    if (!help) help = helpBuild();
    help.rememberFocus();
    helpOpen();
  });
  live.insertBefore(helpButton, live.firstChild);

  connect();
})();
