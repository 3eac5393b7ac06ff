"""Batch import at scale: N lines of a randomised exercise imported with `grader batch import
--wait`, against a regrade of the same submissions in the same run.

    python benchmarks/batch_import.py --n 100000 [--students 20000] [--known 0.5]
        [--concurrency 2] [--server postgresql://postgres@127.0.0.1:5432/postgres]
        [--redis redis://127.0.0.1:6379/9] [--profile FILE]

Creates a throwaway PostgreSQL database with one course in which ``--known`` of the
``--students`` students are already enrolled, writes a JSONL file of N lines of
`single-weight-random` (each line with an ``id``; right and typical wrong answers; every student
their own numbers, drawn by the import), and with `grader worker` running (``--concurrency``
processes):

1. imports the file with ``grader batch import FILE --course bench --wait``: the clock runs from
   starting the command to its end (the file read, the unknown students added, every student's
   variant drawn and stored, every line graded and written);
2. changes the exercise (learning rate 0.1 instead of 0.01), stores the new version, and
   regrades the same submissions with ``grader batch regrade --wait``: every result changes, so
   each is archived and replaced. Both commands are separate processes timed the same way.
3. imports the file again: every line is stored already, so nothing is added or graded again
   (each line's student and key are looked up, not compared with every key of the students'
   submissions).

``--profile FILE`` then (the worker stopped) imports the file again into a second course in this
process under cProfile, reading every line and grading the first chunk, and writes the
statistics to FILE.

The last line is ``batch-import: N lines in S s (R/s); regrade R2/s; ratio X`` (X: the import's
rate over the regrade's). The database is dropped at the end, and the run's queues removed from
Redis.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import orjson
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from batch_regrade import cpu_ticks, start_worker, tree_cpu, wait_ready  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from grader.db import Course, Result, ResultHistory, Submission, migrate  # noqa: E402
from grader.extensions import db  # noqa: E402
from grader.services import accounts  # noqa: E402
from grader.services.exercises import sync_exercises  # noqa: E402
from grader.web import create_app  # noqa: E402

COURSE = "bench"
EXERCISE = "single-weight-random"
OLD_RATE, NEW_RATE = "learning_rate: 0.01", "learning_rate: 0.1"
OPTIONS = {
    "grad.e3": ["-10", "-6", "4", "8", "-5", ""],
    "grad.e2": ["-10", "-6", "10", "-5", "-10,0"],
    "grad.e1": ["-20", "-12", "-20", "20", "-10", "2e1"],
    "update.v": ["0.2", "0,2", "-0.2", "0.12", "1/5", ".2"],
    "new.v": ["0.2", "1.2", "-0.2", "0", "abc", "0,2"],
}


def email(number: int) -> str:
    return f"student{number}@bench.test"


def seed(app, students: int, known: int) -> None:
    """The course, its teacher and its ``known`` students (the others are new to the import)."""
    with app.app_context():
        session = db.session
        sync_exercises(session, app.config["EXERCISES_DIR"])
        accounts.add_user(session, "teacher@bench.test", "instructor", None, COURSE)
        session.commit()
    with psycopg.connect(app.config["DATABASE_URL"]) as connection:
        connection.execute(
            "INSERT INTO users (email, name, role, created_at) "
            "SELECT 'student' || g || '@bench.test', '', 'student', now() "
            "FROM generate_series(0, %s - 1) AS g",
            (known,),
        )
        connection.execute(
            "INSERT INTO enrolments (course_id, user_id, role, created_at) "
            "SELECT c.id, u.id, 'student', now() FROM users u, courses c "
            "WHERE c.slug = %s AND u.email LIKE 'student%%@bench.test'",
            (COURSE,),
        )
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        try:
            connection.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            print("(no CHECKPOINT after seeding: the role may not)")


def write_lines(path: Path, n: int, students: int, rng) -> None:
    """N lines by random students (known and new alike), each with an id."""
    owners = rng.integers(students, size=n)
    picks = {blank: rng.integers(len(values), size=n) for blank, values in OPTIONS.items()}
    with open(path, "wb") as out:
        for i in range(n):
            answers = {blank: OPTIONS[blank][picks[blank][i]] for blank in OPTIONS}
            line = {"id": f"q{i}", "student": email(int(owners[i])), "exercise": EXERCISE}
            out.write(orjson.dumps({**line, "answers": answers}) + b"\n")


class DatabaseCpu:
    """CPU seconds the PostgreSQL backends of one database used while it runs (read from
    ``/proc``, so only with the server on this machine and its processes readable; None
    otherwise): what the database did for the run, apart from other work on a shared machine."""

    def __init__(self, server: str, database: str):
        self.server, self.database = server, database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stopping = threading.Event()

    def __enter__(self) -> DatabaseCpu:
        self.connection = psycopg.connect(self.server, autocommit=True)
        self.sample(first=True)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join()
        self.sample()
        self.connection.close()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            self.sample()

    def sample(self, first: bool = False) -> None:
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
        ).fetchall()
        for (pid,) in rows:
            try:
                seconds = process_cpu(pid)
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
            # A backend that starts during the run counts from its start.
            self.first.setdefault(pid, seconds if first else 0.0)
            self.last[pid] = seconds

    @property
    def seconds(self) -> float | None:
        if not self.last:
            return None
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) one process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(
    env: dict, args: list[str], worker: subprocess.Popen, server: str
) -> tuple[float, dict, str]:
    """Run ``grader ARGS --wait --json``; seconds, its JSON state, and where the CPU went
    meanwhile: the machine's busy share, the command's own CPU seconds, the workers', the
    database's backends' (when readable), and the rest."""
    database = env["GRADER_DATABASE_URL"].rpartition("/")[2]
    with DatabaseCpu(server, database) as backends:
        started, (busy0, total0) = time.perf_counter(), cpu_ticks()
        own0, workers0 = resource.getrusage(resource.RUSAGE_CHILDREN), tree_cpu(worker.pid)
        done = subprocess.run(
            [sys.executable, "-m", "grader", *args, "--wait", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        busy, total = cpu_ticks()
        own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers = tree_cpu(worker.pid) - workers0
    if done.returncode != 0:
        sys.exit(f"grader {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    state = orjson.loads(done.stdout.strip().splitlines()[-1])
    own = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
    rest = (busy - busy0) / os.sysconf("SC_CLK_TCK") - own - workers
    database = ""
    if backends.seconds is not None:
        database = f", the database's backends {backends.seconds:.1f}"
        rest -= backends.seconds
    cpu = (
        f"machine CPU {(busy - busy0) / max(1, total - total0):.0%} busy; CPU seconds: "
        f"the command {own:.1f}, the workers {workers:.1f}{database}, the rest {rest:.1f}"
    )
    return seconds, state, cpu


def change_exercise(app, exercises: Path) -> None:
    """A new version of the exercise: learning rate 0.1, so every result changes."""
    path = exercises / f"{EXERCISE}.yaml"
    text = path.read_text()
    if OLD_RATE not in text:
        sys.exit(f"{path} has no '{OLD_RATE}' to change")
    path.write_text(text.replace(OLD_RATE, NEW_RATE))
    with app.app_context():
        sync_exercises(db.session, str(exercises))
        db.session.commit()


def counts(app) -> tuple[int, int, int]:
    """Submissions, results and archived results in the database."""
    with app.app_context():
        session = db.session
        found = tuple(
            session.scalar(select(func.count(model.id)))
            for model in (Submission, Result, ResultHistory)
        )
        session.rollback()
        return found


def profile(app, lines: Path, out: str) -> None:
    """The import's reading, and its first chunk's grading, in this process under cProfile."""
    import cProfile
    import pstats

    from grader.services import batches

    with app.app_context():
        session = db.session
        accounts.add_user(session, "teacher2@bench.test", "instructor", None, "profiled")
        session.commit()
        course = session.scalar(select(Course).filter_by(slug="profiled"))
        chunks: list[int] = []
        profiler = cProfile.Profile()
        with open(lines, "rb") as source:
            profiler.enable()
            batches.create_import(
                session, None, course, source, name=lines.name, publish=chunks.append
            )
            profiler.disable()
        reading = pstats.Stats(profiler)
        profiler = cProfile.Profile()
        profiler.enable()
        batches.grade_chunk(session, chunks[0])
        profiler.disable()
        grading = pstats.Stats(profiler)
    with open(out, "w") as report:
        for title, stats in (("reading (every chunk)", reading), ("grading one chunk", grading)):
            report.write(f"==== {title}\n")
            stats.stream = report
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
    print(f"profile of the import's reading and one chunk's grading in {out}")


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--known", type=float, default=0.5, help="share already in the course")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", help="write a cProfile of the import to this file")
    args = parser.parse_args()

    name = f"grader_bench_import_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(args.server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.server.rpartition('/')[0]}/{name}"
    instance = Path(tempfile.mkdtemp(prefix="grader-bench-import-"))
    exercises = instance / "exercises"
    shutil.copytree(ROOT / "exercises", exercises)
    config = {
        "DATABASE_URL": url,
        "BROKER_URL": args.redis,
        "QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "bench",
        "INSTANCE_DIR": str(instance),
        "EXERCISES_DIR": str(exercises),
    }
    env = {
        **os.environ,
        "GRADER_DATABASE_URL": url,
        "GRADER_BROKER_URL": args.redis,
        "GRADER_QUEUE": config["QUEUE"],
        "GRADER_SECRET_KEY": "bench",
        "GRADER_INSTANCE_DIR": str(instance),
        "GRADER_EXERCISES_DIR": str(exercises),
    }
    app = worker = None
    try:
        migrate.upgrade(url)
        app = create_app(config)
        known = int(args.students * args.known)
        seed(app, args.students, known)
        lines = instance / "lines.jsonl"
        write_lines(lines, args.n, args.students, np.random.default_rng(args.seed))
        print(
            f"{args.n:,} lines of {EXERCISE} by {args.students:,} students "
            f"({known:,} already in the course)"
        )
        before = counts(app)
        log = instance / "worker.log"
        worker = start_worker(env, args.concurrency, log, "WARNING")
        wait_ready(app, worker, log)
        print(f"worker: grader worker --concurrency {args.concurrency} (live and batch queues)")

        seconds, state, cpu = timed(
            env, ["batch", "import", str(lines), "--course", COURSE], worker, args.server
        )
        imported = counts(app)
        if state["graded"] != args.n or imported[0] - before[0] != args.n:
            sys.exit(f"the import is wrong: {state}, {imported[0] - before[0]:,} submissions")
        rate = args.n / seconds
        print(
            f"import: {args.n:,} lines in {seconds:.2f} s ({rate:,.0f}/s), every student's "
            f"variant drawn and stored; {cpu}"
        )
        change_exercise(app, exercises)
        again, state, cpu = timed(
            env,
            ["batch", "regrade", "--course", COURSE, "--exercise", EXERCISE],
            worker,
            args.server,
        )
        archived = counts(app)[2] - imported[2]
        if state["graded"] != args.n or archived != args.n:
            sys.exit(f"the regrade is wrong: {state}, {archived:,} archived")
        regrade_rate = args.n / again
        print(
            f"regrade: {args.n:,} submissions in {again:.2f} s ({regrade_rate:,.0f}/s), every "
            f"result replaced, the old one archived; {cpu}"
        )
        known_again, state, _ = timed(
            env, ["batch", "import", str(lines), "--course", COURSE], worker, args.server
        )
        if state["graded"] != args.n or counts(app)[0] != imported[0]:
            sys.exit(f"the second import of the file is wrong: {state}")
        print(
            f"the same file imported again: {args.n:,} lines, every one stored already, in"
            f" {known_again:.2f} s ({args.n / known_again:,.0f}/s)"
        )
        print(
            f"batch-import: {args.n} lines in {seconds:.2f} s ({rate:.0f}/s); "
            f"regrade {regrade_rate:.0f}/s; ratio {rate / regrade_rate:.2f}"
        )
        if args.profile:
            stop(worker)
            worker = None
            profile(app, lines, args.profile)
    finally:
        if worker is not None:
            stop(worker)
        if app is not None:
            app.extensions["grader.db"].engine.dispose()
        broker = redis.Redis.from_url(args.redis)
        for key in broker.scan_iter(match=f"*{config['QUEUE']}*"):
            broker.delete(key)
        with psycopg.connect(args.server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
