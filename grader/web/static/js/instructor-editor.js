// The exercise editor: line numbers beside the YAML, and a preview refreshed as the instructor
// types (debounced): problems as "line N: reason" beside their lines, else the sample's graph,
// values, blanks with reference values and the worked solution, drawn from the server's check.

import { drawGraph } from "./graph.js";
import { postJson } from "./http.js";

const DEBOUNCE_MS = 350;
const data = JSON.parse(document.getElementById("editor-data").textContent);
const words = data.words;
const form = document.getElementById("editor-form");
const text = document.getElementById("source");
const gutter = document.getElementById("editor-gutter");
const notes = document.getElementById("editor-notes");
const problemsBox = document.getElementById("editor-problems");
const state = document.getElementById("preview-state");
const graph = document.getElementById("preview-graph");
const sampleBox = document.getElementById("preview-sample");
const token = form.elements.namedItem("csrf_token").value;

let sample = 0;
let timer = null;
let sent = 0;
let problems = [];

function lineHeight() {
  return parseFloat(getComputedStyle(text).lineHeight) || 20;
}

function lineLabel(number) {
  return words.line.replace("%(number)d", number);
}

function drawGutter() {
  const count = text.value.split("\n").length;
  const bad = new Set(problems.map((p) => p.line));
  const rows = [];
  for (let i = 1; i <= count; i += 1) {
    const row = document.createElement("div");
    row.textContent = String(i);
    if (bad.has(i)) row.className = "bad";
    rows.push(row);
  }
  gutter.replaceChildren(...rows);
  const height = lineHeight();
  const top = parseFloat(getComputedStyle(text).paddingTop) || 0;
  notes.replaceChildren(
    ...problems.map((p) => {
      const note = document.createElement("p");
      note.className = "editor-note";
      note.style.top = `${top + (p.line - 1) * height}px`;
      note.textContent = `${lineLabel(p.line)}: ${p.reason}`;
      return note;
    }),
  );
  follow();
}

function follow() {
  gutter.style.transform = `translateY(${-text.scrollTop}px)`;
  notes.style.transform = `translateY(${-text.scrollTop}px)`;
}

function goToLine(line) {
  const lines = text.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(start, start + (lines[line - 1] || "").length);
  text.scrollTop = Math.max(0, (line - 3) * lineHeight());
}

function showProblems() {
  if (!problems.length) {
    problemsBox.replaceChildren();
    return;
  }
  const list = document.createElement("ul");
  for (const p of problems) {
    const item = document.createElement("li");
    item.dataset.line = p.line;
    const link = document.createElement("button");
    link.type = "button";
    link.className = "button-link";
    link.textContent = `${lineLabel(p.line)}: ${p.reason}`;
    link.addEventListener("click", () => goToLine(p.line));
    item.append(link);
    list.append(item);
  }
  problemsBox.replaceChildren(list);
}

function rows(tbody, entries) {
  tbody.replaceChildren(
    ...entries.map(([name, value, note]) => {
      const row = document.createElement("tr");
      const head = document.createElement("th");
      head.scope = "row";
      const code = document.createElement("code");
      code.textContent = name;
      head.append(code);
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(head, cell);
      if (note !== undefined) {
        const extra = document.createElement("td");
        extra.className = "muted";
        extra.textContent = note;
        row.append(extra);
      }
      return row;
    }),
  );
}

async function showPreview(reply) {
  problems = reply.problems || [];
  showProblems();
  drawGutter();
  text.setAttribute("aria-invalid", problems.length ? "true" : "false");
  if (!reply.dot) {
    state.textContent = `${words.problems}: ${problems.length}`;
    return;
  }
  state.textContent = problems.length ? `${words.problems}: ${problems.length}` : words.ok;
  sampleBox.hidden = false;
  rows(
    document.querySelector("#preview-values tbody"),
    reply.values.map((v) => [v.name, v.value, v.role]),
  );
  rows(
    document.querySelector("#preview-blanks tbody"),
    reply.blanks.map((b) => [b.id, b.expected]),
  );
  document.getElementById("another-sample").hidden = !reply.randomised;
  // The solution is the server's Markdown rendered and sanitised (an allow-list of tags).
  document.getElementById("preview-solution").innerHTML = reply.solution;
  try {
    await drawGraph(graph, reply.dot, reply.graph_label);
  } catch (error) {
    graph.textContent = "";
    console.debug("graph not drawn", error);
  }
}

async function refresh() {
  const mine = ++sent;
  state.textContent = words.checking;
  try {
    const response = await postJson(data.previewUrl, { source: text.value, sample }, token);
    const reply = await response.json().catch(() => ({}));
    if (mine !== sent) return;
    if (!response.ok) {
      state.textContent = reply.message || words.offline;
      return;
    }
    await showPreview(reply);
  } catch (error) {
    if (mine === sent) state.textContent = words.offline;
  }
}

function changed() {
  drawGutter();
  clearTimeout(timer);
  timer = setTimeout(refresh, DEBOUNCE_MS);
}

text.addEventListener("input", changed);
text.addEventListener("scroll", follow);
document.getElementById("another-sample").addEventListener("click", () => {
  sample += 1;
  refresh();
});
problemsBox.querySelectorAll("li[data-line]").forEach((item) => {
  problems.push({ line: Number(item.dataset.line), reason: "" });
});
drawGutter();
if (text.value.trim()) refresh();
