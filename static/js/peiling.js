// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // GOV.UK pattern: move focus to the error summary so it is read out first.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }

    // Links in the error summary: focus the field, not just scroll to it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (!target) { return; }
        ev.preventDefault();
        var legend = target.closest("fieldset");
        (legend || target).scrollIntoView();
        target.focus({ preventScroll: true });
      });
    });

    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });

    document.querySelectorAll("[data-select]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });

    document.querySelectorAll("form[data-tagging]").forEach(tagWithoutReload);

    // One click sends the answers once; the server is idempotent anyway.
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        var b = form.querySelector("[data-once]");
        if (b) { window.setTimeout(function () { b.disabled = true; }, 0); }
      });
    });
  });

  // Coding open answers: the answers form posts with fetch and updates the tags and counts in
  // place, so the researcher keeps their place in a long list. The form's CSRF token goes
  // along in the body and in the header. Without fetch, or on any failure to read the
  // answer, the plain form post (POST, redirect, GET) still works.
  function tagWithoutReload(form) {
    if (!window.fetch || !window.URLSearchParams) { return; }
    var status = form.querySelector("[role=status]");
    var token = form.querySelector("input[name=_csrf]");
    form.addEventListener("submit", function (ev) {
      var button = ev.submitter;
      ev.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      if (button && button.name) { body.append(button.name, button.value); }
      fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.value : "" }
      }).then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
      }).then(function (r) {
        if (!r.ok) { say(r.data.message || "Dat lukte niet. Probeer het opnieuw."); return; }
        update(r.data, button);
        say(r.data.message);
      }).catch(function () {
        say("Dat lukte niet: er kwam geen antwoord van de server. Probeer het opnieuw.");
      });
    });

    // say puts the message in the live region; emptying it first makes a repeated message
    // be announced again.
    function say(msg) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = msg; }, 50);
    }

    function update(data, button) {
      (data.themes || []).forEach(function (t) {
        document.querySelectorAll("[data-theme-count='" + t.id + "']").forEach(function (cell) {
          cell.textContent = String(t.count);
        });
        var option = document.querySelector("#filter-thema option[value='" + t.id + "']");
        if (option) { option.textContent = t.name + " (" + t.count + ")"; }
      });
      var removedFrom = button && button.name === "verwijder" ? button.value.split("-")[1] : "";
      (data.answers || []).forEach(function (a) {
        var list = form.querySelector("[data-tags='" + a.id + "']");
        if (!list) { return; }
        var item = list.closest("[data-nr]");
        var nr = item ? item.getAttribute("data-nr") : "";
        list.textContent = "";
        a.themes.forEach(function (t) { list.appendChild(tagItem(t, a.id, nr)); });
        var pick = document.getElementById("kies-" + a.id);
        if (pick) {
          pick.checked = false;
          if (String(a.id) === removedFrom) { pick.focus(); } // its button is gone
        }
      });
    }

    function tagItem(t, answerID, nr) {
      var li = document.createElement("li");
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = t.name;
      var b = document.createElement("button");
      b.className = "button button--link";
      b.type = "submit";
      b.name = "verwijder";
      b.value = t.id + "-" + answerID;
      b.appendChild(document.createTextNode("Verwijder"));
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " thema " + t.name + " bij antwoord " + nr;
      b.appendChild(hidden);
      li.appendChild(tag);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(b);
      return li;
    }
  }
})();
