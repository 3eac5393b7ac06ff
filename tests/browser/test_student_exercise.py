"""A student in Chromium: log in, open the book's exercise, see the graph, submit, and watch the
verdicts arrive without a reload; the pages pass axe-core and the Content-Security-Policy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from grader.cli.service import DEMO_COURSE
from tests.book_answers import SIGN_ERROR
from tests.browser.conftest import assert_accessible, log_in

EXERCISE = f"/courses/{DEMO_COURSE}/exercises/single-weight"
RIGHT = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0,2", "new.v": "0.2"}


def fill(page, answers: dict) -> None:
    for blank, text in answers.items():
        page.fill(f'input[name="{blank}"]', text)


def verdict(page, blank: str):
    return page.locator(f'output[data-blank="{blank}"]')


def submit_and_wait(page, answers: dict, last_blank: str = "new.v", keyboard=False) -> None:
    """Submit the form (with the button, or Enter in the last input) and wait for the verdicts,
    checking that the page did not reload."""
    page.evaluate("window.stillHere = true")
    for output in page.locator("output[data-blank]").all():
        output.evaluate("element => element.dataset.verdict = 'stale'")
    fill(page, answers)
    if keyboard:
        page.press(f'input[name="{list(answers)[-1]}"]', "Enter")
    else:
        page.click("#submit-answers")
    page.wait_for_selector(
        f'output[data-blank="{last_blank}"]:not([data-verdict="stale"]):not([data-verdict=""])'
    )
    page.wait_for_selector('#attempt-status[data-status="graded"]')
    assert page.evaluate("window.stillHere === true"), "the page reloaded"


def test_student_submits_the_book_example_and_sees_every_blank_correct(page, artifacts):
    """Log in, open single-weight, see the graph with the variant's values, type the book's
    answers, and see each blank marked correct without a reload."""
    page.goto("/login")
    assert_accessible(page)
    log_in(page)
    assert page.url.endswith(f"/courses/{DEMO_COURSE}")
    expect(page.locator("tr[data-exercise='single-weight']")).to_have_count(1)
    assert_accessible(page)

    page.goto(EXERCISE)
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    labels = page.locator("#graph svg g.edge text").all_text_contents()
    assert {"e1 = 0", "e2 = 0", "e3 = -5", "loss = 25"} <= set(labels), labels
    expect(page.locator("#graph svg g.edge.edge-e3")).to_have_count(1)
    for blank in RIGHT:
        field = page.locator(f'input[name="{blank}"]')
        assert field.get_attribute("id") == f"blank-{blank}"
        assert page.locator(f'label[for="blank-{blank}"]').is_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-before-grading.png", full_page=True)

    submit_and_wait(page, RIGHT)
    for blank in RIGHT:
        assert verdict(page, blank).get_attribute("data-verdict") == "correct", blank
    assert "5 of 5 points" in page.locator("#attempt-status").inner_text()
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-correct")).to_have_count(1)
    expect(page.locator(".attempts > li")).to_have_count(1)
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-after-grading.png", full_page=True)


def test_sign_error_is_diagnosed_and_later_blanks_follow_through(page, artifacts):
    """A wrong sign on e3: e3 is incorrect with a sign-error diagnosis, the blanks after it earn
    follow-through credit, and e3's edge turns red on the graph."""
    log_in(page, "student2@demo.test")
    page.goto(EXERCISE)
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    submit_and_wait(page, SIGN_ERROR)

    e3 = verdict(page, "grad.e3")
    assert e3.get_attribute("data-verdict") == "incorrect"
    assert re.search(r"sign is wrong", e3.inner_text(), re.IGNORECASE)
    for blank in ("grad.e2", "grad.e1", "update.v", "new.v"):
        assert verdict(page, blank).get_attribute("data-verdict") == "follow_through", blank
    assert page.locator('input[name="grad.e3"]').get_attribute("aria-invalid") == "true"
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-incorrect")).to_have_count(1)
    assert "4 of 5 points" in page.locator("#attempt-status").inner_text()
    expect(page.locator(".attempts > li")).to_have_count(1)
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-sign-error.png", full_page=True)

    page.reload()
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert page.locator('input[name="grad.e3"]').input_value() == "10"
    assert verdict(page, "grad.e3").get_attribute("data-verdict") == "incorrect"
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-incorrect")).to_have_count(1)


def test_student_cannot_open_another_courses_exercise(page):
    """A course the student is not in answers 404, with a page that says so."""
    log_in(page, "student3@demo.test")
    response = page.goto("/courses/other/exercises/single-weight")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    expect(page.locator("form#answers")).to_have_count(0)
    assert_accessible(page)


def test_exercise_page_works_at_phone_width(page, artifacts):
    """At 375 px the graph is drawn top to bottom, nothing overflows, and grading works."""
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "student3@demo.test")
    page.goto(EXERCISE)
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    submit_and_wait(page, {**RIGHT, "grad.e1": "20"}, keyboard=True)
    assert verdict(page, "grad.e1").get_attribute("data-verdict") == "incorrect"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-phone.png", full_page=True)


def test_russian_interface_from_the_switch(page, artifacts):
    """The language switch turns the pages Russian; answers with a decimal comma still count."""
    log_in(page, "student3@demo.test")
    page.goto(EXERCISE)
    page.click("nav.languages a[lang=ru]")
    page.wait_for_selector("html[lang=ru]")
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert page.locator("#submit-answers").inner_text() == "Отправить на проверку"
    submit_and_wait(page, RIGHT)
    assert verdict(page, "update.v").get_attribute("data-verdict") == "correct"
    assert "Верно" in verdict(page, "update.v").inner_text()
    assert_accessible(page)
    page.screenshot(path=artifacts / "exercise-russian.png", full_page=True)
