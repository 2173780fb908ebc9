// "Last verified HH:MM UTC" in the footer: when the checker last confirmed that this
// copy of the page serves the current version (incidents/publish/verified.py). Read
// from /verified.json of wherever this page came from: the live app, the mirror or the
// bucket. An old stamp means this copy stopped receiving updates, and it says so.
(function () {
  "use strict";
  var STALE_MINUTES = 5;
  var box = document.querySelector("[data-candor-verified]");
  if (!box || !window.fetch) return;
  fetch("/verified.json", { cache: "no-store", credentials: "omit" })
    .then(function (answer) { return answer.ok ? answer.json() : null; })
    .then(function (doc) {
      if (!doc || typeof doc.verified_at !== "string") return;
      var at = new Date(doc.verified_at);
      if (isNaN(at.getTime())) return;
      var time = box.querySelector("time");
      var age = box.querySelector("[data-age]");
      time.setAttribute("datetime", at.toISOString());
      time.textContent = at.toISOString().slice(0, 16).replace("T", " ") + " UTC";
      var minutes = Math.floor((Date.now() - at.getTime()) / 60000);
      if (minutes > STALE_MINUTES) {
        box.classList.add("verified--stale");
        var words = box.getAttribute("data-stale") || "MINUTES minutes ago: this copy may be out of date";
        age.textContent = " (" + words.replace("MINUTES", String(minutes)) + ")";
      }
      box.hidden = false;
    })
    .catch(function () { /* no stamp here: the page's own time stands */ });
})();
