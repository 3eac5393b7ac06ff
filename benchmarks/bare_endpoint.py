"""The bare endpoint the service benchmark compares `POST /api/v1/submissions` with: a Flask
view that authenticates a bearer token, inserts one row with SQLAlchemy Core and publishes its
id to Redis, and nothing else (no checks, no rate limit, no Celery).

Served by the benchmark under gunicorn with the same workers and threads as `grader web`:

    BARE_DATABASE_URL=postgresql+psycopg://... BARE_REDIS_URL=redis://... BARE_QUEUE=name \
        gunicorn -k gthread -w 2 --threads 4 'bare_endpoint:create_app()'

It reads the real `api_tokens` table and writes a table of its own (`bare_submissions`, made by
`make_table`), so the token check and the insert touch rows of the same kind as the product's.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime

import redis
from flask import Flask, abort, jsonify, request
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    text,
)

metadata = MetaData()
bare_submissions = Table(
    "bare_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("exercise", String(100), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
TOKEN = text(
    "SELECT user_id, expires_at, revoked_at FROM api_tokens WHERE token_hash = :token_hash"
)
INSERT = insert(bare_submissions).returning(bare_submissions.c.id)


def make_table(database_url: str) -> None:
    """Create the bare endpoint's table in the benchmark's database."""
    engine = create_engine(database_url)
    metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    """The bare app, configured from ``BARE_DATABASE_URL``, ``BARE_REDIS_URL``, ``BARE_QUEUE``."""
    app = Flask(__name__)
    engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=8)
    broker = redis.Redis.from_url(os.environ["BARE_REDIS_URL"])
    queue = os.environ["BARE_QUEUE"]

    @app.post("/api/v1/submissions")
    def submit():
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            abort(401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400)
        now = datetime.now(UTC)
        with engine.begin() as connection:
            row = connection.execute(
                TOKEN, {"token_hash": hashlib.sha256(token.strip().encode()).hexdigest()}
            ).first()
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                abort(401)
            new_id = connection.execute(
                INSERT,
                {
                    "user_id": row.user_id,
                    "exercise": str(body.get("exercise")),
                    "answers": body.get("answers"),
                    "created_at": now,
                },
            ).scalar_one()
        broker.lpush(queue, new_id)
        return jsonify(id=new_id, status="queued"), 202

    @app.get("/api/v1/health")
    def health():
        return {"status": "ok"}

    return app


bare_results = Table(
    "bare_results",
    metadata,
    Column("submission_id", Integer, primary_key=True),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("variant", JSON, nullable=False),
    Column("blanks", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def grade_and_upsert_ms(
    database_url: str, exercise_id: str, answers: list[dict], n: int, rate: float = 0.0
) -> float:
    """This process's CPU milliseconds to grade one submission with the core (the worker's own
    grading function, one submission a pass) and upsert its result in a transaction of its own,
    averaged over ``n``; the students' stored variants of ``exercise_id`` are graded in turn,
    ``rate`` a second (0: one after the other)."""
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from grader.db import Exercise, ExerciseVersion, StudentVariant
    from grader.extensions import db
    from grader.services.exercises import version_or_reason
    from grader.services.grading import Claimed, _grade
    from grader.web import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        rows = db.session.execute(
            select(StudentVariant.exercise_version_id, StudentVariant.values)
            .join(ExerciseVersion, ExerciseVersion.id == StudentVariant.exercise_version_id)
            .join(Exercise, Exercise.id == ExerciseVersion.exercise_id)
            .where(Exercise.slug == exercise_id)
        ).all()
        version_id = rows[0][0]
        _, exercise = version_or_reason(db.session, version_id)
        db.session.rollback()
    upsert = pg_insert(bare_results)
    upsert = upsert.on_conflict_do_update(
        index_elements=["submission_id"],
        set_={
            name: upsert.excluded[name]
            for name in ("score", "max_score", "variant", "blanks", "created_at")
        },
    )
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    started, next_at = time.process_time(), time.monotonic()
    for i in range(n):
        if rate:
            next_at += 1 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
        values = rows[i % len(rows)][1]
        row = _grade(exercise, [Claimed(i, version_id, values, answers[i % len(answers)])])[i]
        with engine.begin() as connection:
            connection.execute(
                upsert,
                {
                    "submission_id": i,
                    **{name: row[name] for name in ("score", "max_score", "variant", "blanks")},
                    "created_at": datetime.now(UTC),
                },
            )
    spent = time.process_time() - started
    engine.dispose()
    app.extensions["grader.db"].engine.dispose()
    return 1000 * spent / n


if __name__ == "__main__":
    # The worker's baseline in a process of its own, beside a load:
    #   python bare_endpoint.py DATABASE_URL EXERCISE ANSWERS_JSON N RATE
    import json
    import sys

    url, exercise, answers, count, pace = sys.argv[1:6]
    print(grade_and_upsert_ms(url, exercise, json.loads(answers), int(count), float(pace)))
