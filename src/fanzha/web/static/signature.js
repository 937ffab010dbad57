// Signature pad for the anti-fraud notice (反诈承诺书): pointer events on a canvas, no libraries, no CDN.
(function () {
  "use strict";
  var canvas = document.getElementById("signature-pad");
  if (!canvas) { return; }
  var form = canvas.closest("form");
  var field = form.querySelector("input[name=signature_png]");
  var message = document.getElementById("signature-message");
  var ctx = canvas.getContext("2d");
  var drawing = false, strokes = 0, last = null;

  function fit() {
    // Draw at the device's pixel density so the stored signature is sharp.
    var ratio = window.devicePixelRatio || 1, rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, rect.width, rect.height);
    strokes = 0;
  }
  function point(e) {
    var rect = canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; last = point(e); canvas.setPointerCapture(e.pointerId); e.preventDefault();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) { return; }
    var p = point(e);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; strokes += 1; e.preventDefault();
  });
  function stop() { drawing = false; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  document.getElementById("signature-clear").addEventListener("click", function () { fit(); });
  form.addEventListener("submit", function (e) {
    if (strokes < 3) {
      e.preventDefault();
      if (message) { message.textContent = "请客户在框内签名后再提交。"; }
      return;
    }
    field.value = canvas.toDataURL("image/png");
  });
  fit();
})();
