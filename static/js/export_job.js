/* A prepared download's page (templates/drafts/export_job.html), progressively enhanced.
 *
 * Without this script the page says how far the file is and offers a link to look again. With
 * it, the page asks the server every two seconds and moves the progress bar; when the file is
 * ready (or failed) it loads the page once more, which then shows the download. Numbers only are
 * written, with textContent; the texts come from the server (#export-job-labels).
 */
(function () {
  "use strict";

  var box = document.getElementById("export-job");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var detail = document.getElementById("job-detail");
  var labelsNode = document.getElementById("export-job-labels");
  var text = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  var failures = 0;

  function show(state) {
    if (bar) bar.value = state.percent;
    if (bar) bar.textContent = state.percent + "%";
    if (percent) percent.textContent = state.percent + "%";
    if (detail && text.detail) {
      detail.textContent = text.detail
        .replace("%(status)s", state.status_label)
        .replace("%(done)s", state.progress)
        .replace("%(total)s", state.total);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (state) {
        failures = 0;
        if (state.finished) { window.location.reload(); return; }
        show(state);
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) { if (detail && text.failed) detail.textContent = text.failed; return; }
        window.setTimeout(poll, 2000 * failures);
      });
  }

  window.setTimeout(poll, 1000);
})();
