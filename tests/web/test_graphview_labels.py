"""The graph's param mark is written in the word given, quoted for DOT."""

from __future__ import annotations

from grader.exercises.loader import load_dir
from grader.web.graphview import to_dot


def test_param_word_is_used_and_quoted(exercises_dir):
    spec = load_dir(exercises_dir)["single-weight"]
    assert '"in:v" [label="v\\n(param)"' in to_dot(spec)
    assert '"in:v" [label="v\\n(параметр)"' in to_dot(spec, param_word="параметр")
    assert '[label="v\\n(a \\"b\\" \\\\ c)"' in to_dot(spec, param_word='a "b" \\ c')
