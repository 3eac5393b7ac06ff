"""The long-running processes take their start-up objects out of the collector's full passes."""

from __future__ import annotations

import gc

from gunicorn.config import Config

from grader import runtime


def test_freezing_moves_what_exists_out_of_the_collected_generations():
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        runtime.freeze_startup_objects()
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        assert sum(gc.get_count()) < frozen
    finally:
        gc.unfreeze()


def test_the_gunicorn_hook_is_one_gunicorn_accepts():
    """gunicorn refuses a post_worker_init hook that does not take exactly the worker."""
    config = Config()
    config.set("post_worker_init", runtime.gunicorn_post_worker_init)
    assert config.post_worker_init is runtime.gunicorn_post_worker_init
