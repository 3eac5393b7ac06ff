"""The real stack for the fault tests: ``grader web`` (gunicorn) and ``grader worker`` (Celery,
prefork) as processes on a database and a Redis of the test's own, a plain HTTP client, and the
counts every fault test asserts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from grader.extensions import db
from grader.services import accounts
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service import infra

REQUEUE_AFTER = 2
START_TIMEOUT = 90.0
ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


class Unreachable(Exception):
    """The web process did not answer at all (refused, reset, timed out)."""


@dataclass
class Reply:
    status: int
    body: dict | None
    headers: dict
    content_type: str


def http(
    method: str,
    url: str,
    body: dict | None = None,
    headers: dict | None = None,
    data: bytes | None = None,
) -> Reply:
    """One request (a dict body is sent as JSON, ``data`` as it is); any status is a reply, no
    answer at all raises Unreachable."""
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return _reply(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:
        return _reply(error.code, error.read(), error.headers)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
        raise Unreachable(str(error)) from error


def _reply(status: int, raw: bytes, headers) -> Reply:
    content_type = headers.get("Content-Type", "")
    body = json.loads(raw) if content_type.startswith("application/json") and raw else None
    return Reply(status, body, dict(headers), content_type)


def wait_until(check, timeout: float, what: str, interval: float = 0.1) -> float:
    """Seconds until ``check()`` held (an error in it counts as not yet); fails the test with
    ``what`` after ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except AssertionError:
            raise
        except Exception:
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class Service:
    """A ``grader`` process in its own process group, its output in a log file."""

    name: str
    command: list[str]
    env: dict
    log: Path
    process: subprocess.Popen | None = None
    workers: int = 1

    def start(self) -> Service:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader", *self.command],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the main process (as a container runtime does on a deploy)."""
        if self.alive():
            self.process.send_signal(signum)

    def kill_group(self) -> None:
        """SIGKILL the process and every child it forked (a machine or container dying)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)


@dataclass
class Student:
    email: str
    token: str
    course: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Stack:
    """PostgreSQL and Redis given by the test, ``grader web`` and ``grader worker`` on them."""

    database_url: str
    redis_url: str
    folder: Path
    services: list[Service] = field(default_factory=list)
    web_port: int = field(default_factory=infra.free_port)
    queue: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex[:10]}")
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = create_app(
            {
                "DATABASE_URL": self.database_url,
                "BROKER_URL": self.redis_url,
                "QUEUE": self.queue,
                "INSTANCE_DIR": str(self.folder),
                "SECRET_KEY": "fault-secret",
            }
        )
        with self.app.app_context():
            sync_exercises(db.session, self.app.config["EXERCISES_DIR"])

    @property
    def env(self) -> dict:
        return {
            **os.environ,
            "GRADER_DATABASE_URL": self.database_url,
            "GRADER_BROKER_URL": self.redis_url,
            "GRADER_QUEUE": self.queue,
            "GRADER_REQUEUE_AFTER": str(REQUEUE_AFTER),
            "GRADER_SECRET_KEY": "fault-secret",
            "GRADER_INSTANCE_DIR": str(self.folder),
            **self.settings,
        }

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/api/v1"

    def web(self, workers: int = 1) -> Service:
        command = ["web", "--port", str(self.web_port), "--workers", str(workers)]
        service = Service("web", command, self.env, self.folder / "web.log").start()
        self.services.append(service)
        return service

    def worker(self, concurrency: int = 2, queues: str = "live") -> Service:
        """``grader worker``; ``queues="all"`` as deployed (a child worker takes the batch
        queue), ``"live"`` where a test has no batch (one process tree fewer to start)."""
        command = ["worker", "--pool", "prefork", "-c", str(concurrency), "--loglevel", "INFO"]
        command += ["--queues", queues]
        number = sum(s.name == "worker" for s in self.services)
        log = self.folder / f"worker{number}.log"
        service = Service("worker", command, self.env, log, workers=2 if queues == "all" else 1)
        self.services.append(service.start())
        return service

    def wait_web(self, service: Service) -> float:
        return wait_until(
            lambda: _alive_or_fail(service) and self.health_status() == 200,
            START_TIMEOUT,
            f"grader web (log: {service.log})",
        )

    def wait_worker(self, service: Service) -> float:
        return wait_until(
            lambda: (
                _alive_or_fail(service) and service.output().count(" ready.") >= service.workers
            ),
            START_TIMEOUT,
            f"grader worker (log: {service.log})",
        )

    def start(
        self, workers: int = 1, concurrency: int = 2, web_workers: int = 1, queues: str = "live"
    ) -> list[Service]:
        """Web and ``workers`` workers, started together, answering: their services."""
        web = self.web(web_workers)
        started = [self.worker(concurrency, queues) for _ in range(workers)]
        self.wait_web(web)
        for service in started:
            self.wait_worker(service)
        return [web, *started]

    def stop(self) -> None:
        """Kill every process at once (the tests that need a graceful stop do it themselves)."""
        for service in self.services:
            service.kill_group()
        self.app.extensions["grader.db"].engine.dispose()

    def health_status(self) -> int | None:
        try:
            return http("GET", f"{self.base}/health").status
        except Unreachable:
            return None

    def students(self, count: int) -> list[Student]:
        """New students in one new course, each with a bearer token."""
        course = f"faults-{uuid.uuid4().hex[:8]}"
        made = []
        with self.app.app_context():
            for _ in range(count):
                email = f"student-{uuid.uuid4().hex[:10]}@faults.example"
                accounts.add_user(db.session, email, "student", course_slug=course)
                made.append(Student(email, accounts.issue_token(db.session, email), course))
            db.session.commit()
        return made

    def instructor(self, course: str) -> Student:
        """An instructor of ``course``, with a bearer token."""
        email = f"instructor-{uuid.uuid4().hex[:10]}@faults.example"
        with self.app.app_context():
            accounts.add_user(db.session, email, "instructor", course_slug=course)
            token = accounts.issue_token(db.session, email)
            db.session.commit()
        return Student(email, token, course)

    def submit(
        self,
        student: Student,
        key: str,
        answers: dict | None = None,
        exercise: str = "single-weight",
    ) -> Reply:
        body = {"exercise": exercise, "answers": answers or ANSWERS}
        return http(
            "POST",
            f"{self.base}/submissions",
            body,
            {**student.headers, "Idempotency-Key": key},
        )

    def submit_until_accepted(self, student: Student, key: str, timeout: float = 90.0) -> dict:
        """Submit, and on 503 or no answer send the same submission (same key) again."""
        deadline = time.monotonic() + timeout
        refusals: list[int | str] = []
        while True:
            try:
                reply = self.submit(student, key)
            except Unreachable:
                reply = None
                refusals.append("unreachable")
            if reply is not None:
                if reply.status == 202:
                    return {**reply.body, "refusals": refusals}
                assert reply.status == 503, (reply.status, reply.body)
                assert reply.body["error"] == "unavailable", reply.body
                refusals.append(503)
            if time.monotonic() > deadline:
                raise AssertionError(f"submission {key} not accepted: {refusals[-5:]}")
            time.sleep(0.2)

    def sql(self, query: str, *args) -> list[tuple]:
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            return connection.execute(query, args).fetchall()

    def counts(self, course: str) -> dict:
        """Submissions of the course by status, results, and rows that would show a half-written
        or duplicated grading."""
        of_course = "s.course_id = (SELECT id FROM courses WHERE slug = %s)"
        statuses = dict(
            self.sql(
                f"SELECT status, count(*) FROM submissions s WHERE {of_course} GROUP BY status",
                course,
            )
        )
        ((results, most, graded_without, result_without),) = self.sql(
            f"""
            SELECT count(r.id),
                   coalesce(max(per.n), 0),
                   count(*) FILTER (WHERE s.status = 'graded' AND r.id IS NULL),
                   count(*) FILTER (WHERE s.status <> 'graded' AND r.id IS NOT NULL)
            FROM submissions s
            LEFT JOIN results r ON r.submission_id = s.id
            LEFT JOIN (SELECT submission_id, count(*) AS n FROM results GROUP BY submission_id) per
                   ON per.submission_id = s.id
            WHERE {of_course}
            """,
            course,
        )
        return {
            "submissions": sum(statuses.values()),
            "statuses": statuses,
            "results": results,
            "most_results_per_submission": most,
            "graded_without_result": graded_without,
            "result_without_graded": result_without,
        }

    def hidden(self, viewer: Student, ids: list[int]) -> int:
        """How many of these submissions the API does not show graded with a score."""
        shown = 0
        for submission_id in ids:
            body = http(
                "GET", f"{self.base}/submissions/{submission_id}", None, viewer.headers
            ).body
            shown += body["status"] == "graded" and body.get("score") is not None
        return len(ids) - shown

    def all_graded(self, course: str, expected: int) -> bool:
        counts = self.counts(course)
        return counts["statuses"].get("graded", 0) == expected


class ResultsLock:
    """Holds a SHARE lock on the results table: readers go on, but a worker that has claimed and
    graded submissions waits, mid-transaction, to write their results."""

    WAITING = (
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE d.datname = current_database() AND NOT l.granted"
    )

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.connection = psycopg.connect(database_url)
        self.connection.execute("LOCK TABLE results IN SHARE MODE")

    def waiting(self) -> int:
        """How many database sessions wait for a lock (the blocked worker processes)."""
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            return connection.execute(self.WAITING).fetchone()[0]

    def release(self) -> None:
        if not self.connection.closed:
            with contextlib.suppress(psycopg.Error):
                self.connection.rollback()
            self.connection.close()


def _alive_or_fail(service: Service) -> bool:
    if not service.alive():
        raise AssertionError(f"{service.name} exited:\n{service.output()[-3000:]}")
    return True


def assert_nothing_lost(stack: Stack, course: str, submitted: int) -> dict:
    """submitted = graded, one result each, nothing failed or half-written."""
    counts = stack.counts(course)
    assert counts["submissions"] == submitted, counts
    assert counts["statuses"] == {"graded": submitted}, counts
    assert counts["results"] == submitted, counts
    assert counts["most_results_per_submission"] == 1, counts
    assert counts["graded_without_result"] == 0, counts
    assert counts["result_without_graded"] == 0, counts
    return counts
