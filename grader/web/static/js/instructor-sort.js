// Sortable tables: a click on a heading's button sorts the rows by that column (again: reversed).
// Cells give their sort key in data-value; numbers sort as numbers.

function sortBy(table, index, kind, direction) {
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const key = (row) => {
    const cell = row.cells[index];
    const value = cell?.dataset.value ?? cell?.textContent.trim() ?? "";
    return kind === "number" ? parseFloat(value) : value;
  };
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const order = kind === "number" ? x - y : String(x).localeCompare(String(y));
    return direction === "ascending" ? order : -order;
  });
  body.append(...rows);
}

document.querySelectorAll("table[data-sortable]").forEach((table) => {
  const headings = [...table.tHead.rows[0].cells];
  headings.forEach((heading, index) => {
    const button = heading.querySelector("button[data-sort]");
    if (!button) return;
    button.addEventListener("click", () => {
      const current = heading.getAttribute("aria-sort");
      const kind = button.dataset.sort;
      const first = kind === "number" ? "descending" : "ascending";
      const direction = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
      headings.forEach((other) => other.removeAttribute("aria-sort"));
      heading.setAttribute("aria-sort", direction);
      sortBy(table, index, kind, direction);
    });
  });
});
