// Candor console: the live Markdown preview, and one submission per click.
// Loaded as a file with `defer`: the CSP allows no inline script. The server renders and
// sanitises (the same function as publishing), so the preview is exactly what the public
// will see and this file never has to trust the text it shows.
(() => {
  "use strict";

  const DELAY_MS = 300; // enough to skip keystrokes, short enough to feel live

  function csrfToken(form) {
    const input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
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
        // redirect "error": an expired session answers with a redirect to the login page,
        // which must read as a failure, not be rendered as the preview.
        const response = await fetch(url, {
          method: "POST",
          body,
          headers: { "X-CSRFToken": csrfToken(textarea.form) },
          credentials: "same-origin",
          redirect: "error",
        });
        if (!response.ok) throw new Error(`preview failed: ${response.status}`);
        const data = await response.json();
        // Answers can arrive out of order; only the newest text may win.
        if (seq !== latest) return;
        target.innerHTML = data.html;
        target.dataset.state = "rendered";
      } catch {
        if (seq === latest) {
          showMessage(target, "Preview unavailable (are you still signed in?). Your text is kept.");
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

  // A second click on "Post update" while the first is on its way would send the form
  // twice. The server writes it once anyway (the form's submission_key); disabling the
  // button spares the second request and shows the click was taken.
  function submitButtons(form) {
    return form.querySelectorAll('button[type="submit"], input[type="submit"]');
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || form.method !== "post") return;
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
