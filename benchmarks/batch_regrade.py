"""Batch regrade at scale: N submissions regraded through Redis and Celery workers, against the
naive way (one task per submission) and the bare write limit, with live submissions made during
the batch.

    python benchmarks/batch_regrade.py --n 100000 [--students 20000] [--naive 2000]
        [--concurrency 2] [--server postgresql://postgres@127.0.0.1:5432/postgres]
        [--redis redis://127.0.0.1:6379/7] [--exercise single-weight|single-weight-random]

Seeds a throwaway PostgreSQL database with one course, ``--students`` students and N
submissions of ``--exercise`` (right and typical wrong answers in every blank; of the
randomised exercise, each student answering their own variant), graded against an older
version of the exercise (learning rate 0.1 instead of 0.01) and bulk-loaded with COPY,
so the database's triggers fill the per-blank table as in production. Then, with `grader worker`
running (``--concurrency`` processes consuming the live and the batch queues):

1. regrades the course's submissions of `single-weight` as `grader batch regrade` does: every
   result changes, so each is archived and replaced; the clock runs from creating the batch to
   the last chunk committed. A live submission is made every 0.2 s meanwhile, through the same
   service and queue as `POST /api/v1/submissions`; each one's time from submit to graded is
   reported;
2. regrades again, nothing having changed (every result is compared, none is written);
3. measures the bare write limit: COPY of the rows the first regrade wrote (the results, their
   blanks and the archived old results) into new tables of the same columns and indexes, with
   no grading, triggers or foreign keys, in one transaction;
4. grades ``--naive`` of the submissions the naive way: one Celery task per submission
   (`grader.grade_submission`, each claiming and writing only its own row).

The last line is ``batch-regrade: N submissions in S s (R/s); naive baseline B/s; ratio X;
write limit W/s, regrade P of it``.
The database is dropped at the end, and the run's queues removed from Redis.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402

from grader import exercises as core  # noqa: E402
from grader import tasks  # noqa: E402
from grader.checking import ENGINE_VERSION, grade_many  # noqa: E402
from grader.db import (  # noqa: E402
    Batch,
    Course,
    Exercise,
    Result,
    ResultHistory,
    Submission,
    User,
    migrate,
)
from grader.extensions import db  # noqa: E402
from grader.services import accounts, batches, submissions  # noqa: E402
from grader.services.exercises import sync_exercises, version_row  # noqa: E402
from grader.services.regrade import start as start_regrade  # noqa: E402
from grader.services.variants import reference_many  # noqa: E402
from grader.web import create_app  # noqa: E402

COURSE = "bench"
EXERCISE = "single-weight"
OLD_RATE, RATE = "learning_rate: 0.1", "learning_rate: 0.01"
OPTIONS = {
    "grad.e3": ["-10", "-10", "-10", "10", "-5", ""],
    "grad.e2": ["-10", "-10", "10", "-5", "-10,0"],
    "grad.e1": ["-20", "-20", "-20", "20", "-10", "2", "-2e1"],
    "update.v": ["0.2", "0,2", "-0.2", "20", "1/5", ".2", "2"],
    "new.v": ["0.2", "0.2", "-0.2", "0", "abc", "0,2", "2"],
}
LIVE_ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2"}
LIVE_EVERY = 0.2
POLL = 0.02


def seed(app, n: int, students: int, rng) -> None:
    """The course, its students, and N submissions graded against the older version (of a
    randomised exercise, each student's own variant of it)."""
    with app.app_context():
        session = db.session
        sync_exercises(session, app.config["EXERCISES_DIR"])
        accounts.add_user(session, "teacher@bench.test", "instructor", None, COURSE)
        accounts.add_user(session, "live@bench.test", "student", None, COURSE)
        session.commit()
        course = session.scalar(select(Course).filter_by(slug=COURSE))
        exercise = session.scalar(select(Exercise).filter_by(slug=EXERCISE))
        source = (ROOT / "exercises" / f"{EXERCISE}.yaml").read_text()
        old_text = source.replace(RATE, OLD_RATE)
        old = core.load_text(old_text.encode(), f"{EXERCISE}.yaml (old)")
        old_row = version_row(exercise, old, old_text)
        session.add(old_row)
        session.commit()
        ids = (course.id, exercise.id, old_row.id, old.content_hash, course.secret)
    course_id, exercise_id, version_id, old_hash, secret = ids
    picks = {blank: rng.integers(len(values), size=n) for blank, values in OPTIONS.items()}
    answers = [{blank: OPTIONS[blank][picks[blank][i]] for blank in OPTIONS} for i in range(n)]
    owners = rng.integers(students, size=n)
    drawn = old.draw_variants(secret, [f"student{g}@bench.test" for g in range(1, students + 1)])
    references = reference_many(old, drawn)
    graded = grade_many(old, [drawn[owner] for owner in owners], answers)
    scores, max_score, variants, blanks = graded.json_columns()
    now = datetime.now(UTC)
    url = app.config["DATABASE_URL"]
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO users (email, name, role, created_at) "
            "SELECT 'student' || g || '@bench.test', '', 'student', now() "
            "FROM generate_series(1, %s) AS g",
            (students,),
        )
        user_ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM users WHERE email LIKE 'student%%@bench.test' ORDER BY id"
            )
        ]
        connection.execute(
            "INSERT INTO enrolments (course_id, user_id, role, created_at) "
            "SELECT %s, id, 'student', now() FROM users WHERE id = ANY(%s)",
            (course_id, user_ids),
        )
        with connection.cursor().copy(
            'COPY variants (course_id, user_id, exercise_version_id, "values", reference, '
            "created_at) FROM STDIN"
        ) as copy:
            for user, variant, reference in zip(user_ids, drawn, references, strict=True):
                values = orjson.dumps(variant.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY)
                reference = orjson.dumps(reference, option=orjson.OPT_SERIALIZE_NUMPY)
                copy.write_row(
                    (course_id, user, version_id, values.decode(), reference.decode(), now)
                )
        variant_of = dict(
            connection.execute(
                "SELECT user_id, id FROM variants WHERE exercise_version_id = %s", (version_id,)
            ).fetchall()
        )
        first = connection.execute("SELECT nextval('submissions_id_seq')").fetchone()[0]
        attempts: dict[int, int] = {}
        with connection.cursor().copy(
            "COPY submissions (id, user_id, course_id, exercise_id, exercise_version_id, "
            "variant_id, attempt, answers, status, status_changed_at, queued_at, graded_at) "
            "FROM STDIN"
        ) as copy:
            for i in range(n):
                user = user_ids[owners[i]]
                attempts[user] = attempts.get(user, 0) + 1
                copy.write_row(
                    (
                        first + i,
                        user,
                        course_id,
                        exercise_id,
                        version_id,
                        variant_of[user],
                        attempts[user],
                        orjson.dumps(answers[i]).decode(),
                        "graded",
                        now,
                        now,
                        now,
                    )
                )
        connection.execute("SELECT setval('submissions_id_seq', %s)", (first + n,))
        with connection.cursor().copy(
            "COPY results (submission_id, score, max_score, variant, blanks, engine_version, "
            "exercise_hash, created_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row(
                    (
                        first + i,
                        scores[i],
                        max_score,
                        variants[i].decode(),
                        blanks[i].decode(),
                        ENGINE_VERSION,
                        old_hash,
                        now,
                    )
                )
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        # Write the seed's pages out before the clock starts, as a real course's would have been
        # long before its regrade (else a checkpoint forced by the seed's WAL may land in the
        # middle of the measurement). Needs a superuser or pg_checkpoint; skipped without.
        try:
            connection.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            print("(no CHECKPOINT after seeding: the role may not)")


def start_worker(env: dict, concurrency: int, log: Path, loglevel: str) -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader",
                "worker",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                loglevel,
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_ready(app, worker: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    control = app.extensions["celery"].control
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"the worker exited:\n{log.read_text()}")
        try:
            if control.ping(timeout=0.5):
                return
        except Exception:
            pass
        time.sleep(0.2)
    sys.exit(f"the worker did not start:\n{log.read_text()}")


class LiveStudent(threading.Thread):
    """Submits through the service every LIVE_EVERY seconds until stopped; records the ids."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.ids, self.stopped = app, [], threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                student = db.session.scalar(select(User).filter_by(email="live@bench.test"))
                while not self.stopped.wait(LIVE_EVERY):
                    answers = {**LIVE_ANSWERS, "new.v": f"0.{len(self.ids)}"}
                    accepted = submissions.submit(db.session, student, EXERCISE, answers, COURSE)
                    tasks.publish_grading(accepted.id)
                    self.ids.append(accepted.id)
        except BaseException as exc:
            self.error = exc
            raise

    def latencies(self, timeout: float = 30) -> list[float]:
        """Seconds from submit (queued_at) to graded_at for every live submission."""
        self.stopped.set()
        self.join()
        if self.error is not None or not self.ids:
            sys.exit(f"the live submissions failed: {self.error!r}")
        deadline = time.monotonic() + timeout
        with self.app.app_context():
            query = select(Submission.queued_at, Submission.graded_at).where(
                Submission.id.in_(self.ids)
            )
            while True:
                rows = db.session.execute(query).all()
                db.session.rollback()
                if all(graded for _, graded in rows) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        return [
            (graded - queued).total_seconds() if graded else float("inf") for queued, graded in rows
        ]


TIMELINE: list[str] = []


def log_line(text: str) -> None:
    """Kept for ``--chunks``, printed beside the worker's per-chunk lines."""
    TIMELINE.append(text)


def cpu_ticks() -> tuple[int, int]:
    """The machine's (busy, total) CPU ticks so far (Linux ``/proc/stat``)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    total, todo = 0.0, [pid]
    ticks = os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def regrade(app) -> tuple[float, dict]:
    """Regrade the course's single-weight as `grader batch regrade` does; seconds and state
    (with ``busy``: the share of the machine's CPU time in use meanwhile, by anything)."""
    with app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=COURSE))
        started, ticks = time.perf_counter(), cpu_ticks()
        log_line(f"regrade started at {datetime.now():%H:%M:%S.%f}")
        batch = start_regrade(session, None, course, EXERCISE)
        tasks.publish_chunks(batches.pending_chunks(session, batch.id))
        # Polled by the batch's status alone (one row): the full state sums its chunks.
        status = select(Batch.status).where(Batch.id == batch.id)
        while session.scalar(status) not in ("done", "failed"):
            session.rollback()
            time.sleep(POLL)
        seconds = time.perf_counter() - started
        state = batches.state(session, batch.id)
        log_line(f"regrade finished at {datetime.now():%H:%M:%S.%f}")
        (busy, total), (busy0, total0) = cpu_ticks(), ticks
        return seconds, {**state, "busy": (busy - busy0) / max(1, total - total0)}


def check_regraded(app, n: int, state: dict) -> None:
    """Every seeded result replaced by one against the current version, the old one archived."""
    with app.app_context():
        session = db.session
        exercise = session.scalar(select(Exercise).filter_by(slug=EXERCISE))
        current = session.scalar(
            select(func.count(Result.id)).where(Result.exercise_hash == exercise.current_hash)
        )
        archived = session.scalar(select(func.count(ResultHistory.id)))
    problems = []
    if state["status"] != "done" or state["graded"] != n or state["failed"]:
        problems.append(f"batch ended {state['status']} with {state['graded']:,} graded")
    if current < n:
        problems.append(f"only {current:,} results against the current version")
    if archived != n:
        problems.append(f"{archived:,} archived results, not {n:,}")
    if problems:
        sys.exit("the regrade is wrong: " + "; ".join(problems))


WRITTEN_TABLES = ("results", "result_blanks", "result_history")


def write_limit(url: str, n: int) -> tuple[float, dict[str, int]]:
    """The bare write limit: seconds to COPY the rows a regrade of N wrote (the results, their
    blanks, the archived old results) into new tables of the same shapes (columns, defaults
    and indexes; no triggers, no foreign keys, no grading), committed as a chunk is (without
    waiting for the disk); and the rows copied per table."""
    with psycopg.connect(url) as connection:
        data, rows = {}, {}
        for table in WRITTEN_TABLES:
            with connection.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                data[table] = b"".join(bytes(block) for block in copy)
            rows[table] = data[table].count(b"\n")
            connection.execute(
                f"CREATE TABLE bare_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
            )
        connection.commit()
        started = time.perf_counter()
        connection.execute("SET synchronous_commit = off")
        for table in WRITTEN_TABLES:
            with connection.cursor().copy(f"COPY bare_{table} FROM STDIN") as copy:
                for start in range(0, len(data[table]), 1 << 20):
                    copy.write(data[table][start : start + (1 << 20)])
        connection.commit()
        seconds = time.perf_counter() - started
        for table in WRITTEN_TABLES:
            connection.execute(f"DROP TABLE bare_{table}")
        connection.commit()
    return seconds, rows


def naive(app, count: int) -> float:
    """Grade ``count`` submissions one Celery task each; submissions a second."""
    with app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=COURSE))
        marker = Batch(course_id=course.id, kind="regrade", status="done", errors=[])
        session.add(marker)
        session.flush()
        ids = session.scalars(
            select(Submission.id)
            .where(Submission.course_id == course.id)
            .order_by(Submission.id)
            .limit(count)
        ).all()
        # Outside the live queue's "grade the others waiting too": each task grades its own.
        session.execute(
            update(Submission)
            .where(Submission.id.in_(ids))
            .values(status="queued", batch_id=marker.id)
        )
        session.commit()
        query = select(func.count(Submission.id)).where(
            Submission.id.in_(ids), Submission.status == "graded"
        )
        started = time.perf_counter()
        for submission_id in ids:
            tasks.publish_grading(submission_id)
        while session.scalar(query) < len(ids):
            session.rollback()
            time.sleep(POLL)
        return len(ids) / (time.perf_counter() - started)


def main() -> None:
    global EXERCISE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--exercise",
        choices=(EXERCISE, f"{EXERCISE}-random"),
        default=EXERCISE,
        help="the fixed exercise (one variant shared) or the randomised one (each their own)",
    )
    parser.add_argument(
        "--chunks", action="store_true", help="print each chunk's timings from the worker's log"
    )
    args = parser.parse_args()
    EXERCISE = args.exercise

    name = f"grader_bench_regrade_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(args.server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.server.rpartition('/')[0]}/{name}"
    instance = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    config = {
        "DATABASE_URL": url,
        "BROKER_URL": args.redis,
        "QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "bench",
        "INSTANCE_DIR": str(instance),
        "EXERCISES_DIR": str(ROOT / "exercises"),
    }
    env = {
        **os.environ,
        "GRADER_DATABASE_URL": url,
        "GRADER_BROKER_URL": args.redis,
        "GRADER_QUEUE": config["QUEUE"],
        "GRADER_SECRET_KEY": "bench",
        "GRADER_INSTANCE_DIR": str(instance),
        "GRADER_EXERCISES_DIR": config["EXERCISES_DIR"],
    }
    app = worker = None
    try:
        migrate.upgrade(url)
        app = create_app(config)
        started = time.perf_counter()
        seed(app, args.n, args.students, np.random.default_rng(args.seed))
        print(
            f"seeded {args.n:,} submissions of {EXERCISE} by {args.students:,} students, graded "
            f"against an older version, in {time.perf_counter() - started:.1f} s"
        )
        log = instance / "worker.log"
        worker = start_worker(env, args.concurrency, log, "INFO" if args.chunks else "WARNING")
        wait_ready(app, worker, log)
        print(f"worker: grader worker --concurrency {args.concurrency} (live and batch queues)")

        live = LiveStudent(app)
        live.start()
        seconds, state = regrade(app)
        latencies = live.latencies()
        check_regraded(app, args.n, state)
        rate = args.n / seconds
        print(
            f"regrade: {args.n:,} submissions in {seconds:.2f} s ({rate:,.0f}/s), "
            f"{state['chunks']['total']} chunks; every result replaced, the old one archived; "
            f"machine CPU {state['busy']:.0%} busy"
        )
        if latencies:
            print(
                f"  {len(latencies)} live submissions meanwhile: submit to graded median "
                f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
            )
        again, state = regrade(app)
        print(
            f"regrade again, nothing changed: {again:.2f} s ({args.n / again:,.0f}/s), "
            f"{state['unchanged']:,} results unchanged and not written; "
            f"machine CPU {state['busy']:.0%} busy"
        )
        if args.chunks:
            for line in TIMELINE:
                print("  " + line)
            for line in log.read_text().splitlines():
                if " chunk " in line:
                    clock = line.split(" ", 2)[1] if line.startswith("[") else ""
                    print(f"  {clock} " + line.split("] ", 1)[-1].split(": ", 1)[-1])
        copied, rows = write_limit(url, args.n)
        limit = args.n / copied
        copied_rows = ", ".join(f"{count:,} {table}" for table, count in rows.items())
        print(
            f"write limit: COPY of the same rows ({copied_rows}) into bare tables of the same "
            f"shapes in {copied:.2f} s ({limit:,.0f} submissions/s)"
        )
        baseline = naive(app, args.naive)
        print(f"naive: {args.naive:,} submissions, one Celery task each: {baseline:,.0f}/s")
        print(
            f"batch-regrade: {args.n} submissions in {seconds:.2f} s ({rate:.0f}/s); "
            f"naive baseline {baseline:.0f}/s; ratio {rate / baseline:.1f}; "
            f"write limit {limit:.0f}/s, regrade {rate / limit:.0%} of it"
        )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
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
