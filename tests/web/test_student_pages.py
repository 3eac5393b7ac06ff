"""The student's course and exercise pages, and attempts sent from them: through the service,
graded by the worker, limited by attempts, deadlines and opening dates, expected values hidden."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from grader.db import utcnow
from tests.book_answers import SIGN_ERROR
from tests.web.conftest import log_in, new_student, offer

RIGHT = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0,2", "new.v": "1/5"}
EXERCISE = "single-weight"


def page_of(student, exercise: str = EXERCISE) -> str:
    return student.get(f"/courses/{student.course}/exercises/{exercise}").get_data(as_text=True)


def script_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="exercise-data">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_course_page_lists_exercises_with_score_attempts_and_deadline(app):
    """Each offered exercise with the student's best score, attempts used of the limit, and the
    deadline; an exercise the course does not offer is not listed."""
    email, course = new_student(app)
    due = utcnow() + timedelta(days=2)
    offer(app, course, EXERCISE, max_attempts=3, due_at=due)
    student = log_in(app, email, course)
    graded = student.wait_graded(student.submit(EXERCISE, SIGN_ERROR).get_json()["url"])
    assert graded["score"] == 4
    html = student.get(f"/courses/{course}").get_data(as_text=True)
    row = re.search(r'<tr data-exercise="single-weight">(.*?)</tr>', html, re.S).group(1)
    assert "4<span" in row and "/ 5" in row
    assert "1 of 3" in row
    assert due.isoformat() in row
    assert 'data-exercise="two-params"' not in html


def test_exercise_page_has_an_input_per_blank_with_label_hint_and_verdict_slot(student):
    """Inputs are named by blank id, each with a label, a syntax hint and an empty verdict."""
    html = page_of(student)
    for blank in RIGHT:
        assert f'name="{blank}"' in html
        assert f'<label for="blank-{blank}">' in html
        assert f'id="hint-{blank}"' in html
        assert f'data-blank="{blank}" data-verdict=""' in html
    assert "∂loss/∂e3" in html and "a number: -20, 0.2, 0,2, 1/5" in html
    assert "Gradients" in html and "Update steps" in html and "New values" in html


def test_exercise_page_carries_the_graph_with_the_students_values(student):
    """The DOT handed to the page's script labels the edges with the variant's forward values."""
    data = script_data(page_of(student))
    assert 'label="e3 = -5"' in data["dot"]
    assert 'class="edge-e3"' in data["dot"]
    assert data["latest"] is None


def test_every_shipped_exercise_page_renders_with_its_graph_and_inputs(student, exercises_dir):
    """Each exercise file's page: one input per blank and a graph whose edges carry values."""
    for path in sorted(exercises_dir.glob("*.yaml")):
        reply = student.get(f"/courses/{student.course}/exercises/{path.stem}")
        assert reply.status_code == 200, path.stem
        html = reply.get_data(as_text=True)
        data = script_data(html)
        assert data["dot"].startswith("digraph") and " = " in data["dot"], path.stem
        assert html.count('class="verdict"') == html.count('<input id="blank-'), path.stem


def test_exercise_text_is_rendered_without_raw_html(student):
    """The exercise's Markdown becomes HTML; the page has no inline script or style."""
    html = page_of(student)
    assert "<p>The model is y' = v * x" in html
    markup = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", html, flags=re.S)
    assert "<style" not in markup and " style=" not in markup
    assert all(' src="/static/' in tag for tag in re.findall(r"<script[^>]*>", markup))


def test_submitting_from_the_page_queues_then_grades_through_the_service(student):
    """The page's post answers 202 queued with the attempt's address; polling it gives each
    blank's verdict, points and feedback, with the graph's marks."""
    reply = student.submit(EXERCISE, SIGN_ERROR)
    assert reply.status_code == 202
    body = reply.get_json()
    assert body["status"] == "queued"
    graded = student.wait_graded(body["url"])
    assert graded["status"] == "graded" and graded["score"] == 4 and graded["max_score"] == 5
    e3 = graded["blanks"]["grad.e3"]
    assert e3["verdict"] == "incorrect" and "sign is wrong" in e3["feedback"]
    assert graded["blanks"]["grad.e2"]["verdict"] == "follow_through"
    assert graded["marks"] == {
        "e3": "incorrect",
        "e2": "follow_through",
        "e1": "follow_through",
        "v": "follow_through",
    }
    api = student.get(f"/api/v1/submissions/{body['id']}").get_json()
    assert api["status"] == "graded" and api["answers"] == SIGN_ERROR


def test_page_shows_the_last_attempt_answers_verdicts_and_history(student):
    """After grading, the page keeps the student's answers in the inputs, their verdicts beside
    them, and the attempt in the history."""
    student.wait_graded(student.submit(EXERCISE, RIGHT).get_json()["url"])
    student.wait_graded(student.submit(EXERCISE, SIGN_ERROR).get_json()["url"])
    html = page_of(student)
    assert 'name="grad.e3" type="text"' in html
    assert re.search(r'name="grad.e3"[^>]*value="10"', html, re.S)
    assert 'data-blank="grad.e3" data-verdict="incorrect"' in html
    assert 'data-blank="new.v" data-verdict="follow_through"' in html
    assert html.count('class="attempt"') == 2
    assert "4 of 5 points" in html and "5 of 5 points" in html


def test_without_javascript_the_form_posts_and_returns_to_the_page(student):
    """A plain form post is taken the same way and redirects back to the exercise page."""
    page = f"/courses/{student.course}/exercises/{EXERCISE}"
    reply = student.client.post(
        f"{page}/attempts", data={"csrf_token": student.csrf(page), **RIGHT}
    )
    assert reply.status_code == 303
    assert reply.headers["Location"].startswith(page + "#attempt-")


def test_posting_answers_needs_the_csrf_token(student):
    """A cross-site post (no token) is refused and stores nothing."""
    page = f"/courses/{student.course}/exercises/{EXERCISE}"
    reply = student.client.post(f"{page}/attempts", data=RIGHT)
    assert reply.status_code == 400
    assert script_data(page_of(student))["latest"] is None


def test_the_same_idempotency_key_makes_one_attempt(student):
    """A post retried with the form's key (a lost reply) is the same attempt."""
    key = {"idempotency_key": "retry-me"}
    first = student.submit(EXERCISE, {**RIGHT, **key}).get_json()
    second = student.submit(EXERCISE, {**RIGHT, **key}).get_json()
    assert first["id"] == second["id"]


def test_attempt_limit_is_enforced_with_a_clear_message(app):
    """Past the course's attempt limit the page's post is refused with a message; the page says
    so and its submit button is disabled."""
    email, course = new_student(app)
    offer(app, course, EXERCISE, max_attempts=1)
    student = log_in(app, email, course)
    student.wait_graded(student.submit(EXERCISE, SIGN_ERROR).get_json()["url"])
    reply = student.submit(EXERCISE, RIGHT)
    assert reply.status_code == 409
    assert "used" in reply.get_json()["message"] and "1" in reply.get_json()["message"]
    html = page_of(student)
    assert 'data-closed="attempts"' in html
    assert re.search(r'id="submit-answers" disabled', html)


def test_deadline_is_enforced_and_then_the_solution_is_shown(app):
    """After the deadline no attempt is taken; the expected values and the worked solution, kept
    back until then, are shown."""
    email, course = new_student(app)
    offer(app, course, EXERCISE, due_at=utcnow() + timedelta(hours=1))
    student = log_in(app, email, course)
    posted = student.submit(EXERCISE, SIGN_ERROR).get_json()
    url, api = posted["url"], f"/api/v1/submissions/{posted['id']}"
    graded = student.wait_graded(url)
    assert all(entry["expected"] is None for entry in graded["blanks"].values())
    assert all("expected" not in entry for entry in student.get(api).get_json()["blanks"].values())
    shown = student.get(f"/api/v1/exercises/{EXERCISE}?course={course}").get_json()
    assert "expected" not in shown["attempts"][0]["blanks"]["grad.e3"]
    html = page_of(student)
    assert "Work forward through the graph" not in html and "Expected:" not in html
    assert "shown after the deadline" in html

    offer(app, course, EXERCISE, due_at=utcnow() - timedelta(minutes=1))
    reply = student.submit(EXERCISE, RIGHT)
    assert student.get(api).get_json()["blanks"]["grad.e3"]["expected"] == -10
    assert reply.status_code == 403 and "deadline" in reply.get_json()["message"]
    assert student.wait_graded(url)["blanks"]["grad.e3"]["expected"] == "-10"
    html = page_of(student)
    assert "Work forward through the graph" in html
    assert "Expected" in html and "<code>-10</code>" in html


def test_reveal_after_each_attempt_shows_the_solution_once_attempted(app):
    """With the instructor's "after each attempt" choice, the solution appears after the first."""
    email, course = new_student(app)
    offer(app, course, EXERCISE, reveal="after_each_attempt")
    student = log_in(app, email, course)
    assert "Work forward through the graph" not in page_of(student)
    graded = student.wait_graded(student.submit(EXERCISE, SIGN_ERROR).get_json()["url"])
    assert graded["blanks"]["grad.e1"]["expected"] == "-20"
    history = student.get(f"/courses/{course}/exercises/{EXERCISE}/attempts")
    assert "Work forward through the graph" in history.get_data(as_text=True)


def test_exercise_before_it_opens_is_listed_but_closed(app):
    """An exercise that opens later is listed with its date; its page and its posts are refused."""
    email, course = new_student(app)
    offer(app, course, EXERCISE, opens_at=utcnow() + timedelta(days=1))
    student = log_in(app, email, course)
    course_html = student.get(f"/courses/{course}").get_data(as_text=True)
    assert "Opens" in course_html
    assert f'href="/courses/{course}/exercises/{EXERCISE}"' not in course_html
    page = student.get(f"/courses/{course}/exercises/{EXERCISE}")
    assert page.status_code == 403 and "not open yet" in page.get_data(as_text=True)
    reply = student.client.post(
        f"/courses/{course}/exercises/{EXERCISE}/attempts",
        data={"csrf_token": student.csrf(f"/courses/{course}"), **RIGHT},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 403 and "not open yet" in reply.get_json()["message"]


def test_student_cannot_open_another_courses_exercise(app, student):
    """Another course's pages answer 404, as does an exercise the course does not offer."""
    _, other_course = new_student(app)
    for path in (
        f"/courses/{other_course}",
        f"/courses/{other_course}/exercises/{EXERCISE}",
        f"/courses/{other_course}/exercises/{EXERCISE}/attempts",
    ):
        reply = student.get(path)
        assert reply.status_code == 404, path
        assert "Not found" in reply.get_data(as_text=True)
    offer(app, student.course, "two-params")
    assert student.get(f"/courses/{student.course}/exercises/{EXERCISE}").status_code == 404


def test_student_cannot_read_another_students_attempt(app, student):
    """Polling another student's attempt, even in the same course, answers 404."""
    email, _ = new_student(app, student.course)
    other = log_in(app, email, student.course)
    url = other.submit(EXERCISE, RIGHT).get_json()["url"]
    reply = student.client.get(url, headers={"Accept": "application/json"})
    assert reply.status_code == 404
