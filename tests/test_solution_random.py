"""Worked solutions and hints of random graphs over every op: each is worked to the engine's
values in both languages, and every hint of every level can be said."""

from itertools import islice

import numpy as np
import pytest
import yaml

from grader.checking import grade
from grader.checking.hints import ladder
from grader.checking.solution import solve
from grader.engine import build_graph
from grader.exercises import ExerciseError, load_text
from tests.engine_graphs import random_graph
from tests.test_solution_reading import ENGLISH

GRAPHS = 40


def exercise_of(seed: int):
    """The random graph of ``seed`` as an exercise asking every gradient, its params' steps and
    new values; None where the loader refuses it (a gradient it cannot ask, say)."""
    graph = random_graph(seed)
    edges = {**graph.edges, "total": f"sum({list(graph.edges)[-1]})"}
    reached = build_graph(list(graph.inputs), edges).reaches_loss()
    names = [name for name in graph.inputs if name in reached]
    params = names[: max(1, len(names) // 2)]
    values = {name: np.asarray(value[0]).tolist() for name, value in graph.inputs.items()}
    asked = [name for name in [*edges, *names][::-1] if name in reached and name != "total"]
    spec = {
        "id": f"random-{seed}",
        "title": "Random",
        "given": {name: values[name] for name in graph.inputs if name not in params},
        "params": {name: values[name] for name in params},
        "learning_rate": 1,
        "graph": edges,
        "ask": {"grad": asked, "update": params, "new": list(params)},
        "allow_zero": [*graph.inputs, *edges],
    }
    try:
        return load_text(yaml.safe_dump(spec, sort_keys=False).encode())
    except ExerciseError:
        return None


def loadable(count: int) -> list[int]:
    """The first ``count`` seeds whose random graph the loader takes as an exercise."""
    tried = range(count * 5)
    seeds = list(islice((seed for seed in tried if exercise_of(seed) is not None), count))
    assert len(seeds) == count, f"the loader takes only {len(seeds)} of {count * 5} random graphs"
    return seeds


@pytest.mark.parametrize("seed", loadable(GRAPHS))
def test_a_random_graph_is_worked_to_its_values_and_its_hints_said(seed):
    """The worked solution reaches the engine's value on every blank, in English and Russian,
    and every hint of every level is said."""
    exercise = exercise_of(seed)
    variant = exercise.draw_variant("secret", "demo")
    expected = grade(exercise, variant, {})["blanks"]
    for lang in ("en", "ru"):
        solution = solve(exercise, variant, lang)
        answered = {step.blank: step.value for step in solution.steps if step.blank}
        assert sorted(answered) == sorted(expected)
        for blank, result in expected.items():
            np.testing.assert_allclose(answered[blank], result["expected"], rtol=1e-9, atol=1e-12)
        for blank, levels in ladder(exercise, variant, lang).items():
            assert all(text.strip() for text in levels), (blank, levels)
            if lang == "ru":
                assert not any(ENGLISH.search(text) for text in levels), levels
        if lang == "ru":
            for step in solution.steps:
                assert not ENGLISH.search(step.text), step.text
