// Follows a background profile export: profiles made so far, then the download link.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) { return; }
  var done = document.getElementById("job-done");
  var total = document.getElementById("job-total");
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var link = document.getElementById("job-download");
  var words = { queued: "Waiting for the worker…", running: "Making the profiles…", done: "Done.", failed: "The export failed." };
  function poll() {
    fetch(job.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        done.textContent = body.done.toLocaleString();
        total.textContent = body.total.toLocaleString();
        bar.max = body.total || 1;
        bar.value = body.done;
        job.dataset.status = body.status;
        state.textContent = (words[body.status] || body.status) + (body.message ? " " + body.message : "");
        if (body.download_url) {
          link.href = body.download_url;
          link.hidden = false;
        } else if (body.status !== "failed") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  if (job.dataset.status !== "done" && job.dataset.status !== "failed") { poll(); }
})();
