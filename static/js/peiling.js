// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // GOV.UK pattern: move focus to the error summary so it is read out first.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }

    // Links in the error summary: focus the field, not just scroll to it, and keep its
    // question and hint in view above it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (!target) { return; }
        ev.preventDefault();
        goTo(target);
      });
    });

    // "Wijzig" on the check page links to a question: focus its control on arrival. After
    // load, because the browser's own move to the fragment focuses the question itself.
    if (window.location.hash.length > 1) {
      var arrived = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (arrived && arrived.closest("form")) {
        window.addEventListener("load", function () { window.setTimeout(function () { goTo(arrived); }, 0); });
      }
    }

    conditionalReveal();
    document.querySelectorAll("[data-fills]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var field = document.getElementById(radio.getAttribute("data-fills"));
        if (field && radio.checked) { field.value = radio.value; }
      });
    });
    document.querySelectorAll("[data-count-for]").forEach(characterCount);
    document.querySelectorAll("[data-copy]").forEach(copyButton);
    document.querySelectorAll("[data-autocomplete]").forEach(autocomplete);

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

  // goTo brings a question into view with its title and hint, and focuses its control: the
  // chosen radio, else the first control, else the element itself.
  function goTo(el) {
    var control = el.matches("input, textarea, select") ? el :
      (el.querySelector("input:checked:not([type=hidden])") || el.querySelector("input:not([type=hidden]), textarea, select"));
    var box = el.matches(".question") ? el : (el.closest("fieldset") || el.closest(".question") || el);
    box.scrollIntoView();
    if (!control) {
      if (!el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "-1"); }
      control = el;
    }
    control.focus({ preventScroll: true });
    var r = control.getBoundingClientRect();
    if (r.bottom > window.innerHeight) { control.scrollIntoView({ block: "center" }); }
  }

  // GOV.UK conditional reveal: the "Anders, namelijk" field shows when "Anders" is chosen,
  // and stays when it holds text, so nothing typed disappears.
  function conditionalReveal() {
    document.querySelectorAll("[data-reveals]").forEach(function (input) {
      var box = document.getElementById(input.getAttribute("data-reveals"));
      if (!box) { return; }
      var text = box.querySelector("input");
      var update = function () { box.hidden = !input.checked && text.value.trim() === "" && !box.classList.contains("field--error"); };
      input.form.querySelectorAll("input[name='" + input.name + "']").forEach(function (other) {
        other.addEventListener("change", update);
      });
      update();
    });
  }

  // GOV.UK character count: a visible count as one types, and a calmer one for screen readers.
  function characterCount(hint) {
    var field = document.getElementById(hint.getAttribute("data-count-for"));
    var limit = parseInt(hint.getAttribute("data-limit"), 10);
    if (!field || !limit) { return; }
    var shown = document.createElement("p");
    shown.className = "char-count";
    shown.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("div");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", spoken);
    field.insertAdjacentElement("afterend", shown);
    var timer;
    // Characters as the server counts them: code points, not UTF-16 units (an emoji is one).
    var count = function () { return Array.from(field.value.replace(/\r\n/g, "\n")).length; };
    // The words come from the page, in its language: data-left-one="… {n} …" and so on.
    var words = function (name, n) {
      return (hint.getAttribute("data-" + name + (n === 1 ? "-one" : "-other")) || "{n}").replace("{n}", n);
    };
    var message = function () {
      var left = limit - count();
      return left >= 0 ? words("left", left) : words("over", -left);
    };
    var update = function () {
      shown.textContent = message();
      shown.classList.toggle("char-count--over", count() > limit);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = message(); }, 1000);
    };
    field.addEventListener("input", update);
    shown.textContent = message();
  }

  // A button that copies the text of another element, and says so.
  function copyButton(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        status.textContent = button.getAttribute("data-copied");
      }, function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        status.textContent = button.getAttribute("data-copy-failed");
      });
    });
  }

  // looseName mirrors models.looseName: no case, accents, apostrophes, dots or brackets.
  function looseName(s) {
    return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f'’‘`´.()]/g, "")
      .replace(/[-\s]+/g, " ").trim();
  }

  // autocomplete turns the municipality field into a combobox after the GOV.UK accessible
  // autocomplete: a listbox under the field, arrow keys, Enter to choose, Escape to close,
  // and a live region that says how many municipalities match. The server still decides.
  function autocomplete(wrap) {
    var input = wrap.querySelector("input[list]");
    var datalist = input && document.getElementById(input.getAttribute("list"));
    if (!datalist) { return; }
    var names = Array.prototype.map.call(datalist.options, function (o) {
      return { name: o.value, keys: [o.value].concat((o.label && o.label !== o.value) ? o.label.split(", ") : []).map(looseName) };
    });
    var listID = input.id + "-listbox";
    input.removeAttribute("list");
    datalist.remove();
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listID);
    var list = document.createElement("ul");
    list.id = listID;
    list.className = "autocomplete__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", wrap.getAttribute("data-list-label"));
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    // GOV.UK's assistive hint: how to use the list, for screen readers only.
    var usage = document.createElement("span");
    usage.id = input.id + "-gebruik";
    usage.className = "visually-hidden";
    usage.textContent = wrap.getAttribute("data-usage");
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + usage.id).trim());
    wrap.appendChild(list);
    wrap.appendChild(status);
    wrap.appendChild(usage);
    var shown = [], active = -1, timer;

    var close = function () {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    var highlight = function (i) {
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.classList.toggle("autocomplete__option--focused", i === j);
        li.setAttribute("aria-selected", i === j ? "true" : "false");
      });
      active = i;
      if (i < 0) { input.removeAttribute("aria-activedescendant"); return; }
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({ block: "nearest" });
    };
    var choose = function (i) {
      input.value = shown[i];
      close();
      input.focus();
    };
    var announce = function (n) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        // (data-found-*, not data-one: html/template reads data-on… as a script attribute.)
        status.textContent = n === 0 ? wrap.getAttribute("data-none") :
          wrap.getAttribute(n === 1 ? "data-found-one" : "data-found-other").replace("{n}", n) + ". " + wrap.getAttribute("data-choose");
      }, 400);
    };
    var update = function () {
      var q = looseName(input.value);
      list.innerHTML = "";
      shown = [];
      if (q === "") { close(); status.textContent = ""; return; }
      var starts = [], contains = [];
      names.forEach(function (n) {
        var hit = 0;
        n.keys.forEach(function (k) {
          if (k.indexOf(q) === 0 || k.indexOf(" " + q) > 0) { hit = Math.max(hit, k.indexOf(q) === 0 ? 2 : 1); }
        });
        if (hit === 2) { starts.push(n.name); } else if (hit === 1) { contains.push(n.name); }
      });
      shown = starts.concat(contains).slice(0, 20);
      shown.forEach(function (name, i) {
        var li = document.createElement("li");
        li.id = listID + "-" + i;
        li.className = "autocomplete__option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = name;
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = shown.length === 0;
      input.setAttribute("aria-expanded", shown.length > 0 ? "true" : "false");
      announce(shown.length);
    };
    // Enter on an option chooses it and must not also send the form.
    var chose = false;
    input.addEventListener("keypress", function (ev) { if (ev.key === "Enter" && chose) { ev.preventDefault(); } });
    input.addEventListener("keyup", function (ev) { if (ev.key === "Enter") { chose = false; } });
    input.form.addEventListener("submit", function (ev) {
      if (chose) { ev.preventDefault(); chose = false; }
    });
    input.addEventListener("input", update);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") {
        if (list.hidden) { update(); }
        if (shown.length) { ev.preventDefault(); highlight(Math.min(active + 1, shown.length - 1)); }
      } else if (ev.key === "ArrowUp") {
        if (!list.hidden && shown.length) { ev.preventDefault(); highlight(Math.max(active - 1, 0)); }
      } else if (ev.key === "Enter") {
        if (!list.hidden && active >= 0) { ev.preventDefault(); choose(active); chose = true; }
      } else if (ev.key === "Escape") {
        if (!list.hidden) { ev.preventDefault(); close(); }
      }
    });
  }

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
