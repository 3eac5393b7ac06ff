"""Exercises in the database: sync from the exercise files, load a stored version for grading."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, Exists, FromClause, Join, and_, join, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from grader import exercises as core
from grader.db import Course, CourseExercise, Exercise, ExerciseShare, ExerciseVersion
from grader.db.errors import unavailable
from grader.services.errors import NotFound

log = logging.getLogger(__name__)

CACHE_SIZE = 256
_cache: OrderedDict[str, core.Exercise] = OrderedDict()
_cache_lock = threading.Lock()
_versions: dict[tuple[str, int], tuple[str, core.Exercise]] = {}


@dataclass
class SyncReport:
    """What a sync changed, by exercise id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sync_exercises(session: Session, directory: str | Path) -> SyncReport:
    """Store every exercise file of ``directory``; a changed file becomes a new version.

    A bad file raises ExerciseError before anything is written.
    """
    loaded = core.load_dir(directory)
    try:
        report = _store(session, loaded)
        session.commit()
    except IntegrityError:
        session.rollback()
        report = _store(session, loaded)
        session.commit()
    return report


def _store(session: Session, loaded: dict[str, core.Exercise]) -> SyncReport:
    report = SyncReport()
    rows = {
        row.slug: row
        for row in session.scalars(select(Exercise).where(Exercise.owner_course_id.is_(None)))
    }
    owned = set(session.scalars(select(Exercise.slug).where(Exercise.owner_course_id.is_not(None))))
    for slug, exercise in loaded.items():
        if slug in owned:
            log.warning(
                "%s: exercise id %r is a course's own exercise: not synced", exercise.source, slug
            )
            report.skipped.append(slug)
            continue
        raw = Path(exercise.source).read_bytes()
        row = rows.get(slug)
        if row is None:
            row = Exercise(slug=slug, title=exercise.spec.title, current_hash=exercise.content_hash)
            session.add(row)
            report.added.append(slug)
        elif row.current_hash != exercise.content_hash or not row.active:
            report.changed.append(slug)
        else:
            report.unchanged.append(slug)
        row.title, row.current_hash, row.active = exercise.spec.title, exercise.content_hash, True
        row.titles = titles_of(exercise)
        session.flush()
        known = session.scalar(
            select(ExerciseVersion.id).filter_by(
                exercise_id=row.id, content_hash=exercise.content_hash
            )
        )
        if known is None:
            session.add(version_row(row, exercise, raw.decode("utf-8")))
    for slug, row in rows.items():
        if slug not in loaded and row.active:
            row.active = False
            report.retired.append(slug)
    session.flush()
    return report


def titles_of(exercise: core.Exercise) -> dict[str, str] | None:
    """The titles by language to store, or None for a file with one plain title."""
    titles = exercise.spec.titles
    return dict(titles) if isinstance(titles, dict) else None


def version_row(row: Exercise, exercise: core.Exercise, source: str) -> ExerciseVersion:
    """The stored form of one loaded exercise file."""
    blanks = [
        {"id": b.id, "kind": b.kind, "target": b.target, "points": b.points, "shape": list(b.shape)}
        for b in exercise.blanks
    ]
    return ExerciseVersion(
        exercise=row,
        content_hash=exercise.content_hash,
        source=source,
        title=exercise.spec.title,
        blanks=blanks,
        max_score=float(sum(b.points for b in exercise.blanks)),
    )


def load_version(version: ExerciseVersion) -> core.Exercise:
    """The grading core's exercise for a stored version, parsed once per process."""
    with _cache_lock:
        exercise = _cache.get(version.content_hash)
        if exercise is not None:
            _cache.move_to_end(version.content_hash)
            return exercise
    exercise = core.load_text(
        version.source.encode("utf-8"), f"exercise {version.content_hash[:12]}"
    )
    with _cache_lock:
        _cache[version.content_hash] = exercise
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return exercise


def version_by_id(session: Session, version_id: int) -> tuple[str, core.Exercise]:
    """A stored version's content hash and grading-core exercise; versions never change, so
    each is read once per database and process."""
    key = (str(session.get_bind().url), version_id)
    known = _versions.get(key)
    if known is None:
        version = session.get(ExerciseVersion, version_id)
        known = _versions[key] = (version.content_hash, load_version(version))
    return known


def version_or_reason(session: Session, version_id: int) -> tuple[str, core.Exercise] | str:
    """:func:`version_by_id`, or why the version cannot be loaded (logged; the session is rolled
    back). A database that does not answer is raised, not a reason: the work is tried again."""
    try:
        return version_by_id(session, version_id)
    except Exception as exc:
        if unavailable(exc):
            raise
        session.rollback()
        log.exception("exercise version %s cannot be loaded", version_id)
        return f"its exercise version cannot be loaded: {type(exc).__name__}: {exc}"


def current_version(session: Session, exercise: Exercise) -> ExerciseVersion:
    """The version the exercise's file has now."""
    return session.scalars(
        select(ExerciseVersion).filter_by(
            exercise_id=exercise.id, content_hash=exercise.current_hash
        )
    ).one()


def offered(session: Session, course: Course) -> list[tuple[Exercise, CourseExercise | None]]:
    """The course's exercises: the instructor's list, or every active exercise if none."""
    chosen = session.execute(
        select(Exercise, CourseExercise)
        .join(CourseExercise, CourseExercise.exercise_id == Exercise.id)
        .where(CourseExercise.course_id == course.id, Exercise.active, visible_in(course.id))
        .order_by(CourseExercise.position, Exercise.slug)
    ).all()
    if chosen:
        return [(exercise, settings) for exercise, settings in chosen]
    everything = session.scalars(
        select(Exercise).where(Exercise.active, visible_in(course.id)).order_by(Exercise.slug)
    )
    return [(exercise, None) for exercise in everything]


def find_offered(
    session: Session, course: Course, slug: str
) -> tuple[Exercise, CourseExercise | None]:
    """One exercise the course offers, or NotFound."""
    exercise, settings, _ = offered_version(session, course, slug)
    return exercise, settings


def offered_version(
    session: Session, course: Course, slug: str
) -> tuple[Exercise, CourseExercise | None, ExerciseVersion]:
    """An exercise the course offers, its settings there and its current version (one query)."""
    row = session.execute(
        select(Exercise, CourseExercise, ExerciseVersion, chosen_in(Course.id))
        .select_from(with_offered(Course, slug))
        .where(Course.id == course.id)
        .options(defer(ExerciseVersion.source))
    ).one()
    exercise, settings, version, chosen = row
    if exercise is None or version is None or (settings is None and chosen):
        raise not_offered(slug, course.slug)
    return exercise, settings, version


def with_offered(courses: FromClause | type[Course], slug: str) -> Join:
    """``courses`` outer-joined to the exercise ``slug``, its current version and its settings
    in each course: where the exercise or its version is null, no such exercise is active."""
    return (
        join(
            courses,
            Exercise,
            and_(Exercise.slug == slug, Exercise.active, visible_in(Course.id)),
            isouter=True,
        )
        .outerjoin(
            ExerciseVersion,
            and_(
                ExerciseVersion.exercise_id == Exercise.id,
                ExerciseVersion.content_hash == Exercise.current_hash,
            ),
        )
        .outerjoin(
            CourseExercise,
            and_(CourseExercise.exercise_id == Exercise.id, CourseExercise.course_id == Course.id),
        )
    )


def visible_in(course_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """True for the exercises a course may see and offer: the shared exercise files, its own,
    and those an admin shared with it."""
    shared = (
        select(ExerciseShare.id)
        .where(ExerciseShare.exercise_id == Exercise.id, ExerciseShare.course_id == course_id)
        .correlate_except(ExerciseShare)
        .exists()
    )
    return or_(Exercise.owner_course_id.is_(None), Exercise.owner_course_id == course_id, shared)


def chosen_in(course_id: ColumnElement[int]) -> Exists:
    """True once the course's instructor has chosen its exercises (then only those are offered)."""
    return (
        select(CourseExercise.id)
        .where(CourseExercise.course_id == course_id)
        .correlate_except(CourseExercise)
        .exists()
    )


def not_offered(slug: str, course_slug: str) -> NotFound:
    return NotFound(f"no exercise '{slug}' in course '{course_slug}'")


def narrowed(session: Session, course: Course) -> bool:
    """True once the course's instructor has chosen its exercises."""
    return (
        session.scalar(select(CourseExercise.id).filter_by(course_id=course.id).limit(1))
        is not None
    )
