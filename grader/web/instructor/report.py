"""An exercise's analytics as the page and the API show them: the figures from
``services.analytics``, the graph's edges coloured by the share of students who got them wrong,
the histogram's geometry."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy.orm import Session

from grader.db import Course, Exercise
from grader.services import analytics, exercises, number_findings, number_stats
from grader.web.graphview import Mark, to_dot
from grader.web.instructor import numbers
from grader.web.instructor.charts import (
    HistogramChart,
    histogram_chart,
    percent,
    share_color,
)

VERDICT_LABELS = {
    "correct": "correct",
    "follow_through": "follow-through",
    "incorrect": "incorrect",
    "unreadable": "unreadable",
    "missing": "left blank",
}
KIND_LABELS = {"grad": "gradient", "update": "update step", "new": "new value"}


def diagnosis_label(code: str | None) -> str:
    """``missing_local_gradient`` -> ``missing local gradient``; two mistakes that fit equally
    (``power_rule|mean_instead_of_sum``) -> ``power rule or mean instead of sum``."""
    if code is None:
        return "no diagnosis"
    return " or ".join(
        part.replace("_", " ").replace("fanout", "fan-out") for part in code.split("|")
    )


@dataclass(frozen=True)
class BlankRow:
    """One blank of the exercise as the analytics table shows it."""

    blank: str
    kind: str
    target: str
    stats: analytics.BlankStats
    color: str

    @property
    def share(self) -> str:
        return percent(self.stats.share_wrong)

    @property
    def note(self) -> str:
        """What the graph writes on the blank's arrow."""
        if not self.stats.students:
            return "no answers yet"
        return f"{self.share} wrong ({self.stats.wrong}/{self.stats.students})"


@dataclass(frozen=True)
class Report:
    """Everything the analytics page draws."""

    course: Course
    exercise: Exercise
    basis: str
    overview: analytics.Overview
    histogram: analytics.Histogram
    chart: HistogramChart
    blanks: list[BlankRow]
    dot: str
    outdated: int
    numbers: list[number_stats.Breakdown] | None = None
    findings: list[number_findings.Finding] | None = None
    picked: numbers.Picked | None = None

    @property
    def number_tables(self) -> list[numbers.Table]:
        return numbers.tables(self.numbers or [], [row.blank for row in self.blanks])

    def finding_sentences(self) -> list[str]:
        return [numbers.sentence(f, self.numbers or []) for f in self.findings or []]

    def as_json(self) -> dict:
        return {
            "course": self.course.slug,
            "exercise": self.exercise.slug,
            "basis": self.basis,
            "overview": vars(self.overview),
            "histogram": {
                "unit": self.histogram.unit,
                "bins": [{"label": b.label, **b.counts} for b in self.histogram.bins],
                "students": self.histogram.students,
                "means": self.histogram.means,
            },
            "blanks": [
                {
                    "blank": row.blank,
                    "students": row.stats.students,
                    "wrong": row.stats.wrong,
                    "share_wrong": row.stats.share_wrong,
                    "verdicts": row.stats.verdicts,
                    "diagnoses": [
                        {"diagnosis": code, "students": n} for code, n in row.stats.diagnoses
                    ],
                    "wrong_values": [
                        {
                            "got": value.got,
                            "verdict": value.verdict,
                            "diagnosis": value.diagnosis,
                            "students": value.students,
                        }
                        for value in row.stats.values
                    ],
                }
                for row in self.blanks
            ],
            **(
                {}
                if self.numbers is None
                else {"numbers": numbers.as_json(self.numbers, self.findings or [])}
            ),
        }


def build(
    session: Session,
    course: Course,
    exercise: Exercise,
    basis: str,
    outdated: int = 0,
    by_number: bool = True,
    pick: tuple[str | None, str | None] = (None, None),
) -> Report:
    """The analytics of ``exercise`` in ``course`` over each student's ``basis`` attempt; with
    ``by_number``, broken down by each drawn number, the graph showing the errors of the group
    ``pick`` (number, group key) if there is one."""
    version = exercises.current_version(session, exercise)
    spec = exercises.load_version(version)
    stats = analytics.blank_stats(session, course.id, exercise.id, basis)
    rows = []
    for blank in version.blanks:
        entry = stats.get(blank["id"]) or analytics.BlankStats(blank["id"])
        color = share_color(entry.share_wrong if entry.students else None)
        rows.append(BlankRow(blank["id"], blank["kind"], blank["target"], entry, color))
    breakdowns = findings = chosen = None
    if by_number:
        breakdowns = number_stats.breakdown(session, course.id, exercise.id, spec, basis)
        findings = number_findings.findings(breakdowns, [row.blank for row in rows])
        chosen = numbers.picked(breakdowns, *pick)
    marks = {
        row.target: _mark(row, chosen)
        for row in rows
        if row.kind == "grad" and "@" not in row.blank  # the graph is drawn with step 1's values
    }
    histogram = analytics.histogram(session, course.id, exercise.id)
    return Report(
        course=course,
        exercise=exercise,
        basis=basis,
        overview=analytics.overview(session, course.id, exercise.id),
        histogram=histogram,
        chart=histogram_chart(histogram),
        blanks=rows,
        dot=to_dot(spec, marks=marks, param_word=gettext("param")),
        outdated=outdated,
        numbers=breakdowns,
        findings=findings,
        picked=chosen,
    )


def _mark(row: BlankRow, chosen: numbers.Picked | None) -> Mark:
    """How the graph draws a blank's edge: the whole class's share wrong, or the chosen group's."""
    if chosen is None:
        return Mark(color=row.color, note=row.note, css="marked")
    students, wrong = chosen.group.blanks.get(row.blank, (0, 0))
    if not students:
        return Mark(color=share_color(None), note="no answers yet", css="marked")
    share = wrong / students
    return Mark(share_color(share), f"{percent(share)} wrong ({wrong}/{students})", "marked")
