/* The visit pages: the tablet's location (browser geolocation, with a manual fallback) and the officer's track.
 *
 * - A form with [data-geolocate] gets lat/lng/accuracy filled from navigator.geolocation; the
 *   status line says what happened. When there is no fix the officer types the coordinates in
 *   the manual fields and chooses "手动填写".
 * - An element with [data-track-url] posts the position every data-track-seconds while the page
 *   is open (JSON, CSRF header). Points taken while offline are kept and sent with the next post.
 */
(function () {
  "use strict";
  if (window.cunxinVisit) { window.cunxinVisit.scan(document); return; }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (err) { return ""; }
  }

  function geoProblem(err) {  // the browser's English error text ("User denied Geolocation") is never shown
    var code = err && err.code;
    if (code === 1) { return "未获得定位权限：请在浏览器设置中允许本网站使用位置，或"; }
    if (code === 3) { return "定位超时（信号较弱）：可到开阔处重试，或"; }
    return "暂时无法取得位置（定位服务未开启或信号较弱）：";
  }

  function locate(form) {
    if (form.dataset.geoReady) { return; }
    form.dataset.geoReady = "1";
    var status = form.querySelector(".geo-status");
    function say(text) { if (status) { status.textContent = text; } }
    function set(name, value) {
      var input = form.querySelector("input[name='" + name + "']");
      if (input) { input.value = value; }
    }
    if (!navigator.geolocation) { say("此设备不支持定位，请手动填写经纬度。"); return; }
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      set("lat", pos.coords.latitude.toFixed(6));
      set("lng", pos.coords.longitude.toFixed(6));
      set("accuracy", Math.round(pos.coords.accuracy));
      say("已定位：" + pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5) + "（精度约 " + Math.round(pos.coords.accuracy) + " 米）");
      form.classList.add("located");
    }, function (err) {
      say(geoProblem(err) + "请手动填写经纬度（打开“无法定位？”）。");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  var tracker = null;

  function track(box) {
    if (tracker) { clearInterval(tracker.timer); }
    if (!navigator.geolocation || !window.fetch) { return; }
    var url = box.dataset.trackUrl;
    var seconds = Math.max(5, parseInt(box.dataset.trackSeconds || "30", 10));
    var pending = [];
    function send() {
      if (!pending.length) { return; }
      var batch = pending.slice(0, 100);
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ points: batch }),
      }).then(function (res) {
        if (res.ok || res.status === 400 || res.status === 422) { pending = pending.slice(batch.length); }
      }).catch(function () { /* offline: keep the points for the next try */ });
    }
    function sample() {
      navigator.geolocation.getCurrentPosition(function (pos) {
        pending.push({ lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy, at: Date.now() });
        if (pending.length > 500) { pending = pending.slice(-500); }
        send();
      }, function () { send(); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 5000 });
    }
    tracker = { timer: setInterval(sample, seconds * 1000), url: url };
  }

  function foldSteps(scope) {  // portrait: the step list would push the step's action down; it opens on a tap
    var box = scope.querySelector ? scope.querySelector("#visit-steps-box") : null;
    if (box && !box.dataset.folded && window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
      box.dataset.folded = "1";
      box.open = false;
    }
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    foldSteps(document);
    scope.querySelectorAll("form[data-geolocate]").forEach(locate);
    var box = document.querySelector("[data-track-url]");
    if (box && (!tracker || tracker.url !== box.dataset.trackUrl)) { track(box); }
    if (!box && tracker) { clearInterval(tracker.timer); tracker = null; }
  }

  window.cunxinVisit = { scan: scan };
  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
