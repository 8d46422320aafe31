/* Camera capture for the identity pages (no framework, no CDN).
 *
 * A form holding `[data-camera]` gets a live preview from getUserMedia. When the camera cannot
 * be opened (no permission, no device, an old browser) the plain file inputs stay: the form
 * still works without this script or without a camera. Captured JPEGs are put into the form's
 * own file inputs (DataTransfer), then the form is submitted: htmx posts it and reports upload
 * progress (htmx:xhr:progress), a plain browser posts it normally.
 *
 * data-width / data-height ask for a resolution (default 640 x 480: enough for a face; an ID card
 * asks for more).
 *
 * Modes: "burst" (liveness and face login: data-frames frames every data-interval-ms into
 * `frames`; the face matched at login is taken from these frames, so there is no separate still
 * and the login form has no file fallback), "stills" (enrolment: data-count stills into `captures`), "still" (one photo into
 * the input named by data-input). Frames are the camera's raw image: the preview is mirrored
 * with CSS only, so the server sees what the camera saw.
 */
(function () {
  "use strict";
  if (window.cunxinCamera) { window.cunxinCamera.scan(document); return; }

  var streams = [];
  var JPEG_QUALITY = 0.85;

  function cameraProblem(err) {  // the browser's error name (NotFoundError, NotAllowedError) is never shown
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") { return "未获得摄像头权限（可在浏览器设置中允许本网站使用摄像头）"; }
    if (name === "NotFoundError" || name === "OverconstrainedError") { return "此设备没有可用的摄像头"; }
    if (name === "NotReadableError" || name === "AbortError") { return "摄像头正被其他应用占用"; }
    return "无法打开摄像头";
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function stopAll() {
    streams.forEach(function (s) { s.getTracks().forEach(function (t) { t.stop(); }); });
    streams = [];
  }

  function grab(video, canvas) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
  }

  function setFiles(input, blobs, prefix) {
    var dt = new DataTransfer();
    blobs.forEach(function (blob, i) {
      dt.items.add(new File([blob], prefix + "-" + String(i).padStart(3, "0") + ".jpg", { type: "image/jpeg" }));
    });
    input.files = dt.files;
  }

  function status(box, text) {
    var p = box.querySelector(".camera-status");
    if (p) { p.textContent = text; }
  }

  function highlight(form, index) {
    var items = form.querySelectorAll(".prompts li");
    items.forEach(function (li, i) {
      li.classList.toggle("done", i < index);
      li.classList.toggle("current", i === index);
    });
  }

  async function burst(form, box, video, canvas) {
    var frames = parseInt(box.dataset.frames || "48", 10);
    var interval = parseInt(box.dataset.intervalMs || "125", 10);
    var steps = form.querySelectorAll(".prompts li").length || 1;
    for (var n = 3; n > 0; n--) { status(box, "请正对镜头：" + n); await sleep(700); }
    var shots = [];
    for (var i = 0; i < frames; i++) {
      var step = Math.min(steps - 1, Math.floor(i * steps / frames));
      highlight(form, step);
      status(box, "请按提示做动作（" + Math.round(100 * i / frames) + "%）");
      var started = performance.now();
      shots.push(await grab(video, canvas));
      await sleep(Math.max(0, interval - (performance.now() - started)));
    }
    highlight(form, steps);
    setFiles(form.querySelector("input[name=frames]"), shots, "frame");
  }

  async function stills(form, box, video, canvas) {
    var count = parseInt(box.dataset.count || "3", 10);
    var shots = [];
    for (var i = 0; i < count; i++) {
      status(box, "拍摄第 " + (i + 1) + " / " + count + " 张，请正对镜头");
      await sleep(900);
      shots.push(await grab(video, canvas));
    }
    setFiles(form.querySelector("input[name=captures]"), shots, "capture");
  }

  async function still(form, box, video, canvas) {
    var shot = await grab(video, canvas);
    setFiles(form.querySelector("input[name=" + (box.dataset.input || "image") + "]"), [shot], "photo");
  }

  var MODES = { burst: burst, stills: stills, still: still };

  function fallback(form, box, reason) {
    box.hidden = true;
    form.classList.remove("has-camera");
    var note = document.createElement("p");
    var upload = form.querySelector(".camera-fallback");
    note.className = "error camera-unavailable";
    note.textContent = reason + (upload ? "，请使用下方的文件上传。" : "。人脸识别登录只能使用摄像头实时拍摄，请检查摄像头与权限后刷新页面。");
    form.insertBefore(note, upload);
  }

  async function open(box) {
    var form = box.closest("form");
    if (!form || box.dataset.cameraReady) { return; }
    box.dataset.cameraReady = "1";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.DataTransfer) {
      fallback(form, box, "此设备或浏览器不支持摄像头拍摄");
      return;
    }
    var video = box.querySelector("video");
    var stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          facingMode: box.dataset.facing || "user",
          width: { ideal: parseInt(box.dataset.width || "640", 10) },
          height: { ideal: parseInt(box.dataset.height || "480", 10) },
        },
      });
    } catch (err) {
      fallback(form, box, cameraProblem(err));
      return;
    }
    streams.push(stream);
    video.srcObject = stream;
    try { await video.play(); } catch (err) { /* autoplay with muted video is allowed */ }
    box.hidden = false;
    form.classList.add("has-camera");
    var canvas = document.createElement("canvas");
    var button = box.querySelector("[data-camera-start]");
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        await MODES[box.dataset.camera](form, box, video, canvas);
      } catch (err) {
        status(box, "拍摄失败，请重试");
        button.disabled = false;
        return;
      }
      status(box, "正在上传…");
      form.requestSubmit();
    });
  }

  function watchProgress(form) {
    if (form.dataset.progressReady) { return; }
    form.dataset.progressReady = "1";
    var bar = form.querySelector(".upload-progress");
    if (!bar) { return; }
    form.addEventListener("htmx:xhr:progress", function (evt) {
      if (evt.detail && evt.detail.lengthComputable && evt.detail.total) {
        bar.hidden = false;
        bar.value = Math.round(100 * evt.detail.loaded / evt.detail.total);
      }
    });
    form.addEventListener("htmx:beforeRequest", function () { bar.hidden = false; bar.value = 0; });
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("form.capture").forEach(watchProgress);
    scope.querySelectorAll("[data-camera]").forEach(function (box) { open(box); });
  }

  window.cunxinCamera = { scan: scan, stopAll: stopAll };
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (target && (target.matches("[data-camera], form.capture, body") || target.querySelector("[data-camera]"))) { stopAll(); }
  });
  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
