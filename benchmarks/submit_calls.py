"""Function calls per `POST /api/v1/submissions`, against the bare endpoint's: a deterministic
measure of the web's work on a submission, where CPU timings on a busy machine are noisy.

    python benchmarks/submit_calls.py [--n 200] [--warmup 50] [--top 0]

Makes a throwaway PostgreSQL database prepared as the service benchmark does (students with
tokens and their variants drawn), then calls both WSGI apps in this process, as gunicorn would,
``--warmup`` times and then ``--n`` times under cProfile, each POST as the next student with
its own Idempotency-Key. Prints calls per POST of each and their ratio; ``--top`` lists the
functions with the most calls (cumulative) of ours.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bare_endpoint  # noqa: E402
from service_latency import ANSWERS, prepare  # noqa: E402


def environ(token: str, body: bytes, key: str) -> dict:
    """A WSGI environ for one POST, as gunicorn would pass it."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/v1/submissions",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_IDEMPOTENCY_KEY": key,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def post(app, token: str, n: int) -> None:
    """One submission through ``app``; it must be taken (202)."""
    body = json.dumps(
        {"exercise": "single-weight-random", "answers": ANSWERS[n % len(ANSWERS)]}
    ).encode()
    status = []
    out = app(environ(token, body, uuid.uuid4().hex), lambda s, h, e=None: status.append(s))
    b"".join(out)
    getattr(out, "close", lambda: None)()
    if not status[0].startswith("202"):
        raise SystemExit(f"POST answered {status[0]}")


def calls(app, tokens: list[str], start: int, n: int, warmup: int, top: int) -> float:
    """Function calls per POST to ``app`` over ``n`` POSTs after ``warmup``."""
    for i in range(warmup):
        post(app, tokens[(start + i) % len(tokens)], i)
    profile = cProfile.Profile()
    for i in range(n):
        token = tokens[(start + warmup + i) % len(tokens)]
        profile.enable()
        post(app, token, i)
        profile.disable()
    stats = pstats.Stats(profile)
    if top:
        stats.sort_stats("cumulative").print_stats(top)
    return stats.total_calls / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    server = args.postgres.rstrip("/")
    name = f"grader_bench_calls_{uuid.uuid4().hex[:12]}"
    queue = f"grader-bench-{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database_url = f"{server}/{name}"
    instance = tempfile.mkdtemp(prefix="grader-calls-")
    env = {
        "GRADER_DATABASE_URL": database_url,
        "GRADER_BROKER_URL": args.redis,
        "GRADER_QUEUE": queue,
        "GRADER_SECRET_KEY": "bench",
        "GRADER_INSTANCE_DIR": instance,
        "GRADER_EXERCISES_DIR": str(ROOT / "exercises"),
    }
    os.environ.update(env)
    os.environ.update(
        BARE_DATABASE_URL=database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        BARE_REDIS_URL=args.redis,
        BARE_QUEUE=f"{queue}-bare",
    )
    from grader.web import create_app

    try:
        students = (args.n + args.warmup) * 2
        tokens = prepare(database_url, students, "single-weight-random", env)
        bare_endpoint.make_table(database_url)
        ours = calls(create_app(), tokens, 0, args.n, args.warmup, args.top)
        bare = calls(bare_endpoint.create_app(), tokens, students // 2, args.n, args.warmup, 0)
        print(f"calls per POST: ours {ours:.0f}, bare {bare:.0f}, ratio {ours / bare:.2f}")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        broker = redis.Redis.from_url(args.redis)
        broker.delete(*broker.keys(f"{queue}*") or [queue])


if __name__ == "__main__":
    main()
