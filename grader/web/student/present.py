"""What the student's pages show, in the reader's language: blank labels and hints, verdicts,
feedback sentences, attempts, and the marks drawn on the graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext, lazy_gettext, ngettext

from grader.checking.answers import Unreadable, parse_answer
from grader.checking.feedback import sentence
from grader.engine.format import show
from grader.exercises import Blank, Exercise
from grader.services.penalties import percent
from grader.web.i18n import current_language

KINDS = ("grad", "update", "new")
KIND_TITLES = {
    "grad": lazy_gettext("Gradients"),
    "update": lazy_gettext("Update steps"),
    "new": lazy_gettext("New values"),
}
KIND_HELP = {
    "grad": lazy_gettext("The gradient of the loss on each edge, working back from the loss."),
    "update": lazy_gettext("The step of each parameter: −learning rate × its gradient."),
    "new": lazy_gettext("Each parameter's new value: its old value plus the step."),
}
VERDICT_LABELS = {
    "correct": lazy_gettext("Correct"),
    "follow_through": lazy_gettext("Follow-through"),
    "incorrect": lazy_gettext("Incorrect"),
    "unreadable": lazy_gettext("Unreadable"),
    "missing": lazy_gettext("Missing"),
}
VERDICT_SYMBOLS = {
    "correct": "✓",
    "follow_through": "↪",
    "incorrect": "✗",
    "unreadable": "?",
    "missing": "–",
}
STATUS_LABELS = {
    "queued": lazy_gettext("Queued"),
    "grading": lazy_gettext("Grading"),
    "graded": lazy_gettext("Graded"),
    "failed": lazy_gettext("Grading failed"),
}
# The worst verdict of the blanks on one edge or param is the one drawn on the graph.
SEVERITY = ("correct", "follow_through", "missing", "unreadable", "incorrect")


@dataclass(frozen=True)
class BlankField:
    """One input of the form: its blank, label, what it is on, and the syntax hint."""

    id: str
    kind: str
    target: str
    label: str
    spoken: str
    where: str
    hint: str
    points: float


def blank_field(blank: Blank, loss: str, roles: Mapping[str, str]) -> BlankField:
    """How a blank is asked for: a symbol, the words a screen reader says, and what it is on
    (``roles`` says which names are ``param`` and which ``given``; the rest are edges)."""
    name = blank.target
    if roles.get(name) == "param":
        where = gettext("parameter %(name)s", name=name)
    elif roles.get(name) == "given":
        where = gettext("input %(name)s", name=name)
    else:
        where = gettext("edge %(name)s", name=name)
    if blank.kind == "grad":
        label = f"∂{loss}/∂{name}"
        spoken = gettext("gradient of %(loss)s with respect to %(name)s", loss=loss, name=name)
    elif blank.kind == "update":
        label = f"Δ{name}"
        spoken = gettext("update step of %(name)s", name=name)
    else:
        label = gettext("new %(name)s", name=name)
        spoken = label
    if blank.step > 1:
        spoken = gettext("%(blank)s, step %(step)d", blank=spoken, step=blank.step)
    return BlankField(
        blank.id, blank.kind, name, label, spoken, where, shape_hint(blank.shape), blank.points
    )


def blank_label(blank: Blank | None, blank_id: str, loss: str) -> str:
    """The symbol of a blank as the form shows it, with its training step after the first (its
    id when the exercise no longer has it)."""
    if blank is None:
        return blank_id
    label = blank_field(blank, loss, {}).label
    return (
        label
        if blank.step == 1
        else gettext("%(blank)s, step %(step)d", blank=label, step=blank.step)
    )


def shape_hint(shape: tuple[int, ...]) -> str:
    """The accepted syntax for a value of this shape."""
    if not shape:
        return gettext("a number: -20, 0.2, 0,2, 1/5")
    if len(shape) == 1:
        example = "[" + ", ".join(str(i + 1) for i in range(shape[0])) + "]"
        return ngettext(
            "%(num)d number: %(example)s",
            "%(num)d numbers: %(example)s",
            shape[0],
            example=example,
        )
    rows, columns = shape[0], shape[1]
    example = "; ".join(
        " ".join(str(r * columns + c + 1) for c in range(columns)) for r in range(rows)
    )
    return gettext(
        "%(rows)d×%(columns)d matrix, rows split by ';': %(example)s",
        rows=rows,
        columns=columns,
        example=example,
    )


def grouped_fields(
    blanks: list[Blank], loss: str, roles: Mapping[str, str]
) -> list[tuple[str, str, str, list[BlankField]]]:
    """The form's fieldsets: (kind, title, help, fields) for each kind the exercise asks."""
    groups = []
    for kind in KINDS:
        fields = [blank_field(blank, loss, roles) for blank in blanks if blank.kind == kind]
        if fields:
            groups.append((kind, str(KIND_TITLES[kind]), str(KIND_HELP[kind]), fields))
    return groups


def feedback(entry: dict, blank: Blank | None, exercise: Exercise) -> str:
    """The feedback sentence of a graded blank in the reader's language (the grading core's
    sentence for its verdict and diagnosis; the parser's message for an unreadable answer,
    read again from the text typed, since the result keeps only its English)."""
    verdict, diagnosis = entry.get("verdict"), entry.get("diagnosis")
    if verdict == "unreadable" and current_language() != "en":
        got = entry.get("got")
        if isinstance(got, str):
            try:
                parse_answer(got)
            except Unreadable as unreadable:
                return unreadable.said(current_language())
        if blank is not None:
            return gettext(
                "Could not read this answer: write %(hint)s.", hint=shape_hint(blank.shape)
            )
    if blank is None or verdict == "unreadable":
        return entry.get("feedback") or ""
    try:
        return sentence(exercise, blank, verdict, diagnosis, lang=current_language())
    except KeyError:  # a diagnosis this version of the grader no longer names
        return entry.get("feedback") or ""


@dataclass
class BlankResult:
    """A graded blank as the page shows it."""

    id: str
    name: str
    verdict: str
    label: str
    symbol: str
    points: float
    max_points: float
    feedback: str
    got: str | None
    expected: str | None
    hint: dict | None = None  # {"level", "text"}: offered after a wrong answer

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Attempt:
    """One submission as the page shows it; ``blanks`` once graded."""

    id: int
    number: int
    status: str
    status_label: str
    queued_at: datetime | None
    graded_at: datetime | None
    answers: dict[str, str]
    score: float | None = None
    max_score: float | None = None
    worth: float = 1.0  # the share of its points the attempt is worth (the attempt penalty)
    penalised_score: float | None = None
    blanks: list[BlankResult] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    step_marks: dict[int, dict[str, str]] = field(default_factory=dict)  # marks of each step
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in ("graded", "failed")

    def to_dict(self) -> dict[str, Any]:
        out = {key: value for key, value in self.__dict__.items() if key != "blanks"}
        for key in ("queued_at", "graded_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["blanks"] = {blank.id: blank.to_dict() for blank in self.blanks}
        out["final"] = self.final
        out["summary"] = summary(self)
        return out


def attempt(submission: dict, exercise: Exercise) -> Attempt:
    """A submission (``submissions.as_json``, already without hidden expected values) for the page."""
    by_id = {blank.id: blank for blank in exercise.blanks}
    loss = exercise.graph.loss
    view = Attempt(
        id=submission["id"],
        number=submission["attempt"],
        status=submission["status"],
        status_label=str(STATUS_LABELS.get(submission["status"], submission["status"])),
        queued_at=_moment(submission.get("queued_at")),
        graded_at=_moment(submission.get("graded_at")),
        answers=submission.get("answers") or {},
        worth=submission.get("worth", 1.0),
    )
    if submission["status"] != "graded" or "blanks" not in submission:
        return view
    view.score, view.max_score = submission["score"], submission["max_score"]
    view.penalised_score = submission.get("penalised_score", view.score)
    for blank_id, entry in submission["blanks"].items():
        blank = by_id.get(blank_id)
        verdict = entry["verdict"]
        said = "" if verdict == "correct" else feedback(entry, blank, exercise)
        hint = entry.get("hint")
        if hint and said and hint["text"].startswith(said):
            said = ""  # the hint says it again, and more
        view.blanks.append(
            BlankResult(
                id=blank_id,
                name=blank_label(blank, blank_id, loss),
                verdict=verdict,
                label=str(VERDICT_LABELS.get(verdict, verdict)),
                symbol=VERDICT_SYMBOLS.get(verdict, ""),
                points=entry["points"],
                max_points=blank.points if blank else entry["points"],
                feedback=said,
                got=None if entry.get("got") is None else _text(entry["got"]),
                expected=_text(entry["expected"]) if "expected" in entry else None,
                hint=hint,
            )
        )
        view.counts[verdict] = view.counts.get(verdict, 0) + 1
        target = blank.target if blank else blank_id.partition(".")[2].partition("@")[0]
        for marks in (view.marks, view.step_marks.setdefault(blank.step if blank else 1, {})):
            if SEVERITY.index(verdict) >= SEVERITY.index(marks.get(target, "correct")):
                marks[target] = verdict
    return view


def summary(view: Attempt) -> str:
    """One line about an attempt: its score, or where its grading stands."""
    if view.status != "graded" or view.score is None:
        return view.status_label
    said = gettext(
        "%(score)s of %(max)s points", score=number(view.score), max=number(view.max_score)
    )
    if view.worth < 1:
        said = gettext(
            "%(points)s, worth %(share)s: %(score)s",
            points=said,
            share=percent(view.worth),
            score=number(view.penalised_score),
        )
    return said


def number(value: float | int | None) -> str:
    """A score as people write it: ``4``, ``4.5``."""
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else show(value)
