"""The embedded default (``grader web`` on SQLite with its in-process worker) importing a file
while students keep submitting: every line and every live submission is stored once, under an
id of its own, and graded."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid

from grader.db import migrate
from grader.extensions import db
from grader.services import accounts
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.faults.stack import ANSWERS, START_TIMEOUT, Service, Unreachable, http, wait_until
from tests.service import infra

CLIENTS = 4
LINES = 6000  # two chunks
TIMEOUT = 180.0


def people(app, course: str, students: int) -> tuple[list[str], str]:
    """Bearer tokens of new students of ``course`` and of its instructor."""
    with app.app_context():
        tokens = []
        for role in ["instructor"] + ["student"] * students:
            email = f"{role}-{uuid.uuid4().hex[:10]}@faults.example"
            accounts.add_user(db.session, email, role, course_slug=course)
            tokens.append(accounts.issue_token(db.session, email))
        db.session.commit()
    return tokens[1:], tokens[0]


def keep_submitting(base: str, token: str, stop: threading.Event, accepted: list[int]) -> None:
    """Submit again and again until ``stop``; a submission that got no answer is sent again
    with its key."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {"exercise": "single-weight", "answers": ANSWERS}
    number = 0
    while not stop.is_set():
        key = f"{token[-8:]}-{number}"
        try:
            reply = http("POST", f"{base}/submissions", body, {**headers, "Idempotency-Key": key})
        except Unreachable:
            continue
        assert reply.status == 202, (reply.status, reply.body)
        accepted.append(reply.body["id"])
        number += 1


def test_sqlite_import_under_live_traffic_loses_and_doubles_nothing(tmp_path, figures):
    url = f"sqlite:///{tmp_path / 'grader.db'}"
    migrate.upgrade(url)
    config = {"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "fault-secret"}
    app = create_app(config)
    with app.app_context():
        sync_exercises(db.session, app.config["EXERCISES_DIR"])
    course = f"faults-{uuid.uuid4().hex[:8]}"
    tokens, teacher = people(app, course, CLIENTS)
    app.extensions["grader.db"].engine.dispose()
    env = {key: value for key, value in os.environ.items() if key != "GRADER_BROKER_URL"}
    env.update(
        GRADER_DATABASE_URL=url,
        GRADER_INSTANCE_DIR=str(tmp_path),
        GRADER_SECRET_KEY="fault-secret",
        GRADER_SUBMIT_LIMIT="100000 per minute",
        GRADER_REQUEUE_AFTER="2",
    )
    port = infra.free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    web = Service("web", ["web", "--port", str(port)], env, tmp_path / "web.log").start()
    try:
        wait_until(lambda: http("GET", f"{base}/health").status == 200, START_TIMEOUT, "web")
        stop, accepted = threading.Event(), []
        clients = [
            threading.Thread(target=keep_submitting, args=(base, token, stop, accepted))
            for token in tokens
        ]
        for client in clients:
            client.start()
        time.sleep(1.0)
        lines = [
            {
                "id": f"paper-{n}",
                "student": f"p{n % 300}@paper.example",
                "exercise": "single-weight",
                "answers": ANSWERS,
            }
            for n in range(LINES)
        ]
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        headers = {"Authorization": f"Bearer {teacher}", "Content-Type": "application/x-ndjson"}
        started = time.monotonic()
        reply = http("POST", f"{base}/batches?course={course}", headers=headers, data=body)
        assert reply.status == 202, reply
        batch_url = f"{base}/batches/{reply.body['id']}"
        wait_until(
            lambda: http("GET", batch_url, headers=headers).body["status"] in ("done", "failed"),
            TIMEOUT,
            "the import done",
        )
        imported = time.monotonic() - started
        stop.set()
        for client in clients:
            client.join(60)
        state = http("GET", batch_url, headers=headers).body
        wait_until(lambda: counts(tmp_path)["pending"] == 0, TIMEOUT, "live submissions graded")
    finally:
        web.kill_group()
    found = counts(tmp_path)
    submitted = LINES + len(accepted)
    assert (state["status"], state["graded"], state["failed"]) == ("done", LINES, 0), state
    assert len(set(accepted)) == len(accepted)
    lost = submitted - found["graded"]
    duplicated = found["submissions"] - found["distinct"] + found["results"] - found["graded"]
    hidden = found["graded_without_result"]
    assert (found["submissions"], lost, duplicated, hidden) == (submitted, 0, 0, 0), found
    figures.update(
        fault="Import into SQLite (the embedded default) under live traffic",
        imported=LINES,
        live=len(accepted),
        live_during_import=found["live_during"],
        graded=found["graded"],
        results=found["results"],
        lost=lost,
        duplicated=duplicated,
        hidden=hidden,
        import_seconds=round(imported, 1),
    )


def counts(folder) -> dict:
    with sqlite3.connect(folder / "grader.db", timeout=30) as connection:
        row = connection.execute(
            """
            SELECT count(*), count(DISTINCT s.id),
                   sum(s.status = 'graded'), sum(s.status IN ('queued', 'grading')),
                   (SELECT count(*) FROM results),
                   sum(s.status = 'graded' AND r.id IS NULL),
                   sum(s.batch_id IS NULL AND s.queued_at BETWEEN
                       (SELECT min(created_at) FROM batches) AND
                       (SELECT max(finished_at) FROM batches))
            FROM submissions s LEFT JOIN results r ON r.submission_id = s.id
            """
        ).fetchone()
    names = ("submissions", "distinct", "graded", "pending", "results")
    return {
        **dict(zip(names, row[:5], strict=True)),
        "graded_without_result": row[5] or 0,
        "live_during": row[6] or 0,
    }
