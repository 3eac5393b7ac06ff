"""Load exercise files: a bad file is refused whole with ``file:line: reason``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from grader.engine import GraphError, build_graph, forward
from grader.exercises import texts
from grader.exercises.degeneracy import degeneracy, degenerate_rows
from grader.exercises.exercise import MAX_REDRAWS, Exercise, make_blanks
from grader.exercises.spec import MAX_TEXT, MAX_TITLE, ExerciseSpec, parse_value
from grader.exercises.yamlsource import SourceError, load_with_lines


class ExerciseError(ValueError):
    """A file that is not a valid exercise; ``exercise_id`` is the id it claims.

    That is its ``id:`` when the file is read that far, else the file name without suffix.
    """

    def __init__(self, path: str, line: int, reason: str, exercise_id: str | None = None):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason
        self.exercise_id = exercise_id or Path(path).stem


def load_file(path: str | Path) -> Exercise:
    """Read and validate one exercise file."""
    path = Path(path)
    return load_text(path.read_bytes(), str(path))


def load_dir(
    directory: str | Path, problems: list[ExerciseError] | None = None
) -> dict[str, Exercise]:
    """Every ``*.yaml`` file of a folder, by exercise id; the first bad file raises.

    Given a ``problems`` list, each bad file is added to it instead and the others still load,
    except any whose id a bad file claims too: which of the two was meant is not known.
    """
    exercises: dict[str, Exercise] = {}
    bad: list[ExerciseError] = []
    for path in sorted(Path(directory).glob("*.y*ml")):
        try:
            exercise = load_file(path)
            if exercise.id in exercises:
                _, lines = load_with_lines(path.read_text("utf-8"))
                raise ExerciseError(
                    str(path),
                    lines.get(("id",), 1),
                    f"exercise id '{exercise.id}' is also used by {exercises[exercise.id].source}",
                    exercise.id,
                )
        except ExerciseError as exc:
            if problems is None:
                raise
            bad.append(exc)
            continue
        exercises[exercise.id] = exercise
    for problem in bad:
        exercises.pop(problem.exercise_id, None)
    if problems is not None:
        problems.extend(bad)
    return exercises


def load_text(raw: bytes, source: str = "<exercise>") -> Exercise:
    """Validate an exercise given as the bytes of a YAML file."""
    try:
        data, lines = load_with_lines(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExerciseError(source, 1, "the file is not UTF-8 text") from None
    except SourceError as exc:
        raise ExerciseError(source, exc.line, exc.reason) from None

    claimed = data.get("id") if isinstance(data, dict) else None
    claimed = claimed if isinstance(claimed, str) else None

    def fail(path: tuple, reason: str) -> ExerciseError:
        while path and path not in lines:
            path = path[:-1]
        return ExerciseError(source, lines.get(path, 1), reason, claimed)

    if not isinstance(data, dict):
        raise fail((), "an exercise file is a mapping of keys (id, title, graph, ask, ...)")
    for key, limit in (("title", MAX_TITLE), ("text", MAX_TEXT)):
        for path, reason in texts.problems(key, data.get(key), limit):
            raise fail(path, reason)
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise fail(
            tuple(error["loc"]), f"{where}: {error['msg'].removeprefix('Value error, ')}"
        ) from None

    values = {}
    for section in ("given", "params"):
        for name, raw_value in data.get(section, {}).items():
            if name in values:
                raise fail((section, name), f"'{name}' is defined in both given and params")
            try:
                values[name] = parse_value(raw_value)
            except (ValueError, ValidationError) as exc:
                message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                message = message.removeprefix("Value error, ")
                raise fail((section, name), f"{section}.{name}: {message}") from None

    try:
        graph = build_graph(list(values), {name: str(expr) for name, expr in spec.graph.items()})
    except GraphError as exc:
        raise fail(("graph", exc.edge) if exc.edge else ("graph",), str(exc)) from None

    exercise = Exercise(spec, graph, values, {}, [], hashlib.sha256(raw).hexdigest(), source)
    exercise.lines = lines
    sample = exercise.raw_draws("", ["sample"])[0][0]
    try:
        tape = forward(graph, {name: value[None] for name, value in sample.values().items()})
    except GraphError as exc:
        raise fail(("graph", exc.edge), str(exc)) from None
    exercise.shapes = {name: value.shape[1:] for name, value in tape.values.items()}
    numbers = sum(int(np.prod(shape)) for shape in exercise.shapes.values())
    if numbers > MAX_GRAPH_NUMBERS:
        raise fail(
            ("graph",),
            f"the graph's values hold {numbers} numbers in all, more than the "
            f"{MAX_GRAPH_NUMBERS} an exercise may have: use fewer or smaller edges",
        )
    if exercise.shapes[graph.loss] != ():
        raise fail(
            ("graph", graph.loss),
            f"the loss '{graph.loss}' (the last edge) must be a scalar, "
            f"it has shape {list(exercise.shapes[graph.loss])}: wrap it in sum() or mean()",
        )

    reached = graph.reaches_loss()
    for kind in ("grad", "update", "new"):
        for i, target in enumerate(getattr(spec.ask, kind)):
            if target not in exercise.shapes:
                raise fail(("ask", kind, i), f"ask.{kind}: unknown name '{target}'")
            if kind != "grad" and target not in spec.params:
                raise fail(("ask", kind, i), f"ask.{kind}: '{target}' is not a param")
            if target not in reached:
                raise fail(
                    ("ask", kind, i),
                    f"ask.{kind}: '{target}' does not reach the loss '{graph.loss}'",
                )
    for i, name in enumerate(spec.allow_zero):
        if name not in exercise.shapes:
            raise fail(("allow_zero", i), f"allow_zero: unknown name '{name}'")
    exercise.blanks = make_blanks(spec, exercise.shapes)
    if not exercise.blanks:
        raise fail(("ask",), "ask names no blank")
    if isinstance(spec.points, dict):
        known = {blank.id for blank in exercise.blanks} | {"grad", "update", "new"}
        for key in spec.points:
            if key not in known:
                raise fail(("points", key), f"points: '{key}' is not a blank of this exercise")
    if not exercise.randomised:
        problem = degeneracy(exercise, sample)
        if problem is not None:
            raise fail(line_of(spec, problem[0]), problem[1])
    if exercise.randomised:  # sample students' draws, checked at once; the first bad one says why
        drawn = exercise.draw_variants(
            "load-check", [f"sample-{i}" for i in range(SAMPLED_STUDENTS)]
        )
        with np.errstate(all="ignore"):
            bad = degenerate_rows(exercise, forward(exercise.graph, exercise.inputs(drawn)))
        if bad.any():
            problem = degeneracy(exercise, drawn[int(np.argmax(bad))])
            raise fail(
                line_of(spec, problem[0]),
                f"{problem[1]} for some students even after {MAX_REDRAWS} redraws: widen or shift the draws",
            )
    return exercise


SAMPLED_STUDENTS = 30
MAX_GRAPH_NUMBERS = 2000


def line_of(spec: ExerciseSpec, at: str) -> tuple:
    """The source path of a blank id (its entry under ``ask``) or of a defined name."""
    kind, _, target = at.partition(".")
    target = target.partition("@")[0]
    if target:
        return ("ask", kind, getattr(spec.ask, kind).index(target))
    if at in spec.graph:
        return ("graph", at)
    return ("given", at) if at in spec.given else ("params", at)
