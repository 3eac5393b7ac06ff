"""Grading claimed submissions with the core: one vectorised pass per exercise version. Each
submission is graded or fails on its own: one the core cannot grade, or whose exercise version
cannot be loaded, fails with the reason and takes no other down with it (``lifecycle`` claims
them and records what this gives)."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import grade_many
from grader.services.exercises import version_or_reason

log = logging.getLogger(__name__)


@dataclass
class Claimed:
    """A submission taken for grading: its version and the values and answers to grade."""

    id: int
    version_id: int
    values: dict | None
    answers: dict


def grade_claimed(
    session: Session, claimed: list[Claimed]
) -> tuple[dict[int, tuple[dict, str]], dict[int, str]]:
    """Each claimed submission's result row and exercise hash, and each failure's reason, by id.

    Ends the session's transaction (the caller records in a new one). An error that the
    database's absence explains is raised for the caller to retry."""
    groups: dict[int, list[Claimed]] = defaultdict(list)
    for item in claimed:
        groups[item.version_id].append(item)
    graded: dict[int, tuple[dict, str]] = {}
    failures: dict[int, str] = {}
    for version_id, items in groups.items():
        loaded = version_or_reason(session, version_id)
        if isinstance(loaded, str):
            failures.update((item.id, loaded) for item in items)
            continue
        exercise_hash, exercise = loaded
        try:
            rows = _grade(exercise, items)
        except Exception:
            rows = _grade_one_by_one(exercise, items, failures)
        graded.update((item_id, (row, exercise_hash)) for item_id, row in rows.items())
    session.rollback()
    return graded, failures


def _grade(exercise: core.Exercise, items: list[Claimed]) -> dict[int, dict]:
    variants: dict[str, core.Variant] = {}
    chosen = []
    for item in items:
        key = json.dumps(item.values, sort_keys=True)
        if key not in variants:
            variants[key] = core.Variant.from_dict(item.values)
        chosen.append(variants[key])
    graded = grade_many(exercise, chosen, [item.answers for item in items])
    return {item.id: row for item, row in zip(items, graded.to_dicts(), strict=True)}


def _grade_one_by_one(exercise, items: list[Claimed], failures: dict[int, str]) -> dict[int, dict]:
    rows = {}
    for item in items:
        try:
            rows.update(_grade(exercise, [item]))
        except Exception as exc:
            log.exception("grading submission %s failed", item.id)
            failures[item.id] = f"{type(exc).__name__}: {exc}"
    return rows
