// Sortable tables: a table with class "sortable" whose header cells hold buttons sorts by
// that column when a button is pressed (again: the other way). Each cell may carry its
// sort key in data-sort; numbers sort as numbers (data-sort-type="number").
(function () {
  "use strict";

  function key(row, index) {
    var cell = row.cells[index];
    return cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim()) : "";
  }

  function sortBy(table, th, index, numeric) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (other) {
      if (other.hasAttribute("aria-sort")) other.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, index), y = key(b, index);
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "en-GB");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        sortBy(table, th, index, button.dataset.sortType === "number");
      });
    });
  });
})();
