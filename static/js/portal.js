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

  // The quick report's photo slots: without JavaScript all are shown; with it, one more appears as each is filled.
  function showPhotoSlots(root) {
    if (!root || !root.querySelectorAll) { return; }
    var forms = root.querySelectorAll(".quick-report");
    if (root.matches && root.matches(".quick-report")) { forms = [root]; }
    Array.prototype.forEach.call(forms, function (form) {
      var open = true;
      Array.prototype.forEach.call(form.querySelectorAll("[data-photo-slot]"), function (slot) {
        var input = slot.querySelector("input");
        slot.hidden = !open;
        open = open && input && input.files && input.files.length > 0;
      });
    });
  }

  // One type at a time: a tapped chip clears the full list's choice, a choice from the list clears the chips.
  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.closest && target.closest(".quick-report");
    if (!form) { return; }
    if (target.closest("[data-photo-slot]")) { showPhotoSlots(form); }
    if (target.name === "dispute_type") { form.querySelector("[name=dispute_type_more]").value = ""; }
    if (target.name === "dispute_type_more" && target.value) {
      Array.prototype.forEach.call(form.querySelectorAll("[name=dispute_type]"), function (radio) { radio.checked = false; });
    }
  });
  // On a phone the case page's long sections start folded (actions stay open), except the one the address points
  // at and any holding a form error; a link to a folded section unfolds it. Without JavaScript all stay open.
  var PHONE = "(max-width: 40rem)";

  function target() {
    var id = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    return id ? document.getElementById(id) : null;
  }

  function foldForPhone(root) {
    if (!root || !root.querySelectorAll || !window.matchMedia || !window.matchMedia(PHONE).matches) { return; }
    var wanted = target();
    Array.prototype.forEach.call(root.querySelectorAll("details[data-fold]:not([data-folded])"), function (fold) {
      fold.setAttribute("data-folded", "");
      if (wanted && (fold === wanted || fold.contains(wanted))) { return; }
      if (fold.querySelector(".field--error, [aria-invalid='true']")) { return; }
      fold.open = false;
    });
  }

  function unfold() {
    var wanted = target();
    var fold = wanted && (wanted.matches("details[data-fold]") ? wanted : wanted.closest("details[data-fold]"));
    if (fold) { fold.open = true; }
  }

  window.addEventListener("hashchange", unfold);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link) { window.setTimeout(unfold, 0); }
  });
  document.addEventListener("DOMContentLoaded", function () { foldForPhone(document); });
  document.addEventListener("htmx:load", function (event) { foldForPhone(event.detail && event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { showPhotoSlots(document); });
  document.addEventListener("htmx:load", function (event) { showPhotoSlots(event.detail && event.detail.elt); });

  document.addEventListener("htmx:sendError", function () {
    showFlash("error", "无法连接服务器，请检查网络后重试。");
  });
})();
