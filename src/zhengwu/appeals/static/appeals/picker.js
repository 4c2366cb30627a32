/* Searchable department picker: every <select data-picker="department"> (options grouped in
   <optgroup>s by region) gets a filter box above it; typing hides the options and groups that do
   not contain the text. Works on content htmx swaps in. No inline script: CSP-friendly. */
(function () {
  "use strict";

  function filter(select, text) {
    var needle = text.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      var any = false;
      Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
        var match = !needle || option.textContent.toLowerCase().indexOf(needle) !== -1 || option.selected;
        option.hidden = !match;
        if (match) { any = true; shown += 1; }
      });
      group.hidden = !any;
    });
    var note = select.previousElementSibling;
    if (note && note.classList.contains("picker-filter")) {
      note.setAttribute("aria-label", "筛选单位（" + shown + "个匹配）");
    }
  }

  function enhance(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll('select[data-picker="department"]'), function (select) {
      if (select.dataset.pickerReady) { return; }
      select.dataset.pickerReady = "1";
      var box = document.createElement("input");
      box.type = "search";
      box.className = "picker-filter";
      box.placeholder = "输入名称筛选单位";
      box.setAttribute("aria-label", "筛选单位");
      box.setAttribute("aria-controls", select.id);
      box.setAttribute("data-filter-for", select.id);
      box.addEventListener("input", function () { filter(select, box.value); });
      select.parentNode.insertBefore(box, select);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
