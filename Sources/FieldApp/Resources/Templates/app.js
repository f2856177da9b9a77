// Autosave of a note's form (NotePages). The form works without this script:
// its button sends it whole. With it, the note saves itself when the
// caseworker pauses, leaves a field, hides the tab or closes it. A new note
// (data-create) is made at the first change, then saves on as its draft.
//
// Each save sends only the fields changed since the last save the app
// acknowledged, each with the value it was based on (wasBody...): a field
// changed elsewhere since (a second tab, a colleague's change brought by a
// sync) is refused with 409, never overwritten unseen, and the button then
// shows both values. Each save also carries this tab's id and a rising
// number, so the app drops a save overtaken by a later one. The form's own
// submit carries the next number too, so that an autosave still under way
// cannot put older text back after it.
//
// A save counts as done only for the app's plain-text 2xx answer: a locked
// app answers 423, and a redirect (to the passphrase page) is an error,
// never a page read as "saved". A request that fails is not yet a stopped
// app (a moment's load, a keepalive over the browser's quota): the app's
// public stylesheet is asked for, without cookies, a few times; only when
// that fails too has the app stopped, and its port may be another program's
// by now. Then nothing more is sent by itself, the page says the text is
// only in this tab, and the button checks again before it sends.
//
// The ticks (present[]) are sent with the ticks the page showed
// (wasPresent[]), so that the app applies only the ticks changed here. A
// page shown with a refused save (the fields changed elsewhere) is unsaved
// until its button is pressed, and so is one whose save met a locked app:
// leaving either asks first.
//
// The visible status changes at every save; screen readers are told only
// when the state changes (saved, not saved, locked, stopped), not at every pause.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave], form[data-create]");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var url = form.getAttribute("data-autosave");
  var createURL = form.getAttribute("data-create");
  var status = document.getElementById("save-status");
  var announcer = document.getElementById("save-announce");
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
  // The app could not be reached: nothing more is sent from this page.
  var stopped = false;
  // A save was refused (changed elsewhere, finalized): the button decides now.
  var refused = false;
  // A save met the locked app: the text is not saved until the button sends it.
  var locked = false;
  var stylesheet = (document.querySelector("link[rel=stylesheet]") || {}).href || "";

  function token() {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function isOwn(name) {
    return name === "csrf" || name === "presentShown" || name === "next" || name === "editor" || name === "sequence" ||
      /^was[A-Z]/.test(name);
  }

  // Every field's values, as the app compares them (line breaks as LF).
  function values() {
    var result = {};
    new FormData(form).forEach(function (value, name) {
      if (isOwn(name)) return;
      (result[name] = result[name] || []).push(String(value).replace(/\r\n?/g, "\n"));
    });
    return result;
  }

  var saved = values();
  // Shown with a refused save: what is typed is not saved, and the button decides.
  if (form.querySelector(".conflict.changed")) {
    saved = {};
    refused = true;
  }

  // The ticks as the app held them when this page last knew (wasPresent[]).
  function basePresent() {
    if (!form.querySelector("input[type=hidden][name=wasPresentShown]")) return saved["present[]"] || [];
    return Array.prototype.map.call(form.querySelectorAll("input[type=hidden][name='wasPresent[]']"),
      function (field) { return field.value; });
  }

  function setBasePresent(list) {
    hidden("wasPresentShown").value = "1";
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden][name='wasPresent[]']"),
      function (field) { field.parentNode.removeChild(field); });
    (list || []).forEach(function (value) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "wasPresent[]";
      field.value = value;
      form.appendChild(field);
    });
  }

  // Whether the app answers at all: its stylesheet, asked for without
  // cookies (the port may be another program's), up to three times.
  function reachable(tries) {
    if (!stylesheet) return Promise.resolve(false);
    return fetch(stylesheet, { credentials: "omit", cache: "no-store", redirect: "manual" }).then(function (response) {
      return response.ok && (response.headers.get("Content-Type") || "").indexOf("text/css") === 0;
    }, function () { return false; }).then(function (ok) {
      if (ok || tries <= 1) return ok;
      return new Promise(function (resolve) { setTimeout(resolve, 1000); }).then(function () { return reachable(tries - 1); });
    });
  }

  function changed(now) {
    var names = {};
    Object.keys(now).concat(Object.keys(saved)).forEach(function (name) { names[name] = true; });
    return Object.keys(names).filter(function (name) {
      return (now[name] || []).join("\u0000") !== (saved[name] || []).join("\u0000");
    });
  }

  // The name of the field that says what `name` was based on (body: wasBody).
  function wasName(name) {
    return "was" + name.charAt(0).toUpperCase() + name.slice(1);
  }

  // What the app held for `name` when this page last knew: the page's own
  // value (wasBody), kept up to date at each acknowledged save.
  function was(name) {
    var field = form.querySelector("input[type=hidden][name=" + wasName(name) + "]");
    if (field) return field.value;
    return (saved[name] || [""])[0];
  }

  var announced = "saved";

  // `state` is saving, saved, failed, locked, refused or stopped: only a
  // change of state is announced, politely.
  function show(text, state) {
    if (status) status.textContent = text;
    if (!announcer || state === "saving" || state === announced) return;
    announced = state;
    announcer.textContent = text;
  }

  function attribute(name) {
    return status ? status.getAttribute(name) : "";
  }

  // Resolves once this save and any it queued are answered: true when all
  // that was changed is saved.
  var current = Promise.resolve(true);

  function save(leaving) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stopped || refused) return Promise.resolve(false);
    // A new note is made once: a second request while the first is under
    // way would make a second draft.
    if (inFlight && (!leaving || !url)) { again = true; return current; }
    var now = values();
    var names = url ? changed(now) : (changed(now).length ? Object.keys(now) : []);
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
      if (name === "present[]") {
        body.append("presentShown", "1");
        if (url) {
          body.append("wasPresentShown", "1");
          basePresent().forEach(function (value) { body.append("wasPresent[]", value); });
        }
      } else if (url) body.append(wasName(name), was(name));
    });
    var text = body.toString();
    var creating = !url;
    var keepalive = leaving && text.length < keepaliveLimit;
    inFlight = true;
    show(attribute("data-saving"), "saving");
    var done = false;
    current = fetch(creating ? createURL : url, {
      method: "POST",
      body: text,
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      credentials: "same-origin",
      cache: "no-store",
      // Not followed, and not thrown: only a failure to reach the app throws.
      redirect: "manual",
      keepalive: keepalive
    }).then(function (response) {
      var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
      return response.text().then(function (reply) {
        if (response.ok && plain && response.type !== "opaqueredirect") {
          done = true;
          locked = false;
          if (creating) created(response.headers.get("Location"), now);
          if (number > acknowledged) {
            acknowledged = number;
            saved = now;
            names.forEach(function (name) {
              if (name === "present[]") { setBasePresent(now[name]); return; }
              var field = form.querySelector("input[type=hidden][name=" + wasName(name) + "]");
              if (field) field.value = (now[name] || [""])[0];
            });
          }
          show(reply, "saved");
        } else if (response.status === 423) {
          locked = true;
          show(attribute("data-locked"), "locked");
        } else if (response.status === 409 && plain) {
          refused = true;
          show(reply, "refused");
        } else {
          show(plain && !response.ok && reply ? reply : attribute("data-failed"), "failed");
        }
      });
    }, function () {
      // A keepalive the browser refused (its quota) says nothing of the app.
      if (keepalive) { show(attribute("data-failed"), "failed"); return; }
      return reachable(3).then(function (ok) {
        if (ok) {
          show(attribute("data-failed"), "failed");
        } else {
          stopped = true;
          show(attribute("data-stopped"), "stopped");
        }
      });
    }).catch(function () {
      // The answer broke off: not saved, but the app may still be there.
      show(attribute("data-failed"), "failed");
    }).then(function () {
      inFlight = false;
      if (again && !stopped) { again = false; return save(false); }
      return done && changed(values()).length === 0;
    });
    return current;
  }

  // The new note is a draft now: save on there, and make the address the
  // draft's, so that a reload or the back button finds it.
  function created(location, sent) {
    if (!location) return;
    url = location + "/autosave";
    // What the draft was made of is what the button's save is based on.
    Object.keys(sent).forEach(function (name) {
      if (name !== "present[]") hidden(wasName(name)).value = (sent[name] || [""])[0];
    });
    setBasePresent(sent["present[]"]);
    form.setAttribute("action", location);
    form.setAttribute("data-autosave", url);
    form.removeAttribute("data-create");
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", location);
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { save(false); }, pause);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("focusout", function (event) {
    // On to the form's own button, which sends it all: a save now would
    // change the status line under the pointer and move the button away.
    var next = event.relatedTarget;
    if (next && next.form === form && next.type === "submit") return;
    save(false);
  });
  form.addEventListener("submit", function (event) {
    // The app was gone: its port may be another program's now. Sent only
    // once the app answers again (started again on the same port).
    if (stopped) {
      event.preventDefault();
      var button = event.submitter;
      reachable(1).then(function (ok) {
        if (!ok) { show(attribute("data-stopped"), "stopped"); return; }
        stopped = false;
        if (button && button.name) hidden(button.name).value = button.value;
        submitting = true;
        stampSubmit();
        form.submit();
      });
      return;
    }
    if (timer) { clearTimeout(timer); timer = null; }
    if (!url && inFlight) {
      // The draft is being made (leaving the field started it): the button
      // saves into it once it exists, rather than making a second note.
      event.preventDefault();
      current.then(function () {
        if (stopped) return;
        stampSubmit();
        submitting = true;
        form.submit();
      });
      return;
    }
    submitting = true;
    stampSubmit();
  });

  // The form's own submit carries the tab's next number, once it saves a draft.
  function stampSubmit() {
    if (!url) return;
    hidden("editor").value = editor;
    hidden("sequence").value = String(++sequence);
  }

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
  // Text that a request outliving the page cannot carry (too long, the app
  // gone, a new note still being made): ask before leaving.
  window.addEventListener("beforeunload", function (event) {
    if (submitting) return;
    var now = values();
    var names = changed(now);
    if (names.length === 0) return;
    var size = 0;
    names.forEach(function (name) { (now[name] || []).forEach(function (value) { size += encodeURIComponent(value).length; }); });
    if (size >= keepaliveLimit || stopped || refused || locked || (!url && inFlight)) {
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
