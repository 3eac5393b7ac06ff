"""Attempts at a practice: graded in the request that makes them, by the same grading, feedback
and hints as a submission, and kept in a table of their own, so they never count.

A practice's expected values and worked solution are the student's once they have made an
attempt at it, whatever the exercise's reveal setting: its numbers are not the graded ones.
Wrong blanks offer hints as the course's settings for the exercise say, one level further at
each wrong answer on the blank in earlier attempts at the same practice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.checking import ENGINE_VERSION, grade
from grader.checking.solution import solve
from grader.db import PracticeAttempt, User
from grader.exercises.texts import by_language
from grader.services.errors import Conflict, Invalid, NotFound
from grader.services.learning import WRONG, Settings, remembered_hint
from grader.services.practice import Opened
from grader.services.submissions import MAX_IDEMPOTENCY_KEY, clean_answers

NUMBERING_TRIES = 20


def blanks_of(opened: Opened) -> list[dict]:
    """The practice's blanks, as an exercise version lists its own."""
    return [
        {"id": b.id, "kind": b.kind, "target": b.target, "points": b.points, "shape": list(b.shape)}
        for b in opened.spec.blanks
    ]


def submit(
    session: Session, user: User, opened: Opened, answers: Any, key: str | None = None
) -> tuple[PracticeAttempt, bool]:
    """Grade the answers and commit them as the practice's next attempt: (it, True); with an
    idempotency key the user has used before, (that attempt, False)."""
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    if key is not None and (earlier := _by_key(session, user, opened, key)) is not None:
        return earlier, False
    cleaned = clean_answers(blanks_of(opened), answers)
    result = grade(opened.spec, opened.variant, cleaned)
    practice = opened.practice
    for _ in range(NUMBERING_TRIES):
        number = 1 + session.scalar(
            select(func.coalesce(func.max(PracticeAttempt.attempt), 0)).where(
                PracticeAttempt.practice_id == practice.id
            )
        )
        row = PracticeAttempt(
            practice_id=practice.id,
            user_id=user.id,
            attempt=number,
            idempotency_key=key,
            answers=cleaned,
            score=result["score"],
            max_score=result["max_score"],
            blanks=result["blanks"],
            engine_version=ENGINE_VERSION,
            exercise_hash=opened.content_hash,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            if key is not None and (earlier := _by_key(session, user, opened, key)) is not None:
                return earlier, False
            continue  # the number was taken by an attempt made at the same moment
        session.commit()
        return row, True
    raise Conflict("too many attempts at this practice at once: try again")


def _by_key(session: Session, user: User, opened: Opened, key: str) -> PracticeAttempt | None:
    row = session.scalar(select(PracticeAttempt).filter_by(user_id=user.id, idempotency_key=key))
    if row is not None and row.practice_id != opened.practice.id:
        raise Conflict("this Idempotency-Key was used for an attempt at another practice")
    return row


def attempts(session: Session, opened: Opened) -> list[PracticeAttempt]:
    """The practice's attempts, newest first."""
    return list(
        session.scalars(
            select(PracticeAttempt)
            .filter_by(practice_id=opened.practice.id)
            .order_by(PracticeAttempt.attempt.desc())
        )
    )


def one(session: Session, opened: Opened, attempt_id: int) -> PracticeAttempt:
    """One attempt at the practice (NotFound when it is another's)."""
    row = session.get(PracticeAttempt, attempt_id)
    if row is None or row.practice_id != opened.practice.id:
        raise NotFound(f"no attempt {attempt_id} at this practice")
    return row


def as_json(
    opened: Opened, row: PracticeAttempt, earlier: list[PracticeAttempt], lang: str
) -> dict:
    """An attempt as the API gives a submission, with ``"practice": true``, the expected
    values, and on each wrong blank its hint (levels from ``earlier`` attempts)."""
    practice = opened.practice
    moment = row.created_at.isoformat()
    wrong = Counter(
        blank
        for attempt in earlier
        if attempt.attempt < row.attempt
        for blank, entry in attempt.blanks.items()
        if entry.get("verdict") == WRONG
    )
    rules = Settings.of(opened.settings)
    blanks = {}
    for blank, entry in row.blanks.items():
        hint = None
        if rules.hints and entry.get("verdict") == WRONG and opened.spec.blank(blank):
            level = rules.level(wrong[blank])
            text = remembered_hint(
                ("practice", opened.content_hash, orjson.dumps(practice.values)),
                lambda: (opened.spec, opened.variant),
                orjson.dumps(row.answers if opened.spec.spec.steps > 1 else {}),
                blank,
                level,
                lang,
            )
            hint = {"level": level, "text": text}
        blanks[blank] = {**entry, "hint": hint}
    return {
        "id": row.id,
        "practice": True,
        "number": practice.number,
        "kind": practice.kind,
        "status": "graded",
        "exercise": opened.exercise.slug,
        "course": opened.course.slug,
        "attempt": row.attempt,
        "answers": row.answers,
        "queued_at": moment,
        "graded_at": moment,
        "score": row.score,
        "max_score": row.max_score,
        "variant": practice.values,
        "blanks": blanks,
        "engine_version": row.engine_version,
    }


def practice_json(session: Session, opened: Opened, lang: str) -> dict:
    """A practice: its exercise (a drill's own), values, blanks, attempts and, once one is
    made, the worked solution (Markdown)."""
    spec, practice = opened.spec.spec, opened.practice
    made = attempts(session, opened)
    return {
        "practice": True,
        "number": practice.number,
        "kind": practice.kind,
        "exercise": opened.exercise.slug,
        "course": opened.course.slug,
        "title": spec.title_in(lang),
        "text": spec.text_in(lang),
        "titles": by_language(spec.titles),
        "texts": by_language(spec.texts),
        "graph": {name: str(expression) for name, expression in spec.graph.items()},
        "learning_rate": spec.learning_rate,
        "steps": spec.steps,
        "variant": practice.values,
        "blanks": blanks_of(opened),
        "max_score": float(sum(blank.points for blank in opened.spec.blanks)),
        "drill": practice.drill,
        "created_at": practice.created_at.isoformat(),
        "attempts": [as_json(opened, row, made, lang) for row in made],
        "solution": solve(opened.spec, opened.variant, lang).markdown if made else None,
    }
