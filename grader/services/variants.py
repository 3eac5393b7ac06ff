"""Each student's variant of an exercise version: drawn once, stored with its reference answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson
from sqlalchemy import Text, bindparam, cast, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import grade, grade_many
from grader.db import Course, ExerciseVersion, StudentVariant, User, utcnow
from grader.db.base import UTCDateTime
from grader.exercises.variants import plain_dicts
from grader.services import bulk
from grader.services.exercises import load_version


def student_key(user: User) -> str:
    """What a variant is drawn for: the student's email, as batch files name students."""
    return user.email


def reference_answers(exercise: core.Exercise, variant: core.Variant) -> dict:
    """The expected value of every blank for these values."""
    graded = grade(exercise, variant, {})
    return {blank: entry["expected"] for blank, entry in graded["blanks"].items()}


def variant_for(
    session: Session, course: Course, user: User, version: ExerciseVersion
) -> StudentVariant:
    """The student's variant of this version, drawn and stored on first use."""
    query = select(StudentVariant).filter_by(
        course_id=course.id, user_id=user.id, exercise_version_id=version.id
    )
    row = session.scalar(query)
    if row is not None:
        return row
    exercise = load_version(version)
    drawn = exercise.draw_variant(course.secret, student_key(user))
    row = StudentVariant(
        course_id=course.id,
        user_id=user.id,
        exercise_version_id=version.id,
        values=drawn.to_dict(),
        reference=reference_answers(exercise, drawn),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.scalars(query).one()
    return row


def reference_many(exercise: core.Exercise, variants: list[core.Variant]) -> list[dict]:
    """The expected value of every blank for each of these values, in one vectorised pass
    (each distinct variant graded once)."""
    distinct = list({id(variant): variant for variant in variants}.values())
    graded = grade_many(exercise, distinct, [{}] * len(distinct)).expected_rows()
    expected = {id(variant): row for variant, row in zip(distinct, graded, strict=True)}
    return [expected[id(variant)] for variant in variants]


def ensure_many(
    session: Session,
    course: Course,
    version: ExerciseVersion,
    user_ids: Iterable[int],
    store: bool = True,
    emails: Mapping[int, str] | None = None,
) -> dict[int, tuple[int | None, dict]]:
    """Each student's (variant id, values) of this version, by user id; the missing ones are
    drawn and stored in bulk (with ``store=False``, drawn only: their id is None, and the
    values are the ones :func:`variant_for` stores when the student first opens the version,
    since a draw depends only on the course, the exercise and the student). ``emails``, the
    students' as stored, spares the draw looking them up.

    Inserts in user id order and skips rows another process stored meanwhile, so two batch
    chunks sharing students neither deadlock nor fail; the caller commits.
    """
    ids = sorted(set(user_ids))
    found = _stored(session, course.id, version.id, ids)
    missing = [user_id for user_id in ids if user_id not in found]
    if not missing:
        return found
    exercise = load_version(version)
    if exercise.randomised:
        emails = emails or {}
        if any(user_id not in emails for user_id in missing):
            emails = dict(
                session.execute(
                    select(User.id, User.email).where(bulk.one_of(session, User.id, missing))
                ).all()
            )
        drawn = exercise.draw_variants(course.secret, [emails[user_id] for user_id in missing])
    else:  # the same values for everyone: no need to know who
        drawn = [exercise.draw_variant(course.secret, "")] * len(missing)
    now = utcnow()
    values = dict(zip(missing, plain_dicts(drawn), strict=True))
    if not store:
        found.update((user_id, (None, values[user_id])) for user_id in missing)
        return found
    rows = [
        {
            "course_id": course.id,
            "user_id": user_id,
            "exercise_version_id": version.id,
            "values": values[user_id],
            "reference": reference,
            "created_at": now,
        }
        for user_id, reference in zip(missing, reference_many(exercise, drawn), strict=True)
    ]
    if bulk.postgres(session):
        inserted = _insert_postgres(session, rows)
        found.update((user_id, (variant_id, values[user_id])) for user_id, variant_id in inserted)
        missing = [user_id for user_id in missing if user_id not in found]
    else:
        session.connection().execute(
            sqlite_insert(StudentVariant.__table__).on_conflict_do_nothing(
                index_elements=["course_id", "user_id", "exercise_version_id"]
            ),
            rows,
        )
    if missing:
        # Stored by another process meanwhile (or on SQLite, where the insert returns nothing).
        found.update(_stored(session, course.id, version.id, missing))
    return found


# One statement for the whole list, its rows sent as one JSON document (an INSERT per row costs
# more in round trips than the rows themselves, and arrays of text cost more to escape); rows
# another process stored meanwhile are skipped, and the ones written come back with their ids.
INSERT_MANY = text("""
INSERT INTO variants (course_id, user_id, exercise_version_id, "values", reference, created_at)
SELECT :course, t.user_id, :version, t.values, t.reference, :now
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS t(user_id integer, values jsonb, reference jsonb)
ORDER BY t.user_id
ON CONFLICT (course_id, user_id, exercise_version_id) DO NOTHING
RETURNING user_id, id
""").bindparams(bindparam("now", type_=UTCDateTime()))


def _insert_postgres(session: Session, rows: list[dict]) -> list[tuple[int, int]]:
    document = [
        {"user_id": row["user_id"], "values": row["values"], "reference": row["reference"]}
        for row in rows
    ]
    return session.execute(
        INSERT_MANY,
        {
            "course": rows[0]["course_id"],
            "version": rows[0]["exercise_version_id"],
            "now": rows[0]["created_at"],
            "rows": orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY).decode(),
        },
    ).all()


# Looked up student by student through the unique index: a course's variants grow by thousands
# within one import, faster than their statistics, and a planner that still believes the table
# empty would otherwise scan its rows once per student wanted (LIMIT keeps the planner from
# turning the lookup into that join).
STORED = text("""
SELECT v.user_id, v.id, CAST(v."values" AS TEXT)
FROM unnest(CAST(:users AS integer[])) AS u(user_id) CROSS JOIN LATERAL (
    SELECT user_id, id, "values" FROM variants
    WHERE course_id = :course AND user_id = u.user_id AND exercise_version_id = :version
    LIMIT 1
) AS v
""")


def _stored(
    session: Session, course_id: int, version_id: int, user_ids: list[int]
) -> dict[int, tuple[int, dict]]:
    if bulk.postgres(session):
        params = {"users": list(user_ids), "course": course_id, "version": version_id}
        rows = session.execute(STORED, params).all()
    else:
        rows = session.execute(
            select(
                StudentVariant.user_id, StudentVariant.id, cast(StudentVariant.values, Text)
            ).where(
                StudentVariant.course_id == course_id,
                StudentVariant.exercise_version_id == version_id,
                StudentVariant.user_id.in_(list(user_ids)),
            )
        ).all()
    parsed: dict[str, dict] = {}
    found = {}
    for user_id, variant_id, values in rows:
        if values not in parsed:
            parsed[values] = orjson.loads(values)
        found[user_id] = (variant_id, parsed[values])
    return found
