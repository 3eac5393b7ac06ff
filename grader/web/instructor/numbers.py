"""The analytics page's per-number section: each drawn number's groups as a table, the striking
differences in words, and the group the instructor picked for the graph's error map."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from grader.engine.format import show
from grader.services.number_findings import (
    ALPHA,
    MIN_RATIO,
    MIN_STUDENTS,
    Finding,
    Side,
)
from grader.services.number_stats import Breakdown, Group
from grader.web.instructor.charts import percent, share_color


@dataclass(frozen=True)
class Cell:
    """One blank of one group: its share wrong as text and colour, and the counts."""

    blank: str
    students: int
    wrong: int
    share: str
    color: str


@dataclass(frozen=True)
class Row:
    """One group of a number: its key for the URL, its label, and a cell per blank."""

    key: str
    label: str
    students: int
    cells: list[Cell]


@dataclass(frozen=True)
class Table:
    number: str
    by_value: bool
    rows: list[Row]


@dataclass(frozen=True)
class Picked:
    """The group whose errors the graph shows."""

    number: str
    key: str
    label: str
    group: Group


def label(table: Breakdown, group: Group) -> str:
    """``v = -1``, ``0 ≤ b < 0.5``; the last bin is closed: ``0.5 ≤ b ≤ 1``."""
    name = table.number.name
    if group.high is None:
        return f"{name} = {show(group.low)}"
    closing = "≤" if group is table.groups[-1] and group.high >= table.number.high else "<"
    return f"{show(group.low)} ≤ {name} {closing} {show(group.high)}"


def tables(breakdowns: list[Breakdown], blanks: list[str]) -> list[Table]:
    out = []
    for table in breakdowns:
        rows = []
        for group in table.groups:
            cells = []
            for blank in blanks:
                students, wrong = group.blanks.get(blank, (0, 0))
                share = wrong / students if students else None
                text = percent(share) if share is not None else "—"
                cells.append(Cell(blank, students, wrong, text, share_color(share)))
            rows.append(Row(group.key, label(table, group), group.students, cells))
        out.append(Table(table.number.name, table.by_value, rows))
    return out


def picked(breakdowns: list[Breakdown], number: str | None, key: str | None) -> Picked | None:
    """The group named by ``?number=&group=``, or None (everyone) if there is no such group."""
    for table in breakdowns:
        if table.number.name == number:
            group = table.group(key or "")
            if group is not None:
                return Picked(number, group.key, label(table, group), group)
    return None


def side_text(number: str, side: Side, breakdowns: list[Breakdown]) -> str:
    if side.kind == "negative":
        return f"{number} < 0"
    if side.kind == "non_negative":
        return f"{number} ≥ 0"
    table = next(t for t in breakdowns if t.number.name == number)
    if side.kind == "others":
        return gettext("other values of %(number)s", number=number)
    return label(table, table.group(side.key))


def sentence(finding: Finding, breakdowns: list[Breakdown]) -> str:
    """The finding in words, with its counts."""
    more = side_text(finding.number, finding.more, breakdowns)
    less = side_text(finding.number, finding.less, breakdowns)
    counts = {
        "more": more,
        "less": less,
        "blank": finding.blank,
        "more_share": percent(finding.more.share),
        "more_wrong": finding.more.wrong,
        "more_students": finding.more.students,
        "less_share": percent(finding.less.share),
        "less_wrong": finding.less.wrong,
        "less_students": finding.less.students,
    }
    if finding.ratio is None:
        return gettext(
            "Students with %(more)s get %(blank)s wrong in %(more_share)s of cases (%(more_wrong)d of %(more_students)d); students with %(less)s never do (0 of %(less_students)d).",
            **counts,
        )
    return gettext(
        "Students with %(more)s get %(blank)s wrong %(ratio)s× as often as students with %(less)s (%(more_share)s, %(more_wrong)d of %(more_students)d, against %(less_share)s, %(less_wrong)d of %(less_students)d).",
        ratio=f"{finding.ratio:.1f}",
        **counts,
    )


def rule() -> str:
    """How a difference is judged striking, for the page."""
    return gettext(
        "A difference is named when each side has at least %(students)d students, one side gets the blank wrong at least %(ratio)s× as often, and a two-proportion z-test gives p < %(alpha)s divided by the number of comparisons on this page (Bonferroni).",
        students=MIN_STUDENTS,
        ratio=f"{MIN_RATIO:g}",
        alpha=f"{ALPHA:g}",
    )


def as_json(breakdowns: list[Breakdown], findings: list[Finding]) -> dict:
    """The per-number breakdown and its striking differences, as the API gives them."""
    return {
        "numbers": [
            {
                "number": table.number.name,
                "by_value": table.by_value,
                "bin_width": table.number.step,
                "groups": [
                    {
                        "group": group.key,
                        "label": label(table, group),
                        "students": group.students,
                        "blanks": {
                            blank: {"students": n, "wrong": wrong}
                            for blank, (n, wrong) in group.blanks.items()
                        },
                    }
                    for group in table.groups
                ],
            }
            for table in breakdowns
        ],
        "findings": [
            {
                "number": f.number,
                "blank": f.blank,
                "more": vars(f.more),
                "less": vars(f.less),
                "ratio": f.ratio,
                "p_value": f.p_value,
                "text": sentence(f, breakdowns),
            }
            for f in findings
        ],
    }
