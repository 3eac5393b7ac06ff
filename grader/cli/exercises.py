"""``grader exercises``: check exercise files; explain a worked solution; generate a drill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.cli.exercise_files import export_command, import_command
from grader.cli.explain import explain_command
from grader.cli.service import sync_command
from grader.config import default_exercises_dir
from grader.exercises import Problem, check_text
from grader.exercises.drills import DEFAULT_OPS, SHAPES, Drill, DrillError, generate


@click.group("exercises")
def exercises_group() -> None:
    """Exercise files."""


@exercises_group.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def check_command(directory: str | None) -> None:
    """Validate every exercise file and check its gradients against finite differences."""
    directory = directory or os.environ.get("GRADER_EXERCISES_DIR") or str(default_exercises_dir())
    failed = 0
    paths = sorted(Path(directory).glob("*.y*ml"))
    seen: dict[str, Path] = {}
    for path in paths:
        checked = check_text(path.read_bytes(), str(path))
        exercise = checked.exercise
        if exercise is not None and exercise.id in seen:
            line = exercise.lines.get(("id",), 1)
            checked.problems.insert(
                0, Problem(line, f"exercise id '{exercise.id}' is also used by {seen[exercise.id]}")
            )
        elif exercise is not None:
            seen[exercise.id] = path
        if checked.problems:
            failed += 1
            for problem in checked.problems:
                click.echo(f"FAIL {path}:{problem.line}: {problem.reason}")
        else:
            kind = "randomised" if exercise.randomised else "fixed"
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
exercises_group.add_command(export_command)
exercises_group.add_command(import_command)

COMMANDS = [exercises_group]
