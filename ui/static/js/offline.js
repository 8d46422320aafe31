/* Visit captures taken without signal are kept on the tablet, encrypted, and uploaded in order when it returns.
 *
 * Loaded once from base.html. A visit capture form (form[data-offline]: ID card, live face, document
 * and asset photos) gets a fresh `upload_key` (a UUID) each time it is sent; the server stores a
 * capture once per key (app/services/visits/uploads.py), so a capture sent twice is one upload.
 *
 * - Offline (navigator.onLine false), or when the post fails for lack of network (htmx:sendError),
 *   the form's fields and files are encrypted with AES-GCM and put into IndexedDB
 *   ("cunxin-offline"/"captures", in the order taken); the header shows 待上传 n 项.
 * - The key never touches the tablet's disk: every signed-in page carries the officer's capture key
 *   (body[data-capture-key], 32 bytes the server derives from its secret and the officer's id;
 *   pages are no-store), imported with WebCrypto as a non-extractable AES-GCM 256 key held only in
 *   this page's memory. IndexedDB keeps the ciphertext and whose captures they are; the next
 *   signed-in page of the same officer (after a reload, or signing in again) brings the key back.
 *   Another officer signing in on the tablet, or 退出, deletes every capture (退出 asks first when
 *   some are still waiting).
 * - When the signal returns (the `online` event, a page load, every 20 s) the captures are posted
 *   one by one, oldest first, with the page's current CSRF token; each is deleted once the server
 *   has it (or has refused it: 422, shown in the header). A lost session keeps them until the
 *   officer signs in again. When the queue empties on the visit's own page, the page reloads: the
 *   step continues (OCR waits, the photo appears).
 * - Steps that need the server (OCR results, identity and credit checks, the decision, signing)
 *   wait: a visit post other than a capture is held while captures are waiting.
 * docs/security.md says what a lost tablet exposes.
 */
(function () {
  "use strict";
  if (window.cunxinOffline) { window.cunxinOffline.refresh(); return; }

  var DB_NAME = "cunxin-offline";
  var RETRY_MS = 20000;
  var pending = 0, draining = false, refused = 0, held = false, dbPromise = null;

  function $(id) { return document.getElementById(id); }
  function officer() { return document.body ? document.body.getAttribute("data-officer") || "" : ""; }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (err) { return ""; }
  }

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("keys", { keyPath: "id" });
          request.result.createObjectStore("captures", { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(db, name, mode) { return db.transaction(name, mode || "readonly").objectStore(name); }

  async function wipe() {
    var db = await openDb();
    await done(store(db, "captures", "readwrite").clear());
    await done(store(db, "keys", "readwrite").clear());
    pending = 0;
    show();
  }

  var memoryKey = null, memoryKeyOf = "";  // the CryptoKey, only in this page's memory

  function bytesOf(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(text, function (ch) { return ch.charCodeAt(0); });
  }

  async function loginKey(create) {
    var me = officer();
    var raw = document.body ? document.body.getAttribute("data-capture-key") || "" : "";
    if (!me || !raw) { return null; }
    var db = await openDb();
    var record = await done(store(db, "keys").get("login"));
    if (record && record.officer !== me) { await wipe(); record = null; }  // another officer on this tablet
    if (!record && !create) { return null; }
    if (!record) {  // whose captures these are (no key material: that comes with each page)
      record = { id: "login", officer: me, created: Date.now() };
      await done(store(db, "keys", "readwrite").put(record));
    }
    if (memoryKeyOf !== raw) {
      memoryKey = await crypto.subtle.importKey("raw", bytesOf(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      memoryKeyOf = raw;
    }
    return memoryKey;
  }

  async function seal(key, bytes) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return { iv: iv, data: await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, bytes) };
  }

  function open(key, box) { return crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, key, box.data); }

  async function keep(form) {
    var key = await loginKey(true);
    var fields = [], files = [];
    var entries = Array.from(new FormData(form).entries());
    for (var i = 0; i < entries.length; i++) {
      var name = entries[i][0], value = entries[i][1];
      if (name === "csrf_token") { continue; }  // the page's token at upload time is used
      if (typeof value === "string") { fields.push([name, value]); continue; }
      if (!value.size) { continue; }
      files.push({ name: name, filename: value.name, type: value.type, box: await seal(key, await value.arrayBuffer()) });
    }
    if (!files.length) { return false; }
    var capture = {
      officer: officer(), url: form.action, label: form.getAttribute("data-offline") || "照片", taken: Date.now(),
      fields: await seal(key, new TextEncoder().encode(JSON.stringify(fields))), files: files,
    };
    var db = await openDb();
    await done(store(db, "captures", "readwrite").add(capture));
    await count();
    return true;
  }

  async function count() {
    try {
      var db = await openDb();
      pending = await done(store(db, "captures").count());
    } catch (err) { pending = 0; }
    show();
    return pending;
  }

  function show() {
    var box = $("offline-queue");
    if (!box) { return; }
    if (!pending) { held = false; }
    var text = pending ? (held ? "请等待拍摄上传完成（待上传 " + pending + " 项）" : "待上传 " + pending + " 项") : "";
    if (refused) { text += (text ? "；" : "") + refused + " 项拍摄未被接受，请重新拍摄"; }
    box.textContent = text;
    box.hidden = !text;
    box.classList.toggle("offline-refused", refused > 0);
  }

  async function oldest(db) {
    var cursor = await done(store(db, "captures").openCursor());
    return cursor ? cursor.value : null;
  }

  async function remove(db, seq) { await done(store(db, "captures", "readwrite").delete(seq)); }

  async function send(key, capture) {
    var body = new FormData();
    var fields = JSON.parse(new TextDecoder().decode(await open(key, capture.fields)));
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    for (var i = 0; i < capture.files.length; i++) {
      var f = capture.files[i];
      body.append(f.name, new File([await open(key, f.box)], f.filename || "photo.jpg", { type: f.type || "image/jpeg" }));
    }
    body.append("csrf_token", csrfToken());
    return fetch(capture.url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" } });
  }

  function visitPageOf(url) {
    var match = new URL(url, location.href).pathname.match(/^\/visits\/[0-9a-f-]+/);
    return match ? match[0] : null;
  }

  async function drain() {
    if (draining || !navigator.onLine || !officer() || !window.crypto || !crypto.subtle) { return; }
    draining = true;
    var reload = false;
    try {
      var key = await loginKey(false);
      var db = await openDb();
      for (;;) {
        var capture = await oldest(db);
        if (!capture) { break; }
        if (!key || capture.officer !== officer()) { await remove(db, capture.seq); continue; }  // not readable with this login's key
        var response;
        try {
          response = await send(key, capture);
        } catch (err) {
          if (err && err.name === "OperationError") { refused += 1; await remove(db, capture.seq); continue; }  // cannot be decrypted: retake
          break;  // no network: try again later
        }
        if ((response.headers.get("HX-Redirect") || "").indexOf("/login") === 0) { break; }  // signed out: keep until signed in
        if (response.status >= 500 || response.status === 401 || response.status === 429) { break; }
        if (!response.ok) { refused += 1; }  // 4xx: the server will not take it (wrong step, not an image)
        await remove(db, capture.seq);
        if (visitPageOf(capture.url) === location.pathname) { reload = true; }
        await count();
      }
    } catch (err) {
      /* IndexedDB unavailable: nothing was queued */
    } finally {
      draining = false;
      await count();
    }
    if (reload && pending === 0) { location.reload(); }
  }

  function note(form, text) {
    var status = form.querySelector(".camera-status");
    if (status) { status.textContent = text; }
    var p = form.querySelector(".offline-note");
    if (!p) {
      p = document.createElement("p");
      p.className = "offline-note";
      p.setAttribute("role", "status");
      form.appendChild(p);
    }
    p.textContent = text;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  }

  async function keepAndSay(form) {
    try {
      if (await keep(form)) {
        form.querySelectorAll("input[type=file]").forEach(function (input) { input.value = ""; });
        note(form, "已加密保存在本机（待上传 " + pending + " 项），恢复信号后自动按顺序上传；识别、核查等需要联网的步骤稍后继续。");
        return;
      }
    } catch (err) { /* fall through */ }
    note(form, "无法保存在本机，请恢复信号后重新拍摄。");
  }

  function freshKey(form) {
    var input = form.querySelector("input[name=upload_key]");
    if (input && window.crypto && crypto.randomUUID) { input.value = crypto.randomUUID(); }
  }

  document.addEventListener("submit", function (evt) {  // capture phase: before htmx reads the form
    var form = evt.target;
    if (!form || !form.matches) { return; }
    if (form.matches("form[data-offline]")) {
      freshKey(form);
      if (!navigator.onLine) {
        evt.preventDefault();
        evt.stopImmediatePropagation();
        keepAndSay(form);
      }
      return;
    }
    if (form.matches("form[action$='/logout']")) {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        if (pending) { button.setAttribute("data-confirm", "还有 " + pending + " 项拍摄尚未上传，退出后将从本机删除。确定退出？"); } else { button.removeAttribute("data-confirm"); }
      }
    }
  }, true);

  document.addEventListener("htmx:sendError", function (evt) {  // the signal dropped while the capture was being sent
    var form = evt.detail && evt.detail.elt;
    if (form && form.matches && form.matches("form[data-offline]")) { keepAndSay(form); }
  });

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var config = (evt.detail && evt.detail.requestConfig) || {};
    if (/\/logout$/.test(config.path || "")) { wipe(); }
  });

  window.addEventListener("htmx:confirm", function (evt) {  // capture phase: before the confirmation dialog (confirm.js)
    var detail = evt.detail || {};
    var elt = detail.elt;
    if (!pending || !elt || (elt.matches && elt.matches("form[data-offline]"))) { return; }
    if ((detail.verb || "").toLowerCase() === "post" && /^\/visits\//.test(new URL(detail.path || "/", location.href).pathname)) {
      evt.preventDefault();  // this step needs the captures on the server first
      evt.stopImmediatePropagation();
      held = true;
      show();
      drain();
    }
  }, true);

  function refresh() {
    if (!window.indexedDB) { return; }
    if (officer() && window.crypto && crypto.subtle) { loginKey(true).catch(function () {}); }
    count().then(function (n) { if (n) { drain(); } });
  }

  window.addEventListener("online", drain);
  var soon = null;
  document.addEventListener("htmx:load", function () {  // a page load or a boosted navigation (a new header, maybe a new officer)
    clearTimeout(soon);
    soon = setTimeout(refresh, 50);
  });
  setInterval(function () { if (pending) { drain(); } }, RETRY_MS);
  window.cunxinOffline = { refresh: refresh, drain: drain, wipe: wipe, count: count };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", refresh); } else { refresh(); }
})();
