"""Serving the app under gunicorn, with the in-process worker when there is no broker."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

from grader.background import start_embedded_worker
from grader.runtime import gunicorn_post_worker_init
from grader.web import create_app

LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


class GraderServer(BaseApplication):
    """gunicorn running ``create_app()`` in each worker process."""

    def __init__(self, options: Mapping[str, Any], config: Mapping[str, Any] | None = None):
        self.options = dict(options)
        self.app_config = dict(config or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        app = create_app(self.app_config)
        if app.config["EMBEDDED"]:
            start_embedded_worker(app)
        return app


def serve(
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = 4,
    embedded: bool = False,
    config: Mapping[str, Any] | None = None,
) -> None:
    """Serve until stopped; the embedded default runs one process (its queue lives in it)."""
    # The app's and its extensions' warnings (a database outage, a refused CSRF token, the rate
    # limiter falling back to memory) go to stderr beside gunicorn's own lines.
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    if embedded:
        workers = 1
    elif workers is None:
        workers = int(os.environ.get("WEB_CONCURRENCY", min(4, (os.cpu_count() or 1) + 1)))
    GraderServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": os.environ.get("GRADER_ACCESS_LOG"),
            "errorlog": "-",
            "loglevel": "info",
            "control_socket_disable": True,
            "post_worker_init": gunicorn_post_worker_init,
        },
        config,
    ).run()
