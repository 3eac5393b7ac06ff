"""Reference reverse-mode autodiff in numpy, vectorised over variants (axis 0)."""

from grader.engine.graph import (
    Edge,
    Graph,
    GraphError,
    Tape,
    backward,
    build_graph,
    forward,
    vjp_edge,
)
from grader.engine.ops import OPS, Op

__all__ = [
    "OPS",
    "Edge",
    "Graph",
    "GraphError",
    "Op",
    "Tape",
    "backward",
    "build_graph",
    "forward",
    "vjp_edge",
]
