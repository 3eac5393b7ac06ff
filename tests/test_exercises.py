"""The shipped exercises load and give the hand-worked answers; bad files are refused whole."""

from pathlib import Path

import numpy as np
import pytest

from grader.exercises import ExerciseError, load_dir, load_file

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
KINDS = ["single-weight", "two-params", "batch-mean", "linear-layer", "sigmoid-unit", "fan-out"]

# Worked by hand, blank by blank, from the numbers in each file's text.
HAND_WORKED = {
    "single-weight": {
        "grad.e3": -10,
        "grad.e2": -10,
        "grad.e1": -20,
        "update.v": 0.2,
        "new.v": 0.2,
    },
    "two-params": {
        "grad.e5": -8,
        "grad.e4": -8,
        "grad.e3": -8,
        "grad.e2": -8,
        "grad.e1": -16,
        "update.k": 0.16,
        "update.b": 0.08,
        "new.k": 1.16,
        "new.b": 1.08,
    },
    "batch-mean": {
        "grad.e4": [1 / 3, 1 / 3, 1 / 3],
        "grad.e3": [-2, -4, -2],
        "grad.e2": [-2, -4, -2],
        "grad.e1": -16,
        "update.v": 0.16,
        "new.v": 1.16,
    },
    "linear-layer": {
        "grad.e3": [4, -2],
        "grad.e2": [4, -2],
        "grad.e1": [4, -2],
        "grad.b": [4, -2],
        "grad.W": [[4, 8, 4], [-2, -4, -2]],
        "update.W": [[-0.4, -0.8, -0.4], [0.2, 0.4, 0.2]],
        "update.b": [-0.4, 0.2],
        "new.W": [[0.6, -0.8, 0.6], [0.2, 1.4, -0.8]],
        "new.b": [0.6, 0.2],
    },
    "sigmoid-unit": {
        "grad.e3": -2,
        "grad.e2": -0.5,
        "grad.e1": -0.5,
        "update.w": 0.1,
        "update.b": 0.05,
        "new.w": 0.6,
        "new.b": -0.95,
    },
    "fan-out": {
        "grad.e4": 2,
        "grad.e3": 2,
        "grad.e2": 2,
        "grad.e1": 10,
        "update.w": -0.2,
        "new.w": 0.8,
    },
}

BASE = """\
id: bad
title: A broken exercise
given:
  x: 2
  y: 5
params:
  v: 0
learning_rate: 0.01
graph:
  e1: v
  e2: x * e1
  e3: e2 - y
  loss: e3 ** 2
ask:
  grad: [e3, e2, e1]
  update: [v]
  new: [v]
"""


@pytest.fixture(scope="module")
def shipped():
    return load_dir(EXERCISES)


def reference_blanks(exercise) -> dict[str, np.ndarray]:
    """Every blank's reference value for the exercise's own (fixed) numbers."""
    tape, grads = exercise.evaluate([exercise.draw_variant("s", "a")])
    lr = exercise.spec.learning_rate
    out = {}
    for blank in exercise.blanks:
        grad = grads[blank.target][0]
        if blank.kind == "grad":
            out[blank.id] = grad
        elif blank.kind == "update":
            out[blank.id] = -lr * grad
        else:
            out[blank.id] = tape.values[blank.target][0] - lr * grad
    return out


def broken(*replacements: str) -> str:
    """BASE with each (old, new) pair replaced; every old text occurs exactly once."""
    text = BASE
    for old, new in zip(replacements[::2], replacements[1::2], strict=True):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_every_shipped_exercise_loads(shipped):
    """Each file loads, and its id is its file name."""
    files = sorted(EXERCISES.glob("*.yaml"))
    assert sorted(shipped) == sorted(path.stem for path in files)
    for path in files:
        assert load_file(path).id == path.stem


def test_every_kind_has_a_fixed_and_a_randomised_version(shipped):
    """The six kinds ship with the book's numbers and with per-student draws."""
    for kind in KINDS:
        assert not shipped[kind].randomised
        assert shipped[f"{kind}-random"].randomised
        assert [b.id for b in shipped[kind].blanks] == [
            b.id for b in shipped[f"{kind}-random"].blanks
        ]


def test_single_weight_gives_the_books_answers(shipped):
    """grad.e3, grad.e2, grad.e1, update.v, new.v are exactly -10, -10, -20, 0.2, 0.2."""
    exercise = shipped["single-weight"]
    tape, grads = exercise.evaluate([exercise.draw_variant("s", "a")])
    lr = exercise.spec.learning_rate
    assert [b.id for b in exercise.blanks] == [
        "grad.e3",
        "grad.e2",
        "grad.e1",
        "update.v",
        "new.v",
    ]
    assert grads["e3"][0] == -10
    assert grads["e2"][0] == -10
    assert grads["e1"][0] == -20
    assert -lr * grads["v"][0] == 0.2
    assert tape.values["v"][0] - lr * grads["v"][0] == 0.2


@pytest.mark.parametrize("exercise_id", sorted(HAND_WORKED))
def test_fixed_exercise_gives_the_hand_worked_answers(shipped, exercise_id):
    """The engine agrees with the answers worked by hand from the numbers in the text."""
    got = reference_blanks(shipped[exercise_id])
    want = HAND_WORKED[exercise_id]
    assert list(got) == list(want)
    for blank_id, value in want.items():
        np.testing.assert_allclose(got[blank_id], value, rtol=1e-12, atol=1e-12, err_msg=blank_id)


def test_fixed_exercise_texts_quote_their_numbers(shipped):
    """The text of a fixed exercise shows each given and param value it is built with."""
    for kind in KINDS:
        exercise = shipped[kind]
        for name, value in {**exercise.spec.given, **exercise.spec.params}.items():
            assert f"{name} = {value}".replace("'", "") in exercise.spec.text, (kind, name)


@pytest.mark.parametrize(
    ("replacements", "line", "reason"),
    [
        pytest.param(
            ("e3: e2 - y", "e5: e4 * 2"), 12, "unknown name 'e4' in 'e5: e4 * 2'", id="unknown-name"
        ),
        pytest.param(
            ("e2: x * e1", "e2: softplus(x * e1)"),
            11,
            "unknown function 'softplus' in 'e2: softplus(x * e1)'",
            id="unknown-function",
        ),
        pytest.param(
            ("e3: e2 - y", "e3: __import__('os')"),
            12,
            "unknown function '__import__'",
            id="import",
        ),
        pytest.param(
            ("e3: e2 - y", "e3: x.__class__"), 12, "'x.__class__' is not allowed", id="attribute"
        ),
        pytest.param(
            ("loss: e3 ** 2", "loss: e3 ** 100"),
            13,
            "exponent 100 is larger than 16",
            id="exponent-too-large",
        ),
        pytest.param(
            ("x: 2", "x: [1, 2]"),
            13,
            "the loss 'loss' (the last edge) must be a scalar, it has shape [2]",
            id="non-scalar-loss",
        ),
        pytest.param(
            ("  loss:", "  d: x * 3\n  loss:", "grad: [e3, e2, e1]", "grad: [e3, d, e1]"),
            16,
            "ask.grad: 'd' does not reach the loss 'loss'",
            id="asked-edge-off-the-loss",
        ),
        pytest.param(
            ("update: [v]", "update: [x]"), 16, "ask.update: 'x' is not a param", id="update-data"
        ),
        pytest.param(("new: [v]", "new: [e1]"), 17, "ask.new: 'e1' is not a param", id="new-edge"),
        pytest.param(("  y: 5", " y: 5"), 5, "not valid YAML", id="invalid-yaml"),
        pytest.param(("  y: 5", "  y: 5\n  x: 3"), 6, "duplicate key 'x'", id="duplicate-key"),
        pytest.param(
            ("x: 2", "x: {randint: [5, 1]}"),
            4,
            "given.x: randint needs [low, high] with low <= high",
            id="randint-low-above-high",
        ),
        pytest.param(
            ("x: 2", "x: {randint: [1, 5], normal: 3}"),
            4,
            "given.x:",
            id="draw-with-unknown-key",
        ),
        pytest.param(("id: bad", "id: Bad Exercise"), 1, "id: String should match", id="bad-id"),
        pytest.param(
            ("learning_rate: 0.01", "learning_rate: 0.01\nhint: think harder"),
            9,
            "hint: Extra inputs are not permitted",
            id="unknown-top-level-key",
        ),
        pytest.param(
            ("x: 2", "x: [1, 2]", "y: 5", "y: [5, 6, 7]"),
            12,
            "shapes do not fit in 'e3: e2 - y'",
            id="shape-mismatch",
        ),
        pytest.param(
            ("x: 2", "x: 0"),
            15,
            "the gradient of 'e1' (blank grad.e1) is zero for these numbers",
            id="zero-gradient",
        ),
        pytest.param(
            ("v: 0", "v: 2.4"),
            17,
            "new.v: the old value of 'v' is within the tolerance of the new value",
            id="old-value-correct",
        ),
        pytest.param(
            ("learning_rate: 0.01", "learning_rate: 0.995"),
            16,
            "update.v: the gradient of 'v' with its sign flipped is within the tolerance of the step",
            id="learning-rate-left-out-correct",
        ),
        pytest.param(
            ("x: 2", "x: 0", "ask:", "allow_zero: [e1]\nask:"),
            17,
            "update.v: zero is within the tolerance of the step (list 'v' under allow_zero",
            id="zero-step",
        ),
        pytest.param(
            ("v: 0", "v: {choice: [2.4, 2.41]}"),
            17,
            "new.v: the old value of 'v' is within the tolerance of the new value for some "
            "students even after 64 redraws",
            id="draws-stay-degenerate",
        ),
        pytest.param(
            ("loss: e3 ** 2", "loss: log(e3 + 5)"),
            13,
            "the value of 'loss' is not finite",
            id="infinite-value",
        ),
    ],
)
def test_bad_file_is_refused_with_file_line_and_reason(tmp_path, replacements, line, reason):
    """The error reads ``file:line: reason`` and points at the offending line."""
    path = tmp_path / "x.yaml"
    path.write_text(broken(*replacements))
    with pytest.raises(ExerciseError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert reason in caught.value.reason
    assert (caught.value.path, caught.value.line) == (str(path), line)


def test_unknown_name_error_names_file_line_and_edge(tmp_path):
    """The DESIGN's example message, word for word."""
    path = tmp_path / "x.yaml"
    path.write_text(broken("e3: e2 - y", "e5: e4 * 2"))
    with pytest.raises(ExerciseError, match=r"x\.yaml:12: ") as caught:
        load_file(path)
    assert str(caught.value) == f"{path}:12: unknown name 'e4' in 'e5: e4 * 2'"


def test_zero_gradient_loads_when_allowed(tmp_path):
    """allow_zero lets a fixed exercise ask for a gradient that is zero."""
    path = tmp_path / "x.yaml"
    path.write_text(broken("x: 2", "x: 0", "ask:", "allow_zero: [e1, v]\nask:"))
    exercise = load_file(path)
    _, grads = exercise.evaluate([exercise.draw_variant("s", "a")])
    assert grads["e1"][0] == 0


def test_leaving_out_a_learning_rate_of_1_or_an_old_value_of_0_is_no_mistake(tmp_path):
    """With lr 1 and v 0, the gradient's negative is the step and the step is the new value."""
    path = tmp_path / "x.yaml"
    path.write_text(broken("learning_rate: 0.01", "learning_rate: 1"))
    assert [blank.id for blank in load_file(path).blanks][-2:] == ["update.v", "new.v"]


def test_an_old_value_close_in_one_element_only_is_not_a_correct_new_value(tmp_path):
    """A vector's old value would be graded correct only if every element were close: it loads."""
    path = tmp_path / "x.yaml"
    path.write_text(broken("v: 0", "v: [0, 2.4]", "loss: e3 ** 2", "loss: sum(e3 ** 2)"))
    exercise = load_file(path)
    tape, grads = exercise.evaluate([exercise.draw_variant("s", "a")])
    new = tape.values["v"][0] - 0.01 * grads["v"][0]
    np.testing.assert_allclose(new, [0.2, 2.408])


def test_one_bad_file_refuses_the_whole_folder(tmp_path):
    """load_dir returns nothing when any file is bad, and names that file."""
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(broken("id: bad", "id: other", "e3: e2 - y", "e3: e9 - y"))
    with pytest.raises(ExerciseError) as caught:
        load_dir(tmp_path)
    assert caught.value.path == str(tmp_path / "b.yaml")
    assert caught.value.line == 12


def test_load_dir_given_a_problems_list_loads_every_good_file_and_lists_the_bad(tmp_path):
    """Each bad file is listed with file, line and the id it claims; the good files load whole."""
    (tmp_path / "a.yaml").write_text(BASE.replace("id: bad", "id: good"))
    (tmp_path / "b.yaml").write_text(broken("e3: e2 - y", "e3: e9 - y"))
    (tmp_path / "c.yaml").write_text("id: [c\n")
    problems = []
    loaded = load_dir(tmp_path, problems)
    assert list(loaded) == ["good"]
    assert [(p.path, p.line, p.exercise_id) for p in problems] == [
        (str(tmp_path / "b.yaml"), 12, "bad"),
        (str(tmp_path / "c.yaml"), problems[1].line, "c"),
    ]


def test_load_dir_given_a_problems_list_drops_an_id_a_bad_file_claims_too(tmp_path):
    """A good file whose id a bad file or a second file also claims is left out, not guessed."""
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(broken("e3: e2 - y", "e3: e9 - y"))
    (tmp_path / "c.yaml").write_text(BASE.replace("id: bad", "id: twice"))
    (tmp_path / "d.yaml").write_text(BASE.replace("id: bad", "id: twice"))
    problems = []
    assert load_dir(tmp_path, problems) == {}
    assert [p.exercise_id for p in problems] == ["bad", "twice"]
    assert problems[1].reason == f"exercise id 'twice' is also used by {tmp_path / 'c.yaml'}"


def test_duplicate_ids_across_files_are_refused_at_the_id_line(tmp_path):
    """The second file with an id already used is refused, pointing at its id line."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(BASE)
    second.write_text(broken("id: bad\ntitle: A broken exercise", "title: Again\nid: bad"))
    with pytest.raises(ExerciseError) as caught:
        load_dir(tmp_path)
    assert str(caught.value) == f"{second}:2: exercise id 'bad' is also used by {first}"
