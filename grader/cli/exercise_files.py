"""``grader exercises export|import --course SLUG DIR``: a course's own exercises as files."""

from __future__ import annotations

import click

from grader.cli.service import app_context


def _course(slug: str):
    from sqlalchemy import select

    from grader.db import Course
    from grader.extensions import db

    course = db.session.scalar(select(Course).filter_by(slug=slug))
    if course is None:
        raise click.ClickException(f"no course '{slug}'")
    return course


@click.command("export")
@click.option("--course", "course_slug", required=True, help="The course's slug.")
@click.argument("directory", type=click.Path(file_okay=False))
def export_command(course_slug: str, directory: str) -> None:
    """Write the course's own exercises to DIRECTORY, one <id>.yaml file each, as last saved."""
    from grader.extensions import db
    from grader.services import exercise_files

    with app_context():
        written = exercise_files.export(db.session, _course(course_slug), directory)
        for path in written:
            click.echo(f"wrote {path}")
        click.echo(f"{len(written)} exercises of {course_slug} exported")


@click.command("import")
@click.option("--course", "course_slug", required=True, help="The course's slug.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def import_command(course_slug: str, directory: str) -> None:
    """Save each exercise file of DIRECTORY in the course: a new version of its exercise of the
    same id, or a new exercise (withdrawn until offered). Every file is checked first: one bad
    file and nothing is imported."""
    from grader.extensions import db
    from grader.services import exercise_files

    with app_context():
        try:
            report = exercise_files.import_dir(db.session, _course(course_slug), directory)
        except exercise_files.ImportRefused as exc:
            for problem in exc.problems:
                click.echo(f"FAIL {problem}")
            raise click.ClickException("nothing was imported") from None
        for word in ("added", "changed", "unchanged"):
            for slug in getattr(report, word):
                click.echo(f"{word}: {slug}")
