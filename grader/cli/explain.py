"""``grader exercises explain``: print the worked solution of one exercise for one student, or
the hints of every blank."""

from __future__ import annotations

import json

import click

from grader.checking.feedback import LANGUAGES
from grader.checking.hints import ladder
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
@click.option(
    "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language."
)
@click.option("--hints", is_flag=True, help="Print the three hints of every blank instead.")
def explain_command(
    exercise_id: str,
    student: str,
    secret: str,
    exercises_dir: str,
    as_json: bool,
    lang: str,
    hints: bool,
) -> None:
    """Print the forward and backward pass of EXERCISE_ID worked step by step, with the
    student's values (or, with --hints, the hints each blank offers after wrong attempts)."""
    try:
        exercises = load_dir(exercises_dir)
    except ExerciseError as exc:
        raise click.ClickException(str(exc)) from None
    exercise = exercises.get(exercise_id)
    if exercise is None:
        known = ", ".join(sorted(exercises)) or "none"
        raise click.ClickException(f"unknown exercise '{exercise_id}' (known: {known})")
    variant = exercise.draw_variant(secret, student)
    out = {
        "exercise": exercise.id,
        "title": exercise.spec.title_in(lang),
        "student": student,
        "variant": variant.to_dict(),
    }
    if hints:
        levels = ladder(exercise, variant, lang)
        if as_json:
            click.echo(json.dumps({**out, "hints": levels}, ensure_ascii=False, indent=2))
            return
        for blank, texts in levels.items():
            click.echo(blank)
            for level, text in enumerate(texts, 1):
                click.echo(f"  {level}. {text}")
        return
    solution = solve(exercise, variant, lang)
    if as_json:
        click.echo(json.dumps({**out, **solution.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(f"# {out['title']}\n\n{solution.markdown}", nl=False)
