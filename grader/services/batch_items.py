"""A chunk's submissions as the grader needs them: read (a regrade's from the database, an
import's from its lines), given the values to grade against, and graded with one vectorised
pass per exercise version. An item that cannot be graded carries the reason and takes no other
down with it."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import grade_many
from grader.db import Batch, BatchChunk, Course, ExerciseVersion
from grader.services.exercises import version_or_reason
from grader.services.variants import ensure_many

log = logging.getLogger(__name__)
MAX_ERROR = 2000

# The chunk is a range of ids: read it through the primary key, never by scanning the course's
# index (``+ 0`` keeps the planner off it, however stale its statistics after an import).
REGRADE_ROWS = text("""
SELECT s.id, s.user_id, CAST(s.answers AS TEXT), CAST(s.explicit_values AS TEXT),
       s.variant_id, CAST(v."values" AS TEXT)
FROM submissions s LEFT JOIN variants v ON v.id = s.variant_id
WHERE s.id BETWEEN :first AND :last AND s.course_id + 0 = :course AND s.exercise_id + 0 = :exercise
""")


@dataclass
class Item:
    """One submission of the chunk as the grader needs it, and what grading it gave."""

    submission_id: int | None
    user_id: int
    version_id: int
    answers: dict
    explicit: dict | None = None
    overrides: tuple[dict | None, dict | None] | None = None
    source_id: str | None = None
    key: str | None = None
    exercise_id: int | None = None
    attempt: int | None = None  # an import's line: its attempt number (0: stored already)
    email: str | None = None  # an import's line: the student's, as stored
    variant_id: int | None = None
    values: dict | None = None
    score: float = 0.0
    max_score: float = 0.0
    variant_json: str = ""
    blanks_json: str = ""
    exercise_hash: str = ""
    error: str | None = None


def read(session: Session, batch: Batch, chunk: BatchChunk) -> list[Item]:
    """The chunk's items: a regrade's submissions with the values each was answered with (a
    redraw's without: it draws them), or an import's lines."""
    if batch.kind != "regrade":
        return _lines(chunk)
    params = {"course": batch.course_id, "exercise": batch.exercise_id}
    rows = session.execute(REGRADE_ROWS, {**params, "first": chunk.first_id, "last": chunk.last_id})
    parsed: dict[str, dict] = {}
    items = []
    for submission_id, user_id, answers, explicit, variant_id, values in rows:
        item = Item(submission_id, user_id, batch.version_id, orjson.loads(answers))
        if explicit is not None:
            item.explicit = orjson.loads(explicit)
        elif not batch.redraw:
            item.variant_id = variant_id
            if values is not None:
                item.values = parsed.get(values) or parsed.setdefault(values, orjson.loads(values))
        items.append(item)
    return items


def _lines(chunk: BatchChunk) -> list[Item]:
    """An import chunk's lines: [line, user id, email, exercise, version, answers, given,
    params, source id, key, attempt] (a chunk stored before lines carried their attempt has
    none: it is counted when the chunk is written)."""
    items = []
    for line in chunk.lines or []:
        user_id, email, exercise_id, version_id, answers, given, params = line[1:8]
        source_id, key = line[8:10]
        items.append(
            Item(
                None,
                user_id,
                version_id,
                answers,
                overrides=(given, params) if given is not None or params is not None else None,
                source_id=source_id,
                key=key,
                exercise_id=exercise_id,
                attempt=line[10] if len(line) > 10 else None,
                email=email,
            )
        )
    return items


def draw_variants(session: Session, course: Course, batch: Batch, items: list[Item]) -> None:
    """The values of the items that need a draw: an import's lines get the student's stored
    variant, drawn and stored if new (committed apart from the chunk's results, so concurrent
    chunks only wait on each other for a moment); a redraw's submissions get the variant of the
    current version, drawn without storing it (the page stores the same values when the student
    first opens it: a draw depends only on the course, the exercise and the student). A regrade
    keeps the values each submission was answered with: nothing to draw."""
    if batch.kind == "regrade" and not batch.redraw:
        return
    wanted = [item for item in items if batch.kind != "regrade" or item.explicit is None]
    for version_id, group in by_version(wanted).items():
        version = session.get(ExerciseVersion, version_id)
        store = batch.kind != "regrade"
        emails = {item.user_id: item.email for item in group if item.email is not None}
        users = [item.user_id for item in group]
        found = ensure_many(session, course, version, users, store, emails=emails)
        for item in group:
            item.variant_id, item.values = found[item.user_id]


def by_version(items: list[Item]) -> dict[int, list[Item]]:
    groups: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.version_id].append(item)
    return groups


def grade(session: Session, version_id: int, items: list[Item]) -> None:
    """Grade the items of one exercise version in one pass (one at a time if that fails); each
    item that cannot be graded gets the reason."""
    loaded = version_or_reason(session, version_id)
    if isinstance(loaded, str):
        for item in items:
            item.error = loaded
        return
    exercise_hash, exercise = loaded
    known: dict[bytes | int, core.Variant | str] = {}
    chosen = []
    for item in items:
        item.exercise_hash = exercise_hash
        try:
            chosen.append((item, _values(exercise, item, known)))
        except (ValueError, core.VariantError) as exc:
            item.error = str(exc)[:MAX_ERROR]
    try:
        _grade_many(exercise, chosen)
    except Exception:
        for pair in chosen:
            try:
                _grade_many(exercise, [pair])
            except Exception as exc:
                log.exception("grading a batch line failed (submission %s)", pair[0].submission_id)
                pair[0].error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


def _values(exercise: core.Exercise, item: Item, known: dict) -> core.Variant:
    """The variant to grade the item against: its explicit values, else its own or drawn ones
    (with an import line's given/params put in)."""
    if item.explicit is None or item.overrides is not None:
        if item.values is None:
            raise ValueError(
                "the values it was answered with are gone: a regrade with new numbers can grade it"
            )
        base = _variant(exercise, known, item.values)
        if item.overrides is None:
            return base
        item.explicit = exercise.with_values(base, *item.overrides).to_dict()
    return _variant(exercise, known, item.explicit)


def _variant(exercise: core.Exercise, known: dict, values: dict) -> core.Variant:
    """One Variant per distinct set of values (every student shares a fixed exercise's),
    checked once to fit the exercise: the names it has, each of its shape. The items share
    the values they were read with, so a dict already seen is known by its identity."""
    found = known.get(id(values))
    if found is None:
        key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        found = known.get(key)
        if found is None:
            found = known[key] = _unfit(exercise, values) or core.Variant.from_dict(values)
        known[id(values)] = found
    if isinstance(found, str):
        raise ValueError(found)
    return found


def _unfit(exercise: core.Exercise, values: dict) -> str | None:
    """Why ``values`` cannot be graded against ``exercise``, or None."""
    for section in ("given", "params"):
        have, names = values.get(section, {}), getattr(exercise.spec, section)
        if set(have) != set(names):
            return (
                f"it was answered with {section} {', '.join(sorted(have)) or 'none'}; the current "
                f"version has {', '.join(sorted(names)) or 'none'}: a regrade with new numbers "
                "can grade it"
            )
        for name, value in have.items():
            if np.shape(value) != exercise.shapes[name]:
                return (
                    f"it was answered with {section}.{name} of shape {list(np.shape(value))}; "
                    f"the current version's is {list(exercise.shapes[name])}"
                )
    return None


def _grade_many(exercise: core.Exercise, chosen: list[tuple[Item, core.Variant]]) -> None:
    if not chosen:
        return
    items = [item for item, _ in chosen]
    graded = grade_many(exercise, [v for _, v in chosen], [item.answers for item in items])
    scores, max_score, variant_json, blanks_json = graded.json_columns()
    for item, score, variant, blanks in zip(items, scores, variant_json, blanks_json, strict=True):
        item.score, item.max_score = score, max_score
        item.variant_json, item.blanks_json = variant.decode(), blanks.decode()
