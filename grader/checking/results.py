"""Graded rows as JSON-ready dicts: verdict, expected, got, points, diagnosis, feedback per blank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import is_not

import numpy as np
import orjson

from grader.checking.answers import reason
from grader.checking.feedback import sentence
from grader.engine.format import plain, plain_number, plain_numbers
from grader.exercises.variants import plain_dicts, plain_jsons

BLANK_FIELDS = ("verdict", "expected", "got", "points", "diagnosis", "feedback")
VERDICT_NAMES = ("correct", "follow_through", "incorrect", "unreadable", "missing")
UNREADABLE, MISSING = 3, 4


@dataclass
class Graded:
    """The columnar result of grading N submissions of one exercise."""

    exercise: object
    variants: Sequence  # a list of Variant, or a VariantTable
    answers: list
    columns: dict
    verdicts: dict
    diagnoses: dict
    points: dict
    expected: dict
    score: np.ndarray
    lang: str = "en"

    @property
    def max_score(self) -> float:
        return float(sum(blank.points for blank in self.exercise.blanks))

    def __len__(self) -> int:
        return len(self.answers)

    def row(self, i: int) -> dict:
        """Row ``i`` as the contract's result object (without the submission's own ids)."""
        return self.rows(slice(i, i + 1))[0]

    def to_dicts(self) -> list[dict]:
        return self.rows(slice(None))

    def expected_rows(self) -> list[dict]:
        """Each row's expected value of every blank, as :meth:`rows` writes them (without
        building the rest of the rows)."""
        numbers: dict = {}
        columns = {
            blank.id: _numbers(self.expected[blank.id], numbers) for blank in self.exercise.blanks
        }
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def rows(self, part: slice) -> list[dict]:
        """Rows as dicts, built a column at a time (the per-row work is only assembling dicts)."""
        numbers: dict = {}
        indices = range(len(self))[part]
        columns = {
            blank.id: self._column(blank, indices, numbers) for blank in self.exercise.blanks
        }
        variants = plain_dicts([self.variants[i] for i in indices])
        max_score = _numbers(np.array([self.max_score]), numbers)[0]
        scores = _numbers(self.score[part], numbers)
        per_blank = [
            [
                {"verdict": v, "expected": e, "got": g, "points": p, "diagnosis": d, "feedback": f}
                for v, e, g, p, d, f in zip(*column, strict=True)
            ]
            for column in columns.values()
        ]
        names = list(columns)
        out = []
        for variant, score, blanks in zip(
            variants, scores, zip(*per_blank, strict=True), strict=True
        ):
            out.append(
                {
                    "variant": variant,
                    "score": score,
                    "max_score": max_score,
                    "blanks": dict(zip(names, blanks, strict=True)),
                }
            )
        return out

    def json_lines(self, heads: list[dict]) -> list[bytes]:
        """Row i as one JSON line, ``heads[i]`` (the submission's ids) first; the same objects as
        :meth:`rows`, serialised with each distinct blank result encoded once."""
        return [
            orjson.dumps(head)[:-1] + tail
            for head, tail in zip(heads, self.json_tails(), strict=True)
        ]

    def json_tails(self) -> list[bytes]:
        """Row i's JSON line of :meth:`json_lines` from its ``,"variant":`` on: what follows
        the submission's ids."""
        if not len(self):
            return []
        numbers: dict = {}
        indices = range(len(self))
        fragments = [self._fragments(blank, indices, numbers) for blank in self.exercise.blanks]
        max_score = orjson.dumps(_numbers(np.array([self.max_score]), numbers)[0])
        return list(
            map(
                b"".join,
                zip(
                    repeat(b',"variant":'),
                    plain_jsons(self.variants),
                    repeat(b',"score":'),
                    _encoded_numbers(self.score),
                    repeat(b',"max_score":' + max_score + b',"blanks":{'),
                    map(b",".join, zip(*fragments, strict=True)),
                    repeat(b"}}\n"),
                ),
            )
        )

    def json_columns(self) -> tuple[list, float | int, list[bytes], list[bytes]]:
        """What a database row of each result stores: scores, the max score, and each row's
        variant and blanks as JSON; the same objects as :meth:`rows`, each distinct blank
        result encoded once."""
        numbers: dict = {}
        indices = range(len(self))
        fragments = [self._fragments(blank, indices, numbers) for blank in self.exercise.blanks]
        blanks = [b"{" + b",".join(parts) + b"}" for parts in zip(*fragments, strict=True)]
        variants = plain_jsons(self.variants)
        max_score = _numbers(np.array([self.max_score]), numbers)[0]
        return _numbers(self.score, numbers), max_score, variants, blanks

    def _fragments(self, blank, indices: range, numbers: dict) -> list[bytes]:
        """Each row's ``"blank": {...}`` JSON."""
        prefix = orjson.dumps(blank.id) + b":"
        if blank.shape == () and not self.columns[blank.id].arrays:
            return self._number_fragments(blank, prefix)
        return [
            prefix + orjson.dumps(dict(zip(BLANK_FIELDS, key, strict=True)))
            for key in zip(*self._column(blank, indices, numbers), strict=True)
        ]

    def _number_fragments(self, blank, prefix: bytes) -> list[bytes]:
        """Every row's ``"blank": {...}`` JSON of a number blank. Its result is fixed by
        (verdict, diagnosis, expected, the answer typed), so rows are told apart by codes of
        those, found a column at a time, and each distinct result is built once, from columns
        of its parts (the JSON around the numbers is one of few frames)."""
        column = self.columns[blank.id]
        verdicts, diagnoses = self.verdicts[blank.id], self.diagnoses[blank.id]
        said: dict = {None: 0}
        diagnosis_codes = np.zeros(len(self), dtype=np.int64)
        named = list(compress(count(), map(is_not, diagnoses, repeat(None))))
        diagnosis_codes[named] = [said.setdefault(diagnoses[i], len(said)) for i in named]
        expected_codes = np.unique(self.expected[blank.id], return_inverse=True)[1]
        first, rows = _distinct_rows(verdicts, diagnosis_codes, expected_codes, column.codes)
        expected, got, points = (
            _encoded_numbers(values[first])
            for values in (self.expected[blank.id], column.values, self.points[blank.id])
        )
        kinds, kind_of = _distinct_rows(verdicts[first], diagnosis_codes[first])
        frames = [
            self._frame(blank, prefix, verdict, diagnoses[i])
            for verdict, i in zip(
                verdicts[first[kinds]].tolist(), first[kinds].tolist(), strict=True
            )
        ]
        kind_of = kind_of.tolist()
        heads, middles, feedback = (
            list(map([frame[k] for frame in frames].__getitem__, kind_of)) for k in range(3)
        )
        for j in np.flatnonzero(verdicts[first] == UNREADABLE).tolist():
            i = int(first[j])
            got[j] = orjson.dumps(column.raw[i])
            feedback[j] = orjson.dumps(reason(column.problems[i], self.lang))
        for j in np.flatnonzero(verdicts[first] == MISSING).tolist():
            got[j] = b"null"
        built = list(
            map(
                b"".join,
                zip(
                    heads,
                    expected,
                    repeat(b',"got":'),
                    got,
                    repeat(b',"points":'),
                    points,
                    middles,
                    feedback,
                    repeat(b"}"),
                ),
            )
        )
        return list(map(built.__getitem__, rows.tolist()))

    def _frame(self, blank, prefix: bytes, verdict: int, diagnosis) -> tuple[bytes, ...]:
        """A number blank's JSON before "expected", between "points" and "feedback", and the
        feedback, for rows with ``verdict`` and ``diagnosis`` (an unreadable row's own feedback
        replaces it)."""
        name = VERDICT_NAMES[verdict]
        feedback = None
        if verdict != UNREADABLE:
            feedback = sentence(self.exercise, blank, name, diagnosis, lang=self.lang)
        return (
            prefix + b'{"verdict":' + orjson.dumps(name) + b',"expected":',
            b',"diagnosis":' + orjson.dumps(diagnosis) + b',"feedback":',
            orjson.dumps(feedback),
        )

    def _column(self, blank, indices: range | list[int], numbers: dict) -> tuple[list, ...]:
        """The blank's result fields, a list each, for the rows ``indices`` (a range, or a list
        of rows)."""
        column = self.columns[blank.id]
        if isinstance(indices, range):
            part = slice(indices.start, indices.stop, indices.step)
            diagnoses = self.diagnoses[blank.id][part]
        else:
            part = np.asarray(indices, dtype=np.intp)
            diagnoses = [self.diagnoses[blank.id][i] for i in indices]
        verdicts = [VERDICT_NAMES[v] for v in self.verdicts[blank.id][part].tolist()]
        got = _numbers(column.values[part], numbers)
        messages: dict = {}
        feedback = []
        for j, i in enumerate(indices):
            verdict = verdicts[j]
            if verdict == "unreadable":
                got[j] = column.raw[i]
                feedback.append(reason(column.problems[i], self.lang))
                continue
            if verdict == "missing":
                got[j] = None
            elif i in column.arrays:
                got[j] = plain(column.arrays[i])
            key = (verdict, diagnoses[j])
            if key not in messages:
                messages[key] = sentence(self.exercise, blank, *key, lang=self.lang)
            feedback.append(messages[key])
        expected = _numbers(self.expected[blank.id][part], numbers)
        points = _numbers(self.points[blank.id][part], numbers)
        return verdicts, expected, got, points, diagnoses, feedback


def _numbers(values: np.ndarray, numbers: dict) -> list:
    """Rows of ``values`` as plain JSON numbers (memoised for scalars) or nested lists."""
    if values.ndim > 1:
        return [plain(row) for row in values]
    out = values.tolist()
    for j, value in enumerate(out):
        try:
            out[j] = numbers[value]
        except KeyError:
            out[j] = numbers[value] = plain_number(value)
    return out


def _distinct_rows(*columns) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct combination of the columns' whole numbers (0 and up),
    and which of them each row has."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        column = np.asarray(column, dtype=np.int64)
        size = int(column.max(initial=0)) + 1
        if int(code.max(initial=0)) >= (1 << 62) // size:  # make room: number the codes 0..n
            code = np.unique(code, return_inverse=True)[1].astype(np.int64)
        code = code * size + column
    _, first, rows = np.unique(code, return_index=True, return_inverse=True)
    return first, rows


def _encoded_numbers(values: np.ndarray) -> list[bytes]:
    """Each of a 1-d array's values as its plain JSON number."""
    if not len(values):
        return []
    return orjson.dumps(plain_numbers(values))[1:-1].split(b",")
