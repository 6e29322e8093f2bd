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

    // One click sends the answers once; the server is idempotent anyway.
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        var b = form.querySelector("[data-once]");
        if (b) { window.setTimeout(function () { b.disabled = true; }, 0); }
      });
    });
  });
})();
