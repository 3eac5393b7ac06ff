"""``grader exercises``: check exercise files; explain a worked solution; generate a drill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import numpy as np

from grader.cli.explain import explain_command
from grader.cli.service import sync_command
from grader.config import default_exercises_dir
from grader.engine.check import finite_difference_errors
from grader.exercises import Exercise, ExerciseError, load_file
from grader.exercises.drills import DEFAULT_OPS, SHAPES, Drill, DrillError, generate

FD_TOLERANCE = 1e-5
STUDENTS_CHECKED = 20


@click.group("exercises")
def exercises_group() -> None:
    """Exercise files."""


def check_exercise(exercise: Exercise, students: int = STUDENTS_CHECKED) -> list[str]:
    """Problems with an exercise's reference gradients, over its fixed or several drawn variants."""
    problems = []
    names = [f"student-{i}" for i in range(students if exercise.randomised else 1)]
    for student in names:
        variant = exercise.draw_variant("check", student)
        inputs = {name: value[None] for name, value in variant.values().items()}
        errors = finite_difference_errors(exercise.graph, inputs)
        worst = max(errors, key=errors.get, default=None)
        if worst is not None and not errors[worst] <= FD_TOLERANCE:
            problems.append(
                f"gradient of '{worst}' differs from finite differences by {errors[worst]:.2g} ({student})"
            )
        _, grads = exercise.evaluate([variant])
        for blank in exercise.blanks:
            if (
                blank.kind == "grad"
                and blank.target not in exercise.spec.allow_zero
                and not np.any(grads[blank.target])
            ):
                problems.append(f"{blank.id} is zero for {student} even after redrawing")
    return problems


@exercises_group.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def check_command(directory: str | None) -> None:
    """Validate every exercise file and check its gradients against finite differences."""
    directory = directory or os.environ.get("GRADER_EXERCISES_DIR") or str(default_exercises_dir())
    failed = 0
    paths = sorted(Path(directory).glob("*.y*ml"))
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            exercise = load_file(path)
        except ExerciseError as exc:
            click.echo(f"FAIL {exc}")
            failed += 1
            continue
        if exercise.id in seen:
            click.echo(
                f"FAIL {path}:1: exercise id '{exercise.id}' is also used by {seen[exercise.id]}"
            )
            failed += 1
            continue
        seen[exercise.id] = path
        problems = check_exercise(exercise)
        kind = "randomised" if exercise.randomised else "fixed"
        if problems:
            failed += 1
            for problem in problems:
                click.echo(f"FAIL {path}: {problem}")
        else:
            click.echo(f"ok   {exercise.id} ({len(exercise.blanks)} blanks, {kind})")
    click.echo(f"{len(paths) - failed} of {len(paths)} exercise files ok")
    if failed or not paths:
        sys.exit(1)


@exercises_group.command("generate")
@click.option("--seed", type=int, required=True, help="The same seed gives the same file.")
@click.option(
    "--ops",
    default=",".join(DEFAULT_OPS),
    show_default=True,
    help="Ops the graph may use, comma-separated: + - * / square relu sum mean matmul "
    "sigmoid tanh exp log.",
)
@click.option("--depth", type=int, default=3, show_default=True, help="Edges before the loss.")
@click.option("--params", type=int, default=1, show_default=True, help="Trainable parameters.")
@click.option("--shape", type=click.Choice(list(SHAPES)), default="scalar", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write here, not to stdout.")
def generate_command(
    seed: int, ops: str, depth: int, params: int, shape: str, output: str | None
) -> None:
    """Write a generated drill: a new graph whose numbers can be worked by hand."""
    try:
        text = generate(Drill(seed, tuple(ops.split(",")), depth, params, shape))
    except DrillError as exc:
        raise click.UsageError(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


exercises_group.add_command(explain_command)
exercises_group.add_command(sync_command)

COMMANDS = [exercises_group]
