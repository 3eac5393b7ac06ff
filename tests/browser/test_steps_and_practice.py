"""Three training steps and practice in Chromium: the graph follows the step being worked, drawn
from the student's own new values; a wrong new value in step 1 carries into steps 2 and 3 as
follow-through; a practice variant and a new graph like the exercise are worked, graded at
once and explained, and the exercise's own attempts stay untouched. Each test has a course of
its own."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in
from tests.browser.test_learning_loop import course_of
from tests.browser.test_student_exercise import fill, verdict

STEP_1 = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0,2", "new.v": "0.3"}
# Worked from the wrong new v = 0.3: all follow-through.
STEPS_2_AND_3 = {
    "grad.e3@2": "-8.8",
    "grad.e2@2": "-8.8",
    "grad.e1@2": "-17.6",
    "update.v@2": "0.176",
    "new.v@2": "0.476",
    "grad.e3@3": "-8.096",
    "grad.e2@3": "-8.096",
    "grad.e1@3": "-16.192",
    "update.v@3": "0.16192",
    "new.v@3": "0.63792",
}


def graph_labels(page) -> set[str]:
    return set(page.locator("#graph svg g.edge text").all_text_contents())


def wait_graph_step(page, step: int) -> None:
    page.wait_for_selector(f"#graph[data-step='{step}'][data-state='drawn'] svg")


def test_three_steps_are_worked_with_the_graph_of_each_step(page, demo_app, artifacts):
    slug, (email,) = course_of(demo_app, "student")
    log_in(page, email)
    page.goto(f"/courses/{slug}/exercises/single-weight-3-steps")
    wait_graph_step(page, 1)
    assert page.locator("#step-picker").is_visible()
    expect(page.locator("fieldset.step-group")).to_have_count(3)
    assert {"e3 = -5", "loss = 25"} <= graph_labels(page)

    fill(page, STEP_1)
    page.focus('input[name="grad.e3@2"]')
    page.wait_for_selector("#step-picker input[value='2']:checked")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#graph svg g.edge text')]"
        ".some(t => t.textContent === 'e2 = 0.6')"
    )
    assert "from your new values of step 1" in page.locator("#graph-step-note").inner_text()
    assert {"e2 = 0.6", "e3 = -4.4"} <= graph_labels(page)
    assert_accessible(page)
    page.screenshot(path=artifacts / "steps-graph-of-step-2.png", full_page=True)

    fill(page, STEPS_2_AND_3)
    page.evaluate("window.stillHere = true")
    page.click("#submit-answers")
    page.wait_for_selector('#attempt-status[data-status="graded"]')
    assert page.evaluate("window.stillHere === true")
    assert verdict(page, "new.v").get_attribute("data-verdict") == "incorrect"
    for blank in STEPS_2_AND_3:
        assert verdict(page, blank).get_attribute("data-verdict") == "follow_through", blank
    assert "14 of 15 points" in page.locator("#attempt-status").inner_text()

    page.check("#step-picker input[value='1']")
    wait_graph_step(page, 1)
    page.wait_for_selector("#graph svg g.node.verdict-incorrect")
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-correct")).to_have_count(1)
    page.check("#step-picker input[value='3']")
    wait_graph_step(page, 3)
    assert "e2 = 0.952" in graph_labels(page)
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-follow_through")).to_have_count(1)
    expect(page.locator(".attempts > li")).to_have_count(1)
    assert_accessible(page)
    page.screenshot(path=artifacts / "steps-after-grading.png", full_page=True)


def right_answers(page) -> dict:
    """The book's exercise worked for the values on the page (x, y and v)."""
    values = {}
    for row in page.locator("table.values").first.locator("tbody tr").all():
        name = row.locator("th var")
        if name.count():
            values[name.inner_text()] = float(row.locator("td code").first.inner_text())
    x, y, v = values["x"], values["y"], values["v"]
    e3 = 2 * (x * v - y)
    step = -0.01 * e3 * x
    return {
        "grad.e3": repr(e3),
        "grad.e2": repr(e3),
        "grad.e1": repr(e3 * x),
        "update.v": repr(step),
        "new.v": repr(v + step),
    }


def test_a_practice_variant_and_a_new_graph_are_worked_without_counting(page, demo_app, artifacts):
    slug, (email,) = course_of(demo_app, "student")
    log_in(page, email)
    exercise = f"/courses/{slug}/exercises/single-weight"
    page.goto(exercise)
    page.click("#practice-variant")
    page.wait_for_url("**/practice/1")
    wait_graph_step(page, 1)
    assert "Practice 1" in page.locator("h1").inner_text()
    right = right_answers(page)
    assert right != {"grad.e3": "-10.0"}
    assert_accessible(page)

    fill(page, {**right, "grad.e3": "7"})
    page.click("#submit-answers")
    page.wait_for_selector('#attempt-status[data-status="graded"]')
    e3 = verdict(page, "grad.e3")
    assert e3.get_attribute("data-verdict") == "incorrect"
    expect(e3.locator(".verdict-hint")).to_have_count(1)
    expect(e3.locator(".verdict-expected")).to_have_count(1)
    expect(page.locator("#graph svg g.edge.edge-e3.verdict-incorrect")).to_have_count(1)

    fill(page, right)
    page.click("#submit-answers")
    page.wait_for_function(
        "() => document.querySelector('#attempt-status').textContent.includes('Attempt 2')"
    )
    for blank in right:
        assert verdict(page, blank).get_attribute("data-verdict") == "correct", blank
    assert "5 of 5 points" in page.locator("#attempt-status").inner_text()
    expect(page.locator(".attempts > li")).to_have_count(2)
    page.click(".solution-reveal summary")
    assert page.locator(".solution-text").is_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / "practice-variant.png", full_page=True)

    page.click("#practice-drill")
    page.wait_for_url("**/practice/2")
    wait_graph_step(page, 1)
    first = page.locator("input[name^='grad.']").first
    first.fill("0,5")
    page.wait_for_selector(".read-back[data-state='read']")
    assert page.locator(".read-back[data-state='read']").first.inner_text() == "read as 0.5"
    page.click("#submit-answers")
    page.wait_for_selector('#attempt-status[data-status="graded"]')
    expect(page.locator("output.verdict[data-verdict='missing']").first).to_be_attached()
    assert_accessible(page)
    page.screenshot(path=artifacts / "practice-drill.png", full_page=True)

    page.goto(exercise)
    expect(page.locator(".attempts > li")).to_have_count(0)
    expect(page.locator(".practice-list li")).to_have_count(2)
