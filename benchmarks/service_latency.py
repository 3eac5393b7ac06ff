"""Service latency: N concurrent clients submit through the API for a fixed time against
`grader web` + `grader worker` on PostgreSQL and Redis.

    python benchmarks/service_latency.py --clients 16 --rate 100 --duration 30

Creates a throwaway PostgreSQL database and a queue of its own on Redis, starts the two
processes, and drives `POST /api/v1/submissions` at `--rate` submissions/s in total (0: each
client as fast as it can). Every submission's time from the start of its POST to `graded` is
`graded_at` (written by the worker in the transaction that stores the result) minus the moment
the client sent the POST, on the same machine's clock; clients do not poll while the load runs,
so the measurement does not load the server with status requests. After the run, every
submission is read back through the API: one not graded within `--settle` seconds is lost.
Prints submissions/s, the POST's own latency, and p50/p99/max from POST to graded.

Then, in the same run and under the same load, the baselines, side by side with the service so
that all of them run on the same busy machine (CPU per operation grows with how busy the two
cores are, so a baseline measured alone afterwards would look cheaper than it is): the same
clients drive the service and a bare endpoint (``bare_endpoint.py``: bearer token, one INSERT
with SQLAlchemy Core, the id pushed to Redis; under gunicorn with the same workers and threads)
at once, each at `--rate`, while a process of its own grades submissions one at a time with the
worker's grading function at `--rate`, upserting each result in its own transaction. The last
line gives the web's CPU per submission over the bare endpoint's, and the worker's over grading
one submission plus one upsert, from that phase, with the machine's CPU busy share.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bare_endpoint  # noqa: E402
from batch_regrade import cpu_ticks, tree_cpu  # noqa: E402

PENDING = "SELECT count(*) FROM submissions WHERE status IN ('queued', 'grading')"

ANSWERS = [
    {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"},
    {"grad.e3": "10", "grad.e2": "10", "grad.e1": "20", "update.v": "-0.2", "new.v": "-0,2"},
    {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-10", "update.v": "1/10", "new.v": "oops"},
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
        if ordered
        else float("nan")
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, students: int, exercise: str, env: dict) -> list[str]:
    """Migrate, sync the exercises, and make the students, each with a bearer token and their
    variant drawn (as when they open the exercise before submitting)."""
    from grader.db import migrate
    from grader.extensions import db
    from grader.services import accounts
    from grader.services.exercises import current_version, find_offered, sync_exercises
    from grader.services.variants import variant_for
    from grader.web import create_app

    migrate.upgrade(database_url)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": env["GRADER_INSTANCE_DIR"],
            "SECRET_KEY": "bench",
        }
    )
    tokens = []
    with app.app_context():
        sync_exercises(db.session, ROOT / "exercises")
        for i in range(students):
            email = f"bench{i}@bench.test"
            user = accounts.add_user(db.session, email, "student", None, "bench")
            tokens.append(accounts.issue_token(db.session, email))
            course = accounts.course_of(db.session, user, "bench")
            variant_for(
                db.session,
                course,
                user,
                current_version(db.session, find_offered(db.session, course, exercise)[0]),
            )
        db.session.commit()
    app.extensions["grader.db"].engine.dispose()
    return tokens


def wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("grader web did not become healthy")


def client(
    index: int,
    base: str,
    tokens: list[str],
    exercise: str,
    interval: float,
    stop_at: float,
    sent: list,
    lock,
) -> None:
    """Submit every ``interval`` seconds (or back to back) until ``stop_at``, as each of its
    students in turn."""
    session = requests.Session()
    next_at = time.time()
    n = 0
    while True:
        now = time.time()
        if now >= stop_at:
            return
        if interval and now < next_at:
            time.sleep(next_at - now)
        started = time.time()
        token = tokens[n % len(tokens)]
        reply = session.post(
            f"{base}/submissions",
            json={"exercise": exercise, "answers": ANSWERS[n % len(ANSWERS)]},
            headers={"Idempotency-Key": uuid.uuid4().hex, "Authorization": f"Bearer {token}"},
        )
        finished = time.time()
        n += 1
        with lock:
            sent.append(
                (
                    token,
                    started,
                    finished,
                    reply.status_code,
                    reply.json().get("id") if reply.ok else None,
                )
            )
        next_at += interval


def drive(base: str, tokens: list[str], args) -> tuple[list, float, float, float]:
    """``args.clients`` clients submitting at ``args.rate``/s in total for ``args.duration``
    s; what each POST got (token, sent at, answered at, status, id), and the run's start, end
    and stop time."""
    sent: list = []
    lock = threading.Lock()
    interval = args.clients / args.rate if args.rate else 0.0
    start = time.time()
    stop_at = start + args.duration
    threads = [
        threading.Thread(
            target=client,
            args=(i, base, tokens[i :: args.clients], args.exercise, interval, stop_at, sent, lock),
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
        time.sleep(interval / args.clients if interval else 0)
    for thread in threads:
        thread.join()
    return sent, start, time.time(), stop_at


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the machine's CPU time that was busy between two ``cpu_ticks()``."""
    return (after[0] - before[0]) / max(after[1] - before[1], 1)


def read_back(base: str, token: str, ids: list[int], settle: float) -> dict[int, dict]:
    """Every submission's final state, waiting up to ``settle`` s for the last to be graded."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    out: dict[int, dict] = {}
    deadline = time.monotonic() + settle
    pending = list(ids)
    while pending:
        still = []
        for submission_id in pending:
            reply = session.get(f"{base}/submissions/{submission_id}")
            if reply.status_code == 429:
                still.append(submission_id)
                time.sleep(0.5)
                continue
            body = reply.json()
            if body.get("status") == "graded" or time.monotonic() > deadline:
                out[submission_id] = body
            else:
                still.append(submission_id)
        pending = still
        if pending:
            time.sleep(0.2)
    return out


def start_bare(args, database_url: str, broker_url: str, queue: str, bench_dir) -> tuple:
    """The bare endpoint (``bare_endpoint.py``) under gunicorn with the same workers and
    threads as `grader web`: (its process, its API's base URL)."""
    bare_endpoint.make_table(database_url)
    port = free_port()
    env = {
        **os.environ,
        "BARE_DATABASE_URL": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "BARE_REDIS_URL": broker_url,
        "BARE_QUEUE": f"{queue}-bare",
        "PYTHONPATH": str(ROOT / "benchmarks"),
    }
    command = [
        sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(args.web_workers),
        "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "bare_endpoint:create_app()",
    ]  # fmt: skip
    with open(bench_dir / "bare.log", "wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    wait_healthy(base)
    return process, base


def side_by_side(args, database_url: str, service, bare, tokens, bench_dir: Path) -> dict:
    """The service (``service``: web and worker processes, its API's base URL), the bare
    endpoint (``bare``: its process and base URL) and the worker's baseline (a process grading
    and upserting one submission at a time), all at once, each at ``--rate`` for
    ``--duration``: all three run on the same busy machine. CPU milliseconds per submission of
    the web, the worker, the bare endpoint and the baseline; the machine's busy share."""
    (web, worker, base), (bare_process, bare_base) = service, bare
    count = int(args.rate * args.duration)
    with open(bench_dir / "grading-baseline.log", "wb") as log:
        baseline = subprocess.Popen(
            [
                sys.executable, str(ROOT / "benchmarks" / "bare_endpoint.py"), database_url,
                args.exercise, json.dumps(ANSWERS), str(count), str(args.rate),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )  # fmt: skip
    processes = (web, worker, bare_process)
    before, busy_before = [tree_cpu(process.pid) for process in processes], cpu_ticks()
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(drive, url, tokens, args) for url in (base, bare_base)]
        sent = [run.result()[0] for run in runs]
    busy = busy_share(busy_before, cpu_ticks())
    web_cpu, _, bare_cpu = (tree_cpu(p.pid) - cpu for p, cpu in zip(processes, before, strict=True))
    with psycopg.connect(database_url) as connection:  # the worker done with this phase's
        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline and connection.execute(PENDING).fetchone()[0]:
            connection.rollback()
            time.sleep(0.1)
    worker_cpu = tree_cpu(worker.pid) - before[1]
    grading_ms = float(baseline.communicate()[0].strip().splitlines()[-1])
    accepted = [sum(1 for row in rows if row[3] == 202) for rows in sent]
    if accepted[1] < len(sent[1]):
        raise SystemExit(
            f"the bare endpoint accepted {accepted[1]} of {len(sent[1])}: see {bench_dir}"
        )
    return {
        "web_ms": 1000 * web_cpu / max(accepted[0], 1),
        "worker_ms": 1000 * worker_cpu / max(accepted[0], 1),
        "bare_ms": 1000 * bare_cpu / max(accepted[1], 1),
        "grading_ms": grading_ms,
        "busy": busy,
        "rates": [n / args.duration for n in accepted],
    }


def run(args) -> None:
    bench_dir = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    name = f"grader_bench_latency_{uuid.uuid4().hex[:12]}"
    server = args.postgres.rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database_url = f"{server}/{name}"
    broker_url = args.redis
    queue = f"grader-bench-{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GRADER_")},
        "GRADER_DATABASE_URL": database_url,
        "GRADER_BROKER_URL": broker_url,
        "GRADER_QUEUE": queue,
        "GRADER_SECRET_KEY": "bench",
        "GRADER_INSTANCE_DIR": str(bench_dir),
        "GRADER_EXERCISES_DIR": str(ROOT / "exercises"),
    }
    processes = []
    try:
        tokens = prepare(database_url, max(args.students, args.clients), args.exercise, env)
        port = free_port()
        web_cmd = [
            sys.executable,
            "-m",
            "grader",
            "web",
            "--port",
            str(port),
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.threads),
        ]
        worker_cmd = [
            sys.executable,
            "-m",
            "grader",
            "worker",
            "--pool",
            args.pool,
            "--concurrency",
            str(args.concurrency),
            "--loglevel",
            "WARNING",
        ]
        for cmd, log in ((web_cmd, "web.log"), (worker_cmd, "worker.log")):
            with open(bench_dir / log, "wb") as output:
                processes.append(
                    subprocess.Popen(cmd, env=env, stdout=output, stderr=subprocess.STDOUT)
                )
        base = f"http://127.0.0.1:{port}/api/v1"
        wait_healthy(base)
        time.sleep(2)
        print(
            f"{args.clients} clients as {max(args.students, args.clients)} students, {'as fast as they can' if not args.rate else f'{args.rate}/s in total'}, "
            f"{args.duration:.0f} s; web: {args.web_workers} gunicorn workers x {args.threads} threads; "
            f"worker: {args.pool} pool x {args.concurrency}; exercise {args.exercise}"
        )
        cpu_before = [tree_cpu(process.pid) for process in processes]
        busy_before = cpu_ticks()
        sent, start, end, stop_at = drive(base, tokens, args)
        busy = busy_share(busy_before, cpu_ticks())
        web_cpu = tree_cpu(processes[0].pid) - cpu_before[0]
        accepted = [row for row in sent if row[3] == 202]
        refused = Counter(row[3] for row in sent if row[3] != 202)
        results: dict[int, dict] = {}
        owned: dict[str, list[int]] = {}
        for row in accepted:
            owned.setdefault(row[0], []).append(row[4])
        with ThreadPoolExecutor(args.clients) as pool:
            futures = [
                pool.submit(read_back, base, token, ids, args.settle)
                for token, ids in owned.items()
            ]
            for future in futures:
                results.update(future.result())
        worker_cpu = tree_cpu(processes[1].pid) - cpu_before[1]
        graded = {i: r for i, r in results.items() if r.get("status") == "graded"}
        latency = [
            datetime.fromisoformat(graded[row[4]]["graded_at"]).timestamp() - row[1]
            for row in accepted
            if row[4] in graded
        ]
        post_latency = [row[2] - row[1] for row in sent]
        in_window = sum(1 for row in accepted if row[1] <= stop_at)
        lost = len(accepted) - len(graded)
        print(
            f"submitted {len(sent)} ({len(accepted)} accepted with 202) in {end - start:.1f} s: {in_window / args.duration:.1f} submissions/s"
        )
        print(
            f"graded    {len(graded)}; lost {lost}"
            + (f"; refused {dict(refused)}" if refused else "")
        )
        print(
            f"POST      p50 {percentile(post_latency, 0.5) * 1000:.1f} ms  p99 {percentile(post_latency, 0.99) * 1000:.1f} ms"
        )
        print(
            f"POST -> graded  p50 {percentile(latency, 0.5) * 1000:.1f} ms  p99 {percentile(latency, 0.99) * 1000:.1f} ms  "
            f"max {max(latency, default=float('nan')) * 1000:.1f} ms"
        )
        web_ms = 1000 * web_cpu / max(len(accepted), 1)
        worker_ms = 1000 * worker_cpu / max(len(accepted), 1)
        print(
            f"CPU per submission: web {web_ms:.1f} ms, worker {worker_ms:.1f} ms; "
            f"machine CPU {100 * busy:.0f}% busy (load average now {os.getloadavg()[0]:.1f})"
        )
        bare = start_bare(args, database_url, broker_url, queue, bench_dir)
        processes.append(bare[0])
        time.sleep(1)
        both = side_by_side(
            args, database_url, (processes[0], processes[1], base), bare, tokens, bench_dir
        )
        web_ms, worker_ms = both["web_ms"], both["worker_ms"]
        bare_ms, grade_ms = both["bare_ms"], both["grading_ms"]
        print(
            f"side by side, each at {args.rate:g}/s ({both['rates'][0]:.1f}/s and "
            f"{both['rates'][1]:.1f}/s taken), machine CPU {100 * both['busy']:.0f}% busy: web "
            f"{web_ms:.1f} ms, bare endpoint {bare_ms:.1f} ms of web CPU per submission; worker "
            f"{worker_ms:.1f} ms, grading one submission and one upsert {grade_ms:.1f} ms"
        )
        p99 = percentile(latency, 0.99)
        ok = lost == 0 and p99 < 0.25 and in_window / args.duration >= 0.95 * (args.rate or 0)
        print(
            "target (100/s, p99 < 250 ms, nothing lost, web <= 2x bare, worker <= 2x grading):",
            "n/a at this rate"
            if args.rate < 100
            else "met"
            if ok and web_ms <= 2 * bare_ms and worker_ms <= 2 * grade_ms
            else "not met",
        )
        print(
            f"service-latency: {in_window / args.duration:.1f}/s, p99 {p99 * 1000:.0f} ms, lost {lost}, "
            f"machine CPU {100 * busy:.0f}% busy; side by side: web {web_ms:.1f} ms vs bare "
            f"{bare_ms:.1f} ms (ratio {web_ms / bare_ms:.2f}); worker {worker_ms:.1f} ms vs grading "
            f"{grade_ms:.1f} ms (ratio {worker_ms / grade_ms:.2f})"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            broker = redis.Redis.from_url(broker_url)
            broker.delete(queue, *broker.keys(f"{queue}*"))
        print(f"logs: {bench_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--students", type=int, default=500, help="accounts the clients submit as, in turn"
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="submissions/s in total; 0: as fast as possible"
    )
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--settle", type=float, default=60.0, help="seconds to wait for the last to be graded"
    )
    parser.add_argument("--exercise", default="single-weight-random")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pool", default="solo", choices=["solo", "prefork", "threads"])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--keep", action="store_true", help="keep the database and the Redis data")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
