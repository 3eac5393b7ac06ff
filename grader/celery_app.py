"""Celery bound to the Flask app as Flask documents it: tasks run inside an app context."""

from __future__ import annotations

import uuid

from celery import Celery, Task
from flask import Flask, has_app_context
from kombu import Queue
from kombu.transport import redis as kombu_redis

from grader.broker import RedisPublisher, is_redis

BROKER_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "visibility_timeout": 3600,
    # A publish that cannot reach the broker gives up within seconds: the row is committed and
    # the sweep publishes it again, so the API answers 202 instead of hanging.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "connect_retries_timeout": 3,
}


# The embedded default's in-process broker. kombu warns "No hostname was supplied" for a URL
# without one (plain "memory://"), the first line a newcomer would read in `grader demo`'s log.
EMBEDDED_BROKER = "memory://localhost/"


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, keeping one client for its publishes and acks: kombu makes a new
    ``redis.Redis`` for each (building its table of reply parsers takes longer than the LPUSH
    itself). The client is made again when kombu replaces the channel's connection pool."""

    _publisher = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        client = self._publisher
        if client is None or client.connection_pool is not pool:
            client = self._publisher = super()._create_client()
        return client


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel


def batch_queue(queue: str) -> str:
    """The queue batch jobs' tasks go to, beside the live submissions' ``queue``."""
    return f"{queue}.batch"


def celery_config(app: Flask) -> dict:
    """Celery's settings: the database holds results, so Celery stores none. Batch jobs have
    a queue of their own, so a student's submission is never stuck behind a batch."""
    broker = app.config["BROKER_URL"] or EMBEDDED_BROKER
    embedded = broker.startswith("memory://")
    options = dict(BROKER_OPTIONS)
    if embedded:
        options = {"polling_interval": 0.01}
    queue = f"{app.config['QUEUE']}-{uuid.uuid4().hex}" if embedded else app.config["QUEUE"]
    batches = batch_queue(queue)
    config = {
        "broker_url": broker,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_default_queue": queue,
        "task_queues": (Queue(queue), Queue(batches)),
        "task_routes": {
            "grader.run_batch": {"queue": batches},
            "grader.batch.*": {"queue": batches},
            # sending scores to an LMS waits on its HTTP: never in front of a student's grading
            "grader.lti.*": {"queue": batches},
        },
        "worker_prefetch_multiplier": 4,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": options,
        "broker_pool_limit": 10,
        "task_publish_retry": False,
    }
    if is_redis(broker):
        config["broker_transport"] = RedisTransport
    config.update(app.config.get("CELERY", {}))
    return config


def celery_init_app(app: Flask) -> Celery:
    """Create the app's Celery, whose tasks push this app's context when none is active, and
    with a Redis broker the publisher its tasks are sent with (``grader.broker``)."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_config(app))
    celery.set_default()
    celery.autodiscover_tasks(["grader"], related_name="tasks", force=True)
    app.extensions["celery"] = celery
    if is_redis(celery.conf.broker_url):
        app.extensions["grader.broker"] = RedisPublisher(celery)
    return celery
