"""What the exercise editor shows beside the text as the instructor types: every problem as
``line N: reason``, and for a file that checks, a sample variant's graph with its values, the
blanks with their reference values, and the worked solution."""

from __future__ import annotations

import numpy as np
from flask_babel import gettext

from grader.checking.solution import solve
from grader.engine.format import show
from grader.services import authoring
from grader.services.variants import reference_answers
from grader.web.student import markdown, worksheet

MAX_SAMPLE = 1_000_000


def preview(source: str, sample: int, lang: str) -> dict:
    """The editor's preview of ``source`` with sample variant number ``sample``."""
    checked = authoring.checked(source)
    out: dict = {"ok": checked.ok, "problems": [p.to_dict() for p in checked.problems]}
    exercise = checked.exercise
    if exercise is None:
        return out
    variant = exercise.draw_variant("editor-preview", f"sample-{sample % MAX_SAMPLE}")
    tape, _ = exercise.evaluate([variant])
    values = {name: value[0] for name, value in tape.values.items()}
    expected = reference_answers(exercise, variant)
    out.update(
        id=exercise.id,
        title=exercise.spec.title_in(lang),
        randomised=exercise.randomised,
        dot=worksheet.dot(exercise, values),
        values=[
            {"name": name, "value": show(values[name]), "role": role}
            for name, role in worksheet.roles(exercise).items()
        ],
        blanks=[
            {"id": blank.id, "expected": show(np.asarray(expected[blank.id]))}
            for blank in exercise.blanks
        ],
        solution=str(markdown.render(solve(exercise, variant, lang).markdown)),
        graph_label=gettext("The computation graph of this exercise, with the sample's values"),
    )
    return out
