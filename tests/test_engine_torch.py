"""The engine against PyTorch autograd on a thousand random graphs covering every op and shape."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.checking import grade
from grader.engine import OPS, backward, build_graph, forward
from grader.exercises import load_dir
from tests.engine_graphs import RandomGraph, random_graph
from tests.torch_reference import TORCH_FUNCTIONS, torch_step

GRAPHS = 1000
EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
RTOL = 1e-7


@functools.cache
def case(seed: int) -> tuple[RandomGraph, object, object, dict]:
    """The random graph for ``seed``, compiled, run forward and backward by the engine."""
    spec = random_graph(seed)
    graph = build_graph(list(spec.inputs), spec.edges)
    tape = forward(graph, spec.inputs)
    return spec, graph, tape, backward(graph, tape)


def torch_reference(spec: RandomGraph, variant: int) -> tuple[dict, dict]:
    """Values and gradients of one variant, evaluating each edge as Python over torch tensors."""
    values = {
        name: torch.tensor(value[variant], dtype=torch.float64, requires_grad=True)
        for name, value in spec.inputs.items()
    }
    scope = {"__builtins__": {}, **TORCH_FUNCTIONS}
    for name, source in spec.edges.items():
        values[name] = eval(source, scope, dict(values)).clone()
        values[name].retain_grad()
    values["loss"].backward()
    grads = {name: value.grad for name, value in values.items() if value.grad is not None}
    return values, grads


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal to ``RTOL``, with an absolute floor scaled to the array for cancelling sums."""
    atol = 1e-9 * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=atol, err_msg=what)


def assert_in_domain(graph, tape) -> None:
    """Every max has no tie, every relu and abs is off its kink, every log and sqrt is positive."""
    for edge in graph.edges:
        outputs = tape.steps[edge.name]
        for step in edge.steps:
            if step.op not in ("max", "relu", "abs", "log", "sqrt"):
                continue
            (ref,) = step.args
            arg = tape.values[ref.name] if ref.kind == "name" else outputs[ref.step]
            where = f"{step.op} in '{edge.name}: {edge.source}'"
            if step.op == "max" and arg.ndim > 1:
                top = np.sort(arg.reshape(len(arg), -1), axis=1)[:, -2:]
                assert np.all(top[:, 1] - top[:, 0] > 1e-6 * (1 + np.abs(top[:, 1]))), where
            elif step.op in ("relu", "abs"):
                assert np.all(np.abs(arg) > 1e-9), where
            elif step.op in ("log", "sqrt"):
                assert np.all(arg > 0), where


@pytest.mark.parametrize("seed", range(GRAPHS))
def test_engine_matches_torch_autograd_on_random_graph(seed):
    """Every forward value and every gradient of a random graph agrees with PyTorch autograd."""
    spec, graph, tape, grads = case(seed)
    assert_in_domain(graph, tape)
    names = [*spec.inputs, *spec.edges]
    variants = tape.variants
    for variant in range(variants):
        values, torch_grads = torch_reference(spec, variant)
        for name in spec.edges:
            what = f"seed {seed} variant {variant} value of {name}: {spec.edges}"
            assert_close(tape.values[name][variant], values[name].detach().numpy(), what)
        assert {n for n in names if n in grads} == set(torch_grads), f"seed {seed}: {spec.edges}"
        for name, grad in torch_grads.items():
            what = f"seed {seed} variant {variant} grad of {name}: {spec.edges}"
            assert grads[name].shape == tape.values[name].shape, what
            assert_close(grads[name][variant], grad.numpy(), what)


def test_random_graphs_cover_every_op_on_scalars_vectors_and_matrices():
    """Across the random graphs every op meets every shape it takes, and every kind of broadcast."""
    seen = set()
    for seed in range(GRAPHS):
        _, graph, tape, _ = case(seed)
        for edge in graph.edges:
            outputs = tape.steps[edge.name]
            for step in edge.steps:
                kinds = []
                for ref in step.args:
                    if ref.kind == "const":
                        kinds.append("const")
                        continue
                    arg = tape.values[ref.name] if ref.kind == "name" else outputs[ref.step]
                    kinds.append(("scalar", "vector", "matrix")[arg.ndim - 1])
                seen.add((step.op, tuple(kinds)))
    by_shape = {(op, kind) for op, kinds in seen for kind in kinds}
    wanted = {(op, kind) for op in OPS for kind in ("scalar", "vector", "matrix")}
    wanted -= {("matmul", "scalar")}
    assert wanted - by_shape == set()
    broadcasts = {
        (op, pair)
        for op in ("add", "sub", "mul", "div", "pow")
        for pair in [("scalar", "vector"), ("scalar", "matrix"), ("vector", "matrix")]
    }
    flipped = {(op, tuple(reversed(kinds))) for op, kinds in seen}
    assert broadcasts - seen - flipped == set()
    constants = {(op, kinds) for op, kinds in seen if "const" in kinds}
    assert {op for op, _ in constants} >= {"add", "sub", "mul", "div", "pow"}


@pytest.mark.parametrize("exercise_id", sorted(load_dir(EXERCISES)))
def test_every_blank_of_every_shipped_exercise_matches_torch(exercise_id):
    """The expected value of every blank (gradients, steps, new values, in every training step)
    of each shipped exercise agrees with PyTorch autograd, for several students' variants."""
    exercise = load_dir(EXERCISES)[exercise_id]
    lr = exercise.spec.learning_rate
    for student in ("ada", "alan", "grace", "edsger"):
        variant = exercise.draw_variant("torch-check", student)
        result = grade(exercise, variant, {})
        start = {name: np.asarray(value) for name, value in variant.values().items()}
        for step in range(1, exercise.spec.steps + 1):
            values = torch_step(exercise, start)
            for blank in (b for b in exercise.blanks if b.step == step):
                grad = values[blank.target].grad.numpy()
                old = start.get(blank.target, 0.0)
                want = {"grad": grad, "update": -lr * grad, "new": old - lr * grad}[blank.kind]
                got = np.asarray(result["blanks"][blank.id]["expected"], dtype=np.float64)
                assert_close(got, want, f"{exercise_id} {student} {blank.id}")
            start = {
                name: value - lr * values[name].grad.numpy()
                if name in exercise.spec.params and values[name].grad is not None
                else value
                for name, value in start.items()
            }
