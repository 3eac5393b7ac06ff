"""The striking differences of a per-number breakdown: where students of one group of a drawn
number (its negative values, or one value or bin) get a blank wrong much more often than the
other students, and enough students answered to say so.

A difference is reported when both sides have at least MIN_STUDENTS students, the higher share
wrong is at least MIN_RATIO times the lower, and a two-sided two-proportion z-test (pooled) gives
p below ALPHA divided by the number of comparisons made (Bonferroni: with many numbers, groups
and blanks, some differences are large by chance)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.services.number_stats import Breakdown, Group

MIN_STUDENTS = 20
MIN_RATIO = 1.5
ALPHA = 0.05
MAX_FINDINGS = 10


@dataclass(frozen=True)
class Side:
    """One side of a comparison: which students, how many answered the blank, how many wrong.

    ``kind`` is ``negative`` / ``non_negative`` (the sign split), ``group`` (one value or bin;
    ``key`` names it) or ``others`` (every other group)."""

    kind: str
    key: str | None
    students: int
    wrong: int

    @property
    def share(self) -> float:
        return self.wrong / self.students if self.students else 0.0


@dataclass(frozen=True)
class Finding:
    """Students on side ``more`` get ``blank`` wrong ``ratio`` times as often as on ``less``
    (``ratio`` is None when ``less`` never did)."""

    number: str
    blank: str
    more: Side
    less: Side
    ratio: float | None
    p_value: float


def findings(breakdowns: list[Breakdown], blanks: list[str]) -> list[Finding]:
    """The striking differences, the strongest evidence first, at most MAX_FINDINGS."""
    candidates = [
        (table.number.name, blank, _side(first, blank), _side(second, blank))
        for table in breakdowns
        for first, second in _splits(table.groups)
        for blank in blanks
    ]
    tested = [c for c in candidates if min(c[2].students, c[3].students) > 0]
    limit = ALPHA / max(len(tested), 1)
    found = []
    for number, blank, one, other in tested:
        more, less = (one, other) if one.share >= other.share else (other, one)
        if less.students < MIN_STUDENTS or more.students < MIN_STUDENTS:
            continue
        ratio = more.share / less.share if less.wrong else None
        if more.wrong == 0 or (ratio is not None and ratio < MIN_RATIO):
            continue
        p = two_proportion_p(more.wrong, more.students, less.wrong, less.students)
        if p < limit:
            found.append(Finding(number, blank, more, less, ratio, p))
    found.sort(key=lambda f: (f.p_value, f.number, f.blank))
    return found[:MAX_FINDINGS]


def two_proportion_p(wrong_a: int, n_a: int, wrong_b: int, n_b: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (wrong_a + wrong_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = abs(wrong_a / n_a - wrong_b / n_b) / spread
    return math.erfc(z / math.sqrt(2))


def _splits(groups: list[Group]) -> list[tuple[tuple, tuple]]:
    """The comparisons of one number: below 0 against 0 and above, and each group against the
    others (the two groups against each other when there are two), each made once."""
    negative = [g for g in groups if _negative(g)]
    rest = [g for g in groups if not _negative(g)]
    splits = []
    if negative and rest:
        splits.append((("negative", None, negative), ("non_negative", None, rest)))
    if len(groups) == 2 and not splits:
        one, other = groups
        splits.append((("group", one.key, [one]), ("group", other.key, [other])))
    elif len(groups) > 2:
        for group in groups:
            others = [g for g in groups if g is not group]
            if negative and (negative == [group] or negative == others):
                continue  # the sign's comparison
            splits.append((("group", group.key, [group]), ("others", None, others)))
    return splits


def _negative(group: Group) -> bool:
    return group.low < 0 and (group.high is None or group.high <= 0)


def _side(side: tuple[str, str | None, list[Group]], blank: str) -> Side:
    kind, key, groups = side
    counts = [g.blanks.get(blank, (0, 0)) for g in groups]
    return Side(kind, key, sum(n for n, _ in counts), sum(w for _, w in counts))
