"""Options shared by the offline commands."""

from __future__ import annotations

import os

import click

from grader.config import default_exercises_dir


def _exercises_default() -> str:
    return os.environ.get("GRADER_EXERCISES_DIR") or str(default_exercises_dir())


exercises_option = click.option(
    "--exercises",
    "exercises_dir",
    default=_exercises_default,
    show_default="GRADER_EXERCISES_DIR, else ./exercises, else the shipped exercises",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of exercise files.",
)

secret_option = click.option(
    "--secret",
    default="",
    envvar="GRADER_COURSE_SECRET",
    help="Course secret the students' variants are drawn with.",
)
