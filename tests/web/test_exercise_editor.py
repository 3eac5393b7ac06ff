"""The exercise editor's pages and endpoints: the live preview, saving versions, the history
and its diff, trying an exercise as a student without a trace, and who may see what."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func, select

from grader.db import Submission
from grader.extensions import db
from tests.web.conftest import log_in, new_student

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def source(slug: str, v: str = "0") -> str:
    text = (EXERCISES / "single-weight.yaml").read_text()
    return text.replace("id: single-weight", f"id: {slug}").replace("  v: 0\n", f"  v: {v}\n")


def teacher(app):
    email, course = new_student(app, role="instructor")
    return log_in(app, email, course)


def preview(me, text: str, sample: int = 0, token: str | None = None):
    page = f"/instructor/courses/{me.course}/exercises/new"
    token = token if token is not None else me.csrf(page)
    return me.client.post(
        f"/instructor/courses/{me.course}/exercises/preview",
        json={"source": text, "sample": sample},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def create(me, text: str):
    page = f"/instructor/courses/{me.course}/exercises/new"
    return me.client.post(page, data={"csrf_token": me.csrf(page), "source": text})


def test_the_preview_gives_the_reference_values_of_the_books_example(app):
    """The preview of single-weight lists its blanks with −10, −10, −20, 0.2, 0.2, the graph
    and the worked solution; nothing is stored."""
    me = teacher(app)
    reply = preview(me, source(f"pv-{uuid.uuid4().hex[:8]}"))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["ok"] and body["problems"] == []
    assert [(b["id"], b["expected"]) for b in body["blanks"]] == [
        ("grad.e3", "-10"),
        ("grad.e2", "-10"),
        ("grad.e1", "-20"),
        ("update.v", "0.2"),
        ("new.v", "0.2"),
    ]
    assert "digraph" in body["dot"] and "<p>" in body["solution"]


def test_the_preview_names_the_line_of_a_typo(app):
    """A typo in an expression comes back as a problem at its line, and no graph."""
    me = teacher(app)
    text = source("typo").replace("e3: e2 - y", "e3: e2 - yy")
    body = preview(me, text).get_json()
    line = text.splitlines().index("  e3: e2 - yy") + 1
    assert body["problems"] == [{"line": line, "reason": "unknown name 'yy' in 'e3: e2 - yy'"}]
    assert "dot" not in body


def test_the_preview_needs_the_csrf_token_and_the_instructor_role(app):
    """Without the token it is refused; a student of the course gets 403."""
    me = teacher(app)
    assert preview(me, source("x"), token="").status_code == 400
    email, _ = new_student(app, course=me.course)
    student = log_in(app, email, me.course)
    token = student.csrf(f"/courses/{me.course}")
    reply = student.client.post(
        f"/instructor/courses/{me.course}/exercises/preview",
        json={"source": source("x")},
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 403


def test_a_version_that_does_not_check_is_not_saved(app):
    """Saving a typo answers 422 with the problem by its line; the exercise is not made."""
    me = teacher(app)
    slug = f"bad-{uuid.uuid4().hex[:8]}"
    reply = create(me, source(slug).replace("e2 - y", "e2 - yy"))
    assert reply.status_code == 422
    assert "unknown name &#39;yy&#39;" in reply.get_data(as_text=True)
    assert me.get(f"/instructor/courses/{me.course}/exercises/{slug}/edit").status_code == 404


def test_saving_twice_lists_two_versions_and_their_diff(app):
    """Two saves make versions 1 and 2 by the instructor; the history shows the changed line."""
    me = teacher(app)
    slug = f"two-{uuid.uuid4().hex[:8]}"
    assert create(me, source(slug)).status_code == 302
    edit = f"/instructor/courses/{me.course}/exercises/{slug}/edit"
    page = me.get(edit).get_data(as_text=True)
    assert f"id: {slug}" in page
    reply = me.client.post(edit, data={"csrf_token": me.csrf(edit), "source": source(slug, "1")})
    assert reply.status_code == 302
    history = me.get(f"/instructor/courses/{me.course}/exercises/{slug}/history")
    text = history.get_data(as_text=True)
    assert 'data-version="2"' in text and 'data-version="1"' in text
    assert text.count(f"<td>{me.email}</td>") == 2
    assert '<span class="diff-del">-  v: 0</span>' in text
    assert '<span class="diff-add">+  v: 1</span>' in text


def test_trying_as_a_student_grades_and_keeps_nothing(app):
    """The trial page is the student's form; an attempt is graded and no submission is made."""
    me = teacher(app)
    slug = f"try-{uuid.uuid4().hex[:8]}"
    create(me, source(slug))
    page = f"/instructor/courses/{me.course}/exercises/{slug}/try"
    assert 'id="answers"' in me.get(page).get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(select(func.count(Submission.id)))
    reply = me.client.post(
        f"{page}/attempts",
        data={"csrf_token": me.csrf(page), "grad.e3": "-10", "grad.e2": "10", "new.v": "0.2"},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 201
    blanks = reply.get_json()["attempt"]["blanks"]
    verdicts = {blank: entry["verdict"] for blank, entry in blanks.items()}
    assert verdicts["grad.e3"] == "correct" and verdicts["grad.e2"] == "incorrect"
    assert verdicts["grad.e1"] == "missing"
    with app.app_context():
        assert db.session.scalar(select(func.count(Submission.id))) == before


def test_only_the_owning_course_sees_and_edits_its_exercise(app):
    """Another course's instructor cannot edit or try it; its students never see it; the
    owning course's students see it once it is offered."""
    me = teacher(app)
    slug = f"own-{uuid.uuid4().hex[:8]}"
    create(me, source(slug))
    other = teacher(app)
    assert other.get(f"/instructor/courses/{other.course}/exercises/{slug}/try").status_code == 404
    assert other.get(f"/instructor/courses/{me.course}/exercises/{slug}/edit").status_code == 404
    outsider = log_in(app, *new_student(app, course=other.course))
    assert outsider.get(f"/courses/{other.course}/exercises/{slug}").status_code == 404
    assert slug not in outsider.get(f"/courses/{other.course}").get_data(as_text=True)
    mine = log_in(app, *new_student(app, course=me.course))
    assert mine.get(f"/courses/{me.course}/exercises/{slug}").status_code == 404
    course_page = f"/instructor/courses/{me.course}/"
    offer = f"/instructor/courses/{me.course}/exercises/{slug}/offered"
    me.client.post(offer, data={"csrf_token": me.csrf(course_page), "offer": "1"})
    assert mine.get(f"/courses/{me.course}/exercises/{slug}").status_code == 200
    assert outsider.get(f"/courses/{other.course}/exercises/{slug}").status_code == 404


def test_a_change_to_an_exercise_with_graded_submissions_asks_whether_to_regrade(app):
    """Once students' submissions were graded against an older version, the editor offers the
    regrade (the existing one, of the course's submissions) and says they may be left."""
    me = teacher(app)
    slug = f"regrade-{uuid.uuid4().hex[:8]}"
    create(me, source(slug))
    course_page = f"/instructor/courses/{me.course}/"
    offer = f"/instructor/courses/{me.course}/exercises/{slug}/offered"
    me.client.post(offer, data={"csrf_token": me.csrf(course_page), "offer": "1"})
    pupil = log_in(app, *new_student(app, course=me.course))
    reply = pupil.submit(slug, {"grad.e3": "-10"})
    assert reply.status_code == 202, reply.get_data(as_text=True)
    assert pupil.wait_graded(reply.get_json()["url"])["status"] == "graded"
    edit = f"/instructor/courses/{me.course}/exercises/{slug}/edit"
    assert "Regrade?" not in me.get(edit).get_data(as_text=True)
    me.client.post(edit, data={"csrf_token": me.csrf(edit), "source": source(slug, "1")})
    page = me.get(edit).get_data(as_text=True)
    assert "Regrade?" in page
    assert "1 submission was graded against an older version of this exercise." in page
    assert f'action="/instructor/courses/{me.course}/exercises/{slug}/regrade"' in page


def test_the_trial_page_is_titled_in_the_readers_language(app):
    me = teacher(app)
    slug = f"try-{uuid.uuid4().hex[:8]}"
    create(me, source(slug))
    page = me.get(f"/instructor/courses/{me.course}/exercises/{slug}/try?lang=ru")
    text = page.get_data(as_text=True)
    assert "<h1>Один вес, один пример</h1>" in text
    assert "One weight, one example" not in text
