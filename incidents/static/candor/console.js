// Candor console: the live Markdown preview and wording check, and one submission per click.
// Loaded as a file with `defer`: the CSP allows no inline script. The server renders and
// sanitises (the same function as publishing), so the preview is exactly what the public
// will see and this file never has to trust the text it shows.
(() => {
  "use strict";

  const DELAY_MS = 300; // enough to skip keystrokes, short enough to feel live

  // The console's words in the staff member's language: base.html puts them on <body>
  // (data-word-*); the English here is only a fallback for a page without them.
  function word(name, english) {
    return (document.body && document.body.dataset[name]) || english;
  }

  function csrfToken(form) {
    const input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  // The console's JSON endpoints: a POST with the page's CSRF token. redirect "error": an
  // expired session answers with a redirect to the login page, which must read as a
  // failure, not be shown as an answer.
  async function postForm(url, body, form) {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrfToken(form) },
      credentials: "same-origin",
      redirect: "error",
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }

  function showMessage(target, text) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    target.replaceChildren(p);
  }

  function attach(target) {
    const textarea = document.getElementById(target.dataset.previewFor);
    if (!textarea) return;
    const url = target.dataset.previewUrl;
    const placeholder = target.textContent.trim();
    let timer = null;
    let latest = 0;

    async function render() {
      const seq = ++latest;
      if (!textarea.value.trim()) {
        showMessage(target, placeholder);
        return;
      }
      const body = new FormData();
      body.append("body", textarea.value);
      try {
        const data = await postForm(url, body, textarea.form);
        // Answers can arrive out of order; only the newest text may win.
        if (seq !== latest) return;
        target.innerHTML = data.html;
        target.dataset.state = "rendered";
      } catch {
        if (seq === latest) {
          showMessage(
            target,
            word("wordPreviewUnavailable", "Preview unavailable (are you still signed in?). Your text is kept."),
          );
          target.dataset.state = "error";
        }
      }
    }

    textarea.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(render, DELAY_MS);
    });
    // A form shown again after an error, or with initial text, previews at once.
    if (textarea.value.trim()) render();
  }

  document.querySelectorAll("[data-preview-for]").forEach(attach);

  // The wording check: the same policy lifecycle applies, as you type. The text is shown
  // back with each violation's span marked; built from text nodes, never as HTML.
  function highlighted(text, violations) {
    const box = document.createElement("div");
    box.className = "wording__text";
    const spans = violations
      .filter((v) => v.start !== null && v.end !== null)
      .sort((a, b) => a.start - b.start);
    let position = 0;
    spans.forEach((v) => {
      if (v.start < position) return;
      box.append(document.createTextNode(text.slice(position, v.start)));
      const mark = document.createElement("mark");
      mark.title = v.rule;
      mark.textContent = text.slice(v.start, v.end);
      box.append(mark);
      position = v.end;
    });
    box.append(document.createTextNode(text.slice(position)));
    return box;
  }

  // One verdict: approved (published as they are), passes the policy but needs an
  // approver, or breaks the policy. Templates being written get only the policy's word.
  const VERDICT_CLASS = { approved: "ok", needs_approval: "wait", breaks_policy: "bad" };

  function verdict(text, violations, data = {}) {
    const p = document.createElement("p");
    if (data.verdict) {
      p.className = `wording__verdict wording__verdict--${VERDICT_CLASS[data.verdict]}`;
      p.textContent = data.message;
      if (!violations.length) return [p];
    } else if (!violations.length) {
      p.className = "wording__verdict wording__verdict--ok";
      p.textContent = data.summary || "No problems with the wording policy.";
      return [p];
    } else {
      p.className = "wording__verdict wording__verdict--bad";
      const n = violations.length;
      p.textContent = data.summary || `${n} problem${n === 1 ? "" : "s"} with the wording policy`;
    }
    const list = document.createElement("ol");
    list.className = "violations";
    violations.forEach((v) => {
      const item = document.createElement("li");
      const rule = document.createElement("strong");
      rule.textContent = v.rule;
      item.append(rule, document.createTextNode(`: ${v.reason}`));
      if (v.excerpt) {
        const q = document.createElement("q");
        q.textContent = v.excerpt;
        item.append(" ", q);
      }
      list.append(item);
    });
    return [p, list, highlighted(text, violations)];
  }

  function attachWording(target) {
    const textarea = document.getElementById(target.dataset.wordingFor);
    if (!textarea) return;
    const byId = (id) => (id ? document.getElementById(id) : null);
    const statusSelect = byId(target.dataset.wordingStatusFrom);
    const channelSelect = byId(target.dataset.wordingChannelFrom);
    let timer = null;
    let latest = 0;

    async function check() {
      const seq = ++latest;
      if (!textarea.value.trim()) {
        showMessage(target, word("wordPolicyChecked", "The wording policy is checked as you type."));
        return;
      }
      const body = new FormData();
      body.append("body", textarea.value);
      body.append("kind", target.dataset.wordingKind);
      body.append("status", statusSelect ? statusSelect.value : target.dataset.wordingStatus);
      if (channelSelect) body.append("channel", channelSelect.value);
      // Whose words: approval is judged for this incident or maintenance, or the title
      // being typed for a new one.
      if (target.dataset.wordingIncident) body.append("incident", target.dataset.wordingIncident);
      if (target.dataset.wordingMaintenance) {
        body.append("maintenance", target.dataset.wordingMaintenance);
      }
      const title = byId(target.dataset.wordingTitleFrom);
      if (title) body.append("title", title.value);
      try {
        const data = await postForm(target.dataset.wordingUrl, body, textarea.form);
        if (seq !== latest) return;
        // A template answers for its sample rendering: the marks point into that text.
        const shown = verdict(data.text ?? textarea.value, data.violations, data);
        (data.problems || []).forEach((problem) => {
          const p = document.createElement("p");
          p.className = "wording__verdict wording__verdict--bad";
          p.textContent = problem;
          shown.unshift(p);
        });
        if (data.sms) {
          const p = document.createElement("p");
          const s = data.sms;
          const unit = s.encoding === "GSM-7" ? "characters" : "UTF-16 units";
          p.textContent = `SMS: ${s.encoding}, ${s.units} ${unit}, ` +
            `${s.segments} segment${s.segments === 1 ? "" : "s"} of up to ${s.per_segment}.`;
          shown.push(p);
        }
        target.replaceChildren(...shown);
        target.dataset.state = data.violations.length ? "violations" : "clean";
      } catch {
        if (seq === latest) {
          showMessage(target, word("wordCheckUnavailable", "Wording check unavailable (are you still signed in?)."));
          target.dataset.state = "error";
        }
      }
    }

    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(check, DELAY_MS);
    };
    textarea.addEventListener("input", later);
    [statusSelect, channelSelect].forEach((select) => {
      if (select) select.addEventListener("change", later);
    });
    if (textarea.value.trim()) check();
  }

  document.querySelectorAll("[data-wording-for]").forEach(attachWording);

  // The send forecast: the whole post form goes to the server as it changes (words,
  // status, components, who is notified); the answer is the rendered forecast, escaped by
  // the server's template like every console page.
  function attachForecast(target) {
    const form = target.closest("form");
    if (!form) return;
    let timer = null;
    let latest = 0;

    async function forecast() {
      const seq = ++latest;
      const body = new FormData(form);
      body.append("forecast_kind", target.dataset.forecastKind);
      body.append("forecast_target", target.dataset.forecastTarget || "");
      try {
        const data = await postForm(target.dataset.forecastUrl, body, form);
        if (seq !== latest) return;
        target.innerHTML = data.html;
        target.dataset.state = data.above_cap ? "above-cap" : "ok";
      } catch {
        if (seq === latest) {
          showMessage(target, word("wordForecastUnavailable", "Forecast unavailable (are you still signed in?)."));
          target.dataset.state = "error";
        }
      }
    }

    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(forecast, DELAY_MS);
    };
    // Capturing: the template pickers fire events that do not bubble.
    form.addEventListener("input", later, true);
    form.addEventListener("change", later, true);
    forecast();
  }

  document.querySelectorAll("[data-forecast-url]").forEach(attachForecast);

  // On the new-incident form an opening template keeps {title}, {components} and
  // {next_update_at} open: "Use" fills them from the name, the affected components and
  // the chosen impact's promise, in one pass (a name saying "{components}" stays as is).
  function openingText(button) {
    const section = button.closest("[data-opening]");
    if (!section) return null;
    const form = button.form || section.closest("form");
    const name = form.querySelector('[name="name"]');
    const impact = form.querySelector('[name="impact"]');
    const names = [...form.querySelectorAll("[data-component-name]")]
      .filter((field) => field.querySelector("select")?.value)
      .map((field) => field.dataset.componentName);
    const joined = names.length === 0 ? section.dataset.componentsFallback
      : names.length === 1 ? names[0]
      : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
    const promises = JSON.parse(section.dataset.promises);
    const values = {
      title: name ? name.value.trim() : "",
      components: joined,
      next_update_at: promises[impact ? impact.value : "minor"],
    };
    return button.dataset.fillText.replace(
      /\{(title|components|next_update_at)\}/g, (whole, key) => values[key] ?? whole,
    );
  }

  // "Use" on approved words: fill the body (and the status they were approved for).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-fill]");
    if (!button) return;
    const textarea = document.getElementById(button.dataset.fill);
    const status = document.getElementById(button.dataset.fillStatusTarget);
    if (status && [...status.options].some((o) => o.value === button.dataset.fillStatus)) {
      status.value = button.dataset.fillStatus;
      status.dispatchEvent(new Event("change"));
    }
    if (textarea) {
      textarea.value = openingText(button) ?? button.dataset.fillText;
      textarea.dispatchEvent(new Event("input"));
      textarea.focus();
    }
  });

  // A second click on "Post update" while the first is on its way would send the form
  // twice. The server writes it once anyway (the form's submission_key); disabling the
  // button spares the second request and shows the click was taken.
  function submitButtons(form) {
    return form.querySelectorAll('button[type="submit"], input[type="submit"]');
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || form.method !== "post") return;
    // A disabled button is left out of what the form sends, the one clicked included:
    // its name and value ("Submit words for approval") travel in a hidden field instead.
    const submitter = event.submitter;
    if (submitter && submitter.name) {
      const carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.append(carried);
    }
    submitButtons(form).forEach((button) => {
      button.disabled = true;
    });
  });

  // Back to a page kept in the back/forward cache: its buttons are still disabled from
  // the submission that left it. The key makes sending that form again harmless.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll('form[method="post"]').forEach((form) => {
      submitButtons(form).forEach((button) => {
        button.disabled = false;
      });
    });
  });
})();
