"""Practice variants and drills like an exercise: reproducible from (secret, exercise, student,
number), never the student's own numbers, and gradable, for every shipped exercise."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking import grade
from grader.exercises import load_dir, load_text
from grader.exercises.practice import (
    drill_for,
    drill_like,
    drill_seed,
    practice_key,
    practice_variant,
    same,
)

SECRET = "course-secret"


@pytest.fixture(scope="module")
def shipped(exercises_dir):
    return load_dir(exercises_dir)


def test_practice_variant_is_the_variant_of_the_documented_student_key(shipped):
    exercise = shipped["single-weight-random"]
    own = exercise.draw_variant(SECRET, "ann@example.org")
    drawn = practice_variant(exercise, SECRET, "ann@example.org", 3, own)
    key = practice_key("ann@example.org", 3)
    assert key == "ann@example.org\x1fpractice-3"
    candidates = [
        exercise.draw_variant(SECRET, practice_key("ann@example.org", 3, r)) for r in range(8)
    ]
    first_other = next(v for v in candidates if not same(v, own))
    assert same(drawn, first_other)


def test_every_shipped_exercise_gives_reproducible_practice_numbers_unlike_the_students_own(
    shipped,
):
    for exercise_id, exercise in shipped.items():
        for student in ("ann@example.org", "bob@example.org"):
            own = exercise.draw_variant(SECRET, student)
            seen = []
            for number in (1, 2, 3):
                drawn = practice_variant(exercise, SECRET, student, number, own)
                again = practice_variant(exercise, SECRET, student, number, own)
                assert same(drawn, again), exercise_id
                assert not same(drawn, own), (exercise_id, student, number)
                seen.append(drawn)
            assert not all(same(seen[0], other) for other in seen[1:]), exercise_id


def test_a_fixed_exercise_draws_new_starting_values_near_its_own_and_keeps_its_data(shipped):
    exercise = shipped["single-weight"]
    own = exercise.draw_variant(SECRET, "ann@example.org")
    values = [practice_variant(exercise, SECRET, "ann@example.org", n, own) for n in range(1, 30)]
    for drawn in values:
        assert drawn.to_dict()["given"] == {"x": 2, "y": 5}
        assert -3 <= float(drawn.params["v"]) <= 3 and float(drawn.params["v"]) != 0
    assert len({float(v.params["v"]) for v in values}) >= 4


def test_a_practice_variant_is_graded_like_any_variant(shipped):
    exercise = shipped["single-weight-3-steps"]
    own = exercise.draw_variant(SECRET, "ann@example.org")
    drawn = practice_variant(exercise, SECRET, "ann@example.org", 1, own)
    expected = grade(exercise, drawn, {})["blanks"]
    answers = {blank: str(entry["expected"]) for blank, entry in expected.items()}
    result = grade(exercise, drawn, answers)
    assert result["score"] == result["max_score"] == len(exercise.blanks)


def test_drills_like_each_shipped_exercise_are_reproducible_and_pass_the_loader(shipped):
    for exercise_id, exercise in shipped.items():
        seeds = {drill_seed(SECRET, exercise_id, "ann@example.org", n) for n in range(1, 6)}
        assert len(seeds) == 5
        for seed in sorted(seeds)[:2]:
            drill, text = drill_for(exercise, seed)
            assert drill == drill_like(exercise, seed), exercise_id
            assert drill_for(exercise, seed)[1] == text
            generated = load_text(text.encode())
            assert generated.id == f"drill-{seed}" and not generated.randomised


def test_a_drill_like_an_exercise_has_its_ops_depth_and_shape(shipped):
    single = drill_like(shipped["single-weight"], 7)
    assert set(single.ops) == {"mul", "sub"} and single.depth == 1 and single.shape == "scalar"
    layer = drill_like(shipped["linear-layer"], 7)
    assert layer.shape == "matrix" and "matmul" in layer.ops and "sum" in layer.ops
    mean = drill_like(shipped["batch-mean"], 7)
    assert mean.shape == "vector" and "mean" in mean.ops
    sigmoid = drill_like(shipped["sigmoid-unit"], 7)
    assert "sigmoid" in sigmoid.ops and sigmoid.params == 2


def test_drill_seeds_differ_between_students_exercises_and_numbers():
    seeds = {
        drill_seed(SECRET, exercise, student, number)
        for exercise in ("a", "b")
        for student in ("ann", "bob")
        for number in (1, 2)
    }
    assert len(seeds) == 8
    assert all(0 <= seed < 2**40 for seed in seeds)
    assert drill_seed("other", "a", "ann", 1) != drill_seed(SECRET, "a", "ann", 1)
    assert np.isscalar(drill_seed(SECRET, "a", "ann", 1))
