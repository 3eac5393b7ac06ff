"""The analytics page's per-number section: tables by value and by bin, the striking difference
in words (en and ru), the graph's error map for one chosen group, instructors of the course only."""

from __future__ import annotations

import json
import re

from tests.service.factories import make_user
from tests.service.numbers_seed import CLASS, seed
from tests.web.conftest import log_in, new_student

PAGE = "/instructor/courses/{course}/exercises/two-params-random/analytics"


def teacher_with_class(app):
    email, course = new_student(app, role="instructor")
    seed(app, CLASS, course)
    return log_in(app, email, course)


def dot(html: str) -> str:
    found = re.search(r'<script type="application/json" id="graph-dot">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_page_tables_each_drawn_number_and_names_the_striking_difference(app):
    """k by value: 25 of 25 against 3 of 25 wrong at e5 is 8.3× as often, named in words."""
    teacher = teacher_with_class(app)
    html = teacher.get(PAGE.format(course=teacher.course)).get_data(as_text=True)
    assert '<table class="data number-stats" data-number="k">' in html
    assert re.search(
        r'<tr data-group="-1">.*?k = -1.*?<td class="num">25</td>.*?'
        r'data-blank="grad.e5" data-wrong="25" data-students="25"',
        html,
        re.S,
    )
    assert '<tr data-group="bin0">' in html and "0 ≤ b &lt; 0.5" in html
    assert (
        "Students with k &lt; 0 get grad.e5 wrong 8.3× as often as students with k ≥ 0 "
        "(100%, 25 of 25, against 12%, 3 of 25)." in html
    )
    assert "two-proportion z-test" in html


def test_the_graph_shows_the_errors_of_the_group_the_instructor_picks(app):
    """?pick=k|-1 (the form) or ?number=k&group=-1 (the table's link) colour e5 by that group."""
    teacher = teacher_with_class(app)
    page = PAGE.format(course=teacher.course)
    everyone = dot(teacher.get(page).get_data(as_text=True))
    assert "56% wrong (28/50)" in everyone
    for query in ("?pick=k|-1", "?number=k&group=-1"):
        html = teacher.get(page + query).get_data(as_text=True)
        assert "100% wrong (25/25)" in dot(html)
        assert 'id="picked-group" data-number="k" data-group="-1"' in html
        assert "The graph shows only the students with k = -1 (25)." in html
    unknown = teacher.get(page + "?number=k&group=7").get_data(as_text=True)
    assert 'id="picked-group"' not in unknown and "56% wrong (28/50)" in dot(unknown)


def test_the_section_is_in_russian_for_a_russian_reader(app):
    teacher = teacher_with_class(app)
    html = teacher.get(
        PAGE.format(course=teacher.course), headers={"Accept-Language": "ru"}
    ).get_data(as_text=True)
    assert "По вытянутым числам" in html
    assert "Студенты с k &lt; 0 ошибаются в grad.e5 в 8.3 раза чаще, чем студенты с k ≥ 0" in html


def test_the_api_gives_the_breakdown_and_numbers_0_leaves_it_out(app):
    email, course = new_student(app, role="instructor")
    seed(app, CLASS, course)
    api = make_user(app, "instructor", course)
    path = f"/courses/{course}/exercises/two-params-random/analytics"
    body = api.get(path).get_json()["numbers"]
    k = next(n for n in body["numbers"] if n["number"] == "k")
    assert k["by_value"] and [g["group"] for g in k["groups"]] == ["-1", "1"]
    assert k["groups"][0]["blanks"]["grad.e5"] == {"students": 25, "wrong": 25}
    finding = next(f for f in body["findings"] if f["number"] == "k")
    assert (finding["number"], finding["blank"], finding["more"]["kind"]) == (
        "k",
        "grad.e5",
        "negative",
    )
    assert "numbers" not in api.get(path + "?numbers=0").get_json()
    page = log_in(app, email, course).get(f"/instructor{path}?numbers=0").get_data(as_text=True)
    assert 'id="numbers"' not in page


def test_only_the_courses_instructors_see_the_breakdown(app):
    """A student of the course gets 403; an instructor of another course 404."""
    teacher = teacher_with_class(app)
    page = PAGE.format(course=teacher.course) + "?number=k&group=-1"
    student = log_in(app, *new_student(app, teacher.course))
    assert student.get(page).status_code == 403
    other = log_in(app, *new_student(app, role="instructor"))
    assert other.get(page).status_code == 404
