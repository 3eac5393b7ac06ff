"""Practice: new numbers for an exercise, or a new graph like it, as a pure function of (course
secret, exercise id, student, practice number).

- **A practice variant** of practice number N is the exercise's variant for the student key
  ``STUDENT␟practice-N`` (``␟`` the unit separator, U+001F): the same stream of numbers as a
  student's own variant (:mod:`grader.exercises.variants`), so ``grader grade --secret`` with
  that student key reproduces it. Where that draw is the student's own variant or degenerate, the
  keys ``STUDENT␟practice-N.1``, ``.2`` ... are tried in order. An exercise whose draws cannot
  give other numbers (a fixed one) draws its fixed parameters instead, near their values: a
  whole number n from n − 3 to n + 3, another number x from x − 1 to x + 1 with its decimals;
  its given data stay (an exercise without parameters draws its given values so).
- **A drill like the exercise** is a generated drill (:mod:`grader.exercises.drills`) with the
  exercise's ops, about as many edges and parameters, and its shape, seeded by the first 5 bytes
  of SHAKE-256 of ``SECRET␟EXERCISE␟STUDENT␟drill-N``.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from grader.exercises.degeneracy import degeneracy
from grader.exercises.drills import RATIONAL, TRANSCENDENTAL, Drill, DrillError, generate
from grader.exercises.exercise import Exercise
from grader.exercises.spec import RandInt, Uniform
from grader.exercises.variants import Variant

KEYS_TRIED = 8
SEP = "\x1f"
# Engine ops a drill can use, by the drill's name for them (``pow`` is drawn as a square).
DRILL_OPS = {"pow": "square", **{op: op for op in (*RATIONAL, *TRANSCENDENTAL)}}
SIMPLER = (("add", "mul", "square"), ("mul",))


class PracticeError(ValueError):
    """No practice of this kind can be made for the exercise."""


def practice_key(student: str, number: int, retry: int = 0) -> str:
    """The student key practice ``number``'s numbers are drawn for (``retry``: the next key)."""
    key = f"{student}{SEP}practice-{number}"
    return key if retry == 0 else f"{key}.{retry}"


def practice_variant(
    exercise: Exercise, secret: str, student: str, number: int, own: Variant
) -> Variant:
    """Practice ``number``'s numbers: not the student's own (``own``), not degenerate."""
    sources = [exercise, loosened(exercise)] if exercise.randomised else [loosened(exercise)]
    keys = [practice_key(student, number, retry) for retry in range(KEYS_TRIED)]
    for source in sources:
        for variant in source.draw_variants(secret, keys):
            if not same(variant, own) and degeneracy(source, variant) is None:
                return variant
    raise PracticeError(f"no other numbers can be drawn for '{exercise.id}'")


def same(a: Variant, b: Variant) -> bool:
    """Whether two variants hold the same values."""
    first, second = a.values(), b.values()
    return first.keys() == second.keys() and all(
        np.array_equal(first[name], second[name]) for name in first
    )


def loosened(exercise: Exercise) -> Exercise:
    """The exercise with its fixed parameters (else its fixed given values) drawn near their
    values; its draws are kept."""
    values = dict(exercise.values)
    for section in (exercise.spec.params, exercise.spec.given):
        fixed = [name for name in section if isinstance(values[name], np.ndarray)]
        for name in fixed:
            values[name] = near(values[name])
        if fixed:
            break
    return dataclasses.replace(exercise, values=values, _fixed=None, _wrong_values=None)


def near(value: np.ndarray) -> RandInt | Uniform:
    """A draw around a fixed value: whole numbers ±3, others ±1 with their decimals."""
    shape = list(value.shape) or None
    low, high = float(value.min()), float(value.max())
    if np.all(value == np.round(value)):
        return RandInt(randint=[int(low) - 3, int(high) + 3], shape=shape)
    decimals = next(d for d in range(1, 7) if np.allclose(value, np.round(value, d)))
    return Uniform(uniform=[low - 1, high + 1], decimals=decimals, shape=shape)


def drill_seed(secret: str, exercise_id: str, student: str, number: int) -> int:
    """The seed of the student's drill ``number`` like the exercise."""
    text = SEP.join((secret, exercise_id, student, f"drill-{number}"))
    return int.from_bytes(hashlib.shake_256(text.encode()).digest(5), "big")


def drill_like(exercise: Exercise, seed: int) -> Drill:
    """A drill's options like the exercise: its ops (those a drill knows), its edges before the
    loss less the error edge a drill adds, its parameters and its shape."""
    graph = exercise.graph
    ops: dict[str, None] = {}
    for edge in graph.edges:
        for step in edge.steps:
            name = DRILL_OPS.get(step.op)
            if name and (edge.name != graph.loss or name in ("sum", "mean")):
                ops[name] = None
    values = [np.asarray(exercise.shapes[name]) for name in graph.inputs]
    rank = max((len(shape) for shape in values), default=0)
    shape = ("scalar", "vector", "matrix")[min(rank, 2)]
    if shape != "scalar":
        ops = {op: None for op in ops if op not in TRANSCENDENTAL} or dict.fromkeys(SIMPLER[0])
    worked = [e for e in graph.edges[:-1] if [s.op for s in e.steps] != ["id"]]
    params = len(exercise.spec.params) - (shape == "matrix")
    return Drill(
        seed,
        tuple(ops) or SIMPLER[0],
        depth=min(8, max(1, len(worked) - 1)),
        params=min(4, max(1, params)),
        shape=shape,
    )


def drill_for(exercise: Exercise, seed: int) -> tuple[Drill, str]:
    """The drill like the exercise and its file; where no drill has those options, one with
    fewer ops (the same seed)."""
    like = drill_like(exercise, seed)
    tried = [like, *(dataclasses.replace(like, ops=ops) for ops in SIMPLER)]
    for drill in tried:
        try:
            return drill, generate(drill)
        except DrillError:
            continue
    raise PracticeError(f"no drill like '{exercise.id}' could be made")
