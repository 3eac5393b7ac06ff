"""Generated drills: checked exercises, numbers worked by hand, PyTorch's gradients, one file a seed."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from grader.checking import grade
from grader.cli import main
from grader.exercises import check_exercise, load_text
from grader.exercises.drills import TRANSCENDENTAL, Drill, DrillError, generate, nice
from tests.torch_reference import torch_step

DRILLS = 1000
CHUNKS = 20
OP_SETS = [
    ("+", "*", "square"),
    ("+", "-", "*", "/"),
    ("*", "relu", "sum"),
    ("+", "-", "*", "/", "square", "mean"),
    ("add", "mul", "square", "relu"),
    ("+", "*", "sigmoid"),
    ("*", "tanh", "exp"),
    ("+", "*", "log"),
]
SHAPES = ("scalar", "vector", "matrix")


def options(seed: int) -> Drill:
    """A spread of ops, depths, parameter counts and shapes over the seeds."""
    ops = OP_SETS[seed % len(OP_SETS)]
    transcendental = any(op in TRANSCENDENTAL for op in ops)
    shape = "scalar" if transcendental else SHAPES[(seed // len(OP_SETS)) % len(SHAPES)]
    return Drill(seed, ops=ops, depth=1 + seed % 5, params=1 + seed % 3, shape=shape)


def hand_values(exercise, tape, grads) -> list[np.ndarray]:
    """Every value a student works out: forward values, gradients, steps and new values."""
    lr = exercise.spec.learning_rate
    values = [tape.values[edge.name][0] for edge in exercise.graph.edges]
    for blank in exercise.blanks:
        grad = grads[blank.target][0]
        old = tape.values[blank.target][0]
        values.append({"grad": grad, "update": -lr * grad, "new": old - lr * grad}[blank.kind])
    return values


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_generated_drills_are_checked_hand_computable_and_agree_with_torch(chunk):
    """A thousand drills over many seeds and options: each passes `grader exercises check`, asks
    a non-zero gradient on every edge and parameter, has numbers a student can work by hand
    (rational ops: exact with at most 4 significant figures; a transcendental op only at a whole
    number, its value and derivative given in the text), and PyTorch agrees on every blank."""
    for seed in range(chunk, DRILLS, CHUNKS):
        drill = options(seed)
        exercise = load_text(generate(drill).encode())
        assert check_exercise(exercise) == [], seed
        variant = exercise.draw_variant("", "")
        tape, grads = exercise.evaluate([variant])
        for blank in exercise.blanks:
            if blank.kind == "grad":
                assert np.any(grads[blank.target]), (seed, blank.id)
        transcendental = [op for op in drill.ops if op in TRANSCENDENTAL]
        if not transcendental:
            assert all(nice(value) for value in hand_values(exercise, tape, grads)), seed
        else:
            for step in (s for edge in exercise.graph.edges for s in edge.steps):
                if step.op in TRANSCENDENTAL:
                    (argument,) = step.args
                    z = tape.values[argument.name][0]
                    assert (
                        z == round(z) and f"At `{argument.name} = {int(z)}`" in exercise.spec.text
                    )
        used = {step.op for edge in exercise.graph.edges for step in edge.steps}
        used |= {"square"} if "pow" in used else set()  # a square is written e ** 2
        assert set(drill.ops) - {"add", "sub", "mul", "sum", "mean"} <= used, seed
        values = torch_step(exercise, {k: np.asarray(v) for k, v in variant.values().items()})
        result = grade(exercise, variant, {})["blanks"]
        lr = exercise.spec.learning_rate
        for blank in exercise.blanks:
            grad = values[blank.target].grad.numpy()
            old = variant.values().get(blank.target, 0.0)
            want = {"grad": grad, "update": -lr * grad, "new": old - lr * grad}[blank.kind]
            np.testing.assert_allclose(result[blank.id]["expected"], want, rtol=1e-9, atol=1e-12)


def test_the_same_seed_gives_the_same_file_and_another_seed_another():
    """A drill is a pure function of its seed and options."""
    drill = Drill(42, ops=("+", "*", "square"), depth=3, params=2)
    assert generate(drill) == generate(Drill(42, ops=("+", "*", "square"), depth=3, params=2))
    others = {generate(Drill(seed, ops=("+", "*", "square"), depth=3)) for seed in range(20)}
    assert len(others) > 15


def test_the_book_like_drill_reads_as_an_exercise():
    """The file names its edges and values in the text and asks every edge and parameter."""
    text = generate(Drill(7, ops=("+", "*", "square", "sigmoid"), depth=4, params=2))
    exercise = load_text(text.encode())
    assert exercise.id == "drill-7"
    assert [b.id for b in exercise.blanks if b.kind != "grad"] == [
        "update.w1",
        "update.w2",
        "new.w1",
        "new.w2",
    ]
    for edge in exercise.graph.edges:
        assert f"`{edge.name} = " in exercise.spec.text
    assert "sigmoid(" in text and "its derivative" in text


@pytest.mark.parametrize(
    ("ops", "shape", "message"),
    [
        (("+", "^"), "scalar", r"unknown op \^"),
        (("*", "sigmoid"), "tensor", "shape must be one of"),
        (("sigmoid",), "vector", "transcendental ops are for scalar drills"),
    ],
)
def test_options_that_cannot_make_a_drill_are_refused(ops, shape, message):
    """Unknown ops and shapes are named."""
    with pytest.raises(DrillError, match=message):
        Drill(1, ops=ops, shape=shape)


def test_cli_writes_a_drill_that_grader_exercises_check_accepts(tmp_path):
    """`grader exercises generate` prints the file, or writes it with --output; check passes."""
    runner = CliRunner()
    printed = runner.invoke(main, ["exercises", "generate", "--seed", "5", "--ops", "+,*,square"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith("id: drill-5\n")
    out = tmp_path / "drills" / "drill-5.yaml"
    out.parent.mkdir()
    written = runner.invoke(
        main, ["exercises", "generate", "--seed", "5", "--ops", "+,*,square", "--output", str(out)]
    )
    assert written.exit_code == 0 and out.read_text() == printed.output
    checked = runner.invoke(main, ["exercises", "check", str(out.parent)])
    assert checked.exit_code == 0 and "ok   drill-5" in checked.output
    refused = runner.invoke(main, ["exercises", "generate", "--seed", "5", "--ops", "+,^"])
    assert refused.exit_code == 2 and "unknown op ^" in refused.output
