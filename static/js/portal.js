/* 调解卷宗门户 — progressive enhancement only: every page works without this file.
 * Loaded with `defer` after htmx; content arrives by boosted swaps too, so everything here
 * listens on `document` or runs on `htmx:load` rather than binding once at start-up. */
(function () {
  "use strict";

  var SUCCESS_FLASH_MS = 6000;
  var LEVEL_LABELS = { success: "成功", info: "提示", warning: "注意", error: "错误" };

  // Forms (or their submit buttons) with data-confirm="…" ask first.  Capture phase, so a
  // cancelled submission never reaches htmx's boosted-form listener on the form itself.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function dismiss(flash) {
    flash.classList.add("is-leaving");
    window.setTimeout(function () {
      if (flash.parentNode) { flash.parentNode.removeChild(flash); }
    }, 250);
  }

  // Success messages leave by themselves, but not while the reader is pointing at or inside them.
  function dismissLater(flash) {
    window.setTimeout(function () {
      if (flash.matches(":hover, :focus-within")) { dismissLater(flash); } else { dismiss(flash); }
    }, SUCCESS_FLASH_MS);
  }

  function enhanceFlashes(root) {
    if (!root || !root.querySelectorAll) { return; }
    var flashes = root.querySelectorAll(".flash:not([data-enhanced])");
    if (root.matches && root.matches(".flash:not([data-enhanced])")) { flashes = [root]; }
    Array.prototype.forEach.call(flashes, function (flash) {
      flash.setAttribute("data-enhanced", "");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "flash__close";
      close.setAttribute("aria-label", "关闭提示");
      close.textContent = "×";
      close.addEventListener("click", function () { dismiss(flash); });
      flash.appendChild(close);
      if (flash.classList.contains("flash--success") && !flash.hasAttribute("data-persist")) {
        dismissLater(flash);
      }
    });
  }

  function showFlash(level, text) {
    var region = document.getElementById("flashes");
    if (!region) { return; }
    var flash = document.createElement("div");
    flash.className = "flash flash--" + level;
    var label = document.createElement("span");
    label.className = "flash__label";
    label.textContent = LEVEL_LABELS[level] + "：";
    var body = document.createElement("span");
    body.className = "flash__text";
    body.textContent = text;
    flash.appendChild(label);
    flash.appendChild(body);
    region.appendChild(flash);
    enhanceFlashes(region);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceFlashes(document); });
  document.addEventListener("htmx:load", function (event) { enhanceFlashes(event.detail && event.detail.elt); });

  // htmx-config swaps 4xx/5xx so boosted navigation shows error pages and re-rendered forms.
  // Into a fragment target, only an HTML fragment may go (e.g. a form re-rendered with errors);
  // a whole error page or a JSON error body becomes a flash message instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.isError || detail.boosted) { return; }
    var type = detail.xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") !== 0 || /<html[\s>]/i.test(detail.serverResponse || "")) {
      detail.shouldSwap = false;
      showFlash("error", "请求未成功（" + detail.xhr.status + "），请刷新页面后重试。");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showFlash("error", "无法连接服务器，请检查网络后重试。");
  });
})();
