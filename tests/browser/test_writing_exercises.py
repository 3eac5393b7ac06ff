"""An instructor writes an exercise in Chromium: the graph and the reference values appear as
they type, a typo is named beside its line, the exercise is tried as a student without being
counted, two saves show as two versions with their diff, and another course never sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from grader.cli.service import DEMO_COURSE
from grader.db import Exercise, Submission
from grader.extensions import db
from grader.services import accounts, authoring
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, log_in

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
INSTRUCTOR = "author@test.example"
SLUG = "my-single-weight"
# The book's first example (DESIGN §3), as the instructor types it (its id is taken by the file).
SOURCE = (EXERCISES / "single-weight.yaml").read_text().replace("id: single-weight", f"id: {SLUG}")
EDITOR = f"/instructor/courses/{DEMO_COURSE}/exercises/new"


@pytest.fixture(scope="module")
def author(demo_app):
    """An instructor of the demo course."""
    with demo_app.app_context():
        accounts.add_user(db.session, INSTRUCTOR, "instructor", DEMO_PASSWORD, DEMO_COURSE)
        db.session.commit()
    return INSTRUCTOR


def submissions_of(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Submission.id))
            .join(Exercise, Exercise.id == Submission.exercise_id)
            .where(Exercise.slug == slug)
        )


def log_in_as_instructor(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_an_instructor_writes_an_exercise_tries_it_and_saves_two_versions(
    page, author, demo_app, artifacts
):
    """From an empty editor to a saved, tried and revised exercise."""
    log_in_as_instructor(page, author)
    page.goto(f"/instructor/courses/{DEMO_COURSE}/")
    page.get_by_role("link", name="New exercise").click()
    page.wait_for_url(f"**{EDITOR}")
    editor = page.locator("#source")
    assert editor.input_value() == ""
    editor.press_sequentially(SOURCE)
    expect(page.locator("#preview-blanks tbody td")).to_have_text(
        ["-10", "-10", "-20", "0.2", "0.2"]
    )
    expect(page.locator("#preview-graph svg .edge-e3").first).to_be_attached()
    assert "= 0 + 0.2 = 0.2" in page.locator("#preview-solution").inner_text()
    expect(page.locator("#editor-gutter div")).to_have_count(SOURCE.count("\n") + 1)
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-editor-preview.png", full_page=True)

    page.get_by_role("button", name="Save the new exercise").click()
    page.wait_for_url(f"**/exercises/{SLUG}/edit")
    assert "saved as version 1" in page.locator(".notice-success").inner_text()

    page.get_by_role("link", name="Try it as a student").click()
    page.wait_for_selector("#graph svg")
    for blank, value in {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "20"}.items():
        page.fill(f"[name='{blank}']", value)
    page.click("#submit-answers")
    page.wait_for_selector("#attempt-status[data-status=graded]")
    assert "Correct" in page.locator("#verdict-grad\\.e3").inner_text()
    assert "Correct" not in page.locator("#verdict-grad\\.e1").inner_text()
    assert submissions_of(demo_app, SLUG) == 0

    page.goto(f"/instructor/courses/{DEMO_COURSE}/exercises/{SLUG}/edit")
    page.locator("#source").fill(SOURCE.replace("learning_rate: 0.01", "learning_rate: 0.02"))
    expect(page.locator("#preview-blanks tbody td")).to_have_text(
        ["-10", "-10", "-20", "0.4", "0.4"]
    )
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("text=Saved as version 2.")
    page.get_by_role("link", name="Versions and differences").click()
    expect(page.locator(".versions-table tbody tr")).to_have_count(2)
    expect(page.locator(".versions-table tbody td", has_text=INSTRUCTOR)).to_have_count(2)
    assert page.locator(".diff-del").inner_text() == "-learning_rate: 0.01"
    assert page.locator(".diff-add").inner_text() == "+learning_rate: 0.02"
    assert_accessible(page)


def test_a_typo_is_named_beside_its_line(page, author, artifacts):
    """An unknown name in an expression: `line N: …` beside line N, and nothing saved."""
    log_in_as_instructor(page, author)
    page.goto(EDITOR)
    typo = SOURCE.replace(f"id: {SLUG}", "id: typo-weight").replace("e2 - y", "e2 - yy")
    line = typo.splitlines().index("  e3: e2 - yy") + 1
    page.locator("#source").fill(typo)
    note = page.locator(".editor-note")
    note.wait_for()
    assert note.inner_text() == f"line {line}: unknown name 'yy' in 'e3: e2 - yy'"
    assert page.locator("#editor-gutter div.bad").inner_text() == str(line)
    box, text_box = note.bounding_box(), page.locator("#source").bounding_box()
    assert text_box["y"] < box["y"] < text_box["y"] + text_box["height"]
    page.screenshot(path=artifacts / "exercise-editor-typo.png", full_page=True)
    page.get_by_role("button", name="Save the new exercise").click()
    assert page.locator(".notice-error").is_visible()
    assert f"line {line}: unknown name 'yy'" in page.locator("#editor-problems").inner_text()


def test_a_student_of_another_course_cannot_see_the_exercise(page, author, demo_app):
    """The course's own exercise is not listed or opened in another course."""
    slug = "private-weight"
    with demo_app.app_context():
        teacher = accounts.add_user(db.session, author, "instructor", DEMO_PASSWORD)
        course = accounts.course_of(db.session, teacher, DEMO_COURSE)
        authoring.create(db.session, course, teacher, SOURCE.replace(SLUG, slug))
    log_in(page, "other@test.example")
    page.goto("/courses/other")
    assert slug not in page.content()
    reply = page.goto(f"/courses/other/exercises/{slug}")
    assert reply.status == 404
