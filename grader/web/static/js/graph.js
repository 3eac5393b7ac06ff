// The computation graph: Graphviz (WebAssembly, served from /static/vendor) lays out the DOT the
// server wrote, and verdicts are drawn on it by class: each named edge's arrows carry
// `edge-<name>`, each input node the id `node-<name>`.

import { instance } from "../vendor/viz.js";

const VERDICT_CLASSES = ["correct", "follow_through", "incorrect", "unreadable", "missing"].map(
  (verdict) => `verdict-${verdict}`,
);

let vizPromise = null;

function viz() {
  vizPromise ??= instance();
  return vizPromise;
}

function pointsToPixels(value) {
  return (parseFloat(value) * 96) / 72;
}

function render(engine, dot) {
  const svg = engine.renderSVGElement(dot);
  const width = pointsToPixels(svg.getAttribute("width"));
  const height = pointsToPixels(svg.getAttribute("height"));
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.querySelectorAll("title").forEach((title) => title.remove());
  return { svg, width, height };
}

// Draws `dot` into `container`, left to right; top to bottom when left to right would have to
// shrink its labels below a readable size (a phone held upright).
export async function drawGraph(container, dot, label) {
  const engine = await viz();
  let drawing = render(engine, dot);
  const room = container.clientWidth || drawing.width;
  if (drawing.width * 0.75 > room) {
    const upright = render(engine, dot.replace("rankdir=LR", "rankdir=TB"));
    if (upright.width < drawing.width) drawing = upright;
  }
  const { svg, width } = drawing;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("focusable", "false");
  svg.classList.add("graph-svg");
  svg.style.maxWidth = `${Math.ceil(width)}px`;
  svg.style.minWidth = `${Math.min(Math.ceil(width), Math.max(room, Math.ceil(width * 0.6)))}px`;
  container.replaceChildren(svg);
  container.dataset.state = "drawn";
  return svg;
}

// Colours the edges and parameter nodes of the graded blanks: `marks` maps a name to the worst
// verdict among its blanks.
export function markGraph(svg, marks) {
  if (!svg) return;
  svg.querySelectorAll(".verdict-mark").forEach((element) => {
    element.classList.remove("verdict-mark", ...VERDICT_CLASSES);
  });
  for (const [name, verdict] of Object.entries(marks || {})) {
    const targets = [
      ...svg.querySelectorAll(`g.edge.edge-${CSS.escape(name)}`),
      ...svg.querySelectorAll(`g.node[id="node-${CSS.escape(name)}"]`),
    ];
    for (const element of targets) {
      element.classList.add("verdict-mark", `verdict-${verdict}`);
    }
  }
}
