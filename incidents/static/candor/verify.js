/* The Verify page, in the reader's browser: no server of ours needed, so it works on the
   published static copy with the app stopped. Checks as incidents/signing.py does:
   a code in the text, its notice in its shard of /verify/notices.json, the signature (WebCrypto
   Ed25519) by a key in /.well-known/candor-keys.json, publication inside that key's
   validity, the pasted words against the signed ones, and the notice's age (a genuine
   old notice sent again as news is a replay). Text is only ever set as textContent. */
(function () {
  "use strict";
  var CODE = /\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b/;
  var REPLAY_MS = 48 * 3600 * 1000; // signing.REPLAY_WINDOW
  var SMS_CUT_PREFIX = 30; // signing._SMS_CUT_PREFIX
  var JUST_A_CODE = 40; // signing._JUST_A_CODE

  function bytes(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function normalise(text) {
    return text.normalize("NFKD").replace(/[^\x00-\x7f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }

  function time(text) {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text || "") ? new Date(text) : null;
  }

  function load(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(url + " answered " + r.status);
      return r.json();
    });
  }

  // The index names the shards that hold notices (signing.notices_document): only the one
  // the code falls in is fetched, never every notice the site has signed.
  async function find(index, indexUrl, code) {
    var prefix = code.slice(0, index.prefix_length);
    if (!index.shards || !Object.prototype.hasOwnProperty.call(index.shards, prefix)) return null;
    var shard = await load(new URL(index.shard.replace("{prefix}", prefix), indexUrl).href);
    return shard.notices.find(function (n) { return n.code === code; }) || null;
  }

  async function check(text, form) {
    var match = text.toUpperCase().match(CODE);
    if (!match) return { genuine: false, reason: "No verification code found: not a notice of ours." };
    var code = match[0];
    var both = await Promise.all([load(form.dataset.keys), load(form.dataset.notices)]);
    var notice = await find(both[1], new URL(form.dataset.notices, location.href), code);
    if (!notice) return { genuine: false, reason: "Unknown verification code: not a notice of ours." };
    var data;
    try { data = JSON.parse(notice.payload); } catch (e) { data = null; }
    if (!data || typeof data !== "object") return { genuine: false, reason: "Not a notice: the signed bytes are not JSON." };
    var key = both[0].keys.find(function (k) { return k.id === data.key; });
    if (!key) return { genuine: false, reason: "Signed with a key that is not ours." };
    var publicKey = await crypto.subtle.importKey("raw", bytes(key.public_key), { name: "Ed25519" }, false, ["verify"]);
    var ok = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, bytes(notice.signature),
      new TextEncoder().encode(notice.payload));
    if (!ok) return { genuine: false, reason: "The signature does not match: altered, or not signed by us." };
    var published = time(data.published_at), signed = time(data.signed_at);
    var from = time(key.valid_from), until = time(key.valid_until);
    if (!published || !signed || signed < published) {
      return { genuine: false, reason: "The notice has no valid publication or signing time." };
    }
    if ((from && signed < from) || (until && signed > until)) {
      return { genuine: false, reason: "Signed outside its key's validity period." };
    }
    var pasted = normalise(text.replace(/https?:\/\/\S+/g, " ").replace(new RegExp(code, "i"), " "));
    var signed = normalise(String(data.body));
    if (pasted.length > JUST_A_CODE && pasted.indexOf(signed) < 0 &&
        !(text.indexOf("...") >= 0 && signed.length > SMS_CUT_PREFIX && pasted.indexOf(signed.slice(0, SMS_CUT_PREFIX)) >= 0)) {
      return { genuine: false, reason: "The words differ from the notice we published.", notice: data, published: published };
    }
    if (Date.now() - published.getTime() > REPLAY_MS) {
      return { genuine: false, old: true, notice: data, published: published,
        reason: "This notice is ours, but old: published " + published.toISOString().replace(".000Z", "Z") +
          ". If it reached you as news, it is an old notice sent again: do not act on it." };
    }
    return { genuine: true, notice: data, published: published };
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function show(area, result) {
    var box = el("div", "", "verdict " + (result.genuine ? "verdict--genuine" : "verdict--refused"));
    box.appendChild(el("h2", result.genuine ? "Genuine: this notice is ours" : "Not verified: do not trust this message"));
    if (result.reason) box.appendChild(el("p", result.reason));
    if (result.notice) {
      var about = el("p", "It is about ");
      var link = el("a", String(result.notice.title));
      if (/^https?:\/\//.test(result.notice.url)) link.href = result.notice.url;
      about.appendChild(link);
      about.appendChild(document.createTextNode(", published " +
        result.published.toISOString().replace(".000Z", "Z") + " (status: " + result.notice.status + ")."));
      box.appendChild(about);
      box.appendChild(el("p", "What we published:"));
      box.appendChild(el("blockquote", String(result.notice.body), "verdict__words"));
    }
    area.replaceChildren(box);
    box.setAttribute("data-verdict", result.genuine ? "genuine" : "refused");
  }

  function run(form, area, text) {
    area.replaceChildren(el("p", "Checking…"));
    check(text, form).then(function (result) { show(area, result); }, function (err) {
      show(area, { genuine: false, reason: "This page could not check the message: " + err.message });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("verify-form");
    var area = document.getElementById("verdict");
    if (!form || !area) return;
    if (!(window.crypto && crypto.subtle)) return; // the live app's own verdict stays
    var input = document.getElementById("message");
    function submit(event) {
      event.preventDefault();
      var text = input.value;
      // Only the code goes in the address: a pasted message stays out of history and logs.
      history.replaceState(null, "", "?code=" + encodeURIComponent((text.toUpperCase().match(CODE) || [""])[0]));
      run(form, area, text);
    }
    // The live app's page has a form; the static copy's has none, only its button.
    if (form.tagName === "FORM") form.addEventListener("submit", submit);
    else form.querySelector("button").addEventListener("click", submit);
    var params = new URLSearchParams(location.search);
    var given = params.get("message") || params.get("code");
    if (given) {
      input.value = given;
      run(form, area, given);
    }
  });
})();
