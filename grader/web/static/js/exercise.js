// The exercise page (and a practice's): draw the graph, send the answers without reloading,
// follow the attempt until it is graded (a practice's comes back graded), then show each blank's
// verdict beside its input and on the graph of its training step.

import { drawGraph, markGraph } from "./graph.js";
import { watchAnswers } from "./preview.js";
import { watchSteps } from "./steps.js";

const data = JSON.parse(document.getElementById("exercise-data").textContent);
const words = data.words;
const form = document.getElementById("answers");
const button = document.getElementById("submit-answers");
const status = document.getElementById("attempt-status");
const graph = document.getElementById("graph");
const POLL_START_MS = 250;
const POLL_MAX_MS = 2000;
const POLL_GIVE_UP_MS = 120000;

let svg = null;
let latest = data.latest;
let shownStep = () => 1;

// The verdicts drawn on the graph: those of the blanks of the step it shows.
function marks() {
  if (!latest) return {};
  const step = shownStep();
  if (latest.step_marks && latest.step_marks[step]) return latest.step_marks[step];
  return step === 1 ? latest.marks : {};
}

async function showGraph(dot = data.dot, step = 1) {
  try {
    svg = await drawGraph(graph, dot, words.graphLabel);
    graph.dataset.step = String(step);
    markGraph(svg, marks());
  } catch (error) {
    graph.dataset.state = "failed";
    graph.replaceChildren(paragraph(words.graphFailed));
    console.error(error);
  }
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.status = state;
}

function clearVerdicts() {
  for (const output of form.querySelectorAll("output.verdict")) {
    output.replaceChildren();
    output.dataset.verdict = "";
  }
  for (const input of form.querySelectorAll("input[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
}

function showVerdict(output, result) {
  const badge = span("verdict-badge", "");
  const symbol = span("", result.symbol);
  symbol.setAttribute("aria-hidden", "true");
  badge.append(symbol, ` ${result.label}`);
  const parts = [badge, span("verdict-points", `${number(result.points)}/${number(result.max_points)}`)];
  if (result.feedback) parts.push(span("verdict-feedback", result.feedback));
  if (result.hint) {
    const hint = span("verdict-hint", ` ${result.hint.text}`);
    const level = document.createElement("strong");
    level.textContent = words.hint.replace("%(level)d", result.hint.level);
    hint.prepend(level);
    hint.dataset.level = result.hint.level;
    parts.push(hint);
  }
  if (result.expected !== null && result.expected !== undefined) {
    const expected = span("verdict-expected", `${words.expected}: `);
    const code = document.createElement("code");
    code.textContent = result.expected;
    expected.append(code);
    parts.push(expected);
  }
  output.replaceChildren(...parts);
  output.dataset.verdict = result.verdict;
}

function number(value) {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e4) / 1e4);
}

function showAttempt(attempt) {
  clearVerdicts();
  for (const [id, result] of Object.entries(attempt.blanks)) {
    const output = form.querySelector(`output[data-blank="${CSS.escape(id)}"]`);
    if (output) showVerdict(output, result);
    const input = form.elements.namedItem(id);
    if (input && ["incorrect", "unreadable", "missing"].includes(result.verdict)) {
      input.setAttribute("aria-invalid", "true");
    }
  }
  latest = attempt;
  markGraph(svg, marks());
}

// Swaps in the parts of the page that change with an attempt (facts, history, solution), each
// replacing the element with the same id.
async function refreshParts() {
  try {
    const response = await fetch(data.historyUrl, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    for (const part of [...template.content.children]) {
      const old = part.id && document.getElementById(part.id);
      if (!old) continue;
      old.replaceWith(part);
      window.dispatchEvent(new CustomEvent("content-replaced", { detail: part }));
    }
    const closed = document.getElementById("closed-notice");
    if (closed && closed.dataset.closed) button.disabled = true;
  } catch (error) {
    console.error(error);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function follow(url) {
  const started = Date.now();
  let wait = POLL_START_MS;
  while (Date.now() - started < POLL_GIVE_UP_MS) {
    let attempt = null;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) attempt = await response.json();
    } catch (error) {
      attempt = null;
    }
    if (attempt && attempt.status === "graded") {
      showAttempt(attempt);
      await refreshParts();
      setStatus(`${attemptLabel(attempt.number)} ${attempt.summary}`, "graded");
      return;
    }
    if (attempt && attempt.status === "failed") {
      await refreshParts();
      setStatus(words.failed, "failed");
      return;
    }
    if (attempt) {
      setStatus(`${attemptLabel(attempt.number)} ${words[attempt.status] || words.queued}`, attempt.status);
    }
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 1.5);
  }
  setStatus(words.slow, "slow");
}

function attemptLabel(number) {
  return words.attempt.replace("%(number)d", number);
}

function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function submit(event) {
  event.preventDefault();
  if (button.disabled) return;
  button.disabled = true;
  setStatus(words.sending, "sending");
  const body = new FormData(form);
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const reply = await response.json().catch(() => ({}));
    if (!response.ok) {
      const closed = response.status === 403 || response.status === 409;
      setStatus(reply.message || words.offline, closed ? "closed" : "refused");
      return;
    }
    renewKey();
    clearVerdicts();
    markGraph(svg, {});
    if (reply.attempt) {
      // Graded in the request (a practice): no queue to follow.
      showAttempt(reply.attempt);
      await refreshParts();
      setStatus(`${attemptLabel(reply.attempt.number)} ${reply.attempt.summary}`, "graded");
      return;
    }
    setStatus(words.queued, "queued");
    await follow(reply.url);
  } catch (error) {
    setStatus(words.offline, "offline");
  } finally {
    const closed = document.getElementById("closed-notice");
    if (status.dataset.status !== "closed" && !(closed && closed.dataset.closed)) {
      button.disabled = false;
    }
  }
}

function renewKey() {
  form.elements.namedItem("idempotency_key").value = newKey();
}

form.addEventListener("submit", submit);
watchAnswers(form, data);
shownStep = watchSteps(form, data, showGraph);
// A retried post of the same answers is the same attempt; changed answers are a new one.
form.addEventListener("input", renewKey);
showGraph();
if (data.latest && !data.latest.final) {
  follow(data.pollUrl.replace(/\/0$/, `/${data.latest.id}`));
}
