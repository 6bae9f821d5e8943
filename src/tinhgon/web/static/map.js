// Maps without external tiles: the cells of the units on a blank background (Leaflet, vendored).
(function () {
  var BAND = {lt450: "#d9534f", "450to600": "#f0ad4e", ge600: "#3c8d5a", unknown: "#9aa0a6"};
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"];
  function groupColour(label) {
    var h = 0, s = String(label);
    for (var i = 0; i < s.length; i++) { h = (h * 31 + s.charCodeAt(i)) >>> 0; }
    var n = parseInt(s, 10);
    return PALETTE[(isNaN(n) ? h : n) % PALETTE.length];
  }
  window.tinhgonGroupColour = groupColour;
  function fmt(n) { return n === null || n === undefined ? "—" : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }

  function draw(el) {
    var map = el._map;
    if (!map) {
      map = el._map = L.map(el, {zoomSnap: 0.25, attributionControl: false});
    }
    fetch(el.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (fc) {
      if (el._layer) { map.removeLayer(el._layer); }
      var mode = el.dataset.mode;
      el._layer = L.geoJSON(fc, {
        style: function (f) {
          var p = f.properties;
          var fill = mode === "group" ? (p.colour || groupColour(p.group)) : BAND[p.band] || "#9aa0a6";
          // in a plan, a cell's outline takes its group's colour, so each group reads as one shape
          var line = p.locked ? "#000" : (mode === "group" ? fill : "#fff");
          return {color: line, weight: p.locked ? 2.5 : 1, fillColor: fill, fillOpacity: 0.75};
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          var text = "<b>" + p.name + "</b><br>" + fmt(p.households) + " hộ" +
                     (p.group !== undefined ? "<br>Nhóm " + p.group : "") + (p.band_label ? "<br>" + p.band_label : "");
          layer.bindTooltip(text);
          layer.on("click", function () {
            var sel = document.getElementById("move-unit");
            if (sel) { sel.value = String(p.id); sel.dispatchEvent(new Event("change")); }
          });
        }
      }).addTo(map);
      if (!el._fitted && el._layer.getLayers().length) { map.fitBounds(el._layer.getBounds(), {padding: [8, 8]}); el._fitted = true; }
    });
  }
  function init() { document.querySelectorAll(".map[data-src]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", init);
  document.body.addEventListener("plan-changed", function () { setTimeout(init, 0); });
})();
