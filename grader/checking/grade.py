"""Grade submissions, many at once: verdicts, follow-through credit, diagnoses, points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from grader.checking.answers import (
    MESSAGES,
    Unreadable,
    parse_cached,
    written_column,
    written_numbers,
)
from grader.checking.diagnoses import candidates
from grader.checking.judge import (
    ABSENT,
    BAD,
    CORRECT,
    FOLLOW_THROUGH,
    OK,
    TRANSPOSED,
    WRONG_SHAPE,
    Judge,
)
from grader.checking.results import Graded
from grader.checking.tolerance import Tolerance
from grader.checking.work import Work
from grader.engine import Tape, forward
from grader.exercises import Exercise, Variant, VariantTable

SAMPLE = 64  # a column's first answers, looked at to tell whether most of them differ


@dataclass
class Answers:
    """One blank's answers for every row: parsed values, and why a row has none."""

    values: np.ndarray  # (N, *shape), NaN where not readable
    status: np.ndarray  # OK, ABSENT, BAD, WRONG_SHAPE or TRANSPOSED per row
    raw: list  # the text typed, per row
    codes: np.ndarray  # per row, which distinct answer it typed (the same code, the same result)
    problems: dict[int, Unreadable] = field(default_factory=dict)  # row -> why, for BAD
    arrays: dict[int, np.ndarray] = field(
        default_factory=dict
    )  # row -> parsed value of WRONG_SHAPE and TRANSPOSED, as typed

    usable: np.ndarray = field(init=False)  # read, in the blank's shape or as its transpose

    def __post_init__(self):
        self.usable = (self.status == OK) | (self.status == TRANSPOSED)


def _mostly_distinct(texts: Sequence) -> bool:
    """Whether most of a column's first answers differ: then reading every row costs less than
    finding the distinct ones first (a paper exam's own numbers, not a class's few answers)."""
    sample = texts[:SAMPLE]
    try:
        return 2 * len(set(sample)) > len(sample)
    except TypeError:  # a list or object where text was expected
        return False


def read_answers(texts: Sequence, shape: tuple[int, ...], cache: dict) -> Answers:
    """Parse one blank's column of answers; each distinct text is read once (``cache`` is the
    parse cache shared across blanks and calls). A column of numbers written plainly is read
    with one float() pass, its rows told apart by value (their results differ by value only)."""
    column = written_column(texts) if shape == () and _mostly_distinct(texts) else None
    if column is not None:
        values = np.array(column, dtype=np.float64)
        return _written(values, texts, np.unique(values, return_inverse=True)[1].reshape(-1))
    index: dict = {}
    try:
        codes = [index.setdefault(text, len(index)) for text in texts]
    except TypeError:  # a list or object where text was expected
        codes = None
    if codes is None or not set(map(type, index)) <= _TEXT_KEYS:
        # a number, a bool, a list or an object where text was expected is read on its own
        # row: as keys, True and 1 (and 1.0) are one
        index = {}
        codes = [
            index.setdefault(text if type(text) is str or text is None else ("#", i), len(index))
            for i, text in enumerate(texts)
        ]
    keys = list(index)
    rows = np.asarray(codes, dtype=np.intp)
    numbers = written_numbers(keys) if shape == () else None
    if numbers is not None and None not in numbers:  # every answer a number written plainly
        return _written(np.array(numbers, dtype=np.float64)[rows], texts, rows)
    nan = np.full(shape, np.nan)
    numbers = numbers or [None] * len(keys)
    hits = [
        (OK, number, None)
        if number is not None
        else _read_one(texts[key[1]] if _marker(key) else key, shape, nan, cache)
        for key, number in zip(keys, numbers, strict=True)
    ]
    values = (
        np.array([hit[1] for hit in hits], dtype=np.float64)
        if shape == ()
        else np.stack([hit[1] for hit in hits])
    )
    answers = Answers(
        values[rows],
        np.array([hit[0] for hit in hits], dtype=np.int8)[rows],
        list(texts),
        rows,
    )
    for i in np.flatnonzero(answers.status >= BAD):
        status, _, extra = hits[codes[i]]
        if status == BAD:
            answers.problems[int(i)] = extra
        else:
            answers.arrays[int(i)] = extra
    return answers


def _written(values: np.ndarray, texts: Sequence, codes: np.ndarray) -> Answers:
    """The answers of a column whose every row is a number written plainly: ``values``, a row
    each, and ``codes`` telling its rows apart."""
    ok = np.full(len(values), OK, dtype=np.int8)
    return Answers(values, ok, list(texts), np.asarray(codes, dtype=np.intp))


_TEXT_KEYS = {str, type(None)}


def _marker(key) -> bool:
    return type(key) is tuple and len(key) == 2 and key[0] == "#"


def _read_one(text, shape: tuple[int, ...], nan: np.ndarray, cache: dict) -> tuple:
    """(status, value for the column, message or parsed array) for one answer."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = repr(text)
    elif text is not None and not isinstance(text, str):
        return BAD, nan, Unreadable(MESSAGES["not_text"], kind=type(text).__name__)
    if text is None or not text.strip():
        return ABSENT, nan, None
    parsed = parse_cached(text, cache)
    if isinstance(parsed, Unreadable):
        return BAD, nan, parsed
    if parsed.shape == shape:
        return OK, parsed, None
    if parsed.size == nan.size and np.squeeze(parsed).shape == np.squeeze(nan).shape:
        return OK, parsed.reshape(shape), None
    if parsed.ndim == 2 and parsed.T.shape == shape:
        return TRANSPOSED, parsed.T, parsed
    return WRONG_SHAPE, nan, parsed


def evaluate_rows(exercise: Exercise, variants: Sequence[Variant]) -> Tape:
    """Forward values for every row, computing each distinct variant once."""
    if isinstance(variants, VariantTable):
        inputs, rows = variants.columns(exercise.graph.inputs), variants.rows
        count = len(variants.values)
    else:
        index: dict[int, int] = {}
        distinct: list[Variant] = []
        rows = np.empty(len(variants), dtype=np.intp)
        for i, variant in enumerate(variants):
            key = id(variant)
            if key not in index:
                index[key] = len(distinct)
                distinct.append(variant)
            rows[i] = index[key]
        inputs, count = exercise.inputs(distinct), len(distinct)
    tape = forward(exercise.graph, inputs)
    if count == len(rows) and (rows == np.arange(len(rows))).all():
        return tape
    return Tape(
        {name: value[rows] for name, value in tape.values.items()},
        {name: [out[rows] for out in outs] for name, outs in tape.steps.items()},
    )


def _column(answers: Sequence[Mapping], blank_id: str) -> list:
    """Each row's answer to one blank (None where it has none)."""
    try:
        return list(map(dict.get, answers, repeat(blank_id)))  # at C speed, when all are dicts
    except TypeError:
        return [a.get(blank_id) for a in answers]


def grade_many(
    exercise: Exercise,
    variants: Sequence[Variant],
    answers: Sequence[Mapping[str, str]],
    cache: dict | None = None,
    lang: str = "en",
) -> Graded:
    """Grade N submissions of one exercise in one vectorised pass; feedback in ``lang``."""
    if len(variants) != len(answers):
        raise ValueError("one variant per submission")
    if not answers:
        return Graded(exercise, [], [], {}, {}, {}, {}, {}, np.zeros(0), lang)
    cache = {} if cache is None else cache
    columns = {
        blank.id: read_answers(_column(answers, blank.id), blank.shape, cache)
        for blank in exercise.blanks
    }
    tolerance = Tolerance(**exercise.spec.tolerance.model_dump())
    credit = exercise.spec.follow_through_credit
    verdicts, diagnoses, points, expected = {}, {}, {}, {}
    with np.errstate(all="ignore"):  # NaN and inf stand for "no value" in what follows
        tape = evaluate_rows(exercise, variants)
        chain = None
        for step in range(1, exercise.spec.steps + 1):
            work = Work(exercise, tape, columns, tolerance, step, chain)
            judge = Judge(work, tolerance, credit, candidates)
            judge.run()
            verdicts.update(judge.verdicts)
            diagnoses.update(judge.diagnoses)
            for blank in exercise.blanks:
                if blank.step == step:
                    expected[blank.id] = work.expected(blank)
            if step < exercise.spec.steps:
                chain = exercise.next_step(work.chain_tape, work.chain_grads)
                params = [p for p in exercise.spec.params if p in work.reference]
                tape = exercise.advance(tape, {p: work.student_new(p) for p in params})
    for blank in exercise.blanks:
        verdict = verdicts[blank.id]
        points[blank.id] = blank.points * np.where(
            verdict == CORRECT, 1.0, np.where(verdict == FOLLOW_THROUGH, credit, 0.0)
        )
    score = sum(points.values())
    return Graded(
        exercise,
        variants,
        list(answers),
        columns,
        verdicts,
        diagnoses,
        points,
        expected,
        score,
        lang,
    )


def grade(
    exercise: Exercise, variant: Variant, answers: Mapping[str, str], lang: str = "en"
) -> dict:
    """Grade one submission; the result as a JSON-ready dict, feedback in ``lang``."""
    return grade_many(exercise, [variant], [answers], lang=lang).row(0)
