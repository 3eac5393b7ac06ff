"""Check the engine's gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.engine.graph import Graph, backward, forward

CHUNK_NUMBERS = 4_000_000


def finite_difference_errors(
    graph: Graph, inputs: Mapping[str, np.ndarray], eps: float = 1e-6
) -> dict[str, np.ndarray]:
    """For each name reaching the loss, per variant (axis 0 of ``inputs``):
    max |backprop - central difference| / (1 + |backprop|).

    An edge is perturbed by cutting the graph there: the edges after it, over it as an input.
    The two perturbations of every element of a name, for many variants, are the rows of one
    vectorised forward pass (CHUNK_NUMBERS values at most).
    """
    tape = forward(graph, inputs)
    grads = backward(graph, tape)
    numbers = sum(value[0].size for value in tape.values.values())
    errors = {}
    for position, name in enumerate([*graph.inputs, *(edge.name for edge in graph.edges)]):
        if name not in grads or name == graph.loss:
            continue
        cut = max(position - len(graph.inputs) + 1, 0)
        known = [*graph.inputs, *(edge.name for edge in graph.edges[:cut])]
        sub = Graph(tuple(known), graph.edges[cut:])
        shape = tape.values[name].shape[1:]
        size = int(np.prod(shape))
        shifts = (np.concatenate([np.eye(size), -np.eye(size)]) * eps).reshape(2 * size, *shape)
        numeric = np.empty((tape.variants, size))
        step = max(1, CHUNK_NUMBERS // (2 * size * numbers))
        for start in range(0, tape.variants, step):
            stop = min(start + step, tape.variants)
            batch = {k: np.repeat(tape.values[k][start:stop], 2 * size, axis=0) for k in known}
            batch[name] = batch[name] + np.tile(shifts, (stop - start, *[1] * len(shape)))
            losses = forward(sub, batch).values[graph.loss].reshape(stop - start, 2 * size)
            numeric[start:stop] = (losses[:, :size] - losses[:, size:]) / (2 * eps)
        analytic = grads[name].reshape(tape.variants, -1)
        errors[name] = np.max(np.abs(analytic - numeric) / (1.0 + np.abs(analytic)), axis=1)
    return errors
