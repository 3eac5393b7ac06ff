"""``grader batch``: import a file of submissions, regrade an exercise, follow a batch, export
its results. Chunks are graded by the workers (``grader worker``) on the batch queue; without a
broker (the embedded default) this process grades them itself."""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext

import click
import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from grader.cli.service import app_context, require_schema
from grader.runtime import freeze_startup_objects

POLL_SECONDS = 0.2
SHOWN_ERRORS = 20
FINAL = ("done", "failed")
SUMMARY_KEYS = ("id", "status", "total", "graded", "failed", "rejected")


class RateColumn(ProgressColumn):
    """Submissions a second."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


class Display:
    """A progress bar on stderr (when it is a terminal): graded of total, rate and ETA."""

    def __init__(self, label: str):
        console = Console(stderr=True)
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self.task = self.bar.add_task(label, total=None)

    def __enter__(self) -> Display:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def show(self, state: dict) -> None:
        self.bar.update(
            self.task,
            total=state["total"] or None,
            completed=state["graded"] + state["failed"],
            description=f"batch {state['id']} {state['status']}",
        )


def _course(session, slug: str):
    from sqlalchemy import select

    from grader.db import Course

    course = session.scalar(select(Course).filter_by(slug=slug))
    if course is None:
        raise click.ClickException(f"no course '{slug}'")
    return course


def _run(app, batch_id: int, wait: bool, display: Display) -> dict:
    """Grade the batch here (embedded) or follow the workers until it is done (``wait``)."""
    from grader.extensions import db
    from grader.services import batches

    session = db.session
    if app.config["EMBEDDED"]:
        for chunk_id in batches.pending_chunks(session, batch_id):
            batches.grade_chunk(session, chunk_id)
            display.show(batches.state(session, batch_id))
    state = batches.state(session, batch_id)
    display.show(state)
    while wait and state["status"] not in FINAL:
        time.sleep(POLL_SECONDS)
        session.rollback()
        state = batches.state(session, batch_id)
        display.show(state)
    return state


def _report(state: dict, as_json: bool, seconds: float, name: str) -> None:
    for error in state["errors"][:SHOWN_ERRORS]:
        where = f"{name}:{error['line']}: " if error["line"] is not None else ""
        if error.get("submission") is not None:
            where = f"submission {error['submission']}: "
        click.echo(f"{where}{error['message']}", err=True)
    if len(state["errors"]) > SHOWN_ERRORS or state["rejected"] > len(state["errors"]):
        click.echo(f"... {state['rejected'] - SHOWN_ERRORS} more rejected lines", err=True)
    finished = state["graded"] + state["failed"]
    rate = f", {finished / seconds:,.0f}/s" if seconds > 0 and finished else ""
    click.echo(
        f"batch {state['id']} {state['status']}: {state['graded']:,} of {state['total']:,} graded"
        f" ({state['unchanged']:,} unchanged), {state['failed']:,} failed, "
        f"{state['rejected']:,} rejected lines; {seconds:.1f} s{rate}",
        err=True,
    )
    if as_json:
        click.echo(orjson.dumps({key: state[key] for key in SUMMARY_KEYS}).decode())


def _publisher(app):
    from grader import tasks

    if app.config["EMBEDDED"]:
        return lambda chunk_id: None
    return lambda chunk_id: tasks.publish(tasks.GRADE_CHUNK, chunk_id)


@click.group("batch")
def batch_group() -> None:
    """Batch jobs: import or regrade many submissions at once, export the results."""


wait_option = click.option(
    "--wait", is_flag=True, help="Follow the batch until every chunk is graded."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the batch's state as one JSON object on stdout."
)


@batch_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--course", "course_slug", required=True, help="The course the submissions are in.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="auto: CSV for a .csv file, else JSON lines.",
)
@wait_option
@json_option
def import_command(
    path: str, course_slug: str, file_format: str, wait: bool, as_json: bool
) -> None:
    """Import submissions (``grader grade`` JSON lines, or CSV with a column per blank) and grade
    them; unknown students are added to the course, bad lines reported by number."""
    from grader.extensions import db
    from grader.services import batches

    is_csv = file_format == "csv" or (file_format == "auto" and path.lower().endswith(".csv"))
    started = time.perf_counter()
    with app_context() as app:
        require_schema(app)
        session = db.session
        course = _course(session, course_slug)
        publish = _publisher(app)
        freeze_startup_objects()
        source = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        size = os.path.getsize(path) if path != "-" else None
        with Display("reading") as display, source if path != "-" else nullcontext():
            reading = display.bar.add_task("reading", total=size)

            def published(chunk_id: int) -> None:
                publish(chunk_id)
                if size is not None:
                    display.bar.update(reading, completed=source.tell())

            batch = batches.create_import(
                session,
                None,
                course,
                source,
                csv=is_csv,
                name=os.path.basename(path),
                publish=published,
            )
            display.bar.update(reading, completed=size, visible=False)
            state = _run(app, batch.id, wait, display)
    _report(state, as_json, time.perf_counter() - started, path)
    if state["rejected"] or state["failed"]:
        sys.exit(1)


@batch_group.command("regrade")
@click.option("--course", "course_slug", required=True)
@click.option("--exercise", "exercise_slug", required=True, help="The exercise id to regrade.")
@click.option(
    "--redraw",
    is_flag=True,
    help="Grade against values drawn anew from the current version, not the ones each "
    "submission was answered with (asks to confirm).",
)
@click.option("--yes", is_flag=True, help="Confirm --redraw without asking.")
@wait_option
@json_option
def regrade_command(
    course_slug: str, exercise_slug: str, redraw: bool, yes: bool, wait: bool, as_json: bool
) -> None:
    """Grade every submission of an exercise in a course again, against its current version
    and the values each was answered with (results that change are replaced, the old ones kept
    for audit). Refused while another regrade of the exercise in the course runs."""
    from grader import tasks
    from grader.extensions import db
    from grader.services import batches, regrade

    if redraw and not yes:
        yes = click.confirm(
            "Grade every submission against new numbers, which its student never saw?",
            err=True,
        )
        if not yes:
            raise click.ClickException("not confirmed: nothing regraded")
    started = time.perf_counter()
    with app_context() as app:
        require_schema(app)
        session = db.session
        course = _course(session, course_slug)
        batch = regrade.start(session, None, course, exercise_slug, redraw=redraw, confirmed=yes)
        if not app.config["EMBEDDED"]:
            tasks.publish_chunks(batches.pending_chunks(session, batch.id))
        with Display("regrade") as display:
            state = _run(app, batch.id, wait, display)
    _report(state, as_json, time.perf_counter() - started, "")
    if state["status"] == "failed" or state["failed"]:
        sys.exit(1)


@batch_group.command("show")
@click.argument("batch_id", type=int)
@wait_option
@json_option
def show_command(batch_id: int, wait: bool, as_json: bool) -> None:
    """A batch's progress: total, graded, failed and rejected lines with their reasons."""
    started = time.perf_counter()
    with app_context() as app:
        require_schema(app)
        with Display("batch") as display:
            state = _run(app, batch_id, wait, display)
    _report(state, as_json, time.perf_counter() - started, state.get("source") or "")


@batch_group.command("export")
@click.argument("batch_id", type=int)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--output",
    "output_path",
    default="-",
    show_default=True,
    type=click.Path(allow_dash=True, dir_okay=False),
)
def export_command(batch_id: int, file_format: str, output_path: str) -> None:
    """Write a batch's results: a ``grader grade`` output line per submission, or CSV."""
    from grader.extensions import db
    from grader.services import batch_export

    with app_context() as app:
        require_schema(app)
        sink = sys.stdout.buffer if output_path == "-" else open(output_path, "wb")  # noqa: SIM115
        try:
            if file_format == "csv":
                for part in batch_export.csv_text(db.session, batch_id):
                    sink.write(part.encode("utf-8"))
            else:
                sink.writelines(batch_export.jsonl(db.session, batch_id))
        finally:
            if sink is not sys.stdout.buffer:
                sink.close()


COMMANDS = [batch_group]
