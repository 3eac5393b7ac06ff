"""The service's commands: db upgrade, web, worker, user add, demo, exercises sync.

The service's modules (Flask, SQLAlchemy, Celery) are imported inside the commands, so that
``grader grade`` and the other offline commands start without loading them.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

import click

DEMO_COURSE = "demo"
DEMO_INSTRUCTOR = "instructor@demo.test"
DEMO_STUDENTS = [f"student{i}@demo.test" for i in (1, 2, 3)]
PR_SET_PDEATHSIG = 1
CHILD_STOP_SECONDS = 30


@contextmanager
def app_context(config: dict | None = None):
    """An app built from the environment, with its context pushed; disposed of afterwards."""
    from grader.services.errors import ServiceError
    from grader.web import create_app

    app = create_app(config)
    try:
        with app.app_context():
            yield app
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        app.extensions["grader.db"].engine.dispose()


def sync_exercises(app, quiet: bool = False) -> None:
    from grader.exercises import ExerciseError
    from grader.extensions import db
    from grader.services.exercises import sync_exercises as sync

    try:
        report = sync(db.session, app.config["EXERCISES_DIR"])
    except ExerciseError as exc:
        raise click.ClickException(str(exc)) from None
    if not quiet:
        for word in ("added", "changed", "retired", "skipped"):
            for slug in getattr(report, word):
                click.echo(f"{word}: {slug}")
        click.echo(
            f"{len(report.added) + len(report.changed) + len(report.unchanged)} exercises in the database"
        )


def require_schema(app) -> None:
    """Refuse to start on a database without the tables (say what to run)."""
    from sqlalchemy import inspect

    from grader.extensions import db

    if not inspect(db.engine).has_table("submissions"):
        raise click.ClickException("the database has no tables yet: run `grader db upgrade`")


@click.group("db")
def db_group() -> None:
    """The database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to GRADER_DATABASE_URL."""
    from grader.config import load_config
    from grader.db import migrate

    config = load_config()
    if config["DATABASE_URL"].startswith("sqlite"):
        Path(config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    migrate.upgrade(config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="what it does, like 'add batches table'")
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from grader.config import load_config
    from grader.db import migrate

    migrate.revision(load_config()["DATABASE_URL"], message)


@click.command("sync")
def sync_command() -> None:
    """Store the exercise files (GRADER_EXERCISES_DIR) in the database; a changed file is a new version."""
    with app_context() as app:
        sync_exercises(app)


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers", type=int, help="gunicorn processes [default: WEB_CONCURRENCY or cores+1, max 4]"
)
@click.option("--threads", default=4, show_default=True, type=int)
def web(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the site and the API under gunicorn (and grade in-process when there is no broker)."""
    from grader.db import migrate
    from grader.serve import serve

    with app_context() as app:
        embedded = app.config["EMBEDDED"]
        if embedded and app.config["DATABASE_URL"].startswith("sqlite"):
            migrate.upgrade(app.config["DATABASE_URL"])
        require_schema(app)
        sync_exercises(app, quiet=True)
    serve(host, port, workers, threads, embedded=embedded)


@click.command("worker")
@click.option(
    "--pool",
    default="prefork",
    show_default=True,
    type=click.Choice(["prefork", "solo", "threads"]),
)
@click.option("--concurrency", "-c", type=int, help="processes or threads [default: cores]")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option(
    "--queues",
    "-Q",
    type=click.Choice(["all", "live", "batch"]),
    default="all",
    show_default=True,
    help="live: students' submissions (GRADER_QUEUE); batch: batch jobs (GRADER_QUEUE.batch); "
    "all: both, each by a Celery worker of its own.",
)
def worker(pool: str, concurrency: int | None, loglevel: str, queues: str) -> None:
    """Grade queued submissions and batch chunks from GRADER_BROKER_URL (Celery workers with
    the sweep).

    By default a second Celery worker, a child of this one, takes the batch queue, so a
    student's submission never waits behind a batch's chunks; ``--queues live`` and
    ``--queues batch`` run one of the two (on machines of their own, say).
    """
    from grader.celery_app import batch_queue
    from grader.config import load_config

    config = load_config()
    if config["EMBEDDED"]:
        raise click.ClickException(
            "GRADER_BROKER_URL is not set: without a broker, `grader web` and `grader demo` grade in-process"
        )
    from grader.worker import celery_app

    argv = [
        "worker",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        f"--queues={batch_queue(config['QUEUE']) if queues == 'batch' else config['QUEUE']}",
    ]
    if queues == "batch":
        argv.append("--hostname=batch@%h")
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if queues != "all":
        celery_app.worker_main(argv)
        return
    options = ["--pool", pool, "--loglevel", loglevel]
    if concurrency:
        options += ["--concurrency", str(concurrency)]
    with batch_worker(options):
        celery_app.worker_main(argv)


@contextmanager
def batch_worker(options: list[str]):
    """``grader worker --queues batch`` as a child process, stopped with this one (and killed
    by the kernel should this one die first); if it stops on its own, so does this one."""
    stopping = threading.Event()
    child = subprocess.Popen(
        [sys.executable, "-m", "grader", "worker", "--queues", "batch", *options],
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )

    def watch() -> None:
        code = child.wait()
        if not stopping.is_set():
            click.echo(f"the batch worker stopped (status {code}); stopping", err=True)
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="grader-batch-worker", daemon=True).start()
    try:
        yield child
    finally:
        stopping.set()
        child.terminate()
        try:
            child.wait(CHILD_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()


def _die_with_parent() -> None:
    import ctypes

    with suppress(OSError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@click.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("add")
@click.argument("email")
@click.option(
    "--role",
    default="student",
    show_default=True,
    type=click.Choice(["student", "instructor", "admin"]),
)
@click.option("--password", help="set this password (else the account logs in with a token only)")
@click.option("--course", "course_slug", help="enrol in this course, creating it if new")
@click.option("--name", default="")
def user_add(
    email: str, role: str, password: str | None, course_slug: str | None, name: str
) -> None:
    """Create a user (or update one) and enrol them in a course."""
    from grader.extensions import db
    from grader.services import accounts

    with app_context():
        user = accounts.add_user(db.session, email, role, password, course_slug, name)
        db.session.commit()
        where = f" in course {course_slug}" if course_slug else ""
        click.echo(f"{user.email}: {user.role}{where}")


@click.command("demo")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--password", help="the demo accounts' password [default: generated and printed]")
def demo(port: int, password: str | None) -> None:
    """Serve the embedded site on 127.0.0.1 with a demo course and demo accounts."""
    from grader.db import migrate
    from grader.extensions import db
    from grader.serve import serve
    from grader.services import accounts

    password = password or secrets.token_urlsafe(9)
    with app_context() as app:
        if not app.config["EMBEDDED"]:
            click.echo(
                "note: GRADER_BROKER_URL is set; `grader worker` must run to grade", err=True
            )
        migrate.upgrade(app.config["DATABASE_URL"])
        sync_exercises(app, quiet=True)
        accounts.add_user(
            db.session, DEMO_INSTRUCTOR, "instructor", password, DEMO_COURSE, "Demo Instructor"
        )
        for number, email in enumerate(DEMO_STUDENTS, start=1):
            accounts.add_user(
                db.session, email, "student", password, DEMO_COURSE, f"Demo Student {number}"
            )
        db.session.commit()
        embedded = app.config["EMBEDDED"]
        database = app.config["DATABASE_URL"]
    click.echo(
        f"Backprop Grader demo: http://127.0.0.1:{port}/  (course '{DEMO_COURSE}', database {database})"
    )
    click.echo(f"  password for every demo account: {password}")
    for email in [DEMO_INSTRUCTOR, *DEMO_STUDENTS]:
        click.echo(f"  {email}")
    sys.stdout.flush()
    serve("127.0.0.1", port, embedded=embedded)


COMMANDS = [db_group, web, worker, user_group, demo]
