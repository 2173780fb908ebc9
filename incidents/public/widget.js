/* Candor status widget: paste one tag where the status should show.

     <script src="https://status.example.com/widget.js" async></script>

   Options (data- attributes on the tag): data-theme="light|dark|auto" (default auto),
   data-target="some-id" (render into that element instead of after the tag).

   It reads summary.json of the Statuspage-compatible API beside this file (so it works
   from the live app and from a static mirror alike), shows the overall status and the
   latest unresolved incident with a link, and refreshes every minute. It renders in its
   own (open) shadow root, so the host page's CSS neither styles nor breaks it, and sets
   every text from the API with textContent: nothing it reads becomes markup. It loads
   nothing from anywhere else. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var base = new URL(".", script.src);
  var summaryUrl = new URL("api/v2/summary.json", base).toString();
  var REFRESH_MS = 60000;
  var INCIDENT_STATUS = {
    investigating: "Investigating",
    identified: "Identified",
    monitoring: "Monitoring",
  };
  // Statuspage's status.indicator -> the page's own status colours (public.css).
  var INDICATOR = { none: "ok", minor: "degraded", major: "partial", critical: "major" };

  var CSS =
    ":host { display: block; }\n" +
    // Inherited properties cross the shadow boundary: reset them, then set our own.
    ".widget { all: initial; display: block; box-sizing: border-box; max-width: 32rem; padding: 0.75rem 1rem;" +
    " font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;" +
    " color: #1f2328; background: #ffffff; border: 1px solid #d1d9e0;" +
    " border-left: 0.375rem solid var(--state); border-radius: 0.5rem;" +
    " --state: #59636e; }\n" +
    ".widget.ok { --state: #1a7f37; } .widget.degraded { --state: #9a6700; }\n" +
    ".widget.partial { --state: #b44100; } .widget.major { --state: #c4202b; }\n" +
    ".widget.maintenance { --state: #0858c2; }\n" +
    "p { margin: 0; } p + p { margin-top: 0.25rem; }\n" +
    ".status { font-weight: 600; }\n" +
    ".meta { color: #59636e; }\n" +
    "a { color: #0858c2; text-underline-offset: 0.15em; overflow-wrap: anywhere; }\n" +
    "a:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; border-radius: 2px; }\n" +
    ".dark { color: #e6edf3; background: #151b23; border-color: #313a45; }\n" +
    ".dark .meta { color: #9ea8b3; } .dark a { color: #6cb6ff; }\n" +
    ".dark a:focus-visible { outline-color: #6cb6ff; }\n" +
    ".dark.ok { --state: #4ac26b; } .dark.degraded { --state: #e3b341; }\n" +
    ".dark.partial { --state: #f0883e; } .dark.major { --state: #ff7b72; }\n" +
    ".dark.maintenance { --state: #6cb6ff; }\n";

  function httpUrl(value, fallback) {
    // Only http(s) links: a stored "javascript:" URL must never become an href.
    try {
      var url = new URL(String(value), base);
      if (url.protocol === "https:" || url.protocol === "http:") return url.toString();
    } catch (e) {
      /* not a URL */
    }
    return fallback;
  }

  function text(value, limit) {
    var s = typeof value === "string" ? value : "";
    s = s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, " ").trim();
    return s.length > limit ? s.slice(0, limit - 1) + "\u2026" : s;
  }

  function el(name, className, content) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function link(href, content) {
    var a = el("a", "", content);
    a.href = href;
    return a;
  }

  function theme() {
    var wanted = script.getAttribute("data-theme");
    if (wanted === "dark" || wanted === "light") return wanted;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark"
      : "light";
  }

  function latest(incidents) {
    var found = null;
    (Array.isArray(incidents) ? incidents : []).forEach(function (incident) {
      if (!incident || typeof incident !== "object" || incident.status === "resolved") return;
      var when = Date.parse(incident.started_at || incident.created_at) || 0;
      if (!found || when > found.when) found = { incident: incident, when: when };
    });
    return found && found.incident;
  }

  function mount() {
    // An element of its own name: the host page's "div { ... }" rules do not reach it.
    var host = document.createElement("candor-status");
    var target = script.getAttribute("data-target");
    var into = target && document.getElementById(target);
    if (into) into.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    var root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      // A constructed sheet: allowed where the host page's CSP forbids inline <style>.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", "", CSS));
    }
    var box = el("div", "widget " + theme());
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    box.appendChild(el("p", "status", "Loading status\u2026"));
    root.appendChild(box);
    return box;
  }

  function show(box, summary) {
    var page = (summary && summary.page) || {};
    var status = (summary && summary.status) || {};
    var pageUrl = httpUrl(page.url, base.toString());
    var indicator = INDICATOR[status.indicator] || "major";
    var description = text(status.description, 80) || "Status unknown";
    if (status.indicator === "none" && /maintenance/i.test(description)) {
      indicator = "maintenance";
    }
    var name = text(page.name, 80);
    var incident = latest(summary && summary.incidents);
    // A live region announces every change: redraw only when what it says changed, not
    // at each minute's refresh.
    var said = JSON.stringify([
      name, description, indicator, pageUrl, theme(),
      incident && [incident.name, incident.shortlink, incident.status],
    ]);
    if (box.getAttribute("data-said") === said) return;
    box.setAttribute("data-said", said);
    box.className = "widget " + theme() + " " + indicator;
    box.setAttribute("aria-label", (name ? name + " status" : "Service status"));
    var lines = [];
    var first = el("p", "status");
    first.appendChild(link(pageUrl, description));
    lines.push(first);
    if (incident) {
      var line = el("p");
      line.appendChild(document.createTextNode("Latest incident: "));
      line.appendChild(
        link(httpUrl(incident.shortlink, pageUrl), text(incident.name, 120) || "Incident")
      );
      var state = INCIDENT_STATUS[incident.status] || text(incident.status, 40);
      if (state) line.appendChild(el("span", "meta", " (" + state + ")"));
      lines.push(line);
    }
    box.replaceChildren.apply(box, lines);
  }

  function unavailable(box) {
    if (box.getAttribute("data-said") === "unavailable") return;
    box.setAttribute("data-said", "unavailable");
    box.className = "widget " + theme();
    var line = el("p", "status", "Status unavailable right now: ");
    line.appendChild(link(base.toString(), "see the status page"));
    box.replaceChildren(line);
  }

  function load(box) {
    fetch(summaryUrl, { credentials: "omit", mode: "cors" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(
        function (summary) {
          show(box, summary);
        },
        function () {
          unavailable(box);
        }
      );
  }

  var box = mount();
  load(box);
  setInterval(function () {
    if (!document.hidden) load(box);
  }, REFRESH_MS);
})();
