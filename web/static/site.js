/* Small helpers for every page: the step filter follows the chosen procedure. */
(function () {
  "use strict";
  var proc = document.querySelector("select[data-steps-for]");
  if (!proc) { return; }
  var steps = document.getElementById(proc.getAttribute("data-steps-for"));
  function sync() {
    var key = proc.value;
    steps.querySelectorAll("optgroup").forEach(function (g) {
      var show = !key || g.getAttribute("data-procedure") === key;
      g.hidden = !show;
      g.disabled = !show;
    });
    var opt = steps.options[steps.selectedIndex];
    if (opt && opt.parentElement.tagName === "OPTGROUP" && opt.parentElement.disabled) { steps.value = ""; }
  }
  proc.addEventListener("change", sync);
  sync();
}());
