// Autosave of a draft note (NotePages). The form works without this script:
// its "Gem kladde" button sends it whole. With it, the draft saves itself
// when the caseworker pauses, leaves a field, hides the tab or closes it.
//
// Each save sends only the fields changed since the last save the app
// acknowledged, so a second tab open on the same note does not put back its
// older text in fields it did not touch; and it carries this tab's id and
// a rising number, so the app drops a save overtaken by a later one. The
// form's own submit carries the next number too, so that an autosave still
// under way cannot put older text back after it.
//
// A save counts as done only for the app's plain-text 2xx answer: a locked
// app answers 423, and a redirect (to the passphrase page) is an error,
// never a page read as "saved".
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var url = form.getAttribute("data-autosave");
  var status = document.getElementById("save-status");
  var pause = 1500;
  // Browsers refuse keepalive requests above 64 KiB in all.
  var keepaliveLimit = 60000;

  var editor = (function () {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  })();
  var sequence = 0;
  var acknowledged = 0;
  var timer = null;
  var inFlight = false;
  var again = false;
  var submitting = false;

  function token() {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  // Every field's values, as the app compares them (line breaks as LF).
  function values() {
    var result = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf" || name === "presentShown" || name === "next" || name === "editor" || name === "sequence") return;
      (result[name] = result[name] || []).push(String(value).replace(/\r\n?/g, "\n"));
    });
    return result;
  }

  var saved = values();

  function changed(now) {
    var names = {};
    Object.keys(now).concat(Object.keys(saved)).forEach(function (name) { names[name] = true; });
    return Object.keys(names).filter(function (name) {
      return (now[name] || []).join("\u0000") !== (saved[name] || []).join("\u0000");
    });
  }

  function show(text) {
    if (status) status.textContent = text;
  }

  function attribute(name) {
    return status ? status.getAttribute(name) : "";
  }

  // Resolves once this save and any it queued are answered: true when all
  // that was changed is saved.
  var current = Promise.resolve(true);

  function save(leaving) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (inFlight && !leaving) { again = true; return current; }
    var now = values();
    var names = changed(now);
    if (names.length === 0) return Promise.resolve(true);
    var body = new URLSearchParams();
    body.append("csrf", token());
    body.append("editor", editor);
    var number = ++sequence;
    body.append("sequence", String(number));
    names.forEach(function (name) {
      var list = now[name] || [];
      // A radio or text field left empty still says so; no ticks at all is
      // said by presentShown alone.
      if (list.length === 0 && name !== "present[]") list = [""];
      list.forEach(function (value) { body.append(name, value); });
      if (name === "present[]") body.append("presentShown", "1");
    });
    var text = body.toString();
    inFlight = true;
    show(attribute("data-saving"));
    var done = false;
    current = fetch(url, {
      method: "POST",
      body: text,
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      keepalive: leaving && text.length < keepaliveLimit
    }).then(function (response) {
      var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
      return response.text().then(function (reply) {
        if (response.ok && plain && !response.redirected) {
          done = true;
          if (number > acknowledged) {
            acknowledged = number;
            saved = now;
          }
          show(reply);
        } else if (response.status === 423) {
          show(attribute("data-locked"));
        } else {
          show(plain && !response.ok && reply ? reply : attribute("data-failed"));
        }
      });
    }).catch(function () {
      show(attribute("data-failed"));
    }).then(function () {
      inFlight = false;
      if (again) { again = false; return save(false); }
      return done && changed(values()).length === 0;
    });
    return current;
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { save(false); }, pause);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("focusout", function () { save(false); });
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer) { clearTimeout(timer); timer = null; }
    hidden("editor").value = editor;
    hidden("sequence").value = String(++sequence);
  });

  function hidden(name) {
    var field = form.querySelector("input[type=hidden][name=" + name + "]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      form.appendChild(field);
    }
    return field;
  }

  // The header's Lås and Synkronisér buttons: the draft's last changes are
  // saved first, else the lock would overtake them and they would be lost
  // with the page, or the sync would leave without them. When that save
  // fails, the page stays, saying so; a second press goes on anyway.
  ["form.lock", "form.sync-now"].forEach(function (selector) {
    var leaving = document.querySelector(selector);
    var asked = false;
    if (leaving) leaving.addEventListener("submit", function (event) {
      if (asked) { submitting = true; return; }
      event.preventDefault();
      asked = true;
      save(false).then(function (saved) {
        if (saved) {
          submitting = true;
          leaving.submit();
        }
      });
    });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) save(true);
  });
  window.addEventListener("pagehide", function () {
    if (!submitting) save(true);
  });
  // Text too long for a request that outlives the page: ask before leaving.
  window.addEventListener("beforeunload", function (event) {
    if (submitting) return;
    var now = values();
    var names = changed(now);
    if (names.length === 0) return;
    var size = 0;
    names.forEach(function (name) { (now[name] || []).forEach(function (value) { size += encodeURIComponent(value).length; }); });
    if (size >= keepaliveLimit) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();

// The sync page (SyncPages) while a sync runs: asks the app how far it got
// and says so in the page's polite live region; once it has ended, puts the
// outcome in its place, as the page now shows it. Without this script the
// page says that the sync is under way, and its "Opdatér" link shows more.
(function () {
  "use strict";
  var region = document.getElementById("sync-state");
  if (!region || !region.hasAttribute("data-running") || !window.fetch || !window.DOMParser) return;
  var url = region.getAttribute("data-status");
  var interval = 1000;

  function replaceFrom(page, selector) {
    var fresh = page.querySelector(selector);
    var shown = document.querySelector(selector);
    if (fresh && shown) shown.innerHTML = fresh.innerHTML;
    return fresh !== null;
  }

  function finished() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) { return response.text().then(function (html) { return { ok: response.ok, html: html }; }); })
      .then(function (answer) {
        var page = new DOMParser().parseFromString(answer.html, "text/html");
        // Another page in its place (the data was deleted, or the app
        // locked): show it whole.
        if (!answer.ok || !replaceFrom(page, "#sync-state")) { window.location.reload(); return; }
        replaceFrom(page, ".sync-actions");
        replaceFrom(page, "header.site .sync");
      })
      .catch(function () { window.location.reload(); });
  }

  function ask() {
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (status) {
        if (status.running) {
          var progress = document.getElementById("sync-progress");
          if (progress && progress.textContent !== status.text) progress.textContent = status.text;
          setTimeout(ask, interval);
        } else {
          finished();
        }
      })
      // The app stopped: the page stays as it is, and "Opdatér" tries again.
      .catch(function () {});
  }

  setTimeout(ask, interval);
})();
