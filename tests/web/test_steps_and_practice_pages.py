"""Several training steps and practice on the student's pages: the steps one under another, the
graph of each step from the student's own new values, and practice with new numbers or a new
graph, graded at once, with its worked solution after an attempt."""

from __future__ import annotations

import csv
import io
import re

from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student
from tests.web.test_student_pages import script_data

THREE = "single-weight-3-steps"
BOOK_THREE_STEPS = {
    "grad.e3": "-10",
    "grad.e2": "-10",
    "grad.e1": "-20",
    "update.v": "0.2",
    "new.v": "0.2",
    "grad.e3@2": "-9.2",
    "grad.e2@2": "-9.2",
    "grad.e1@2": "-18.4",
    "update.v@2": "0.184",
    "new.v@2": "0.384",
    "grad.e3@3": "-8.464",
    "grad.e2@3": "-8.464",
    "grad.e1@3": "-16.928",
    "update.v@3": "0.16928",
    "new.v@3": "0.55328",
}


def page(student, exercise: str = THREE, suffix: str = "") -> str:
    reply = student.get(f"/courses/{student.course}/exercises/{exercise}{suffix}")
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


def test_a_three_step_exercise_shows_its_steps_one_under_another(student):
    html = page(student)
    assert [int(k) for k in re.findall(r'<fieldset class="step-group" data-step="(\d)"', html)] == [
        1,
        2,
        3,
    ]
    for blank in BOOK_THREE_STEPS:
        assert f'name="{blank}"' in html and f'<label for="blank-{blank}">' in html
    assert "Step 2 starts from your own new values of step 1." in html
    assert "(gradient of loss with respect to e3, step 2)" in html
    assert '<fieldset class="step-picker" id="step-picker" hidden>' in html
    assert script_data(html)["steps"] == 3
    assert 'label="e3 = -5"' in script_data(html)["dot"]


def test_a_later_steps_graph_is_worked_from_the_students_own_new_values(student):
    base = f"/courses/{student.course}/exercises/{THREE}/graph"
    blank = student.get(f"{base}?step=2", headers={"Accept": "application/json"}).get_json()
    assert blank["step"] == 2 and "= " not in re.sub(r'label="(x|y|v)[^"]*"', "", blank["dot"])
    assert "fill in your new values of step 1" in blank["note"]
    own = student.get(f"{base}?step=2&new.v=0,5", headers={"Accept": "application/json"})
    dot = own.get_json()["dot"]
    assert 'label="e2 = 1"' in dot and 'label="e3 = -4"' in dot and 'label="loss = 16"' in dot
    third = student.get(f"{base}?step=3&new.v=0.2&new.v%402=0.384").get_json()["dot"]
    assert 'label="e3 = -4.232"' in third
    for bad in ("4", "0", "²", "x"):
        assert student.get(f"{base}?step={bad}").status_code == 422, bad
    first = student.get(f"{base}?step=1").get_json()
    assert 'label="e3 = -5"' in first["dot"]


def test_the_graph_as_text_shows_each_step_from_the_last_attempt(student):
    assert "—</span>" in page(student)
    reply = student.submit(THREE, BOOK_THREE_STEPS)
    graded = student.wait_graded(reply.get_json()["url"])
    assert graded["score"] == 15
    assert graded["step_marks"]["2"] == {
        "e3": "correct",
        "e2": "correct",
        "e1": "correct",
        "v": "correct",
    }
    html = page(student)
    row = re.search(r"<var>e3</var></th><td><code>e2 - y</code></td>(.*?)</tr>", html, re.S)
    assert re.findall(r"<code>([^<]*)</code>", row.group(1)) == ["-5", "-4.6", "-4.232"]
    assert "∂loss/∂e3, step 3" in html


def test_gradebook_and_analytics_count_every_steps_blanks(app):
    email, course = new_student(app)
    teacher = make_user(app, "instructor", course)
    student = log_in(app, email, course)
    wrong_first = {**BOOK_THREE_STEPS, "grad.e3": "10"}
    student.wait_graded(student.submit(THREE, wrong_first).get_json()["url"])
    book = teacher.get(f"/courses/{course}/gradebook.csv").get_data(as_text=True)
    [row] = [r for r in csv.DictReader(io.StringIO(book)) if r["student"] == email]
    assert float(row[THREE]) == 14
    figures = teacher.get(f"/courses/{course}/exercises/{THREE}/analytics").get_json()
    blanks = {entry["blank"]: entry for entry in figures["blanks"]}
    assert len(blanks) == 15 and blanks["grad.e3"]["wrong"] == 1
    assert blanks["new.v@3"]["verdicts"] == {"correct": 1}
    instructor = log_in(app, *new_student(app, course, role="instructor"))
    html = instructor.get(f"/instructor/courses/{course}/exercises/{THREE}/analytics")
    assert html.status_code == 200 and "new.v@3" in html.get_data(as_text=True)


def test_practice_with_new_numbers_is_a_page_worked_like_the_exercise(student):
    exercise = f"/courses/{student.course}/exercises/single-weight"
    html = page(student, "single-weight")
    assert 'value="variant"' in html and 'value="drill"' in html
    token = student.csrf(exercise)
    made = student.client.post(
        f"{exercise}/practice", data={"csrf_token": token, "kind": "variant"}
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/practice/1")
    html = page(student, "single-weight", "/practice/1")
    assert "Practice 1: One weight, one example" in html
    assert "Practice never counts" in html and "worked solution of this practice" in html
    data = script_data(html)
    assert data["practice"] == 1 and data["submitUrl"].endswith("/practice/1/attempts")
    assert data["previewUrl"] == "/api/v1/exercises/single-weight/practice/1/preview"

    reply = student.client.post(
        data["submitUrl"],
        data={"csrf_token": student.csrf(exercise), "grad.e3": "7"},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 201
    attempt = reply.get_json()["attempt"]
    assert attempt["final"] and attempt["blanks"]["grad.e3"]["verdict"] == "incorrect"
    assert attempt["blanks"]["grad.e3"]["hint"]["level"] == 1
    assert attempt["blanks"]["grad.e3"]["expected"] is not None
    parts = student.get(data["historyUrl"]).get_data(as_text=True)
    assert "Show the worked solution" in parts and "Attempt 1" in parts
    assert re.search(r'id="exercise-facts">.*?<dd>1 <span', parts, re.S)
    again = student.get(data["pollUrl"].replace("/0", f"/{attempt['id']}")).get_json()
    assert again["id"] == attempt["id"]
    assert "Practice 1" in page(student, "single-weight")
    assert script_data(page(student, "single-weight"))["latest"] is None


def test_a_new_graph_like_the_exercise_opens_as_a_practice_with_its_own_blanks(student):
    exercise = f"/courses/{student.course}/exercises/two-params"
    token = student.csrf(exercise)
    made = student.client.post(f"{exercise}/practice", data={"csrf_token": token, "kind": "drill"})
    assert made.status_code == 303
    html = page(student, "two-params", "/practice/1")
    assert (
        "A new graph like the exercise" in html
        and "Generated drill" not in html.split("<h1>")[1][:80]
    )
    assert 'name="grad.w1"' in html and 'name="new.w2"' in html
    no_script = student.client.post(
        f"{exercise}/practice/1/attempts", data={"csrf_token": student.csrf(exercise)}
    )
    assert no_script.status_code == 303 and "#attempt-" in no_script.headers["Location"]


def test_a_practice_page_is_its_students_alone(app, student):
    exercise = f"/courses/{student.course}/exercises/single-weight"
    student.client.post(f"{exercise}/practice", data={"csrf_token": student.csrf(exercise)})
    classmate = log_in(app, *new_student(app, student.course))
    assert classmate.get(f"{exercise}/practice/1").status_code == 404
    assert classmate.get(f"{exercise}/practice/1/attempts").status_code == 404


def test_a_practice_page_and_its_drill_text_are_in_russian(student):
    exercise = f"/courses/{student.course}/exercises/two-params"
    token = student.csrf(exercise)
    student.client.post(f"{exercise}/practice", data={"csrf_token": token, "kind": "drill"})
    ru = {"Accept-Language": "ru"}
    html = student.get(f"{exercise}/practice/1", headers=ru).get_data(as_text=True)
    assert "Тренировка 1: новый граф, похожий на" in html
    assert "Граф, построенный для тренировки" in html and "Значения:" in html
    assert "A graph drawn for practice" not in html
    assert "Тренироваться на новых числах" in student.get(exercise, headers=ru).get_data(True)
