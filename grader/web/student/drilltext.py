"""A drill's task in the reader's language: its file's text is English, so a practice's page says
the same things from the drill's graph and values (the edges, the values, each transcendental
op's value and derivative where it is taken, and what to fill in)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from flask_babel import gettext
from markupsafe import Markup

from grader import exercises as core
from grader.engine.format import show
from grader.exercises.drills import TRANSCENDENTAL
from grader.web.student import markdown


def rounded(value: float) -> str:
    """``= 1`` for a whole number, else ``≈`` and 3 significant figures, as the drill's file."""
    value = float(value)
    return f"= {value:g}" if value == round(value) else f"≈ {value:.3g}"


def notes(spec: core.Exercise, values: Mapping[str, np.ndarray]) -> list[str]:
    """Each transcendental op's value and derivative at the point it is taken."""
    said = []
    for edge in spec.graph.edges:
        for step in edge.steps:
            if step.op not in TRANSCENDENTAL or step.args[0].kind != "name":
                continue
            name = step.args[0].name
            z = float(np.ravel(values[name])[0])
            value, slope = (rounded(f(z)) for f in TRANSCENDENTAL[step.op])
            said.append(
                gettext(
                    "At %(point)s: %(value)s and its derivative %(slope)s.",
                    point=f"`{name} = {show(values[name])}`",
                    value=f"`{step.op}({name}) {value}`",
                    slope=f"`{slope}`",
                )
            )
    return said


def drill_text(spec: core.Exercise, values: Mapping[str, np.ndarray]) -> Markup:
    """The drill's task as Markdown rendered to HTML, in the reader's language."""
    given = ", ".join(f"`{name} = {show(values[name])}`" for name in spec.spec.given)
    params = ", ".join(f"`{name} = {show(values[name])}`" for name in spec.spec.params)
    lines = [
        gettext("A graph drawn for practice. The edges, from the input to the loss:"),
        "",
        *(f"- `{edge.name} = {edge.source}`" for edge in spec.graph.edges),
        "",
        gettext(
            "The values: %(given)s; the parameters start at %(params)s.", given=given, params=params
        ),
        *notes(spec, values),
        "",
        gettext(
            "Fill in the gradient of the loss on every edge and parameter, the update step of each parameter with learning rate %(rate)s, and its new value.",
            rate=f"{spec.spec.learning_rate:g}",
        ),
    ]
    return markdown.render("\n".join(lines))
