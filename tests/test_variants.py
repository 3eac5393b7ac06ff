"""Variants: a pure function of (secret, exercise id, student id), varied, never degenerate."""

import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from grader.checking import grade_many
from grader.checking.tolerance import Tolerance
from grader.engine.format import plain, show
from grader.exercises import Variant, VariantError, VariantTable, load_dir, load_text
from grader.exercises.degeneracy import degeneracy
from grader.exercises.spec import Choice, RandInt, Uniform
from grader.exercises.variants import plain_jsons

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
SECRET = "course-secret"
STUDENTS = [f"student-{i}" for i in range(200)]
RANDOM_IDS = sorted(path.stem for path in EXERCISES.glob("*-random.yaml"))

ALL_DRAWS = b"""\
id: all-draws
title: Every kind of draw
given:
  x: {randint: [-3, 4], shape: [2, 3]}
  y: {choice: [1, 2.5, 7]}
  z: {uniform: [-1, 1], decimals: 2, shape: [4]}
params:
  v: {uniform: [0.5, 2]}
graph:
  e1: x * v
  e2: sum(e1) + y * v + sum(z) * v
  loss: e2 ** 2
ask:
  update: [v]
"""

ZERO_ALLOWED = b"""\
id: zero-allowed
title: A relu whose gradients may be zero
given:
  x: {randint: [-2, 2], shape: [3]}
  y: {randint: [-2, 2]}
params:
  w: {randint: [-1, 1], shape: [3]}
  b: {uniform: [-1, 1], decimals: 1}
graph:
  e1: relu(w * x)
  e2: sum(e1) + b
  e3: e2 - y
  loss: e3 ** 2
allow_zero: [e1, w]
ask:
  grad: [e3, e2, e1, w]
  update: [w, b]
  new: [w, b]
"""


@pytest.fixture(scope="module")
def shipped():
    return load_dir(EXERCISES)


def key(variant: Variant) -> str:
    """A variant as comparable text."""
    return json.dumps(variant.to_dict(), sort_keys=True)


def assert_same(a: Variant, b: Variant) -> None:
    assert a.given.keys() == b.given.keys() and a.params.keys() == b.params.keys()
    for name, value in a.values().items():
        np.testing.assert_array_equal(value, b.values()[name], err_msg=name)


def test_there_is_a_randomised_version_of_each_kind():
    """Every fixed exercise shipped has a -random version."""
    fixed = {path.stem for path in EXERCISES.glob("*.yaml") if not path.stem.endswith("-random")}
    assert {f"{name}-random" for name in fixed} == set(RANDOM_IDS)


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_variant_is_the_same_on_every_call_and_every_load(shipped, exercise_id):
    """Drawing twice, or after loading the files afresh, gives the same values."""
    fresh = load_dir(EXERCISES)[exercise_id]
    for student in STUDENTS[:20]:
        first = shipped[exercise_id].draw_variant(SECRET, student)
        assert_same(first, shipped[exercise_id].draw_variant(SECRET, student))
        assert_same(first, fresh.draw_variant(SECRET, student))


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_students_get_different_variants(shipped, exercise_id):
    """Over 50 students most variants differ from the next student's, and many are distinct."""
    exercise = shipped[exercise_id]
    keys = [key(exercise.draw_variant(SECRET, student)) for student in STUDENTS[:51]]
    differing = sum(a != b for a, b in zip(keys, keys[1:], strict=False))
    assert differing >= 40
    assert len(set(keys)) >= 15


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_another_secret_gives_other_variants(shipped, exercise_id):
    """The same students under another course secret mostly get other values."""
    exercise = shipped[exercise_id]
    differing = sum(
        key(exercise.draw_variant(SECRET, s)) != key(exercise.draw_variant("other-secret", s))
        for s in STUDENTS[:50]
    )
    assert differing >= 40


def test_another_exercise_id_gives_other_draws():
    """Two exercises with the same draws give one student different values."""
    other = load_text(ALL_DRAWS.replace(b"id: all-draws", b"id: all-draws-again"))
    exercise = load_text(ALL_DRAWS)
    differing = sum(
        key(exercise.draw_variant(SECRET, s)) != key(other.draw_variant(SECRET, s))
        for s in STUDENTS[:50]
    )
    assert differing >= 45


def test_fixed_exercise_has_one_variant_for_everyone(shipped):
    """Without draws every student gets the file's values."""
    exercise = shipped["single-weight"]
    variants = [exercise.draw_variant(secret, s) for secret in (SECRET, "x") for s in STUDENTS[:5]]
    assert {key(v) for v in variants} == {
        key(Variant(given={"x": np.array(2.0), "y": np.array(5.0)}, params={"v": np.array(0.0)}))
    }


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_no_variant_is_degenerate(shipped, exercise_id):
    """Over 200 students: every value finite, no asked gradient identically zero."""
    exercise = shipped[exercise_id]
    variants = [exercise.draw_variant(SECRET, student) for student in STUDENTS]
    tape, grads = exercise.evaluate(variants)
    for name, value in tape.values.items():
        assert np.isfinite(value).all(), name
    for blank in exercise.blanks:
        if blank.kind == "new":
            continue
        grad = grads[blank.target].reshape(len(variants), -1)
        assert np.isfinite(grad).all(), blank.id
        zero = ~grad.any(axis=1)
        assert not zero.any(), f"{blank.id} is zero for {np.flatnonzero(zero).tolist()}"


def obvious_wrong_values(exercise, variant, tolerance) -> dict[str, tuple[np.ndarray, list]]:
    """Each blank's right value and its obvious wrong values, worked out one by one."""
    tape, grads = exercise.evaluate([variant])
    lr, out = exercise.spec.learning_rate, {}
    for blank in exercise.blanks:
        grad, old = grads[blank.target][0], tape.values[blank.target][0]
        if blank.target in exercise.spec.allow_zero and (
            blank.kind == "grad" or tolerance.close(0 * grad[None], grad)[0]
        ):
            continue
        if blank.kind == "grad":
            out[blank.id] = grad, [0 * grad, -grad]
        elif blank.kind == "update":
            out[blank.id] = -lr * grad, [0 * grad, lr * grad, grad, -grad]
        else:
            step_alone = [-lr * grad] if old.any() else []
            out[blank.id] = old - lr * grad, [old, 0 * old, *step_alone, old + lr * grad]
    return out


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_no_obvious_wrong_value_is_within_the_tolerance_in_any_variant(shipped, exercise_id):
    """Over 200 students no blank's zero, sign flip, old value or missing factor would be correct."""
    exercise = shipped[exercise_id]
    tolerance = Tolerance(**exercise.spec.tolerance.model_dump())
    for student in STUDENTS:
        variant = exercise.draw_variant(SECRET, student)
        for blank_id, (right, wrong) in obvious_wrong_values(exercise, variant, tolerance).items():
            inside = tolerance.close(np.stack(wrong), right)
            assert not inside.any(), (student, blank_id, [wrong[i] for i in np.flatnonzero(inside)])


@pytest.mark.parametrize("exercise_id", [*RANDOM_IDS, "zero-allowed"])
def test_a_draw_is_degenerate_exactly_when_an_obvious_wrong_value_is_within_tolerance(
    shipped, exercise_id
):
    """Over 400 raw draws, degeneracy agrees with the wrong values worked out one by one."""
    exercise = shipped.get(exercise_id) or load_text(ZERO_ALLOWED)
    tolerance = Tolerance(**exercise.spec.tolerance.model_dump())
    flagged = 0
    for seed in range(400):
        variant = exercise.raw_draws("", [f"s{seed}"])[0][0]
        expected = [
            blank_id
            for blank_id, (right, wrong) in obvious_wrong_values(
                exercise, variant, tolerance
            ).items()
            if tolerance.close(np.stack(wrong), right).any()
        ]
        found = degeneracy(exercise, variant)
        assert (found[0] if found else None) == (expected[0] if expected else None), seed
        flagged += bool(expected)
    assert flagged < 100


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_copying_the_old_value_is_never_graded_correct(shipped, exercise_id):
    """A student who types each param's old value as its new value is never marked correct."""
    exercise = shipped[exercise_id]
    variants = [exercise.draw_variant(SECRET, student) for student in STUDENTS]
    news = [blank for blank in exercise.blanks if blank.kind == "new"]
    answers = [
        {blank.id: json.dumps(plain(variant.params[blank.target])) for blank in news}
        for variant in variants
    ]
    graded = grade_many(exercise, variants, answers).to_dicts()
    verdicts = {(r["blanks"][b.id]["verdict"], b.id) for r in graded for b in news}
    assert {verdict for verdict, _ in verdicts} == {"incorrect"}, verdicts


def assert_honours(draw, values: np.ndarray) -> None:
    """Every drawn value has the draw's shape and lies in its range."""
    assert values.shape[1:] == tuple(draw.shape or ())
    if isinstance(draw, RandInt):
        low, high = draw.randint
        assert (values == np.round(values)).all()
        assert values.min() >= low and values.max() <= high
    elif isinstance(draw, Choice):
        assert set(np.unique(values)) <= set(map(float, draw.choice))
    else:
        assert isinstance(draw, Uniform)
        low, high = draw.uniform
        assert values.min() >= low and values.max() <= high
        np.testing.assert_array_equal(values, np.round(values, draw.decimals))


@pytest.mark.parametrize("exercise_id", [*RANDOM_IDS, "all-draws"])
def test_draws_honour_ranges_decimals_and_shapes(shipped, exercise_id):
    """randint, choice and uniform stay in range, keep their decimals and their shape."""
    exercise = shipped.get(exercise_id) or load_text(ALL_DRAWS)
    variants = [exercise.draw_variant(SECRET, student) for student in STUDENTS]
    for name, draw in exercise.values.items():
        if isinstance(draw, np.ndarray):
            continue
        values = np.stack([v.values()[name] for v in variants])
        assert_honours(draw, values)


def test_draws_reach_both_ends_of_their_range():
    """Over 200 students a small randint range and a choice are covered fully."""
    exercise = load_text(ALL_DRAWS)
    variants = [exercise.draw_variant(SECRET, student) for student in STUDENTS]
    x = np.stack([v.given["x"] for v in variants])
    y = np.stack([v.given["y"] for v in variants])
    z = np.stack([v.given["z"] for v in variants])
    assert set(np.unique(x)) == set(range(-3, 5))
    assert set(np.unique(y)) == {1.0, 2.5, 7.0}
    assert z.min() < -0.8 and z.max() > 0.8
    assert len(np.unique(z)) > 50


def test_with_values_replaces_given_and_params(shipped):
    """A paper exam's numbers replace the drawn ones, and the gradients follow them."""
    exercise = shipped["single-weight-random"]
    base = exercise.draw_variant(SECRET, "student-1")
    variant = exercise.with_values(base, given={"x": 3, "y": 4}, params={"v": 1})
    assert variant.to_dict() == {"given": {"x": 3, "y": 4}, "params": {"v": 1}}
    _, grads = exercise.evaluate([variant])
    assert (grads["e3"][0], grads["e1"][0]) == (-2, -6)
    assert key(exercise.draw_variant(SECRET, "student-1")) == key(base)


def test_with_values_keeps_the_values_not_given(shipped):
    """Only the named values change."""
    exercise = shipped["linear-layer-random"]
    base = exercise.draw_variant(SECRET, "student-2")
    variant = exercise.with_values(base, given=None, params={"b": [1, -1]})
    np.testing.assert_array_equal(variant.params["b"], [1, -1])
    np.testing.assert_array_equal(variant.params["W"], base.params["W"])
    assert_same(Variant(variant.given, {}), Variant(base.given, {}))


def test_a_line_naming_every_number_makes_the_variant_with_values_makes(shipped):
    """Numbers for every value make the variant without a drawn base, in the exercise's order;
    anything else is left to with_values (and its messages)."""
    exercise = shipped["single-weight-random"]
    base = exercise.draw_variant(SECRET, "student-1")
    given, params = {"y": 4.5, "x": 3}, {"v": -0.25}
    assert exercise.numbers(given, params) == (3, 4.5, -0.25)
    variant = exercise.numbers_variant(exercise.numbers(given, params))
    assert variant.to_dict() == exercise.with_values(base, given, params).to_dict()
    assert list(variant.given) == ["x", "y"]
    for given, params in [
        ({"x": 3}, {"v": 1}),  # y is the student's draw
        ({"x": 3, "y": 4, "z": 1}, {"v": 1}),
        ({"x": 3, "z": 4}, {"v": 1}),
        ({"x": 3, "y": True}, {"v": 1}),
        ({"x": 3, "y": float("nan")}, {"v": 1}),
        ({"x": 3, "y": float("-inf")}, {"v": 1}),
        ({"x": 1e308, "y": 1e308}, {"v": 1}),  # finite, but with_values takes them
        ({"x": 10**400, "y": 0.5}, {"v": 1}),
        ({"x": 3, "y": [4]}, {"v": 1}),
        ({"x": 3, "y": 4}, None),
        ({"x": 3, "y": 4}, [1]),
    ]:
        assert exercise.numbers(given, params) is None
    assert shipped["linear-layer-random"].numbers({"x": 1, "y": 1}, {"W": 1, "b": 1}) is None


def test_a_table_of_variants_grades_and_reads_as_its_variants_one_by_one(shipped):
    """Lines' numbers held as a table (each distinct set a row once) make the same variants,
    JSON and results as the same numbers made into variants one at a time."""
    exercise = shipped["single-weight-random"]
    rows = [[3, 4.5, -0.25], [1.5, 2, 0.1], [3, 4.5, -0.25], [-0.0, 1e-7, 123456.789], [0, 1, 2]]
    table = VariantTable.of(exercise.spec.given, exercise.spec.params, rows)
    variants = [exercise.numbers_variant(row) for row in rows]
    assert len(table) == 5 and len(table.values) == 4
    assert [v.to_dict() for v in table] == [v.to_dict() for v in variants]
    assert plain_jsons(table) == plain_jsons(variants)
    assert plain_jsons(table) == [orjson.dumps(v.to_dict()) for v in variants]
    answers = [{"grad.e3": "-19", "grad.e1": "57", "new.v": "0.3"}, {}, {"grad.e3": "x"}] + [{}] * 2
    assert (
        grade_many(exercise, table, answers).json_tails()
        == grade_many(exercise, variants, answers).json_tails()
    )
    part = table.take(np.array([4, 0]))
    assert [v.to_dict() for v in part] == [variants[4].to_dict(), variants[0].to_dict()]


@pytest.mark.parametrize(
    ("given", "params", "message"),
    [
        pytest.param({"z": 1}, None, "'z' is not in the exercise's given", id="unknown-given"),
        pytest.param(None, {"x": 1}, "'x' is not in the exercise's params", id="given-as-param"),
        pytest.param({"x": [1, 2]}, None, "given.x: expected shape [3], got [2]", id="vector"),
        pytest.param(None, {"W": [[1, 2], [3, 4]]}, "params.W: expected shape [2, 3]", id="matrix"),
        pytest.param(None, {"b": 1}, "params.b: expected shape [2], got []", id="scalar"),
        pytest.param({"y": "1"}, None, "given.y:", id="text"),
        pytest.param({"y": [1, [2]]}, None, "given.y:", id="ragged"),
        pytest.param(None, {"b": {"randint": [1, 2], "shape": [2]}}, "params.b:", id="draw"),
    ],
)
def test_with_values_refuses_unknown_names_and_wrong_shapes(shipped, given, params, message):
    """Explicit values that do not fit the exercise raise VariantError."""
    exercise = shipped["linear-layer-random"]
    base = exercise.draw_variant(SECRET, "student-3")
    with pytest.raises(VariantError) as caught:
        exercise.with_values(base, given=given, params=params)
    assert message in str(caught.value)


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_variant_round_trips_through_a_dict(shipped, exercise_id):
    """to_dict is JSON-ready, and from_dict gives the same values back."""
    exercise = shipped[exercise_id]
    for student in STUDENTS[:20]:
        variant = exercise.draw_variant(SECRET, student)
        data = json.loads(json.dumps(variant.to_dict()))
        again = Variant.from_dict(data)
        assert_same(variant, again)
        assert again.to_dict() == data


def test_negative_zero_is_shown_as_zero():
    """-0.0, alone or inside a vector or matrix, reads as 0."""
    assert plain(-0.0) == 0 and json.dumps(plain(-0.0)) == "0"
    assert plain(np.array([-0.0, 1.5])) == [0, 1.5]
    assert plain(np.array([[-0.0, 2.0]])) == [[0, 2]]
    assert show(np.float64(-0.0)) == "0"
    assert show(np.round(-0.04, 1)) == "0"
    variant = Variant(given={"b": np.array([-0.0, -0.5])}, params={"v": np.array(-0.0)})
    assert json.dumps(variant.to_dict()) == '{"given": {"b": [0, -0.5]}, "params": {"v": 0}}'


@pytest.mark.parametrize("exercise_id", RANDOM_IDS)
def test_drawing_many_students_at_once_gives_each_their_own_variant(shipped, exercise_id):
    """The bulk draw (one vectorised degeneracy pass) gives exactly what drawing one student at
    a time gives, redraws included."""
    exercise = shipped[exercise_id]
    students = [f"bulk-{i}" for i in range(300)]
    together = exercise.draw_variants(SECRET, students)
    for student, variant in zip(students, together, strict=True):
        assert_same(variant, exercise.draw_variant(SECRET, student))


def test_draws_spread_evenly_over_their_ranges():
    """Over many students every whole number of a randint, every option of a choice, and every
    rounded value of a uniform turn up about equally often, and nothing outside them."""
    exercise = load_text(
        b"id: spread\ntitle: t\ngiven: {a: {randint: [-2, 2]}, c: {choice: [3, 5, 7]},"
        b" u: {uniform: [0, 1], decimals: 1}}\nparams: {v: {randint: [1, 3], shape: [2]}}\n"
        b"graph:\n  loss: sum((v * a + c + u) ** 2)\nask:\n  grad: [loss]\n"
    )
    variants, columns = exercise.raw_draws(SECRET, [f"s{i}" for i in range(20_000)])
    counts = {
        name: dict(zip(*np.unique(columns[name], return_counts=True), strict=True))
        for name in columns
    }
    assert set(counts["a"]) == {-2, -1, 0, 1, 2}
    assert set(counts["c"]) == {3, 5, 7}
    assert set(counts["v"]) == {1, 2, 3}
    assert set(np.round(list(counts["u"]), 1)) == {round(0.1 * k, 1) for k in range(11)}
    for name in ("a", "c", "v"):
        shares = np.array(list(counts[name].values())) / sum(counts[name].values())
        assert np.allclose(shares, 1 / len(shares), atol=0.02), (name, shares)
