"""What the student's pages decide without a request: open or closed, revealed or not, safe
Markdown, and how an attempt is shown."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from grader.checking import grade
from grader.db import utcnow
from grader.exercises import load_dir
from grader.services.standing import closed_reason, disclosed, revealed
from grader.web.student import markdown, present

NOW = utcnow()
HOUR = timedelta(hours=1)


def settings(**values):
    base = {
        "opens_at": None,
        "due_at": None,
        "max_attempts": None,
        "reveal": "after_deadline",
    }
    return SimpleNamespace(**{**base, **values})


@pytest.mark.parametrize(
    ("values", "used", "reason"),
    [
        ({}, 5, None),
        ({"opens_at": NOW + HOUR}, 0, "not_open"),
        ({"due_at": NOW - HOUR}, 0, "deadline"),
        ({"due_at": NOW + HOUR, "max_attempts": 2}, 1, None),
        ({"due_at": NOW + HOUR, "max_attempts": 2}, 2, "attempts"),
    ],
)
def test_an_exercise_is_closed_before_it_opens_after_its_deadline_or_its_last_attempt(
    values, used, reason
):
    """The reasons no attempt is taken, in the order a student meets them."""
    assert closed_reason(settings(**values), used, False, NOW) == reason
    assert closed_reason(settings(**values), used, True, NOW) is None


@pytest.mark.parametrize(
    ("reveal", "values", "used", "shown"),
    [
        ("after_deadline", {}, 3, False),
        ("after_deadline", {"due_at": NOW + HOUR}, 3, False),
        ("after_deadline", {"due_at": NOW - HOUR}, 0, True),
        ("after_last_attempt", {"max_attempts": 2}, 1, False),
        ("after_last_attempt", {"max_attempts": 2}, 2, True),
        ("after_each_attempt", {}, 0, False),
        ("after_each_attempt", {}, 1, True),
        ("never", {"due_at": NOW - HOUR}, 5, False),
    ],
)
def test_expected_values_are_revealed_as_the_instructor_chose(reveal, values, used, shown):
    """Each reveal policy; the course's staff always see them."""
    assert revealed(settings(reveal=reveal, **values), used, False, NOW) is shown
    assert revealed(settings(reveal=reveal, **values), used, True, NOW) is True


def test_no_settings_means_open_and_not_revealed():
    """An exercise the course lists without settings: no limit, no deadline, nothing revealed."""
    assert closed_reason(None, 10, False, NOW) is None
    assert revealed(None, 10, False, NOW) is False


def test_hidden_expected_values_are_not_sent():
    """A submission's blanks lose their expected values until they are revealed."""
    row = {"id": 1, "blanks": {"grad.e3": {"verdict": "incorrect", "expected": -10, "got": 10}}}
    assert "expected" not in disclosed(row, False)["blanks"]["grad.e3"]
    assert disclosed(row, True)["blanks"]["grad.e3"]["expected"] == -10
    assert disclosed({"id": 2, "status": "queued"}, False) == {"id": 2, "status": "queued"}


def test_markdown_is_rendered_without_raw_html_or_script_links():
    """An exercise text cannot inject markup or javascript: links."""
    html = str(
        markdown.render(
            "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> "
            "[a](javascript:alert(1)) **b** `c`\n\n- d"
        )
    )
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "<strong>b</strong>" in html and "<code>c</code>" in html and "<li>d</li>" in html


def test_attempt_marks_the_worst_verdict_of_each_edge_and_parameter(exercises_dir, app):
    """Blanks map to the graph: grad.e3 to edge e3, update.v and new.v to parameter v; the
    worst verdict among a name's blanks is the one drawn."""
    exercise = load_dir(exercises_dir)["single-weight"]
    variant = exercise.draw_variant("secret", "student")
    answers = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "x"}
    result = grade(exercise, variant, answers)
    row = {"id": 7, "attempt": 2, "status": "graded", "answers": answers, **result}
    with app.test_request_context("/"):
        view = present.attempt(row, exercise)
        shown = view.to_dict()
    assert view.marks == {"e3": "correct", "e2": "correct", "e1": "correct", "v": "unreadable"}
    assert view.counts == {"correct": 3, "unreadable": 1, "missing": 1}
    assert shown["blanks"]["grad.e3"]["feedback"] == ""
    assert shown["blanks"]["new.v"]["feedback"] == "No answer given."
    assert shown["blanks"]["grad.e3"]["name"] == "∂loss/∂e3"
    assert shown["summary"] == "3 of 5 points"
