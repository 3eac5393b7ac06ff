"""Helpers of the batch tests: import files, waiting for a batch, counting what it wrote."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select, text

from grader import exercises as core
from grader.cli import main
from grader.db import Exercise
from grader.extensions import db
from grader.services.exercises import version_row
from tests.book_answers import SIGN_ERROR

SOURCE = Path(__file__).resolve().parents[2] / "exercises" / "single-weight.yaml"
GOOD = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}
ANSWER_SETS = [GOOD, SIGN_ERROR, {"grad.e3": "-10", "grad.e2": "-10"}, {"new.v": "abc"}]
BATCH_TIMEOUT = 90.0


def lines(count: int, exercise: str, students: int, prefix: str) -> list[dict]:
    """``count`` good lines of ``students`` new students, each with its own id."""
    return [
        {
            "id": f"{prefix}-{i}",
            "student": f"{prefix}-{i % students}@paper.example",
            "exercise": exercise,
            "answers": ANSWER_SETS[i % len(ANSWER_SETS)],
        }
        for i in range(count)
    ]


def jsonl(rows: list) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode()


def wait_done(api, batch_id: int, timeout: float = BATCH_TIMEOUT) -> dict:
    """The batch's state once done or failed (through the API)."""
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/batches/{batch_id}").get_json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def store_version(app, slug: str, learning_rate: str, source: Path = SOURCE) -> str:
    """single-weight (or ``source``) stored under ``slug`` with this learning rate as the
    exercise's current version, as ``grader exercises sync`` does for a changed file; its
    content hash."""
    text_ = source.read_text().replace(f"id: {source.stem}", f"id: {slug}")
    return store_text(
        app, slug, text_.replace("learning_rate: 0.01", f"learning_rate: {learning_rate}")
    )


def store_text(app, slug: str, source: str) -> str:
    """An exercise file's text stored under ``slug`` as the exercise's current version."""
    loaded = core.load_text(source.encode(), f"{slug}.yaml")
    with app.app_context():
        session = db.session
        row = session.scalar(select(Exercise).filter_by(slug=slug))
        if row is None:
            row = Exercise(slug=slug, title=loaded.spec.title, current_hash=loaded.content_hash)
            session.add(row)
        row.current_hash = loaded.content_hash
        session.add(version_row(row, loaded, source))
        session.commit()
    return loaded.content_hash


def retire(app, slug: str) -> None:
    """Take a test's own exercise out of every course's list."""
    with app.app_context():
        db.session.execute(text("UPDATE exercises SET active = false WHERE slug = :s"), {"s": slug})
        db.session.commit()


def sql(app, statement: str, **params) -> list:
    with app.app_context():
        rows = db.session.execute(text(statement), params).all()
        db.session.rollback()
        return rows


def grader_command(app, monkeypatch, *args: str) -> Result:
    """``grader ARGS`` as a user runs it, on the app's database and broker."""
    for key, name in (
        ("GRADER_DATABASE_URL", "DATABASE_URL"),
        ("GRADER_BROKER_URL", "BROKER_URL"),
        ("GRADER_QUEUE", "QUEUE"),
        ("GRADER_SECRET_KEY", "SECRET_KEY"),
        ("GRADER_INSTANCE_DIR", "INSTANCE_DIR"),
        ("GRADER_EXERCISES_DIR", "EXERCISES_DIR"),
    ):
        monkeypatch.setenv(key, str(app.config[name]))
    return CliRunner().invoke(main, list(args))
