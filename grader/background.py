"""Threads that run beside a worker: the sweep, and the embedded default's in-process worker."""

from __future__ import annotations

import logging
import os
import socket
import threading

from flask import Flask

from grader import tasks
from grader.db.errors import unavailable

log = logging.getLogger(__name__)


def sweep_interval(requeue_after: float) -> float:
    """How often to look for stale submissions: often enough to catch them soon after they go stale."""
    return max(0.2, min(requeue_after / 2, 30.0))


class Sweeper(threading.Thread):
    """Publishes again, every so often, the submissions a lost message left behind."""

    def __init__(self, app: Flask):
        super().__init__(name="grader-sweeper", daemon=True)
        self.app = app
        self.interval = sweep_interval(app.config["REQUEUE_AFTER"])
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    tasks.sweep()
            except Exception as exc:
                if unavailable(exc):
                    log.warning(
                        "sweep: the database is not answering; again in %.0f s", self.interval
                    )
                else:
                    log.warning(
                        "sweep failed; trying again in %.0f s", self.interval, exc_info=True
                    )
            if self._stopped.wait(self.interval):
                return

    def stop(self) -> None:
        self._stopped.set()


class EmbeddedWorker:
    """A Celery worker with the solo pool in a thread of this process, on the in-memory broker,
    running the same task code as ``grader worker``."""

    def __init__(self, app: Flask):
        celery = app.extensions["celery"]
        self.app = app
        self.controller = celery.WorkController(
            pool="solo",
            concurrency=1,
            hostname=f"embedded-{os.getpid()}@{socket.gethostname()}",
            loglevel="WARNING",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            ready_callback=self._ready,
        )
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="grader-worker", daemon=True)
        self.sweeper = Sweeper(app)

    def _run(self) -> None:
        # Celery falls back to the process's default app in a new thread; pin this one.
        self.app.extensions["celery"].set_current()
        self.controller.start()

    def _ready(self, *_args) -> None:
        self.ready.set()

    def start(self, timeout: float = 30.0) -> EmbeddedWorker:
        self.thread.start()
        if not self.ready.wait(timeout):
            raise RuntimeError("the embedded worker did not start")
        self.sweeper.start()
        return self

    def stop(self) -> None:
        self.sweeper.stop()
        self.controller.stop(in_sighandler=False)
        self.thread.join(10)


def start_embedded_worker(app: Flask) -> EmbeddedWorker:
    """Start grading in this process (the embedded default has no separate worker)."""
    return EmbeddedWorker(app).start()
