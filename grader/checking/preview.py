"""How each answer is read, before it is graded: a number, vector or matrix in the blank's shape,
or the reason it cannot be read; in English or Russian. No verdict, nothing about the answer's
worth: only what the parser made of it, by the same reading as grading's."""

from __future__ import annotations

from collections.abc import Mapping

from grader.checking.answers import MESSAGES, Unreadable, reason
from grader.checking.feedback import translator
from grader.checking.grade import read_answers
from grader.checking.judge import ABSENT, BAD, TRANSPOSED, WRONG_SHAPE
from grader.engine.format import plain, show
from grader.exercises import Exercise

READ = {
    "number": "read as {shown}",
    "vector": "read as the vector {shown}",
    "matrix": "read as the {rows}×{columns} matrix {shown}",
    "takes_number": "this blank takes a number",
    "takes_vector": "this blank takes a vector of {n} numbers",
    "takes_matrix": "this blank takes a {rows}×{columns} matrix",
    "but": "{read}, but {takes}",
}


def preview(exercise: Exercise, answers: Mapping[str, str], lang: str = "en") -> dict[str, dict]:
    """Each answered blank (``answers``: blank id -> text) as read: ``readable``, ``value`` (the
    number or nested lists, as typed), ``shown`` (written back: ``−20``), ``message`` (why it
    cannot be read or does not fit the blank, else None) and ``said`` (the line a page shows
    under the blank: ``read as −20``), in ``lang``."""
    _ = translator(lang)
    out = {}
    for blank in exercise.blanks:
        if blank.id not in answers:
            continue
        read = read_answers([answers[blank.id]], blank.shape, {})
        status = int(read.status[0])
        if status == ABSENT:
            message = reason(Unreadable(MESSAGES["empty"]), lang)
            out[blank.id] = _entry(False, None, message, message)
            continue
        if status == BAD:
            message = reason(read.problems[0], lang)
            out[blank.id] = _entry(False, None, message, message)
            continue
        value = read.arrays[0] if status in (WRONG_SHAPE, TRANSPOSED) else read.values[0]
        said = _(READ[_kind(value.shape)]).format(shown=written(value), **_sizes(value.shape))
        message = None
        if status in (WRONG_SHAPE, TRANSPOSED):
            message = _(READ["takes_" + _kind(blank.shape)]).format(**_sizes(blank.shape))
            said = _(READ["but"]).format(read=said, takes=message)
        out[blank.id] = _entry(True, value, message, said)
    return out


def written(value) -> str:
    """A value written back as the grader read it: ``−20``, ``[1, 0.5]``."""
    return show(value).replace("-", "−")


def _entry(readable: bool, value, message: str | None, said: str) -> dict:
    return {
        "readable": readable,
        "value": None if value is None else plain(value),
        "shown": None if value is None else written(value),
        "message": message,
        "said": said,
    }


def _kind(shape: tuple[int, ...]) -> str:
    return ("number", "vector", "matrix")[min(len(shape), 2)]


def _sizes(shape: tuple[int, ...]) -> dict[str, int]:
    if len(shape) == 1:
        return {"n": shape[0]}
    if len(shape) >= 2:
        return {"rows": shape[0], "columns": shape[1]}
    return {}
