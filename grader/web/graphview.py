"""An exercise's computation graph as Graphviz DOT, drawn as in the book's figures.

Operations are nodes; named edges are arrows labelled with their name and, for a student, their
forward value; params are marked; the loss ends the graph. Each arrow of a named edge carries
``class="edge-<name>"`` in the SVG (a fanned-out name has several arrows) so pages can colour or
highlight it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grader.engine.format import show
from grader.exercises import Exercise

SYMBOLS = {
    "add": "+",
    "sub": "−",
    "mul": "×",
    "div": "÷",
    "pow": "^",
    "matmul": "@",
    "neg": "−",
}


@dataclass(frozen=True)
class Mark:
    """How to draw one named edge: colour, an extra label line, and a CSS class."""

    color: str = ""
    note: str = ""
    css: str = ""


def to_dot(
    exercise: Exercise,
    values: Mapping | None = None,
    marks: Mapping[str, Mark] | None = None,
    param_word: str = "param",
) -> str:
    """DOT text for ``exercise``; ``values`` (name -> value) label the arrows with numbers;
    ``param_word`` marks the params (in the reader's language)."""
    values = values or {}
    marks = marks or {}
    graph = exercise.graph
    lines = [
        "digraph G {",
        '  graph [rankdir=LR, bgcolor="transparent", fontname="sans-serif", nodesep=0.4, ranksep=0.5];',
        '  node [fontname="sans-serif", fontsize=14, shape=circle, width=0.5, fixedsize=false];',
        '  edge [fontname="sans-serif", fontsize=12];',
    ]
    source: dict[str, str] = {}
    for name in graph.inputs:
        is_param = name in exercise.spec.params
        label = f"{name}\\n({_escape(param_word)})" if is_param else name
        style = (
            'shape=box, style="rounded,bold", color="#1d4ed8"'
            if is_param
            else 'shape=box, style="rounded"'
        )
        lines.append(f'  "in:{name}" [label="{label}", {style}, id="node-{name}"];')
        source[name] = f"in:{name}"
    reached = graph.reaches_loss()
    for edge in graph.edges:
        last = len(edge.steps) - 1
        if edge.steps[last].op == "id" and edge.steps[last].args[0].kind == "name":
            # An edge that is just another name (`e1: v`): the arrow out of that name is this edge.
            alias = edge.steps[last].args[0].name
            source[edge.name] = source[alias]
            continue
        for i, step in enumerate(edge.steps):
            node = f"op:{edge.name}:{i}"
            lines.append(f'  "{node}" [label="{_op_label(step)}"];')
            for ref in step.args:
                if ref.kind == "step":
                    lines.append(f'  "op:{edge.name}:{ref.step}" -> "{node}";')
                elif ref.kind == "name":
                    lines.append(_arrow(source[ref.name], node, ref.name, graph, values, marks))
        source[edge.name] = f"op:{edge.name}:{last}"
    loss = graph.loss
    lines.append(f'  "out:{loss}" [label="{loss}", shape=doublecircle, id="node-{loss}"];')
    lines.append(_arrow(source[loss], f"out:{loss}", loss, graph, values, marks))
    for edge in graph.edges:
        if edge.name not in reached:
            lines.append(f'  "out:{edge.name}" [label="", shape=point];')
            lines.append(
                _arrow(source[edge.name], f"out:{edge.name}", edge.name, graph, values, marks)
            )
    lines.append("}")
    return "\n".join(lines)


def _op_label(step) -> str:
    constants = [ref for ref in step.args if ref.kind == "const"]
    symbol = SYMBOLS.get(step.op, step.op)
    if step.op == "pow" and constants and step.args[1].kind == "const":
        return f"^{show(constants[0].value)}"
    if constants:
        shown = " ".join(show(c.value) for c in constants)
        return f"{symbol} {shown}" if step.op != "id" else shown
    return symbol


def _arrow(
    tail: str, head: str, name: str, graph, values: Mapping, marks: Mapping[str, Mark]
) -> str:
    label = name
    if name in values:
        label += f" = {_escape(show(values[name]))}"
    mark = marks.get(name, Mark())
    if mark.note:
        label += f"\\n{_escape(mark.note)}"
    css = f"edge-{name} {mark.css}".strip()
    attrs = [f'label="{label}"', f'class="{css}"', f'tooltip="{name}"']
    if mark.color:
        attrs += [f'color="{mark.color}"', f'fontcolor="{mark.color}"', "penwidth=2.5"]
    return f'  "{tail}" -> "{head}" [{", ".join(attrs)}];'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
