// tinhgon: small helpers around HTMX. Errors from the server (4xx with a Vietnamese message) are shown
// in place of the target, so a refused move or a lost session is never silent.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var nav = document.getElementById("nav");
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  if (window.htmx) {
    htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "401", swap: false},
      {code: "[45]..", swap: true, error: false, target: "#flash"}
    ];
  }
});
