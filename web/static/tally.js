/* Live percentages and pass/fail on the tally form, from the vote rule passed as data attributes.
   Whole-number arithmetic only (cross-multiplication), as the server does; the server decides. */
(function () {
  "use strict";
  var form = document.getElementById("tally-form");
  if (!form) { return; }
  var rule = JSON.parse(form.getAttribute("data-rule"));
  var w = JSON.parse(form.getAttribute("data-words"));
  var rowsInput = document.getElementById("rows");

  function num(el) {
    if (!el || el.value.trim() === "") { return null; }
    var n = Number(el.value);
    return Number.isInteger(n) && n >= 0 ? n : null;
  }
  function byId(id) { return num(document.getElementById(id)); }
  function fmt(s, vals) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vals[k] !== undefined ? vals[k] : m; });
  }
  function meets(v, base, op, f) {
    if (!base || base <= 0) { return false; }
    return op === "gt" ? v * f[1] > base * f[0] : v * f[1] >= base * f[0];
  }
  function exactly(v, base, f) { return base > 0 && v * f[1] === base * f[0]; }
  function minVotes(base, op, f) {
    var floor = Math.floor(base * f[0] / f[1]);
    var exact = (base * f[0]) % f[1] === 0;
    return op === "ge" ? (exact ? floor : floor + 1) : floor + 1;
  }
  function pct(v, base) {
    if (!base) { return "—"; }
    return (v * 100 / base).toFixed(2).replace(".", w.decimal) + "%";
  }
  function counts() {
    var c = {};
    ["summoned", "present", "issued", "collected", "valid", "invalid", "members"].forEach(function (k) { c[k] = byId(k); });
    return c;
  }
  function baseOf(c, which) {
    if (which === "members") { return c.members !== null ? c.members : c.summoned; }
    return c[which];
  }
  function badge(cls, text) {
    var s = document.createElement("span");
    s.className = "badge " + cls;
    s.textContent = text;
    return s;
  }

  function update() {
    var c = counts();
    var base = baseOf(c, rule.base);
    var rows = Array.prototype.slice.call(form.querySelectorAll("tr.cf-cand"));
    var results = [], nominations = 0;
    rows.forEach(function (tr) {
      var votes = {}, any = false, total = 0;
      tr.querySelectorAll("input.cf-vote").forEach(function (el) {
        var n = num(el);
        votes[el.getAttribute("data-measure")] = n === null ? 0 : n;
        if (n !== null) { any = true; total += n; }
      });
      results.push({ tr: tr, votes: votes, any: any, total: total });
      if (any) { nominations += votes[rule.measures[0]]; }
    });
    var passing = [];
    results.forEach(function (r) {
      var cell = r.tr.querySelector(".cf-live");
      cell.textContent = "";
      if (!r.any || base === null) { return; }
      var shown = rule.measures.filter(function (m) { return r.votes[m] !== undefined; });
      var parts = shown.map(function (m) { return (shown.length > 1 ? w.measures[m] + " " : "") + pct(r.votes[m], base); });
      var line = document.createElement("div");
      line.className = "text-nowrap";
      line.textContent = parts.join(" · ");
      cell.appendChild(line);
      if (c.valid !== null && r.total > c.valid) {
        cell.appendChild(badge("text-bg-danger", w.row_over));
        return;
      }
      if (rule.mode === "levels") {
        var title = rule.default_outcome, bad = false;
        for (var i = 0; i < rule.outcomes.length; i++) {
          var o = rule.outcomes[i], n = r.votes[o.measure] || 0;
          if (meets(n, base, o.op, o.fraction) && (!o.below || n * o.below[1] < base * o.below[0])) {
            title = o.title; bad = true; break;
          }
        }
        cell.appendChild(badge(bad ? "text-bg-danger" : "text-bg-success", title));
        return;
      }
      var v = r.votes[rule.measures[0]];
      if (meets(v, base, rule.pass_op, rule.pass)) {
        cell.appendChild(badge("text-bg-success", w.passed));
        passing.push(r);
      } else if (rule.pass_op === "gt" && rule.at_threshold === "head_decides" && exactly(v, base, rule.pass)) {
        cell.appendChild(badge("text-bg-warning", w.at_threshold));
      } else {
        cell.appendChild(badge("text-bg-secondary", w.failed));
      }
    });
    if (rule.mode === "nominate" && passing.length) {
      var top = Math.max.apply(null, passing.map(function (r) { return r.votes[rule.measures[0]]; }));
      passing.forEach(function (r) {
        if (r.votes[rule.measures[0]] === top) {
          r.tr.querySelector(".cf-live").appendChild(document.createTextNode(" "));
          r.tr.querySelector(".cf-live").appendChild(badge("text-bg-primary", w.top));
        }
      });
    }

    var box = document.getElementById("live-summary");
    box.textContent = "";
    function say(text, cls) {
      var p = document.createElement("p");
      p.className = "mb-1 " + (cls || "");
      p.textContent = text;
      box.appendChild(p);
    }
    var of = baseOf(c, rule.quorum_of);
    if (of && c.present !== null) {
      var needQ = minVotes(of, "ge", rule.quorum);
      var met = meets(c.present, of, "ge", rule.quorum);
      say(fmt(met ? w.quorum_met : w.quorum_not_met, { present: c.present, of: of, needed: needQ }),
          met ? "text-success" : "text-danger fw-semibold");
    }
    if (base) {
      say(fmt(w.base, { name: w.base_name, n: base }));
      if (rule.mode !== "levels") { say(fmt(w.needed, { n: minVotes(base, rule.pass_op, rule.pass) })); }
    }
    if (c.present !== null && c.summoned !== null && c.present > c.summoned) { say(w.present_gt, "text-danger"); }
    if (c.issued !== null && c.present !== null && c.issued > c.present) { say(w.issued_gt, "text-danger"); }
    if (c.collected !== null && c.issued !== null && c.collected > c.issued) { say(w.collected_gt, "text-danger"); }
    if (c.valid !== null && c.invalid !== null && c.collected !== null && c.valid + c.invalid !== c.collected) {
      say(w.valid_sum, "text-danger");
    }
    if (rule.mode === "nominate" && c.valid !== null && nominations > c.valid) { say(w.nominations_over, "text-danger"); }
  }

  var add = document.getElementById("add-nominee");
  if (add) {
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
  form.addEventListener("input", update);
  update();
}());
