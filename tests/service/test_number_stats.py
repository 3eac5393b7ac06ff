"""The per-number breakdown over real PostgreSQL (and SQLite): hand-made results with known
drawn values, grouped by value or by round-number bins, on each student's chosen attempt; and
which differences are called striking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grader.db import Course, Exercise
from grader.extensions import db
from grader.services import exercises, number_findings, number_stats
from grader.services.number_stats import Breakdown, Group, Number
from tests.service.numbers_seed import seed

ATTEMPTS = [
    (1, 1, {"x": 1, "k": -1, "b": -0.7}, {"grad.e5"}),
    (1, 2, {"x": 1, "k": -1, "b": -0.7}, set()),
    (2, 1, {"x": 2, "k": 0, "b": -0.5}, {"grad.e5", "grad.e1"}),
    (3, 1, {"x": 1, "k": 1, "b": 0.0}, set()),
    (4, 1, {"x": 3, "k": 2, "b": 0.4}, {"grad.e5"}),
    (5, 1, {"x": 2, "k": 1, "b": 1.0}, set()),
    (6, 1, {"x": 2, "k": -1, "b": 0.5}, {"grad.e1"}),
]


def table(found: list[Breakdown], name: str) -> dict[str, dict[str, tuple[int, int]]]:
    breakdown = next(b for b in found if b.number.name == name)
    return {group.key: group.blanks for group in breakdown.groups}


@pytest.fixture(params=["postgres", "sqlite"])
def any_app(request):
    return request.getfixturevalue(
        "postgres_app" if request.param == "postgres" else "embedded_app"
    )


def test_numbers_with_few_values_are_grouped_by_value_on_the_first_attempt(any_app):
    """x and k by value; student 1's right second attempt does not count on their first."""
    course_id, exercise_id, exercise = seed(any_app, ATTEMPTS)
    with any_app.app_context():
        found = number_stats.breakdown(db.session, course_id, exercise_id, exercise, "first")
    assert [b.number.name for b in found] == ["x", "y", "k", "b"]
    assert table(found, "x") == {
        "1": {"grad.e5": (2, 1), "grad.e1": (2, 0)},
        "2": {"grad.e5": (3, 1), "grad.e1": (3, 2)},
        "3": {"grad.e5": (1, 1), "grad.e1": (1, 0)},
    }
    assert table(found, "k") == {
        "-1": {"grad.e5": (2, 1), "grad.e1": (2, 1)},
        "0": {"grad.e5": (1, 1), "grad.e1": (1, 1)},
        "1": {"grad.e5": (2, 0), "grad.e1": (2, 0)},
        "2": {"grad.e5": (1, 1), "grad.e1": (1, 0)},
    }


def test_a_number_with_many_values_falls_in_round_bins_with_zero_an_edge(any_app):
    """b, uniform on [-1, 1] in tenths, in bins of 0.5: −0.5 opens [−0.5, 0), 0 opens [0, 0.5),
    1 closes the last bin [0.5, 1]; on the last attempt student 1 is right."""
    course_id, exercise_id, exercise = seed(any_app, ATTEMPTS)
    with any_app.app_context():
        found = number_stats.breakdown(db.session, course_id, exercise_id, exercise, "last")
    b = next(item for item in found if item.number.name == "b")
    assert b.number.step == 0.5 and not b.by_value
    assert [(g.key, g.low, g.high) for g in b.groups] == [
        ("bin-2", -1.0, -0.5),
        ("bin-1", -0.5, 0.0),
        ("bin0", 0.0, 0.5),
        ("bin1", 0.5, 1.0),
    ]
    assert table(found, "b") == {
        "bin-2": {"grad.e5": (1, 0), "grad.e1": (1, 0)},
        "bin-1": {"grad.e5": (1, 1), "grad.e1": (1, 1)},
        "bin0": {"grad.e5": (2, 1), "grad.e1": (2, 0)},
        "bin1": {"grad.e5": (2, 0), "grad.e1": (2, 1)},
    }
    assert b.group("bin0").students == 2 and b.group("bin0").share("grad.e5") == 0.5


def test_each_element_of_a_drawn_matrix_is_a_number_of_its_own(any_app):
    """linear-layer-random: x[1]..x[3], y[1], y[2], W[1,1]..W[2,3], b[1] (12 at most): W[1,2]
    is read from its own element."""

    def variant(w12: int) -> dict:
        W = [[0, w12, 1], [1, 0, -1]]
        return {"given": {"x": [1, 2, 1], "y": [1, 2]}, "params": {"W": W, "b": [1, 0]}}

    course_id, exercise_id, exercise = seed(
        any_app,
        [(1, 1, variant(-1), {"grad.e1"}), (2, 1, variant(1), set()), (3, 1, variant(1), set())],
        exercise_slug="linear-layer-random",
    )
    with any_app.app_context():
        found = number_stats.breakdown(db.session, course_id, exercise_id, exercise, "first")
    names = [b.number.name for b in found]
    assert names[:6] == ["x[1]", "x[2]", "x[3]", "y[1]", "y[2]", "W[1,1]"] and len(names) == 12
    assert table(found, "W[1,2]")["-1"]["grad.e1"] == (1, 1)
    assert table(found, "W[1,2]")["1"]["grad.e1"] == (2, 0)
    assert table(found, "x[2]") == {"2": {"grad.e5": (3, 0), "grad.e1": (3, 1)}}


def test_an_exercise_without_draws_has_no_breakdown(postgres_app):
    with postgres_app.app_context():
        session = db.session
        row = session.scalar(select(Exercise).filter_by(slug="single-weight"))
        exercise = exercises.load_version(exercises.current_version(session, row))
        course = session.scalar(select(Course).limit(1))
        assert (
            number_stats.breakdown(session, course.id if course else 0, row.id, exercise, "first")
            == []
        )


def test_round_bins_are_one_two_or_five_times_a_power_of_ten():
    assert number_stats.nice_step(-1, 1) == 0.5
    assert number_stats.nice_step(0, 100) == 25
    assert number_stats.nice_step(-3, 30) == 10


def sign_table(negative: tuple[int, int], non_negative: tuple[int, int]) -> Breakdown:
    number = Number("v", ("params", "v"), None, -1, 1)
    return Breakdown(
        number,
        [
            Group("-1", -1.0, None, {"grad.e3": negative}),
            Group("1", 1.0, None, {"grad.e3": non_negative}),
        ],
    )


def test_a_sign_difference_is_flagged_when_the_counts_support_it():
    """30 of 60 wrong against 10 of 60: 3× as often, z ≈ 3.9, p ≈ 0.0001 < 0.05."""
    (found,) = number_findings.findings([sign_table((60, 30), (60, 10))], ["grad.e3"])
    assert (found.number, found.blank, found.more.kind, found.less.kind) == (
        "v",
        "grad.e3",
        "negative",
        "non_negative",
    )
    assert found.ratio == pytest.approx(3.0) and found.p_value == pytest.approx(1.1e-4, rel=0.1)


@pytest.mark.parametrize(
    ("negative", "non_negative"),
    [((10, 5), (10, 1)), ((60, 12), (60, 10)), ((25, 9), (25, 4))],
)
def test_small_or_weak_differences_are_not_flagged(negative, non_negative):
    """Too few students on a side; a ratio under 1.5; a 36% against 16% not significant."""
    assert number_findings.findings([sign_table(negative, non_negative)], ["grad.e3"]) == []
