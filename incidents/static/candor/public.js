// The status page's uptime bars come as runs of same-coloured days (one element each, so
// the page stays small with many components); this expands each into one item per day,
// its tooltip from uptime.json (incidents/public/uptime_details.py). A file of its own:
// the CSP allows no inline script. Without it, or when the document is not the page's
// (another day, another window), the bars stay runs with their summary for screen readers.
// A page with too many runs to carry (uptime_bars.INLINE_RUNS_LIMIT) comes with empty
// bars and the summary shown as text; this fills them the same way.
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function dayLabel(day) {
    return MONTHS[day.getUTCMonth()] + " " + day.getUTCDate() + ", " + day.getUTCFullYear();
  }

  function expand(bar, runs, firstDay, days) {
    var list = bar.querySelector(".uptime__bars--runs");
    var total = runs.reduce(function (sum, run) { return sum + run[0]; }, 0);
    if (!list || total !== days) return;
    var items = document.createDocumentFragment();
    var day = new Date(firstDay + "T00:00:00Z");
    runs.forEach(function (run) {
      for (var i = 0; i < run[0]; i++) {
        var item = document.createElement("li");
        item.className = run[1];
        var tip = document.createElement("span");
        tip.textContent = dayLabel(day) + ": " + run[2];  // text, never markup
        item.appendChild(tip);
        items.appendChild(item);
        day.setUTCDate(day.getUTCDate() + 1);
      }
    });
    list.replaceChildren(items);
    list.classList.remove("uptime__bars--runs");
    list.removeAttribute("aria-hidden");
    var summary = bar.querySelector(".uptime__summary");
    if (summary) summary.remove();
  }

  var section = document.querySelector("[data-uptime-src]");
  if (!section || !window.fetch) return;
  var firstDay = section.getAttribute("data-first-day");
  var days = parseInt(section.getAttribute("data-days"), 10);
  fetch(section.getAttribute("data-uptime-src"), { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (doc) {
      if (!doc || doc.first_day !== firstDay || !doc.components) return;
      document.querySelectorAll("[data-uptime]").forEach(function (bar) {
        var runs = doc.components[bar.getAttribute("data-uptime")];
        if (Array.isArray(runs)) expand(bar, runs, firstDay, days);
      });
      section.setAttribute("data-expanded", "");
    })
    .catch(function () { /* the bars stay runs */ });
})();
