"""Analytics and gradebook at scale: 50,000 graded submissions in a throwaway PostgreSQL database.

    python benchmarks/analytics.py [--submissions 50000] [--students 10000] [--repeat 5]
        [--server postgresql://postgres@127.0.0.1:5432/postgres]

Seeds one course with ``--students`` students and ``--submissions`` submissions of `single-weight`,
graded by the real grader (right and typical wrong answers in every blank), bulk-loaded with COPY
(so the database's triggers fill the per-blank table as they do in production). Then times, as
the median of ``--repeat`` runs after a warm-up:

- the analytics page (GET, HTML, as an instructor) on each basis, and its queries one by one;
- the gradebook: its query, the CSV route and the page;
- baselines in the same run: the same per-blank figures by loading every result and counting in a
  Python loop, and by exploding the results' JSON in SQL (``jsonb_each``) without the table;
- the per-number breakdown, on a second course where the same students each made the same number
  of submissions of `two-params-random` with their own drawn values: the analytics page without
  it (``?numbers=0``) and with it, and the breakdown's query and findings alone; the last line
  gives the breakdown's cost as a multiple of the page without it (the target is 1.5x at most);

and prints each figure with the ratios. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import case, func, select, text, true  # noqa: E402

from grader.checking import ENGINE_VERSION, grade_many  # noqa: E402
from grader.db import Course, Exercise, ExerciseVersion, Result, migrate  # noqa: E402
from grader.extensions import db  # noqa: E402
from grader.services import (  # noqa: E402
    accounts,
    analytics,
    gradebook,
    number_findings,
    number_stats,
)
from grader.services.exercises import load_version, sync_exercises  # noqa: E402
from grader.web import create_app  # noqa: E402

COURSE = "bench"
EXERCISE = "single-weight"
OPTIONS = {
    "grad.e3": ["-10", "-10", "-10", "10", "-5", ""],
    "grad.e2": ["-10", "-10", "10", "-5", "-10,0"],
    "grad.e1": ["-20", "-20", "-20", "20", "-10", "2", "-2e1"],
    "update.v": ["0.2", "0,2", "-0.2", "20", "1/5", ".2"],
    "new.v": ["0.2", "0.2", "-0.2", "0", "abc", "0,2"],
}


def median_ms(repeat: int, fn) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def seed(app, submissions: int, students: int, rng) -> tuple[int, int, str]:
    """Students, enrolments, submissions and their graded results; returns course and exercise
    ids and an instructor's bearer token."""
    with app.app_context():
        session = db.session
        sync_exercises(session, app.config["EXERCISES_DIR"])
        accounts.add_user(session, "bench-instructor@bench.test", "instructor", None, COURSE)
        token = accounts.issue_token(session, "bench-instructor@bench.test")
        session.commit()
        course = session.scalar(select(Course).filter_by(slug=COURSE))
        exercise = session.scalar(select(Exercise).filter_by(slug=EXERCISE))
        version = session.scalar(
            select(ExerciseVersion).filter_by(
                exercise_id=exercise.id, content_hash=exercise.current_hash
            )
        )
        course_id, exercise_id, version_id, content_hash = (
            course.id,
            exercise.id,
            version.id,
            version.content_hash,
        )
        core = load_version(version)
        session.execute(
            text(
                "INSERT INTO users (email, name, role, created_at) "
                "SELECT 'student' || g || '@bench.test', 'Student ' || g, 'student', now() "
                "FROM generate_series(1, :n) AS g"
            ),
            {"n": students},
        )
        session.execute(
            text(
                "INSERT INTO enrolments (course_id, user_id, role, created_at) "
                "SELECT :course, id, 'student', now() FROM users WHERE email LIKE '%@bench.test' "
                "AND role = 'student'"
            ),
            {"course": course_id},
        )
        session.commit()
        user_ids = session.scalars(
            text("SELECT id FROM users WHERE role = 'student' ORDER BY id")
        ).all()

    columns = {
        blank: rng.integers(len(values), size=submissions) for blank, values in OPTIONS.items()
    }
    answers = [
        {blank: OPTIONS[blank][columns[blank][i]] for blank in OPTIONS} for i in range(submissions)
    ]
    variant = core.draw_variant("", "bench")
    started = time.perf_counter()
    graded = grade_many(core, [variant] * submissions, answers).to_dicts()
    grading = time.perf_counter() - started
    owners = rng.integers(len(user_ids), size=submissions)
    started = time.perf_counter()
    copy_graded(
        app.config["DATABASE_URL"],
        (course_id, exercise_id, version_id, content_hash),
        [user_ids[i] for i in owners],
        answers,
        graded,
    )
    loading = time.perf_counter() - started
    print(f"seeded {submissions:,} submissions by {len(set(owners)):,} students")
    print(f"  graded in {grading:.2f} s (grade_many), loaded with COPY in {loading:.2f} s")
    return course_id, exercise_id, token


def copy_graded(
    url: str, where: tuple[int, int, int, str], owners: list[int], answers: list, graded: list
) -> None:
    """Bulk-load graded submissions and their results with COPY; ``where`` is the course,
    exercise, version and content hash, ``owners`` the user id of each submission."""
    course_id, exercise_id, version_id, content_hash = where
    submissions = len(answers)
    attempt_of: dict[int, int] = defaultdict(int)
    now = datetime.now(UTC)
    with psycopg.connect(url) as connection:
        first_id = connection.execute("SELECT nextval('submissions_id_seq')").fetchone()[0]
        ids = range(first_id, first_id + submissions)
        with connection.cursor().copy(
            "COPY submissions (id, user_id, course_id, exercise_id, exercise_version_id, attempt, "
            "answers, status, status_changed_at, queued_at, graded_at) FROM STDIN"
        ) as copy:
            for i, submission_id in enumerate(ids):
                user = owners[i]
                attempt_of[user] += 1
                copy.write_row(
                    (
                        submission_id,
                        user,
                        course_id,
                        exercise_id,
                        version_id,
                        attempt_of[user],
                        orjson.dumps(answers[i]).decode(),
                        "graded",
                        now,
                        now,
                        now,
                    )
                )
        connection.execute("SELECT setval('submissions_id_seq', %s)", (first_id + submissions,))
        with connection.cursor().copy(
            "COPY results (submission_id, score, max_score, variant, blanks, engine_version, "
            "exercise_hash, created_at) FROM STDIN"
        ) as copy:
            for submission_id, outcome in zip(ids, graded, strict=True):
                copy.write_row(
                    (
                        submission_id,
                        outcome["score"],
                        outcome["max_score"],
                        orjson.dumps(outcome["variant"]).decode(),
                        orjson.dumps(outcome["blanks"]).decode(),
                        ENGINE_VERSION,
                        content_hash,
                        now,
                    )
                )
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")


NUMBERS_COURSE = "bench-numbers"
NUMBERS_EXERCISE = "two-params-random"


def seed_numbers(app, submissions: int, rng) -> None:
    """A second course whose students (the same ones) each have their own drawn variant of
    NUMBERS_EXERCISE, with answers that are right, sign errors (more often where the drawn
    ``k`` is negative) or left blank, graded by the real grader and loaded with COPY."""
    with app.app_context():
        session = db.session
        accounts.get_or_create_course(session, NUMBERS_COURSE)
        accounts.add_user(
            session, "bench-instructor@bench.test", "instructor", None, NUMBERS_COURSE
        )
        session.commit()
        course = session.scalar(select(Course).filter_by(slug=NUMBERS_COURSE))
        exercise = session.scalar(select(Exercise).filter_by(slug=NUMBERS_EXERCISE))
        version = session.scalar(
            select(ExerciseVersion).filter_by(
                exercise_id=exercise.id, content_hash=exercise.current_hash
            )
        )
        where = (course.id, exercise.id, version.id, version.content_hash)
        core = load_version(version)
        session.execute(
            text(
                "INSERT INTO enrolments (course_id, user_id, role, created_at) "
                "SELECT :course, id, 'student', now() FROM users WHERE email LIKE '%@bench.test' "
                "AND role = 'student'"
            ),
            {"course": course.id},
        )
        session.commit()
        user_ids = session.scalars(
            text("SELECT id FROM users WHERE role = 'student' ORDER BY id")
        ).all()
    started = time.perf_counter()
    mine = core.draw_variants("bench", [str(user) for user in user_ids])
    owners = rng.integers(len(user_ids), size=submissions)
    variants = [mine[i] for i in owners]
    tape, grads = core.evaluate(variants)
    lr = core.spec.learning_rate
    expected = {}
    for blank in core.blanks:
        if blank.kind == "grad":
            expected[blank.id] = grads[blank.target]
        elif blank.kind == "update":
            expected[blank.id] = -lr * grads[blank.target]
        else:
            expected[blank.id] = tape.values[blank.target] - lr * grads[blank.target]
    negative_k = tape.values["k"] < 0
    answers = [{} for _ in range(submissions)]
    for blank, values in expected.items():
        roll = rng.random(submissions)
        sign_error = roll < np.where(negative_k, 0.3, 0.1)
        left_blank = roll > 0.95
        for i in range(submissions):
            if left_blank[i]:
                continue
            value = -values[i] if sign_error[i] else values[i]
            answers[i][blank] = f"{float(value):.6g}"
    graded = grade_many(core, variants, answers).to_dicts()
    grading = time.perf_counter() - started
    started = time.perf_counter()
    copy_graded(app.config["DATABASE_URL"], where, [user_ids[i] for i in owners], answers, graded)
    print(
        f"seeded {submissions:,} submissions of {NUMBERS_EXERCISE} (own variants) in "
        f"{NUMBERS_COURSE}: drawn and graded in {grading:.2f} s, loaded in "
        f"{time.perf_counter() - started:.2f} s"
    )


def naive_blank_stats(course_id: int, exercise_id: int) -> dict:
    """The per-blank figures on each student's first attempt, counted in a Python loop."""
    rows = db.session.execute(
        text(
            "SELECT s.user_id, s.attempt, s.id, r.blanks FROM submissions s "
            "JOIN results r ON r.submission_id = s.id "
            "WHERE s.course_id = :c AND s.exercise_id = :e AND s.status = 'graded'"
        ),
        {"c": course_id, "e": exercise_id},
    ).all()
    first: dict[int, tuple] = {}
    for user_id, attempt, submission_id, blanks in rows:
        if user_id not in first or (attempt, submission_id) < first[user_id][:2]:
            first[user_id] = (attempt, submission_id, blanks)
    verdicts: Counter = Counter()
    diagnoses: Counter = Counter()
    values: Counter = Counter()
    for _, _, blanks in first.values():
        for blank, entry in blanks.items():
            verdicts[blank, entry["verdict"]] += 1
            if entry["verdict"] == "incorrect" and entry["diagnosis"]:
                diagnoses[blank, entry["diagnosis"]] += 1
            if entry["verdict"] in ("incorrect", "unreadable"):
                got = orjson.dumps(entry["got"]).decode()
                values[blank, got, entry["verdict"], entry["diagnosis"]] += 1
    return {"verdicts": verdicts, "diagnoses": diagnoses, "values": values}


def jsonb_blank_stats(session, course_id: int, exercise_id: int) -> list:
    """The same grouped query as ``analytics.blank_stats`` on the first attempt, but exploding
    each result's JSON with ``jsonb_each`` instead of reading the per-blank table."""
    graded = analytics._graded(course_id, exercise_id, ("first",))
    chosen = select(graded.c.id).where(graded.c.first == 1).subquery("chosen")
    blanks = func.jsonb_each(Result.blanks).table_valued("key", "value").lateral("b")
    verdict = blanks.c.value.op("->>")("verdict")
    diagnosis = blanks.c.value.op("->>")("diagnosis")
    got = case(
        (verdict.in_(("incorrect", "unreadable")), blanks.c.value.op("->")("got")), else_=None
    )
    return session.execute(
        select(blanks.c.key, verdict, diagnosis, got, func.count())
        .select_from(Result)
        .join(chosen, chosen.c.id == Result.submission_id)
        .join(blanks, true())
        .group_by(blanks.c.key, verdict, diagnosis, got)
    ).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    name = f"grader_bench_analytics_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(args.server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.server.rpartition('/')[0]}/{name}"
    app = None
    try:
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "BROKER_URL": "",
                "INSTANCE_DIR": str(Path("/tmp") / name),
                "EXERCISES_DIR": str(ROOT / "exercises"),
            }
        )
        course_id, exercise_id, token = seed(
            app, args.submissions, args.students, np.random.default_rng(7)
        )
        seed_numbers(app, args.submissions, np.random.default_rng(11))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        page = f"/instructor/courses/{COURSE}/exercises/{EXERCISE}/analytics"

        def get(path: str):
            reply = client.get(path, headers=headers)
            assert reply.status_code == 200, (path, reply.status_code)
            return reply

        figures: list[tuple[str, float]] = []
        for basis in analytics.BASES:
            figures.append(
                (
                    f"analytics page, {basis} attempt (GET, HTML)",
                    median_ms(args.repeat, lambda basis=basis: get(f"{page}?basis={basis}")),
                )
            )
        with app.app_context():
            session = db.session
            course = session.get(Course, course_id)
            figures += [
                (
                    "  overview query",
                    median_ms(
                        args.repeat, lambda: analytics.overview(session, course_id, exercise_id)
                    ),
                ),
                (
                    "  histogram queries (first, best, last)",
                    median_ms(
                        args.repeat, lambda: analytics.histogram(session, course_id, exercise_id)
                    ),
                ),
                (
                    "  per-blank queries, first attempt",
                    median_ms(
                        args.repeat,
                        lambda: analytics.blank_stats(session, course_id, exercise_id, "first"),
                    ),
                ),
            ]
            sql_first = figures[-1][1]
            naive = median_ms(args.repeat, lambda: naive_blank_stats(course_id, exercise_id))
            jsonb = median_ms(
                args.repeat,
                lambda: jsonb_blank_stats(session, course_id, exercise_id),
            )
            sql = analytics.blank_stats(session, course_id, exercise_id, "first")
            loop = naive_blank_stats(course_id, exercise_id)
            assert {(b, v): n for b, s in sql.items() for v, n in s.verdicts.items()} == dict(
                loop["verdicts"]
            ), "the SQL and the loop disagree"
            figures += [
                ("  baseline: per-blank figures by a Python loop over results", naive),
                ("  baseline: the same grouped query over the results' JSON (jsonb_each)", jsonb),
                (
                    "gradebook query (every exercise by every student)",
                    median_ms(args.repeat, lambda: gradebook.gradebook(session, course)),
                ),
            ]
        figures += [
            (
                "gradebook CSV (GET)",
                median_ms(args.repeat, lambda: get(f"/api/v1/courses/{COURSE}/gradebook.csv")),
            ),
            (
                "gradebook page (GET, HTML, the first 200 students sorted by name)",
                median_ms(args.repeat, lambda: get(f"/instructor/courses/{COURSE}/gradebook")),
            ),
        ]
        print(f"median of {args.repeat} runs, milliseconds:")
        for label, ms in figures:
            print(f"  {label:<72} {ms:9.1f}")
        print(
            f"per-blank figures: the Python loop takes {naive / sql_first:.1f}x as long as SQL over"
        )
        print(f"  result_blanks; exploding the JSON in SQL takes {jsonb / sql_first:.1f}x as long")
        slowest = max(ms for label, ms in figures if label.startswith("analytics page"))
        print(
            f"slowest analytics page: {slowest:.0f} ms ({'under' if slowest < 1000 else 'OVER'} 1 s)"
        )
        numbers_page = (
            f"/instructor/courses/{NUMBERS_COURSE}/exercises/{NUMBERS_EXERCISE}/analytics"
        )
        without = median_ms(args.repeat, lambda: get(f"{numbers_page}?numbers=0"))
        with_numbers = median_ms(args.repeat, lambda: get(numbers_page))
        with app.app_context():
            session = db.session
            course = session.scalar(select(Course).filter_by(slug=NUMBERS_COURSE))
            exercise = session.scalar(select(Exercise).filter_by(slug=NUMBERS_EXERCISE))
            core = load_version(
                session.scalar(
                    select(ExerciseVersion).filter_by(
                        exercise_id=exercise.id, content_hash=exercise.current_hash
                    )
                )
            )
            blanks = [blank.id for blank in core.blanks]

            def broken_down():
                tables = number_stats.breakdown(session, course.id, exercise.id, core, "first")
                return number_findings.findings(tables, blanks)

            breakdown = median_ms(args.repeat, broken_down)
            found = broken_down()
        print(f"per-number breakdown of {args.submissions:,} submissions of {NUMBERS_EXERCISE}:")
        print(f"  {'analytics page without it (?numbers=0)':<72} {without:9.1f}")
        print(f"  {'analytics page with it':<72} {with_numbers:9.1f}")
        print(f"  {'the breakdown alone (query and findings)':<72} {breakdown:9.1f}")
        for finding in found[:3]:
            print(
                f"  finding: {finding.number} {finding.more.kind} vs {finding.less.kind}"
                f" on {finding.blank}: {finding.ratio and round(finding.ratio, 2)}x"
            )
        ratio = breakdown / without
        print(
            f"per-number breakdown {breakdown:.0f} ms = {ratio:.2f}x the analytics page without it "
            f"({without:.0f} ms; with it {with_numbers:.0f} ms, {with_numbers / without:.2f}x): "
            f"{'within' if ratio <= 1.5 else 'OVER'} 1.5x"
        )
    finally:
        if app is not None:
            app.extensions["grader.db"].engine.dispose()
        with psycopg.connect(args.server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
