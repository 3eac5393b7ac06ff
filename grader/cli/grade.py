"""``grader grade``: grade a JSONL file of submissions offline, streaming, no services needed."""

from __future__ import annotations

import gc
import os
import sys
from collections import OrderedDict
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter
from typing import IO

import click
import numpy as np
import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from grader.checking import grade_many
from grader.checking.feedback import LANGUAGES
from grader.cli.options import exercises_option, secret_option
from grader.exercises import (
    Exercise,
    ExerciseError,
    Variant,
    VariantError,
    VariantTable,
    load_dir,
)

CHUNK_LINES = 8192
MAX_LINE_BYTES = 1 << 20
VARIANT_CACHE_SIZE = 100_000


class LineError(ValueError):
    """A submission line that cannot be graded; the message says why."""


class Submissions:
    """Turns input lines into (exercise, variant, answers) and remembers drawn variants."""

    def __init__(
        self,
        exercises: dict[str, Exercise],
        secret: str,
        unloadable: dict[str, ExerciseError] | None = None,
    ):
        self.exercises, self.secret = exercises, secret
        self.unloadable = unloadable or {}
        self.variants: OrderedDict = OrderedDict()
        self.templates: dict[str, Variant] = {}

    def read(self, line: bytes) -> dict:
        if len(line) > MAX_LINE_BYTES:
            raise LineError(f"line longer than {MAX_LINE_BYTES} bytes")
        try:
            sub = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise LineError(f"not valid JSON ({exc})") from None
        if type(sub) is not dict:
            raise LineError("expected a JSON object")
        ident, student, exercise_id = sub.get("id"), sub.get("student"), sub.get("exercise")
        if not (
            type(ident) is str
            and ident
            and type(student) is str
            and student
            and type(exercise_id) is str
            and exercise_id
        ):  # one test for every line; the loop says which one is wrong
            for key in ("id", "student", "exercise"):
                value = sub.get(key)
                if type(value) is not str or not value:
                    raise LineError(f"'{key}' must be a non-empty string")
        exercise = self.exercises.get(exercise_id)
        if exercise is None:
            problem = self.unloadable.get(exercise_id)
            if problem is not None:
                raise LineError(f"exercise '{exercise_id}' could not be loaded: see {problem}")
            raise LineError(f"unknown exercise '{exercise_id}'")
        answers = sub.get("answers", {})
        if type(answers) is not dict:
            raise LineError("'answers' must be an object of blank: answer")
        item = {"sub": sub, "exercise": exercise, "variant": None, "answers": answers}
        given, params = sub.get("given"), sub.get("params")
        if given is not None or params is not None:
            numbers = exercise.numbers(given, params)
            if numbers is None:
                item["variant"] = self.check_explicit(exercise, sub)
            else:
                item["numbers"] = numbers  # its variant: made with the chunk's (chunk_variants)
        return item

    def check_explicit(self, exercise: Exercise, sub: dict) -> Variant | None:
        """The line's own values checked against ``exercise``: the variant they make when they
        name every value, else None (the student's draw fills in the rest)."""
        for section in ("given", "params"):
            if sub.get(section) is not None and not isinstance(sub[section], dict):
                raise LineError(f"'{section}' must be an object of name: value")
        try:
            explicit = exercise.with_values(
                self.template(exercise), sub.get("given"), sub.get("params")
            )
        except VariantError as exc:
            raise LineError(str(exc)) from None
        return explicit if self.covers(exercise, sub) else None

    def template(self, exercise: Exercise) -> Variant:
        """Some variant of ``exercise``, whose values explicit ones replace (to check them)."""
        if exercise.id not in self.templates:
            self.templates[exercise.id] = exercise.draw_variant("", "")
        return self.templates[exercise.id]

    @staticmethod
    def covers(exercise: Exercise, sub: dict) -> bool:
        """The line names every given and param value: nothing of the student's draw is left."""
        named = {*(sub.get("given") or {}), *(sub.get("params") or {})}
        return named >= {*exercise.spec.given, *exercise.spec.params}

    def resolve(self, items: list[dict]) -> None:
        """Give every item its variant: the student's draw (drawn in bulk per exercise, for the
        students this run has not drawn yet), with the line's own values where it has some."""
        known = self.variants
        todo = [item for item in items if item["variant"] is None and "numbers" not in item]
        subs = list(map(itemgetter("sub"), todo))
        exercise_ids, students = map(itemgetter("exercise"), subs), map(itemgetter("student"), subs)
        keys = list(zip(exercise_ids, students, strict=True))
        wanted: dict[str, list[str]] = {}  # exercise id -> students to draw
        for key in dict.fromkeys(keys):
            if key not in known:
                wanted.setdefault(key[0], []).append(key[1])
        for name, students in wanted.items():
            drawn = self.exercises[name].draw_variants(self.secret, students)
            known.update(zip([(name, student) for student in students], drawn, strict=True))
        variants = list(map(known.__getitem__, keys))
        given = list(map(dict.get, subs, repeat("given")))
        params = list(map(dict.get, subs, repeat("params")))
        if given.count(None) + params.count(None) < 2 * len(todo):  # lines with values of their own
            for k, item in enumerate(todo):
                if given[k] is not None or params[k] is not None:
                    variants[k] = item["exercise"].with_values(variants[k], given[k], params[k])
        for item, variant in zip(todo, variants, strict=True):
            item["variant"] = variant
        while len(self.variants) > VARIANT_CACHE_SIZE:
            self.variants.popitem(last=False)


def grade_chunk(items: list[dict], lang: str = "en") -> list[bytes]:
    """Grade a chunk of read lines, one vectorised pass per exercise, in input order, with
    feedback in ``lang``; lines with the same variant and the same answers are graded once."""
    out: list[bytes] = [b""] * len(items)
    by_exercise: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_exercise.setdefault(item["sub"]["exercise"], []).append(i)
    cache: dict = {}
    for rows in by_exercise.values():
        exercise = items[rows[0]]["exercise"]
        exercise_id = exercise.id
        variants, codes = chunk_variants(exercise, [items[i] for i in rows])
        answers = [items[i]["answers"] for i in rows]
        distinct, which = _distinct_lines(codes, answers)
        if len(distinct) < len(rows):
            if isinstance(variants, VariantTable):
                variants = variants.take(distinct)
            else:
                variants = [variants[k] for k in distinct.tolist()]
            answers = [answers[k] for k in distinct.tolist()]
        graded = grade_many(exercise, variants, answers, cache, lang=lang)
        tails = graded.json_tails()
        subs = list(map(itemgetter("sub"), map(items.__getitem__, rows)))
        lines = map(
            b"".join,
            zip(
                repeat(b'{"id":'),
                map(orjson.dumps, map(itemgetter("id"), subs)),
                repeat(b',"student":'),
                map(orjson.dumps, map(itemgetter("student"), subs)),
                repeat(b',"exercise":' + orjson.dumps(exercise_id)),
                map(tails.__getitem__, which.tolist()),
            ),
        )
        if len(rows) == len(items):
            return list(lines)
        for i, line in zip(rows, lines, strict=True):
            out[i] = line
    return out


def chunk_variants(exercise: Exercise, items: list[dict]) -> tuple[Sequence, np.ndarray]:
    """The variants of an exercise's lines of a chunk, and per line a code of its variant (the
    same variant, the same code): a table when every line names all its numbers (a paper
    exam), else a list."""
    numbers = list(map(dict.get, items, repeat("numbers")))
    if exercise.values and None not in numbers:
        table = VariantTable.of(exercise.spec.given, exercise.spec.params, numbers)
        return table, table.rows
    variants = list(map(itemgetter("variant"), items))
    if numbers.count(None) < len(numbers):
        for k, row in enumerate(numbers):
            if row is not None:
                variants[k] = exercise.numbers_variant(row)
    ids = np.fromiter(map(id, variants), dtype=np.uint64, count=len(variants))
    return variants, np.unique(ids, return_inverse=True)[1].ravel()


def _distinct_lines(codes: np.ndarray, answers: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """The first of each set of lines with the same variant (``codes``) and the same answers,
    and per line which of those it is. Only a line whose variant another line has too can
    repeat one. Answers are compared as their JSON: the same JSON, the same values and types
    (1, 1.0, true and "1" are four answers), so the same result."""
    lines = np.arange(len(codes))
    shared = np.flatnonzero(np.bincount(codes)[codes] > 1)
    if len(shared):
        texts = map(orjson.dumps, map(answers.__getitem__, shared.tolist()))
        keys = list(zip(codes[shared].tolist(), texts, strict=True))
        first = dict(zip(reversed(keys), reversed(shared.tolist()), strict=True))  # earliest wins
        lines[shared] = list(map(first.__getitem__, keys))
    firsts = lines == np.arange(len(lines))
    return np.flatnonzero(firsts), (np.cumsum(firsts) - 1)[lines]


def run(
    exercises: dict[str, Exercise],
    source: IO[bytes],
    sink: IO[bytes],
    secret: str,
    name: str,
    progress=None,
    unloadable: dict[str, ExerciseError] | None = None,
    lang: str = "en",
) -> tuple[int, int]:
    """Grade every line of ``source`` into ``sink``; report bad lines on stderr. (graded, skipped).

    Lines of an exercise in ``unloadable`` (by id, the file that failed to load) are bad lines.
    """
    reader = Submissions(exercises, secret, unloadable)
    graded = skipped = 0
    items: list[dict] = []
    unreported = 0
    for number, line in enumerate(source, start=1):
        unreported += len(line)
        if line.isspace() or not line:
            continue
        try:
            items.append(reader.read(line))
        except LineError as exc:
            skipped += 1
            click.echo(f"{name}:{number}: {exc}", err=True)
        if len(items) >= CHUNK_LINES:
            reader.resolve(items)
            sink.writelines(grade_chunk(items, lang))
            graded += len(items)
            items = []
            if progress is not None:
                progress(unreported)
                unreported = 0
    if items:
        reader.resolve(items)
        sink.writelines(grade_chunk(items, lang))
        graded += len(items)
    return graded, skipped


@click.command("grade")
@exercises_option
@click.option(
    "--input",
    "input_path",
    default="-",
    show_default=True,
    type=click.Path(allow_dash=True, dir_okay=False),
    help="Submissions, one JSON object a line.",
)
@click.option(
    "--output",
    "output_path",
    default="-",
    show_default=True,
    type=click.Path(allow_dash=True, dir_okay=False),
    help="Results, one JSON object a line.",
)
@secret_option
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of the feedback sentences.",
)
def grade_command(
    exercises_dir: str, input_path: str, output_path: str, secret: str, lang: str
) -> None:
    """Grade submissions offline: JSONL in, JSONL out."""
    problems: list[ExerciseError] = []
    exercises = load_dir(exercises_dir, problems)
    gc.freeze()  # what is loaded lives to the end: the collector need not walk it again
    unloadable: dict[str, ExerciseError] = {}
    for problem in problems:
        click.echo(str(problem), err=True)
        unloadable.setdefault(problem.exercise_id, problem)
    source = sys.stdin.buffer if input_path == "-" else open(input_path, "rb")  # noqa: SIM115
    sink = sys.stdout.buffer if output_path == "-" else open(output_path, "wb")  # noqa: SIM115
    try:
        with _progress(source, input_path) as advance:
            graded, skipped = run(
                exercises, source, sink, secret, input_path, advance, unloadable, lang
            )
    finally:
        for stream in (source, sink):
            if stream not in (sys.stdin.buffer, sys.stdout.buffer):
                stream.close()
    summary = f"graded {graded} submissions, skipped {skipped} bad lines"
    if problems:
        summary += f", {len(problems)} exercise file{'s' * (len(problems) > 1)} not loaded"
    click.echo(summary, err=True)
    if skipped or problems:
        sys.exit(1)


class _progress:
    """A progress bar on stderr, by bytes read, when stderr is a terminal."""

    def __init__(self, source, path: str):
        self.bar = None
        if sys.stderr.isatty() and path != "-":
            columns = (BarColumn(), TransferSpeedColumn(), TimeRemainingColumn())
            self.bar = Progress(*columns, console=Console(stderr=True), transient=True)
            self.total = os.path.getsize(path)

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()
        task = self.bar.add_task("grading", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


COMMANDS = [grade_command]
