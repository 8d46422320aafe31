/* The request state of every page (loaded once from base.html; no framework, no inline code).
 *
 * - A thin bar at the top of the screen while an htmx request is under way (#net-bar).
 * - An online/offline indicator in the header (#net-status), from navigator.onLine and the
 *   browser's online/offline events.
 * - A banner (#net-banner) when a request fails: no network (htmx:sendError), a timeout
 *   (htmx:timeout) or an error status (htmx:responseError: 4xx/5xx; 422 is a form with errors and
 *   is swapped normally). htmx swaps nothing on these, so the form stays exactly as the officer
 *   filled it; 重试 sends the same request again (same element, same values, same target).
 * - The header's menu button (#menu-toggle) opens the navigation on narrow screens.
 */
(function () {
  "use strict";
  if (window.cunxinNet) { return; }

  var MESSAGES = {
    offline: "网络已断开：表单内容已保留，恢复信号后点“重试”。",
    network: "网络连接失败：表单内容已保留，请稍后点“重试”。",
    timeout: "请求超时（信号较弱）：表单内容已保留，请点“重试”。",
    400: "请求有误，请检查后重试。",
    401: "登录已过期，请重新登录。",
    403: "无权操作：您没有办理此项业务的权限，或页面已过期（请刷新后重试）。",
    404: "未找到：该记录不存在或已被删除。",
    409: "操作冲突：数据已被他人修改或状态已变化，请刷新页面后再办理。",
    413: "上传内容过大，请压缩后重试。",
    429: "操作过于频繁，请稍候再试。",
    server: "服务暂不可用，请稍后点“重试”。",
    other: "请求未成功，请稍后重试。"
  };

  var busy = [];      // the xhr objects in flight
  var failed = null;  // {elt, verb, path, values, target} of the last failed request

  function $(id) { return document.getElementById(id); }

  function message(kind, status) {
    if (kind === "response") {
      if (MESSAGES[status]) { return MESSAGES[status]; }
      return status >= 500 ? MESSAGES.server : MESSAGES.other;
    }
    if (kind === "send" && !navigator.onLine) { return MESSAGES.offline; }
    return kind === "timeout" ? MESSAGES.timeout : MESSAGES.network;
  }

  function showBusy() {
    document.documentElement.classList.toggle("net-busy", busy.length > 0);
  }

  function showOnline() {
    var online = navigator.onLine;
    var box = $("net-status");
    document.documentElement.classList.toggle("net-offline", !online);
    if (box) { box.textContent = online ? "在线" : "离线"; box.title = online ? "网络已连接" : "网络已断开"; }
  }

  function showBanner(text, canRetry) {
    var banner = $("net-banner");
    if (!banner) { return; }
    $("net-banner-text").textContent = text;
    $("net-retry").hidden = !canRetry;
    banner.hidden = false;
  }

  function hideBanner() {
    var banner = $("net-banner");
    if (banner) { banner.hidden = true; }
    failed = null;
  }

  function remember(detail) {
    var config = detail.requestConfig || {};
    failed = {
      elt: detail.elt,
      verb: (config.verb || "get").toUpperCase(),
      path: config.path || (detail.pathInfo && detail.pathInfo.requestPath) || location.pathname,
      values: config.formData || config.parameters || null,
      target: detail.target || config.target || null
    };
  }

  function onFailure(kind) {
    return function (evt) {
      var detail = evt.detail || {};
      var status = detail.xhr ? detail.xhr.status : 0;
      remember(detail);
      showBanner(message(kind, status), true);
    };
  }

  function retry() {
    if (!failed || !window.htmx) { return; }
    var again = failed;
    var source = again.elt && again.elt.isConnected ? again.elt : document.body;
    var options = { source: source };
    if (again.values) { options.values = again.values; }
    if (again.target && again.target.isConnected) { options.target = again.target; }
    $("net-banner-text").textContent = "正在重试…";
    window.htmx.ajax(again.verb, again.path, options);
  }

  function toggleMenu() {
    var button = $("menu-toggle");
    var open = document.documentElement.classList.toggle("menu-open");
    if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  document.documentElement.classList.add("js");

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail && evt.detail.xhr) { busy.push(evt.detail.xhr); }
    showBusy();
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var detail = evt.detail || {};
    busy = busy.filter(function (xhr) { return xhr !== detail.xhr && xhr.readyState !== 4; });
    showBusy();
    if (detail.successful && failed && (detail.elt === failed.elt || detail.boosted)) { hideBanner(); }
  });
  document.addEventListener("htmx:sendError", onFailure("send"));
  document.addEventListener("htmx:timeout", onFailure("timeout"));
  document.addEventListener("htmx:responseError", onFailure("response"));
  document.addEventListener("htmx:beforeHistorySave", function () {
    document.documentElement.classList.remove("menu-open");
  });

  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);

  document.addEventListener("click", function (evt) {  // delegated: boosted navigation replaces the header and banner
    var el = evt.target.closest ? evt.target.closest("#net-retry, #net-dismiss, #menu-toggle") : null;
    if (!el) { return; }
    evt.preventDefault();
    if (el.id === "net-retry") { retry(); } else if (el.id === "net-dismiss") { hideBanner(); } else { toggleMenu(); }
  });
  document.addEventListener("htmx:load", showOnline);

  window.cunxinNet = { retry: retry };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showOnline);
  } else {
    showOnline();
  }
})();
