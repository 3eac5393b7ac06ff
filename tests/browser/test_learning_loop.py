"""The learning loop in Chromium: an answer is read back as it is typed, before it is
submitted; wrong attempts on e3 bring a hint that names the node, then one level further; and an
attempt penalty set on the instructor's form changes what the next attempt is worth on the
student's page and what the gradebook counts. Each test has a course of its own."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from grader.extensions import db
from grader.services import accounts
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, log_in
from tests.browser.test_student_exercise import submit_and_wait, verdict

WRONG_E3 = {"grad.e3": "10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}
RIGHT = {**WRONG_E3, "grad.e3": "-10"}


def course_of(app, *roles: str) -> tuple[str, list[str]]:
    """A new course with a user per role: (slug, emails)."""
    slug = f"loop-{uuid.uuid4().hex[:8]}"
    emails = [f"{role}-{uuid.uuid4().hex[:8]}@demo.test" for role in roles]
    with app.app_context():
        for role, email in zip(roles, emails, strict=True):
            accounts.add_user(db.session, email, role, DEMO_PASSWORD, slug, role.title())
        db.session.commit()
    return slug, emails


def exercise(slug: str) -> str:
    return f"/courses/{slug}/exercises/single-weight"


def test_typing_an_answer_shows_how_it_is_read_before_submitting(page, demo_app, artifacts):
    """0,2 reads as 0.2, a calculation says why it cannot be read, a vector where a number goes
    says it does not fit; nothing is submitted."""
    slug, (email,) = course_of(demo_app, "student")
    log_in(page, email)
    page.goto(exercise(slug))
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    page.fill('input[name="update.v"]', "0,2")
    read = page.locator("#read-update\\.v")
    page.wait_for_selector('#read-update\\.v[data-state="read"]')
    assert read.inner_text() == "read as 0.2"
    assert read.get_attribute("aria-live") == "polite"
    assert read.get_attribute("data-state") == "read"
    page.fill('input[name="grad.e2"]', "1 - 2")
    page.wait_for_selector('#read-grad\\.e2[data-state="unreadable"]')
    assert "not a calculation" in page.locator("#read-grad\\.e2").inner_text()
    page.fill('input[name="new.v"]', "[1, 2]")
    page.wait_for_selector('#read-new\\.v[data-state="mismatch"]')
    assert page.locator("#read-new\\.v").inner_text() == (
        "read as the vector [1, 2], but this blank takes a number"
    )
    expect(page.locator(".attempts > li")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=artifacts / "learning-preview.png", full_page=True)


def test_wrong_attempts_on_e3_bring_a_hint_that_names_the_node_then_the_next_level(
    page, demo_app, artifacts
):
    """The first wrong e3 shows a level-1 hint naming the power node; the second, level 2."""
    slug, (email,) = course_of(demo_app, "student")
    log_in(page, email)
    page.goto(exercise(slug))
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    submit_and_wait(page, WRONG_E3)
    hint = verdict(page, "grad.e3").locator(".verdict-hint")
    assert hint.get_attribute("data-level") == "1"
    assert hint.inner_text().startswith("Hint 1: e3 feeds the power node loss = e3²")
    expect(verdict(page, "grad.e2").locator(".verdict-hint")).to_have_count(0)
    submit_and_wait(page, {**WRONG_E3, "grad.e3": "5"})
    hint = verdict(page, "grad.e3").locator(".verdict-hint")
    assert hint.get_attribute("data-level") == "2"
    assert hint.inner_text().endswith("the power node multiplies by 2 · e3 = 2 · (−5).")
    assert_accessible(page)
    page.screenshot(path=artifacts / "learning-hints.png", full_page=True)


def test_a_penalty_changes_what_the_next_attempt_is_worth_and_the_gradebook(
    page, demo_app, artifacts
):
    """The instructor sets 25%; after one attempt the student's page says the next is worth
    75%; the student's right second attempt counts 3.75 of 5, and the gradebook shows the best
    after the penalty (4, the first) and before it (5)."""
    slug, (teacher, email) = course_of(demo_app, "instructor", "student")
    log_in_as(page, teacher)
    page.goto(f"/instructor/courses/{slug}/exercises/single-weight/settings")
    page.fill("#penalty", "25%")
    page.click(".settings-form button[type=submit]")
    page.wait_for_url(f"**/instructor/courses/{slug}/")
    page.context.clear_cookies()

    log_in(page, email)
    page.goto(exercise(slug))
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert "worth 100% of its points" in page.locator("#next-worth").inner_text()
    submit_and_wait(page, WRONG_E3)
    page.wait_for_selector('#next-worth[data-worth="0.75"]')
    assert "worth 75% of its points" in page.locator("#next-worth").inner_text()
    submit_and_wait(page, RIGHT)
    assert "5 of 5 points, worth 75%: 3.75" in page.locator("#attempt-status").inner_text()
    page.wait_for_selector('#next-worth[data-worth="0.5"]')
    assert_accessible(page)
    page.screenshot(path=artifacts / "learning-penalty.png", full_page=True)
    page.context.clear_cookies()

    log_in_as(page, teacher)
    page.goto(f"/instructor/courses/{slug}/gradebook")
    cell = page.locator(f'tr[data-student="{email}"] td[data-exercise="single-weight"]')
    assert cell.get_attribute("data-value") == "4.0" and cell.get_attribute("data-raw") == "5.0"
    assert "5 before the attempt penalty" in cell.inner_text()
    assert_accessible(page)
    page.screenshot(path=artifacts / "learning-gradebook.png", full_page=True)


def log_in_as(page, email: str) -> None:
    """Log in through the form, wherever it lands (the instructor's pages or a course)."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
