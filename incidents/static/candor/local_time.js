// Times in the reader's own time zone. The pages print every moment in UTC, named
// ("14:05 UTC") inside <time datetime="...Z">; this rewrites each one's text in the
// browser's time zone, in the page's language (<html lang>), with the zone's name
// ("15:05 MEZ"), and keeps the UTC text in its title. Without JavaScript, or in a browser
// without Intl's time zones, the UTC text stays. A file of its own, loaded by every public
// page (templates/public/base.html): the CSP allows no inline script. Days (a <time>
// whose datetime has no time of day) stay as they are: a day is the UTC day.
(function () {
  "use strict";
  // A moment as the templates write it (candor_public.utc_time, utc_clock).
  var MOMENT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z$/;
  var CLOCK = /^\d\d:\d\d UTC$/;  // utc_clock: the hour and minute only

  function formatter(language, options) {
    try {
      return new Intl.DateTimeFormat(language || undefined, options);
    } catch (error) {  // a language tag Intl does not take: the browser's own
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  function localise() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var language = document.documentElement.getAttribute("lang");
    // A 24-hour clock in every language, as the page and the update words write times
    // ("Next update by 14:30 UTC" reads "15:30 CET", never "3:30 PM").
    var clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
    var full = {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
    };
    var formats = { clock: formatter(language, clock), full: formatter(language, full) };
    document.querySelectorAll("time[datetime]").forEach(function (element) {
      var iso = element.getAttribute("datetime");
      if (!MOMENT.test(iso) || element.hasAttribute("data-local")) return;
      if (element.closest("[data-candor-verified]")) return;  // verified.js's own
      var utc = element.textContent.trim();
      if (!/UTC$/.test(utc)) return;
      var moment = new Date(iso);
      if (isNaN(moment.getTime())) return;
      var format = CLOCK.test(utc) ? formats.clock : formats.full;
      element.setAttribute("title", utc);
      element.textContent = format.format(moment);  // text, never markup
      element.setAttribute("data-local", "");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
