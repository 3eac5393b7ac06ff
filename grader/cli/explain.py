"""``grader exercises explain``: print the worked solution of one exercise for one student."""

from __future__ import annotations

import json

import click

from grader.checking.solution import solve
from grader.cli.options import exercises_option, secret_option
from grader.exercises import ExerciseError, load_dir


@click.command("explain")
@click.argument("exercise_id")
@click.option(
    "--student", default="demo", show_default=True, help="Student whose variant to explain."
)
@secret_option
@exercises_option
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON, not Markdown.")
def explain_command(
    exercise_id: str, student: str, secret: str, exercises_dir: str, as_json: bool
) -> None:
    """Print the backward pass of EXERCISE_ID worked step by step, with the student's values."""
    try:
        exercises = load_dir(exercises_dir)
    except ExerciseError as exc:
        raise click.ClickException(str(exc)) from None
    exercise = exercises.get(exercise_id)
    if exercise is None:
        known = ", ".join(sorted(exercises)) or "none"
        raise click.ClickException(f"unknown exercise '{exercise_id}' (known: {known})")
    variant = exercise.draw_variant(secret, student)
    solution = solve(exercise, variant)
    if as_json:
        out = {"exercise": exercise.id, "student": student, "variant": variant.to_dict()}
        click.echo(json.dumps({**out, **solution.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(solution.markdown, nl=False)
