// Follows a background upload: rows read so far, then a link to the report.
(function () {
  "use strict";
  var job = document.getElementById("job");
  var rows = document.getElementById("job-rows");
  var state = document.getElementById("job-state");
  var link = document.getElementById("job-report");
  function poll() {
    fetch(job.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        rows.textContent = body.rows.toLocaleString();
        state.textContent = { PENDING: "Waiting for the worker…", STARTED: "Checking…",
          PROGRESS: "Checking…", SUCCESS: "Done.", FAILURE: "The worker failed." }[body.state] || body.state;
        if (body.report_url) {
          link.href = body.report_url;
          link.hidden = false;
          window.location.assign(body.report_url);
        } else if (body.state !== "FAILURE") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
