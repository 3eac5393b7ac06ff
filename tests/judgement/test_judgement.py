"""The grades a careful teacher gives (cases.yaml), blank by blank, over every shipped exercise."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.checking import grade
from grader.exercises import load_dir, load_text

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())
FIELDS = ("verdict", "points", "diagnosis")


@pytest.fixture(scope="module")
def shipped(exercises_dir):
    return load_dir(exercises_dir)


def exercise_of(case: dict, shipped: dict, exercises_dir: Path):
    """The shipped exercise, with the case's overrides of its file's keys."""
    if not case.get("override"):
        return shipped[case["exercise"]]
    spec = yaml.safe_load((exercises_dir / f"{case['exercise']}.yaml").read_text())
    spec.update(case["override"])
    return load_text(yaml.safe_dump(spec).encode())


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_a_teacher_would_sign_this_grade(case, shipped, exercises_dir):
    """Every blank's verdict, points and named mistake, and the score, are the teacher's."""
    exercise = exercise_of(case, shipped, exercises_dir)
    variant = exercise.draw_variant("judgement", case.get("student", "student"))
    if case.get("given") or case.get("params"):
        variant = exercise.with_values(variant, case.get("given"), case.get("params"))
    result = grade(exercise, variant, case["answers"])
    got = {}
    want = {}
    for blank, expected in case["expect"].items():
        expected = expected if isinstance(expected, dict) else {"verdict": expected}
        want[blank] = expected
        got[blank] = {key: result["blanks"][blank][key] for key in FIELDS if key in expected}
    assert got == want, {b: result["blanks"][b]["feedback"] for b in want}
    assert result["score"] == case["score"]


def test_the_table_covers_every_shipped_exercise_and_rule(shipped):
    """At least 60 cases, on every shipped exercise, for every rule of judgement."""
    assert len(CASES) >= 60
    fixed = {name for name in shipped if not name.endswith("-random")}
    assert fixed <= {case["exercise"] for case in CASES}
    rules = {case["rule"] for case in CASES}
    assert {
        "follow-through",
        "zero from a recognised mistake",
        "zero from an unexplained answer",
        "zeros element by element",
        "transposed carries",
        "follow_through 0",
        "diagnosis only where the student's own upstream shows it",
        "two causes said",
        "rounding",
        "no free points",
        "input",
        "several steps",
    } <= rules
