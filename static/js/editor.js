// The survey editor without a page load per change, and questions dragged to a new place.
// Progressive enhancement only: every form works without this file, and the buttons
// (Omhoog, Omlaag, Verwijderen) stay the keyboard's way to do what dragging does.
(function () {
  "use strict";
  var main = document.getElementById("inhoud");
  if (!main || !main.querySelector("[data-editor]") || !window.fetch || !window.DOMParser) { return; }

  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  document.body.appendChild(status);

  function csrf() {
    var input = main.querySelector('input[name="_csrf"]');
    return input ? input.value : "";
  }

  // send posts body to url and puts the editor page that comes back in place of this one.
  function send(url, body, focusKey) {
    main.setAttribute("aria-busy", "true");
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
      .then(function (res) {
        return res.text().then(function (html) { return { res: res, html: html }; });
      })
      .then(function (r) {
        var doc = new DOMParser().parseFromString(r.html, "text/html");
        var next = doc.getElementById("inhoud");
        if (!next || !next.querySelector("[data-editor]")) { // another page: go there instead
          window.location.href = r.res.url;
          return;
        }
        main.innerHTML = next.innerHTML;
        document.title = doc.title;
        if (r.res.ok && r.res.url.indexOf("/editor") > 0) {
          window.history.replaceState(null, "", r.res.url.split("#")[0]);
        }
        var notice = main.querySelector(".notice");
        status.textContent = notice ? notice.textContent.trim() : "";
        restoreFocus(focusKey);
        enhance();
      })
      .catch(function () { window.location.reload(); })
      .then(function () { main.removeAttribute("aria-busy"); });
  }

  // restoreFocus puts the focus back on the button that was pressed, in its new place, or on
  // the error summary, or on the row or section it was about.
  function restoreFocus(key) {
    var target = main.querySelector("[data-autofocus]");
    if (!target && key) {
      main.querySelectorAll("form").forEach(function (f) {
        if (target || f.getAttribute("action") !== key.action) { return; }
        var b = key.value ? f.querySelector('button[value="' + key.value + '"]') : f.querySelector("button");
        if (b) { target = b; }
      });
      if (!target && key.row) {
        target = document.getElementById(key.row);
        if (target) { target.setAttribute("tabindex", "-1"); }
      }
    }
    if (!target) {
      target = document.getElementById("secties");
    }
    if (target) { target.focus(); }
  }

  function onSubmit(ev) {
    var form = ev.target;
    if (form.method.toLowerCase() !== "post") { return; }
    ev.preventDefault();
    var data = new FormData(form);
    var button = ev.submitter;
    if (button && button.name) { data.append(button.name, button.value); }
    var row = form.closest("[data-code]") || form.closest(".editor-section");
    send(form.action, new URLSearchParams(data), {
      action: form.getAttribute("action"), value: button ? button.value : "", row: row ? row.id : ""
    });
  }

  var dragged = null;

  function enhance() {
    main.querySelectorAll("[data-draggable]").forEach(function (li) {
      li.setAttribute("draggable", "true");
      li.addEventListener("dragstart", function (ev) {
        dragged = li;
        li.classList.add("is-dragging");
        ev.dataTransfer.effectAllowed = "move";
        ev.dataTransfer.setData("text/plain", li.getAttribute("data-code"));
      });
      li.addEventListener("dragend", function () {
        li.classList.remove("is-dragging");
        main.querySelectorAll(".is-target").forEach(function (t) { t.classList.remove("is-target"); });
      });
    });
    main.querySelectorAll(".question-list li").forEach(function (li) {
      li.addEventListener("dragover", function (ev) {
        if (!dragged || dragged === li) { return; }
        ev.preventDefault();
        main.querySelectorAll(".is-target").forEach(function (t) { t.classList.remove("is-target"); });
        li.classList.add("is-target");
      });
      li.addEventListener("drop", function (ev) {
        if (!dragged || dragged === li) { return; }
        ev.preventDefault();
        var list = li.parentNode;
        var items = Array.prototype.slice.call(list.children).filter(function (x) { return x !== dragged; });
        var body = new URLSearchParams();
        body.append("_csrf", csrf());
        body.append("sectie", list.getAttribute("data-section"));
        body.append("positie", String(items.indexOf(li) + 1)); // before the row it was dropped on
        var url = main.querySelector("[data-editor]").getAttribute("data-editor-url") + "/vragen/" + dragged.getAttribute("data-code") + "/verplaats";
        var row = dragged.id;
        dragged = null;
        send(url, body, { row: row });
      });
    });
  }

  main.addEventListener("submit", onSubmit);
  enhance();
})();
