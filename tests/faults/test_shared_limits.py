"""The rate limits are counted in Redis, so the gunicorn workers of ``grader web`` share them."""

from __future__ import annotations

import redis

from tests.faults.stack import Stack

LIMIT = 5


def test_submission_limit_is_shared_by_all_gunicorn_workers(database_url, redis_server, tmp_path):
    """Twelve submissions over new connections to two gunicorn workers: exactly five accepted
    (counting in each process's memory would let up to ten through)."""
    stack = Stack(
        database_url,
        redis_server.url,
        tmp_path,
        settings={"GRADER_SUBMIT_LIMIT": f"{LIMIT} per minute"},
    )
    try:
        web = stack.web(workers=2)
        stack.wait_web(web)
        (student,) = stack.students(1)
        codes = [stack.submit(student, f"{student.email}-{n}").status for n in range(12)]
        keys = redis.Redis.from_url(redis_server.url).keys(f"*{stack.queue}-limits*")
    finally:
        stack.stop()
    assert codes == [202] * LIMIT + [429] * (12 - LIMIT)
    assert keys
