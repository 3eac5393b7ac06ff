"""Fixtures for the service: the embedded default (SQLite, in-process worker) and the production
stack (PostgreSQL, Redis, a real ``grader worker`` process), users, tokens and API clients."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import redis

from grader.background import start_embedded_worker
from grader.db import migrate
from grader.extensions import db
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service import infra
from tests.service.factories import Api, make_user

WORKER_REQUEUE_AFTER = 2.0


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """The xdist worker's id (``gw0``...), or ``master`` without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def servers():
    """URLs of a PostgreSQL and a Redis server: this machine's, else throwaway ones."""
    throwaway = infra.Throwaway()
    try:
        yield infra.server_postgres(throwaway), infra.server_redis(throwaway)
    finally:
        throwaway.stop()


@pytest.fixture(scope="session")
def postgres_url(servers):
    """A uuid-named database for this run, migrated to head, dropped at the end."""
    url, drop = infra.create_database(servers[0])
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def redis_url(servers, worker_id):
    """A test-only Redis database for this xdist worker, flushed before and after."""
    url = f"{servers[1]}/{infra.redis_db_for(worker_id)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def queue_name() -> str:
    return f"grader-test-{uuid.uuid4().hex[:12]}"


def base_config(tmp_path_factory, exercises_dir, **settings) -> dict:
    return {
        "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
        "SECRET_KEY": "test-secret",
        "EXERCISES_DIR": str(exercises_dir),
        **settings,
    }


def prepared(app):
    with app.app_context():
        sync_exercises(db.session, app.config["EXERCISES_DIR"])
    return app


@pytest.fixture(scope="session")
def postgres_app(postgres_url, redis_url, queue_name, tmp_path_factory, exercises_dir):
    """The app on PostgreSQL and Redis, as ``grader web`` runs it."""
    app = create_app(
        base_config(
            tmp_path_factory,
            exercises_dir,
            DATABASE_URL=postgres_url,
            BROKER_URL=redis_url,
            QUEUE=queue_name,
        )
    )
    yield prepared(app)
    app.extensions["grader.db"].engine.dispose()


@pytest.fixture(scope="session")
def celery_worker(postgres_app, postgres_url, redis_url, queue_name, tmp_path_factory):
    """A real ``grader worker`` process (solo pool) on the test database and Redis database."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "GRADER_DATABASE_URL": postgres_url,
        "GRADER_BROKER_URL": redis_url,
        "GRADER_QUEUE": queue_name,
        "GRADER_REQUEUE_AFTER": str(WORKER_REQUEUE_AFTER),
        "GRADER_LTI_RETRY_BASE": "0.5",
        "GRADER_SECRET_KEY": "test-secret",
        "GRADER_INSTANCE_DIR": str(log.parent),
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "worker", "--pool", "solo", "--loglevel", "WARNING"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=infra.die_with_parent,
        )
    control = postgres_app.extensions["celery"].control
    try:
        infra.wait_for(
            lambda: process.poll() is None and control.ping(timeout=0.5),
            60,
            f"the grader worker (log: {log})",
        )
        if process.poll() is not None:
            pytest.fail(f"the grader worker exited: {log.read_text()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def embedded_app(tmp_path_factory, exercises_dir):
    """The embedded default: SQLite in WAL mode, in-memory broker, in-process worker thread."""
    config = base_config(tmp_path_factory, exercises_dir)
    config["DATABASE_URL"] = f"sqlite:///{config['INSTANCE_DIR']}/grader.db"
    config["REQUEUE_AFTER"] = WORKER_REQUEUE_AFTER
    migrate.upgrade(config["DATABASE_URL"])
    app = prepared(create_app(config))
    worker = start_embedded_worker(app)
    yield app
    worker.stop()
    app.extensions["grader.db"].engine.dispose()


@pytest.fixture(params=["embedded", "postgres"])
def stack(request):
    """Each test using this runs on both: the embedded default and PostgreSQL + Redis + worker."""
    if request.param == "postgres":
        request.getfixturevalue("celery_worker")
        return request.getfixturevalue("postgres_app")
    return request.getfixturevalue("embedded_app")


@pytest.fixture
def student(stack) -> Api:
    """A logged-in student (bearer token) in a fresh course, on the stack under test."""
    return make_user(stack)


@pytest.fixture
def instructor(student) -> Api:
    """An instructor of the student's course."""
    return make_user(student.app, "instructor", student.course)


@pytest.fixture(params=["sqlite", "postgres"])
def quiet_app(request, tmp_path, exercises_dir):
    """An app on a database of its own that no worker or sweep touches: what a test sees there
    is what it did itself."""
    config = {
        "INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "test",
        "EXERCISES_DIR": str(exercises_dir),
    }
    drop = None
    if request.param == "postgres":
        config["DATABASE_URL"], drop = infra.create_database(request.getfixturevalue("servers")[0])
    else:
        config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'quiet.db'}"
    migrate.upgrade(config["DATABASE_URL"])
    app = prepared(create_app(config))
    yield app
    app.extensions["grader.db"].engine.dispose()
    if drop is not None:
        drop()
