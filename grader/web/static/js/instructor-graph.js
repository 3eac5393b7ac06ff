// The analytics graph: the server wrote the DOT with every gradient edge coloured by the share of
// students who got it wrong, and that share on the arrow; this draws it with the site's Graphviz.

import { drawGraph } from "./graph.js";

function keepMarkColours(svg) {
  // The site's stylesheet draws edges in its own colours; a marked edge keeps the one it was given.
  svg.querySelectorAll("g.edge.marked").forEach((edge) => {
    edge.querySelectorAll("path, polygon").forEach((shape) => {
      const stroke = shape.getAttribute("stroke");
      if (stroke) shape.style.stroke = stroke;
      const fill = shape.getAttribute("fill");
      if (fill && fill !== "none") shape.style.fill = fill;
    });
    edge.querySelectorAll("text").forEach((text) => {
      const fill = text.getAttribute("fill");
      if (fill) {
        text.style.fill = fill;
        text.style.fontWeight = "600";
      }
    });
  });
}

const container = document.getElementById("graph");
const source = document.getElementById("graph-dot");
if (container && source) {
  const dot = JSON.parse(source.textContent);
  drawGraph(container, dot, container.closest("figure")?.querySelector("figcaption")?.textContent?.trim() || "")
    .then(keepMarkColours)
    .catch((error) => {
      container.dataset.state = "failed";
      const message = document.createElement("p");
      message.className = "muted";
      message.textContent = "The graph could not be drawn here; the table below has the same figures.";
      container.replaceChildren(message);
      console.error(error);
    });
}
