"""The Celery worker's entry module: ``celery -A grader.worker worker`` (or ``grader worker``)."""

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from grader.background import Sweeper
from grader.runtime import freeze_startup_objects
from grader.web import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
_sweeper = Sweeper(flask_app)


@worker_process_init.connect
def _fresh_connections(**_kwargs) -> None:
    """A forked pool process must not share the parent's database connections."""
    flask_app.extensions["grader.db"].engine.dispose(close=False)
    freeze_startup_objects()


@worker_ready.connect
def _start_sweeper(**_kwargs) -> None:
    freeze_startup_objects()
    _sweeper.start()


@worker_shutdown.connect
def _stop_sweeper(**_kwargs) -> None:
    _sweeper.stop()
