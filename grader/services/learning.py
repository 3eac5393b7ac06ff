"""What an attempt tells its student beyond the verdicts: the hint each wrong blank offers, and
what the attempt is worth after the course's attempt penalty.

A blank answered wrong (``incorrect``) offers a hint whose level grows with the student's earlier
wrong answers on that blank: the first wrong answer gets the course's first level (``hint_from``,
1 by default), each further one the next, up to 3. The grading core makes the hint's text
(:mod:`grader.checking.hints`); the student's history, which it does not know, is read here.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import hints
from grader.db import CourseExercise, ResultBlank, Submission
from grader.services.exercises import version_by_id
from grader.services.penalties import worth

WRONG = "incorrect"


@dataclass(frozen=True)
class Settings:
    """An exercise's hint and penalty settings in a course (the defaults without a row)."""

    hints: bool = True
    hint_from: int = 1
    penalty: float = 0.0

    @classmethod
    def of(cls, row: CourseExercise | None) -> Settings:
        if row is None:
            return cls()
        return cls(bool(row.hints), int(row.hint_from or 1), float(row.penalty or 0.0))

    def level(self, wrong_before: int) -> int:
        """The hint level of a wrong answer after ``wrong_before`` earlier ones on its blank."""
        return min(hints.LEVELS[-1], max(1, self.hint_from) + wrong_before)


@dataclass
class History:
    """A student's attempts at one exercise of one course: each one's number and exercise
    version, and the blanks each answered wrong."""

    attempts: dict[int, tuple[int, int]]  # submission id -> (attempt, version id)
    wrong: dict[int, set[str]]  # attempt -> blanks answered wrong

    def wrong_before(self, attempt: int) -> Counter:
        """How often each blank was answered wrong before attempt ``attempt``."""
        counts: Counter = Counter()
        for number, blanks in self.wrong.items():
            if number < attempt:
                counts.update(blanks)
        return counts


def history(session: Session, user_id: int, course_id: int, exercise_id: int) -> History:
    """The student's attempts at the exercise in the course, and their wrong blanks."""
    mine = (
        Submission.user_id == user_id,
        Submission.course_id == course_id,
        Submission.exercise_id == exercise_id,
    )
    attempts = {
        row.id: (row.attempt, row.exercise_version_id)
        for row in session.execute(
            select(Submission.id, Submission.attempt, Submission.exercise_version_id).where(*mine)
        )
    }
    wrong: dict[int, set[str]] = defaultdict(set)
    for attempt, blank in session.execute(
        select(Submission.attempt, ResultBlank.blank)
        .join(ResultBlank, ResultBlank.submission_id == Submission.id)
        .where(*mine, ResultBlank.verdict == WRONG)
    ):
        wrong[attempt].add(blank)
    return History(attempts, dict(wrong))


def annotate(
    session: Session,
    submission: dict,
    settings: Settings,
    past: History | Callable[[], History],
    lang: str,
) -> dict:
    """``submission`` (as ``submissions.as_json`` gives it) with what its attempt is worth
    (``worth``, and once graded ``penalised_score``) and, on each blank, its ``hint``; ``past``
    is the student's history, or what reads it (only when a hint needs it)."""
    share = worth(settings.penalty, submission["attempt"])
    out = {**submission, "worth": share}
    if "score" not in submission or "blanks" not in submission:
        return out
    out["penalised_score"] = submission["score"] * share
    wrong = [b for b, entry in submission["blanks"].items() if entry.get("verdict") == WRONG]
    said: dict[str, dict | None] = dict.fromkeys(submission["blanks"])
    if settings.hints and wrong:
        past = past if isinstance(past, History) else past()
        said.update(_hints(session, submission, wrong, settings, past, lang))
    out["blanks"] = {
        blank: {**entry, "hint": said[blank]} for blank, entry in submission["blanks"].items()
    }
    return out


def _hints(
    session: Session,
    submission: dict,
    wrong: list[str],
    settings: Settings,
    past: History,
    lang: str,
) -> dict[str, dict | None]:
    """The hint of each wrong blank, its level from the blank's earlier wrong answers."""
    found = past.attempts.get(submission["id"])
    if found is None:
        return {}
    content_hash = version_by_id(session, found[1])[0]
    before = past.wrong_before(submission["attempt"])
    variant = orjson.dumps(submission.get("variant") or {}, option=orjson.OPT_SORT_KEYS)
    answers = orjson.dumps(submission.get("answers") or {}, option=orjson.OPT_SORT_KEYS)
    said = {}
    for blank in wrong:
        level = settings.level(before[blank])
        text = hint_text(session, found[1], content_hash, variant, answers, blank, level, lang)
        said[blank] = None if text is None else {"level": level, "text": text}
    return said


def read_by_student(
    session: Session, submission: dict, settings: CourseExercise | None, lang: str
) -> dict:
    """:func:`annotate` for one submission, its student's history read for it if need be."""

    def past() -> History:
        found = session.execute(
            select(Submission.user_id, Submission.course_id, Submission.exercise_id).where(
                Submission.id == submission["id"]
            )
        ).one()
        return history(session, *found)

    return annotate(session, submission, Settings.of(settings), past, lang)


def hint_text(
    session: Session,
    version_id: int,
    content_hash: str,
    variant: bytes,
    answers: bytes,
    blank: str,
    level: int,
    lang: str,
) -> str | None:
    """The hint's text (None for a blank the version no longer has), made once per content."""
    exercise = version_by_id(session, version_id)[1]
    if exercise.blank(blank) is None:
        return None
    if exercise.spec.steps == 1:
        answers = b"{}"  # only a later training step starts from the student's answers
    return remembered_hint(
        (content_hash, variant),
        lambda: (exercise, core.Variant.from_dict(orjson.loads(variant))),
        answers,
        blank,
        level,
        lang,
    )


def remembered_hint(
    numbers: tuple,
    opened: Callable[[], tuple[core.Exercise, core.Variant]],
    answers: bytes,
    blank: str,
    level: int,
    lang: str,
) -> str:
    """A hint's text, made once for the same exercise and numbers (``numbers`` names them;
    ``opened`` gives them when the text is not remembered), answers, blank, level and language."""
    key = (*numbers, answers, blank, level, lang)
    with _lock:
        text = _texts.get(key)
    if text is None:
        exercise, values = opened()
        text = hints.hint(exercise, values, blank, level, lang, orjson.loads(answers))
        with _lock:
            _texts[key] = text
            while len(_texts) > MAX_REMEMBERED:
                _texts.popitem(last=False)
    return text


MAX_REMEMBERED = 4096
_texts: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()
