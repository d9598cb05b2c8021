/* The tally form's live figures: the form is posted, as typed so far, to the server's preview (the
   engine's vote rule, nothing saved), and each candidate row's figures and the lines beside the form
   are replaced by what it answers. No arithmetic here: the rule lives in one place, on the server.
   Also: a row for a person nominated outside the list. Without scripts, the form saves as it is. */
(function () {
  "use strict";
  var form = document.getElementById("tally-form");
  if (!form) { return; }
  var url = form.getAttribute("data-preview");
  var rowsInput = document.getElementById("rows");
  var asked = 0, timer = null;

  function show(answer) {
    form.querySelectorAll("tr.cf-cand").forEach(function (tr) {
      tr.querySelector(".cf-live").innerHTML = answer.html.rows[tr.getAttribute("data-row")] || "";
    });
    document.getElementById("live-summary").innerHTML = answer.html.summary;
  }

  function update() {
    var mine = ++asked;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && mine === asked) { show(answer); } })
      .catch(function () { /* the figures stay as they were; saving checks everything anyway */ });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  }

  var add = document.getElementById("add-nominee");
  if (add) {
    add.hidden = false;               /* it needs this script: without it the form has two blank rows */
    add.addEventListener("click", function () {
      var tbody = form.querySelector("#cand-table tbody");
      var last = tbody.querySelector("tr.cf-new:last-of-type") || tbody.querySelector("tr.cf-new");
      if (!last) { return; }
      var i = Number(rowsInput.value);
      var tr = last.cloneNode(true);
      tr.setAttribute("data-row", String(i));
      tr.querySelectorAll("input").forEach(function (el) {
        var suffix = el.name.replace(/^c\d+-/, "");
        el.name = "c" + i + "-" + suffix;
        el.id = "c" + i + "-" + suffix;
        el.value = "";
      });
      tr.querySelectorAll("label").forEach(function (lb) {
        lb.setAttribute("for", lb.getAttribute("for").replace(/^c\d+-/, "c" + i + "-"));
      });
      tr.querySelector(".cf-live").textContent = "";
      tbody.appendChild(tr);
      rowsInput.value = String(i + 1);
      tr.querySelector("input.cf-name").focus();
    });
  }
  form.addEventListener("input", soon);
  update();
}());
