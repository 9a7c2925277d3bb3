// Sortable result tables (render/result_html.cpp), progressive enhancement only:
// without this script the table is the server's order and nothing is lost. Each
// column header of a table.results gets a button (so Enter, Space and a click all
// sort, and screen readers announce it); the header carries aria-sort while its
// column is the sort key. Headers with data-type="number" sort by value (a
// cell's data-v when its text cannot say it, "1.5 MiB"; else the text without
// grouping commas), data-type="time" by time (the exact value in the cell's
// title when the text is cut to the second). Empty (NULL) cells stay last
// either way. Results that job.js inserts later are enhanced as they arrive.
(function () {
  "use strict";

  // PostgreSQL's timestamps ("2026-11-28 20:02:02.382417+00") as Date.parse
  // takes them: "T", milliseconds, "+00:00". Dates alone parse as UTC midnight.
  function parseTime(s) {
    s = s.trim();
    if (s.length <= 10) return Date.parse(s);  // "2026-11-28": no time, no offset
    return Date.parse(s.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
      .replace(/([+-]\d\d)$/, "$1:00").replace(/([+-]\d\d:\d\d):\d\d$/, "$1"));
  }

  // A cell's sort key: null for NULL (and what does not parse); numbers by the
  // raw value in data-v, else the text without its grouping commas ("12.5%" and
  // "1,234.50" read as 12.5 and 1234.5); times by the exact value in the title,
  // else the text.
  function key(cell, type) {
    if (cell.classList.contains("null")) return null;
    var n;
    if (type === "number") {
      var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
      n = parseFloat(raw.replace(/,/g, ""));
      return isNaN(n) ? null : n;
    }
    if (type === "time") {
      n = parseTime(cell.getAttribute("title") || cell.textContent);
      return isNaN(n) ? null : n;
    }
    return cell.textContent;
  }

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function sortBy(table, th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var type = th.getAttribute("data-type") || "text";
    var numeric = type !== "text";
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, i: i, k: key(row.cells[index], type) };
    });
    rows.sort(function (a, b) {
      if (a.k === null || b.k === null) {
        if (a.k === b.k) return a.i - b.i;
        return a.k === null ? 1 : -1;  // NULLs last in both directions
      }
      var c = numeric ? a.k - b.k : collator.compare(a.k, b.k);
      if (!ascending) c = -c;
      return c !== 0 ? c : a.i - b.i;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r.row); });
    body.appendChild(fragment);
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) headers[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function enhance(table) {
    if (table.hasAttribute("data-sortable") || !table.tHead) return;
    table.setAttribute("data-sortable", "");
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "Sort by " + th.textContent;
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  function enhanceAll(root) {
    var tables = root.querySelectorAll("table.results");
    for (var i = 0; i < tables.length; i++) enhance(tables[i]);
  }

  enhanceAll(document);
  // A job's result arrives after the page loaded (job.js fills #job-result).
  if (window.MutationObserver) {
    new MutationObserver(function () { enhanceAll(document); })
      .observe(document.body, { childList: true, subtree: true });
  }
})();
