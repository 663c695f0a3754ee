/* The staff screens' live counts (templates/livechat/_live_counts.html), progressively enhanced.
 *
 * The numbers are right when the page is rendered, and console.js swaps the whole region after
 * every dialogue event. Viewers come and go without events, so this script reads the counts
 * every five seconds while the page is visible and writes the numbers (textContent only). It
 * never announces them: a count ticking in a live region would keep interrupting a screen
 * reader.
 */
(function () {
  "use strict";

  var region = document.getElementById("region-counts");
  if (!region || !window.fetch) return;
  var url = region.getAttribute("data-counts-url");
  var KEYS = ["pending", "published", "answered", "awaiting_written", "viewers"];

  function update(counts) {
    KEYS.forEach(function (key) {
      // Looked up each time: console.js may have replaced the region since.
      var node = document.getElementById("count-" + key);
      if (!node) return;
      var value = counts[key];
      var shown = value === null || value === undefined ? "\u2014" : String(value);
      if (node.textContent !== shown) node.textContent = shown;
    });
  }

  function tick() {
    if (document.visibilityState === "hidden") return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) { if (counts) update(counts); })
      .catch(function () { /* the next tick tries again */ });
  }

  window.setInterval(tick, 5000);
  document.addEventListener("visibilitychange", tick);
})();
