/* Signature pad (no framework, no CDN).
 *
 * <div class="signature-pad" data-signature-input="signature_png"><canvas width="720" height="240"></canvas>
 *   <button type="button" data-signature-clear>清除</button></div>
 * <input type="hidden" name="signature_png">
 *
 * Pointer events draw on the canvas; after every stroke the hidden input in the same form holds
 * the drawing as a PNG data URL (transparent background), so the form never needs a submit hook.
 * Clearing empties the input: the server refuses an empty or blank signature.
 */
(function () {
  "use strict";
  if (window.cunxinSignature) { window.cunxinSignature.scan(document); return; }

  function setup(pad) {
    if (pad.dataset.signatureReady) { return; }
    pad.dataset.signatureReady = "1";
    var canvas = pad.querySelector("canvas");
    var form = pad.closest("form");
    var input = form ? form.querySelector("input[name='" + (pad.dataset.signatureInput || "signature_png") + "']") : null;
    if (!canvas || !input) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var last = null;
    var strokes = 0;

    function point(evt) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (evt.clientX - rect.left) * (canvas.width / rect.width),
        y: (evt.clientY - rect.top) * (canvas.height / rect.height),
      };
    }

    function style() {
      ctx.lineWidth = 4;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#101040";
    }

    function start(evt) {
      evt.preventDefault();
      drawing = true;
      last = point(evt);
      if (canvas.setPointerCapture && evt.pointerId !== undefined) {
        try { canvas.setPointerCapture(evt.pointerId); } catch (err) { /* mouse events in tests */ }
      }
      style();
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.5, 0, 2 * Math.PI);
      ctx.fillStyle = "#101040";
      ctx.fill();
    }

    function move(evt) {
      if (!drawing) { return; }
      evt.preventDefault();
      var p = point(evt);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    }

    function end() {
      if (!drawing) { return; }
      drawing = false;
      strokes += 1;
      input.value = canvas.toDataURL("image/png");
      pad.classList.add("signed");
    }

    if (window.PointerEvent) {
      canvas.addEventListener("pointerdown", start);
      canvas.addEventListener("pointermove", move);
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointerleave", end);
      canvas.addEventListener("pointercancel", end);
    } else {
      canvas.addEventListener("mousedown", start);
      canvas.addEventListener("mousemove", move);
      window.addEventListener("mouseup", end);
    }
    canvas.style.touchAction = "none";

    var clear = pad.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        input.value = "";
        strokes = 0;
        pad.classList.remove("signed");
      });
    }
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll(".signature-pad").forEach(setup);
  }

  window.cunxinSignature = { scan: scan };
  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
