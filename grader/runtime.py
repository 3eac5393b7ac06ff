"""Process-wide settings for the long-running processes (web workers, Celery workers, an
import reading its file)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Take what starting the process allocated (modules, the app, SQLAlchemy's mappers and
    statement caches) out of the garbage collector's sight.

    Those objects live as long as the process, yet every full collection walked them all: a
    pause of 50 to 100 ms in whichever request or batch chunk happened to trigger it. Objects
    made later are collected as usual. Call once the app is loaded (after any fork).
    """
    gc.collect()
    gc.freeze()


def gunicorn_post_worker_init(_worker) -> None:
    """gunicorn's hook once a worker has loaded the app (it wants a one-argument callable)."""
    freeze_startup_objects()
