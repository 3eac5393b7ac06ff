"""Publishing through the Redis broker: tasks go in one LPUSH of Celery's own message; Celery's
channel keeps one Redis client for its publishes and acks, and makes a new one when kombu
replaces the channel's connection pool."""

from __future__ import annotations

import base64
import json
import time
import uuid

import redis

from grader import tasks
from grader.celery_app import RedisTransport, celery_config
from grader.web import create_app
from tests.service.infra import free_port


def app_on(tmp_path, **config):
    """An app on a SQLite database in ``tmp_path``, with ``config`` on top."""
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'grader.db'}",
            "SECRET_KEY": "test",
            "INSTANCE_DIR": str(tmp_path),
            **config,
        }
    )


def test_redis_brokers_publish_through_one_client_per_channel(redis_url, tmp_path, exercises_dir):
    queue = f"broker-test-{uuid.uuid4().hex[:8]}"
    app = app_on(tmp_path, BROKER_URL=redis_url, QUEUE=queue, EXERCISES_DIR=str(exercises_dir))
    celery = app.extensions["celery"]
    broker = redis.Redis.from_url(redis_url)
    try:
        with celery.connection_for_write() as connection:
            assert isinstance(connection.transport, RedisTransport)
            channel = connection.default_channel
            with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
                assert first is second
            producer = celery.amqp.Producer(channel)
            for number in range(3):
                celery.send_task("grader.grade_submission", (number,), producer=producer)
            assert broker.llen(queue) == 3
            with channel.conn_or_acquire() as client:
                assert client is first
            channel._disconnect_pools()  # as kombu does after a fork or a lost connection
            with channel.conn_or_acquire() as client:
                assert client is not first and client.connection_pool is channel.pool
            celery.send_task("grader.grade_submission", (3,), producer=producer)
            assert broker.llen(queue) == 4
        broker.delete(queue, *broker.keys(f"_kombu.binding.{queue}*"))
        with app.app_context():  # the queue never declared: a publish still lands in it
            assert tasks.publish_grading(41) and tasks.publish(tasks.GRADE_CHUNK, 42)
        assert broker.llen(queue) == 1 and broker.llen(f"{queue}.batch") == 1
        assert not broker.keys(f"_kombu.binding.{queue}*")
    finally:
        broker.delete(queue, f"{queue}.batch")


def test_other_brokers_keep_their_own_transport(tmp_path):
    app = app_on(tmp_path)
    assert "broker_transport" not in celery_config(app)
    app.config["BROKER_URL"] = "amqp://guest@127.0.0.1//"
    assert "broker_transport" not in celery_config(app)
    app.config["BROKER_URL"] = "rediss://127.0.0.1:6380/0"
    assert celery_config(app)["broker_transport"] is RedisTransport


def test_tasks_on_redis_are_published_as_celery_publishes_them(redis_url, tmp_path):
    """``grader.broker``'s LPUSH carries the message Celery's own publish would: the same
    headers, properties, body and queue, but for the ids it draws."""
    queue = f"broker-test-{uuid.uuid4().hex[:8]}"
    app = app_on(tmp_path, BROKER_URL=redis_url, QUEUE=queue)
    celery, publisher = app.extensions["celery"], app.extensions["grader.broker"]
    broker = redis.Redis.from_url(redis_url)
    drawn = ("id", "root_id", "correlation_id", "delivery_tag")
    try:
        for name, where in ((tasks.GRADE, queue), (tasks.GRADE_CHUNK, f"{queue}.batch")):
            celery.tasks[name].apply_async(
                (7,), retry=False, argsrepr="(7,)", kwargsrepr="{}", declare=()
            )
            task_id = publisher.publish(name, (7,))
            ours, celerys = (json.loads(raw) for raw in broker.lrange(where, 0, -1))
            assert ours["headers"]["id"] == task_id
            for message in (ours, celerys):
                message["body"] = json.loads(base64.b64decode(message["body"]))
                for part in ("headers", "properties"):
                    for key in drawn:
                        message[part].pop(key, None)
                for key in ("argsrepr", "kwargsrepr"):  # kombu copies its options there
                    message["properties"].pop(key, None)
            assert ours == celerys
            assert ours["properties"]["delivery_info"]["routing_key"] == where
    finally:
        broker.delete(queue, f"{queue}.batch")


def test_a_broker_that_cannot_be_reached_is_given_up_on_at_once(tmp_path):
    """The publish fails within a second (no backoff between its tries): the caller goes on,
    and the sweep publishes the task again."""
    app = app_on(tmp_path, BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    with app.app_context():
        assert not tasks.publish_grading(1)
    assert time.monotonic() - started < 1


def test_a_key_prefix_for_the_broker_is_kept_as_kombu_keeps_it(redis_url, tmp_path):
    """With kombu's ``global_keyprefix``, the task lands in the same prefixed list as one
    Celery publishes."""
    queue = f"broker-test-{uuid.uuid4().hex[:8]}"
    app = app_on(
        tmp_path,
        BROKER_URL=redis_url,
        QUEUE=queue,
        CELERY={"broker_transport_options": {"global_keyprefix": "prefixed:"}},
    )
    broker = redis.Redis.from_url(redis_url)
    try:
        app.extensions["celery"].tasks[tasks.GRADE].apply_async(
            (7,), retry=False, argsrepr="(7,)", kwargsrepr="{}", declare=()
        )
        with app.app_context():
            assert tasks.publish_grading(8)
        bodies = [
            json.loads(raw)["headers"]["argsrepr"]
            for raw in broker.lrange(f"prefixed:{queue}", 0, -1)
        ]
        assert sorted(bodies) == ["(7,)", "(8,)"] and not broker.exists(queue)
    finally:
        broker.delete(f"prefixed:{queue}", queue)
