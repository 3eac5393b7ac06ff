"""Check the engine's gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.engine.graph import Graph, backward, build_graph, forward


def finite_difference_errors(
    graph: Graph, inputs: Mapping[str, np.ndarray], eps: float = 1e-6
) -> dict[str, float]:
    """For each name reaching the loss: max |backprop - central difference| / (1 + |backprop|).

    ``inputs`` holds one variant (axis 0 of length 1). An edge is perturbed by cutting the graph
    there: the edges after it are rebuilt over it as an input.
    """
    tape = forward(graph, inputs)
    grads = backward(graph, tape)
    errors = {}
    for position, name in enumerate([*graph.inputs, *(edge.name for edge in graph.edges)]):
        if name not in grads or name == graph.loss:
            continue
        if name in graph.inputs:
            sub, base = graph, dict(inputs)
        else:
            cut = position - len(graph.inputs) + 1
            known = [*graph.inputs, *(edge.name for edge in graph.edges[:cut])]
            sub = build_graph(known, {edge.name: edge.source for edge in graph.edges[cut:]})
            base = {k: tape.values[k] for k in known}
        numeric = np.zeros_like(base[name])
        flat = numeric.reshape(-1)
        for i in range(flat.size):
            losses = []
            for sign in (1.0, -1.0):
                shifted = base[name].copy()
                shifted.reshape(-1)[i] += sign * eps
                losses.append(forward(sub, {**base, name: shifted}).values[graph.loss][0])
            flat[i] = (losses[0] - losses[1]) / (2 * eps)
        analytic = grads[name]
        errors[name] = float(np.max(np.abs(analytic - numeric) / (1.0 + np.abs(analytic))))
    return errors
