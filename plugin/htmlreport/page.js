(function () {
  "use strict";
  var heat = document.getElementById("heat");
  var body = heat.tBodies[0];
  var f = {
    ns: document.getElementById("f-ns"), finding: document.getElementById("f-finding"),
    cap: document.getElementById("f-cap"), text: document.getElementById("f-text"),
    differ: document.getElementById("f-differ")
  };
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr.w")); }
  function has(list, v) { return (" " + list + " ").indexOf(" " + v + " ") >= 0; }
  function apply() {
    var n = 0, all = rows();
    all.forEach(function (tr) {
      var d = tr.dataset, text = f.text.value.trim().toLowerCase();
      var ok = (!f.ns.value || d.ns === f.ns.value) &&
        (!f.finding.value || has(d.findings, f.finding.value)) &&
        (!f.cap.value || has(d.caps, f.cap.value)) &&
        (!text || (d.ns + "/" + d.workload + "/" + d.container).toLowerCase().indexOf(text) >= 0) &&
        (!f.differ.checked || d.agree === "0");
      tr.hidden = !ok;
      var det = document.getElementById(tr.id + "-d");
      det.hidden = !ok || tr.dataset.open !== "1";
      if (ok) { n++; }
    });
    document.getElementById("shown").textContent = n + " of " + all.length + " workload containers shown";
  }
  Object.keys(f).forEach(function (k) { f[k].addEventListener(k === "text" ? "input" : "change", apply); });
  body.addEventListener("click", function (e) {
    var b = e.target.closest("button.toggle");
    if (!b) { return; }
    var tr = b.closest("tr.w");
    var open = tr.dataset.open !== "1";
    tr.dataset.open = open ? "1" : "0";
    b.setAttribute("aria-expanded", open ? "true" : "false");
    b.textContent = open ? "hide" : "details";
    document.getElementById(tr.id + "-d").hidden = !open;
  });
  heat.tHead.addEventListener("click", function (e) {
    var th = e.target.closest("th[data-sort]");
    if (!th) { return; }
    var key = th.dataset.sort, num = th.dataset.num === "1";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    heat.tHead.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows().sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      if (num) { return dir * (Number(x) - Number(y)); }
      return dir * x.localeCompare(y);
    }).forEach(function (tr) {
      body.appendChild(tr);
      body.appendChild(document.getElementById(tr.id + "-d"));
    });
  });
  document.querySelectorAll("button[data-finding]").forEach(function (b) {
    b.addEventListener("click", function () { f.finding.value = b.dataset.finding; apply(); heat.scrollIntoView(); });
  });
  document.getElementById("download").addEventListener("click", function () {
    var data = document.getElementById("caps-report").textContent;
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([data], { type: "application/json" }));
    a.download = "kubectl-caps-report.json";
    a.click();
  });
  apply();
})();
