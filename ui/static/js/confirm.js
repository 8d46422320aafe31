/* A styled confirmation before irreversible actions, in place of the browser's confirm().
 *
 * htmx asks `htmx:confirm` before every request. When the element carries `hx-confirm`, or the
 * submit button that sent the form carries `data-confirm` (a question that depends on the
 * quote, say), the request waits for this dialog: 取消 (or Esc) does nothing, the confirm button
 * (`data-confirm-label`, default 确认) sends it. The focus starts on 取消, the safe choice.
 * Loaded once from base.html; the dialog is built on first use and rebuilt if a swap removed it.
 */
(function () {
  "use strict";
  if (window.cunxinConfirm) { return; }

  var dialog, text, cancel, ok, pending = null;

  function el(tag, attrs, label) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (label) { node.textContent = label; }
    return node;
  }

  function build() {
    dialog = el("dialog", { id: "confirm-dialog", "class": "confirm-dialog", "aria-labelledby": "confirm-dialog-title", "aria-describedby": "confirm-dialog-text" });
    text = el("p", { id: "confirm-dialog-text" });
    cancel = el("button", { type: "button", "class": "confirm-cancel" }, "取消");
    ok = el("button", { type: "button", "class": "confirm-ok" }, "确认");
    var actions = el("div", { "class": "confirm-actions" });
    actions.append(cancel, ok);
    dialog.append(el("h2", { id: "confirm-dialog-title" }, "请确认"), text, actions);
    cancel.addEventListener("click", function () { dialog.close(""); });
    ok.addEventListener("click", function () { dialog.close("ok"); });
    dialog.addEventListener("close", function () {
      var run = pending;
      pending = null;
      if (dialog.returnValue === "ok" && run) { run(); }
    });
    document.body.appendChild(dialog);
  }

  function ask(question, label, run) {
    if (!dialog || !dialog.isConnected) { build(); }
    text.textContent = question;
    ok.textContent = label || "确认";
    pending = run;
    dialog.returnValue = "";
    dialog.showModal();
    cancel.focus();
  }

  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    var submitter = detail.triggeringEvent && detail.triggeringEvent.submitter;
    var source = submitter && submitter.dataset.confirm ? submitter : detail.elt;
    var question = (source === submitter && submitter.dataset.confirm) || detail.question;
    if (!question) { return; }
    event.preventDefault();
    var label = (source.dataset && source.dataset.confirmLabel) || (detail.elt.dataset && detail.elt.dataset.confirmLabel);
    ask(question, label, function () { detail.issueRequest(true); });
  });

  window.cunxinConfirm = { ask: ask };
})();
