/* Behaviour the pages used to carry in inline handlers, moved here so that the
   Content-Security-Policy can allow scripts from this site only (script-src 'self').

   data-confirm="…"      on a button or a form: ask before submitting
   data-print            on a button: print the page
   data-submit-shortcut  on a form: Ctrl+Enter (⌘+Enter) submits it
   data-kb-use           on a button with data-answer/data-entry: fire "kb-use" for htmx
   data-width="42"       on an element: its width in per cent (a bar)
   data-set="name=value" on a form field: when it changes, set the form's field "name" to value */
(function () {
  "use strict";

  // htmx (loaded just before) without eval, without injecting its own <style> and without
  // settling style attributes (it would set style="" on swapped inputs), all of which the policy
  // would block. Set here, not in a <meta name="htmx-config">: a page may have its own.
  if (window.htmx) {
    window.htmx.config.allowEval = false;
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm], [data-print], [data-kb-use]");
    if (!el) { return; }
    if (el.hasAttribute("data-print")) { window.print(); return; }
    if (el.hasAttribute("data-kb-use")) {
      if (window.htmx) {
        window.htmx.trigger(el, "kb-use", { answer: el.dataset.answer, entry: el.dataset.entry });
      }
      return;
    }
    if (el.tagName !== "FORM" && !window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) { return; }
    var form = e.target.closest && e.target.closest("form[data-submit-shortcut]");
    if (form) { e.preventDefault(); form.requestSubmit(); }
  });

  document.addEventListener("change", function (e) {
    var el = e.target;
    var spec = el.getAttribute && el.getAttribute("data-set");
    if (!spec || !el.form) { return; }
    var i = spec.indexOf("=");
    var field = el.form.elements.namedItem(spec.slice(0, i));
    if (field) { field.value = spec.slice(i + 1); }
  });

  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width") + "%";
    });
  }

  function ready() {
    widths(document);
    if (window.htmx) { window.htmx.onLoad(widths); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
