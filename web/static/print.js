/* The print button of the printable records. */
(function () {
  "use strict";
  var b = document.getElementById("print-button");
  if (b) { b.addEventListener("click", function () { window.print(); }); }
}());
