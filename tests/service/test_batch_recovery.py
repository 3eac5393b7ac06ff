"""A batch worker SIGKILLed while it writes a regrade's chunk: the chunk is graded again after
the worker restarts, and every submission is regraded (and its old result archived) once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from sqlalchemy import select

from grader import tasks
from grader.db import Course, migrate
from grader.extensions import db
from grader.services import batches
from grader.services import regrade as regrades
from grader.web import create_app
from tests.service import infra
from tests.service.batching import jsonl, lines, sql, store_version
from tests.service.conftest import base_config, prepared
from tests.service.factories import make_user

COUNT = 3000
CHUNK = 1000
REQUEUE_AFTER = 1.0
WAITING_FOR_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.fixture
def isolated(servers, redis_url, tmp_path_factory, exercises_dir):
    """An app on a database of its own (no other worker's sweep reaches its batches) and a
    queue of its own, and a way to start batch workers on them."""
    url, drop = infra.create_database(servers[0])
    migrate.upgrade(url)
    config = base_config(
        tmp_path_factory,
        exercises_dir,
        DATABASE_URL=url,
        BROKER_URL=redis_url,
        QUEUE=f"recovery-{uuid.uuid4().hex[:8]}",
    )
    app = prepared(create_app(config))
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        env = {
            **os.environ,
            "GRADER_DATABASE_URL": url,
            "GRADER_BROKER_URL": redis_url,
            "GRADER_QUEUE": config["QUEUE"],
            "GRADER_REQUEUE_AFTER": str(REQUEUE_AFTER),
            "GRADER_SECRET_KEY": config["SECRET_KEY"],
            "GRADER_INSTANCE_DIR": config["INSTANCE_DIR"],
        }
        command = ["worker", "--queues", "batch", "--pool", "solo", "--loglevel", "WARNING"]
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "grader", *command],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=infra.die_with_parent,
            )
        )
        return workers[-1]

    yield app, start_worker
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    app.extensions["grader.db"].engine.dispose()
    drop()


def test_worker_killed_mid_chunk_every_submission_regraded_once(isolated):
    app, start_worker = isolated
    teacher = make_user(app, "instructor")
    slug = f"recovery-{uuid.uuid4().hex[:8]}"
    store_version(app, slug, "0.01")
    with app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        batch = batches.create_import(
            session, None, course, jsonl(lines(COUNT, slug, 200, "k")).decode()
        )
        assert batches.run(session, batch.id) == "done"
    store_version(app, slug, "0.1")

    url = app.config["DATABASE_URL"]
    lock = psycopg.connect(url)
    lock.execute("LOCK TABLE results IN SHARE MODE")
    try:
        worker = start_worker()
        with app.app_context():
            session = db.session
            course = session.scalar(select(Course).filter_by(slug=teacher.course))
            regrade = regrades.start(session, None, course, slug, chunk_size=CHUNK)
            tasks.publish_chunks(batches.pending_chunks(session, regrade.id))
        infra.wait_for(
            lambda: sql(app, WAITING_FOR_A_LOCK)[0][0] >= 1, 60, "the worker writing a chunk"
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        lock.close()
    statuses = sql(app, "SELECT status FROM batch_chunks WHERE batch_id = :b", b=regrade.id)
    assert sorted(s[0] for s in statuses) == ["grading", "queued", "queued"]

    start_worker()
    deadline = time.monotonic() + 90
    while (state := _state(app, regrade.id))["status"] != "done":
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert (state["graded"], state["failed"], state["unchanged"]) == (COUNT, 0, 0)
    ((results, archived, distinct),) = sql(
        app,
        "SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM result_history), "
        "(SELECT count(DISTINCT submission_id) FROM result_history)",
    )
    assert (results, archived, distinct) == (COUNT, COUNT, COUNT)
    attempts = sql(app, "SELECT max(attempts) FROM batch_chunks WHERE batch_id = :b", b=regrade.id)
    assert attempts[0][0] >= 2


def _state(app, batch_id: int) -> dict:
    with app.app_context():
        return batches.state(db.session, batch_id)
