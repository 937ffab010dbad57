/* 溯源分析: draws the trace subgraph as SVG (positions from the server's layout), with zoom, pan, node drag,
   edge-type filters and selection synced with the ranked list; shows a report's links when its job is done.
   Written for this page only; no library, no network beyond this server. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var NODE_COLOUR = { line: "#1f6feb", person: "#b42318", device: "#7a5af8", cell: "#667085" };
  var NODE_ZH = { line: "号码", person: "证件", device: "设备", cell: "基站" };
  var EDGE_COLOUR = { same_id: "#b42318", device: "#7a5af8", counter: "#dc6803", contact: "#1f6feb", cell: "#98a2b3",
                      co_location: "#079455", device_seq: "#c11574" };

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function drawGraph(box, data) {
    var W = box.clientWidth || 900, H = box.clientHeight || 520;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "关联图" }, box);
    var view = el("g", { "class": "view" }, svg);
    var gEdges = el("g", {}, view), gNodes = el("g", {}, view), gText = el("g", {}, view);
    var byId = {}, pos = {}, edgeEls = [], tx = 0, ty = 0, k = 1;
    data.nodes.forEach(function (n) { pos[n.id] = { x: 20 + n.x * (W - 40), y: 20 + n.y * (H - 40) }; });
    data.edges.forEach(function (e) {
      var line = el("line", { "class": "edge et-" + e.edge_type, stroke: EDGE_COLOUR[e.edge_type] || "#999",
        "data-type": e.edge_type }, gEdges);
      el("title", {}, line).textContent = e.label;
      edgeEls.push({ e: e, line: line });
    });
    data.nodes.forEach(function (n) {
      var r = n.seed ? 10 : n.kind === "line" ? 7 : 5.5;
      var c = el("circle", { "class": "node kind-" + n.kind + (n.seed ? " seed" : ""), r: r, fill: NODE_COLOUR[n.kind],
        "data-id": n.id, "data-kind": n.kind }, gNodes);
      el("title", {}, c).textContent = (n.seed ? "种子 " : n.rank ? "#" + n.rank + " " : "") + NODE_ZH[n.kind] + " " + n.label;
      var t = null;
      if (n.seed || (n.rank && n.rank <= 15)) {
        t = el("text", { dx: r + 3, dy: 3 }, gText);
        t.textContent = n.seed ? "种子 " + n.label : "#" + n.rank + " " + n.label;
      }
      byId[n.id] = { n: n, c: c, t: t };
    });
    function place() {
      edgeEls.forEach(function (x) {
        var a = pos[x.e.source], b = pos[x.e.target];
        x.line.setAttribute("x1", a.x); x.line.setAttribute("y1", a.y);
        x.line.setAttribute("x2", b.x); x.line.setAttribute("y2", b.y);
      });
      Object.keys(byId).forEach(function (id) {
        var o = byId[id], p = pos[id];
        o.c.setAttribute("cx", p.x); o.c.setAttribute("cy", p.y);
        if (o.t) { o.t.setAttribute("x", p.x); o.t.setAttribute("y", p.y); }
      });
    }
    function transform() { view.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + k + ")"); }
    function toGraph(evt) {
      var rect = svg.getBoundingClientRect();
      var sx = (evt.clientX - rect.left) * W / rect.width, sy = (evt.clientY - rect.top) * H / rect.height;
      return { x: (sx - tx) / k, y: (sy - ty) / k, sx: sx, sy: sy };
    }
    place();
    svg.addEventListener("wheel", function (evt) {
      evt.preventDefault();
      var p = toGraph(evt), f = evt.deltaY < 0 ? 1.15 : 1 / 1.15;
      k = Math.max(0.2, Math.min(8, k * f));
      tx = p.sx - p.x * k; ty = p.sy - p.y * k;
      transform();
    }, { passive: false });
    var drag = null;
    svg.addEventListener("pointerdown", function (evt) {
      var id = evt.target.getAttribute && evt.target.getAttribute("data-id");
      var p = toGraph(evt);
      drag = id ? { id: id, moved: false } : { pan: true, sx: p.sx - tx, sy: p.sy - ty };
      svg.setPointerCapture(evt.pointerId);
    });
    svg.addEventListener("pointermove", function (evt) {
      if (!drag) return;
      var p = toGraph(evt);
      if (drag.pan) { tx = p.sx - drag.sx; ty = p.sy - drag.sy; transform(); }
      else { pos[drag.id] = { x: p.x, y: p.y }; drag.moved = true; place(); }
    });
    svg.addEventListener("pointerup", function () {
      if (drag && drag.id && !drag.moved) select(drag.id, true);
      drag = null;
    });
    return { byId: byId, edges: edgeEls };
  }

  var graph = null;
  function select(nodeId, fromGraph) {
    var o = graph && graph.byId[nodeId];
    var row = document.querySelector('tr[data-node="' + nodeId + '"]');
    if (!row) return;
    var box = row.querySelector('input[type="checkbox"]');
    if (fromGraph && box) box.checked = !box.checked;
    var on = box ? box.checked : true;
    row.classList.toggle("selected", on);
    if (o) o.c.classList.toggle("selected", on);
    document.querySelectorAll('figure[data-node="' + nodeId + '"]').forEach(function (f) { f.classList.toggle("selected", on); });
    if (fromGraph) row.scrollIntoView({ block: "nearest" });
  }

  function legend(box, data) {
    Object.keys(NODE_ZH).forEach(function (kind) {
      var s = document.createElement("span");
      var dot = document.createElement("span");
      dot.className = "dot"; dot.style.background = NODE_COLOUR[kind];
      s.appendChild(dot); s.appendChild(document.createTextNode(" " + NODE_ZH[kind]));
      box.appendChild(s);
    });
    data.edge_types.forEach(function (pair) {
      var t = pair[0];
      var lab = document.createElement("label");
      var cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = true; cb.value = t; cb.className = "edge-filter";
      var sw = document.createElement("span");
      sw.className = "swatch"; sw.style.background = EDGE_COLOUR[t];
      lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(document.createTextNode(pair[1]));
      cb.addEventListener("change", function () {
        graph.edges.forEach(function (x) { if (x.e.edge_type === t) x.line.classList.toggle("hidden", !cb.checked); });
      });
      box.appendChild(lab);
    });
  }

  // Report jobs: static/jobs.js polls their progress; once a job is done, show the report's links.
  function watchReports() {
    document.querySelectorAll("li.report .job-progress").forEach(function (box) {
      var links = box.closest("li.report").querySelector(".links");
      function check() { if (box.getAttribute("data-state") === "done") links.hidden = false; }
      new MutationObserver(check).observe(box, { attributes: true, attributeFilter: ["data-state"] });
      check();
    });
  }

  var dataEl = document.getElementById("trace-data");
  if (dataEl) {
    var data = JSON.parse(dataEl.textContent);
    graph = drawGraph(document.getElementById("trace-graph"), data);
    legend(document.getElementById("graph-legend"), data);
    document.querySelectorAll('tr[data-node] input[type="checkbox"]').forEach(function (cb) {
      cb.addEventListener("change", function () { select(cb.closest("tr").getAttribute("data-node"), false); });
    });
  }
  watchReports();
})();
