"""The analytics page's per-number section in Chromium: the striking difference in words, and the
graph redrawn with the errors of the group the instructor picks."""

from __future__ import annotations

import uuid

from grader.extensions import db
from grader.services import accounts
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible
from tests.service.numbers_seed import CLASS, seed


def test_instructor_picks_a_group_and_the_graph_shows_its_errors(page, demo_app, artifacts):
    """k < 0 named in words; picking k = -1 colours e5 by those 25 students alone."""
    course = f"numbers-{uuid.uuid4().hex[:8]}"
    email = f"teacher-{uuid.uuid4().hex[:8]}@test.example"
    with demo_app.app_context():
        accounts.add_user(db.session, email, "instructor", DEMO_PASSWORD, course)
        db.session.commit()
    seed(demo_app, CLASS, course)
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/instructor/**")
    page.goto(f"/instructor/courses/{course}/exercises/two-params-random/analytics")
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert "Students with k < 0 get grad.e5 wrong 8.3× as often as students with k ≥ 0" in (
        page.locator("#number-findings").inner_text()
    )
    everyone = " ".join(page.locator("#graph svg g.edge.edge-e5 text").all_text_contents())
    assert "56% wrong (28/50)" in everyone
    assert_accessible(page)
    page.select_option("#pick-group", "k|-1")
    page.click("#number-pick button[type=submit]")
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    picked = " ".join(page.locator("#graph svg g.edge.edge-e5 text").all_text_contents())
    assert "100% wrong (25/25)" in picked
    assert "only the students with k = -1 (25)" in page.locator("#picked-group").inner_text()
    assert page.locator("table[data-number=k] tr[aria-current]").get_attribute("data-group") == "-1"
    page.screenshot(path=artifacts / "instructor-analytics-by-number.png", full_page=True)
