"""The demo instructor in Chromium: import students, watch the class's mistakes land on the
computation graph, read the diagnoses, download the gradebook, regrade; a student gets 403."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from werkzeug.serving import make_server

from grader.background import start_embedded_worker
from grader.cli.service import DEMO_COURSE, DEMO_INSTRUCTOR, DEMO_STUDENTS
from grader.db import migrate
from grader.extensions import db
from grader.services import accounts
from grader.web import create_app
from tests.browser.conftest import CSP, DEMO_PASSWORD, WithCSP, assert_accessible
from tests.service.conftest import base_config, prepared

COURSE = f"/instructor/courses/{DEMO_COURSE}"
ANALYTICS = f"{COURSE}/exercises/single-weight/analytics"
GRADEBOOK_CSV = f"/api/v1/courses/{DEMO_COURSE}/gradebook.csv"
ROSTER_CSV = (
    "email,name\n"
    "ada@demo.test,Ada Lovelace\n"
    "not-an-email,Bad Row\n"
    "alan@demo.test,Alan Turing\n"
    "grace@demo.test,Grace Hopper\n"
)
RIGHT = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}
# Who submits what, in order (alan twice); the comments give the grader's verdicts.
SUBMISSIONS = [
    (DEMO_STUDENTS[0], RIGHT),  # 5/5
    (DEMO_STUDENTS[1], RIGHT),  # 5/5
    # e3 sign error; e2, e1, update, new right given it (follow-through): 4/5
    (
        DEMO_STUDENTS[2],
        {"grad.e3": "10", "grad.e2": "10", "grad.e1": "20", "update.v": "-0.2", "new.v": "-0.2"},
    ),
    # e1 missing the local gradient; update and new follow through: 4/5
    ("ada@demo.test", {**RIGHT, "grad.e1": "-10", "update.v": "0.1", "new.v": "0.1"}),
    ("alan@demo.test", {**RIGHT, "grad.e3": "10"}),  # e3 sign error, the rest right: 4/5
    ("grace@demo.test", {**RIGHT, "new.v": "abc"}),  # new.v unreadable: 4/5
    ("alan@demo.test", RIGHT),  # alan's second attempt: 5/5
]
GRADED_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def dashboard_app(tmp_path_factory, exercises_dir):
    """A fresh embedded site seeded as ``grader demo`` seeds it, grading in-process."""
    config = base_config(tmp_path_factory, exercises_dir)
    config["DATABASE_URL"] = f"sqlite:///{config['INSTANCE_DIR']}/grader.db"
    migrate.upgrade(config["DATABASE_URL"])
    app = prepared(create_app(config))
    with app.app_context():
        accounts.add_user(
            db.session, DEMO_INSTRUCTOR, "instructor", DEMO_PASSWORD, DEMO_COURSE, "Demo Instructor"
        )
        for number, email in enumerate(DEMO_STUDENTS, start=1):
            accounts.add_user(
                db.session, email, "student", DEMO_PASSWORD, DEMO_COURSE, f"Demo Student {number}"
            )
        db.session.commit()
    worker = start_embedded_worker(app)
    yield app
    worker.stop()
    app.extensions["grader.db"].engine.dispose()


@pytest.fixture(scope="module")
def dashboard_server(dashboard_app):
    """The site on a free local port with the site's Content-Security-Policy."""
    assert CSP
    server = make_server("127.0.0.1", 0, WithCSP(dashboard_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def browser_page(chromium, dashboard_server):
    """A fresh context whose page fails the test on a script error or a CSP violation (the 403s
    and 422s these tests ask for are expected)."""
    context = chromium.new_context(base_url=dashboard_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "responded with a status of 4" not in message.text
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    yield page
    context.close()
    assert not problems, problems


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def submit_all(app) -> None:
    """Each submission through the API and the in-process worker, waited for until graded."""
    tokens = {}
    with app.app_context():
        for email, _ in SUBMISSIONS:
            if email not in tokens:
                tokens[email] = accounts.issue_token(db.session, email)
        db.session.commit()
    client = app.test_client()
    for email, answers in SUBMISSIONS:
        headers = {"Authorization": f"Bearer {tokens[email]}"}
        reply = client.post(
            "/api/v1/submissions",
            json={"exercise": "single-weight", "answers": answers},
            headers=headers,
        )
        assert reply.status_code == 202, reply.get_json()
        submission = reply.get_json()["id"]
        deadline = time.monotonic() + GRADED_TIMEOUT
        while client.get(f"/api/v1/submissions/{submission}", headers=headers).get_json()[
            "status"
        ] not in ("graded", "failed"):
            assert time.monotonic() < deadline, f"submission {submission} was not graded"
            time.sleep(0.02)


def blank_row(page, blank: str):
    return page.locator(f'#blank-stats tr[data-blank="{blank}"]')


def test_instructor_sees_where_the_class_goes_wrong_and_exports_grades(
    browser_page, dashboard_app, artifacts
):
    """Import a roster (a bad row reported by line), then after right and wrong submissions see
    each edge's share of wrong answers on the graph, the diagnoses and wrong values per blank,
    the histogram, the sortable gradebook, and download the gradebook CSV."""
    page = browser_page
    log_in(page, DEMO_INSTRUCTOR)
    page.goto("/instructor/")
    assert page.locator("main h1").inner_text() == "Your courses"
    page.click(f"a[href='{COURSE}/']")
    page.click("nav.course-tabs >> text=Roster")
    page.fill("textarea[name=csv]", ROSTER_CSV)
    page.click("form[enctype] button[type=submit]")
    report = page.locator("#import-report")
    assert "3 rows kept" in report.inner_text()
    refused = report.locator(".errors-table tbody tr")
    expect(refused).to_have_count(1)
    assert refused.locator("td").all_inner_texts() == [
        "3",
        "'not-an-email' is not an email address",
    ]
    expect(report.locator(".passwords-table tbody tr")).to_have_count(3)
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-roster-import.png", full_page=True)

    submit_all(dashboard_app)

    page.goto(ANALYTICS)
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    overview = page.locator("#overview")
    assert overview.locator("[data-field=submissions]").inner_text() == "7"
    assert overview.locator("[data-field=students]").inner_text().startswith("6")
    # On each student's first attempt: e3 wrong for 2 of 6 (sign errors), e2 for none (one
    # follow-through), e1 for 1 (missing local gradient), new.v for 1 (unreadable).
    edge_labels = {
        name: " ".join(page.locator(f"#graph svg g.edge.edge-{name} text").all_text_contents())
        for name in ("e3", "e2", "e1")
    }
    assert "33% wrong (2/6)" in edge_labels["e3"], edge_labels
    assert "0% wrong (0/6)" in edge_labels["e2"], edge_labels
    assert "17% wrong (1/6)" in edge_labels["e1"], edge_labels
    e3_colour = page.locator("#graph svg g.edge.edge-e3 path").first.get_attribute("stroke")
    e2_colour = page.locator("#graph svg g.edge.edge-e2 path").first.get_attribute("stroke")
    assert e3_colour != e2_colour
    expected = {
        "grad.e3": ("2", "6"),
        "grad.e2": ("0", "6"),
        "grad.e1": ("1", "6"),
        "update.v": ("0", "6"),
        "new.v": ("1", "6"),
    }
    for blank, (wrong, students) in expected.items():
        row = blank_row(page, blank)
        assert (row.get_attribute("data-wrong"), row.get_attribute("data-students")) == (
            wrong,
            students,
        ), blank
    e3 = blank_row(page, "grad.e3")
    assert e3.locator("li[data-diagnosis]").evaluate_all(
        "items => items.map(i => [i.dataset.diagnosis, i.dataset.count])"
    ) == [["sign_error", "2"]]
    assert e3.locator(".values li").first.inner_text() == "2 students wrote 10: sign error"
    e1 = blank_row(page, "grad.e1")
    assert e1.locator("li[data-diagnosis]").evaluate_all(
        "items => items.map(i => [i.dataset.diagnosis, i.dataset.count])"
    ) == [["missing_local_gradient", "1"]]
    assert "1 student wrote -10: missing local gradient" in e1.inner_text()
    assert "1 student wrote “abc”: unreadable" in blank_row(page, "new.v").inner_text()
    assert "1 follow-through" in blank_row(page, "grad.e2").inner_text()
    histogram = page.locator("svg.histogram")
    assert histogram.locator("g.bar-first text").all_text_contents() == ["4", "2"]
    assert histogram.locator("g.bar-last text").all_text_contents() == ["3", "3"]
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-analytics-first-attempt.png", full_page=True)

    page.click(".basis-switch >> text=last attempt")
    page.wait_for_selector("#graph[data-state='drawn'] svg")
    assert blank_row(page, "grad.e3").get_attribute("data-wrong") == "1"
    e3_label = " ".join(page.locator("#graph svg g.edge.edge-e3 text").all_text_contents())
    assert "17% wrong (1/6)" in e3_label

    page.click("nav.course-tabs >> text=Gradebook")
    table = page.locator("table.gradebook")
    scores = table.locator("td[data-exercise='single-weight']").evaluate_all(
        "cells => cells.map(c => [c.closest('tr').dataset.student, c.dataset.value])"
    )
    assert dict(scores)["alan@demo.test"] == "5.0"
    assert dict(scores)["grace@demo.test"] == "4.0"
    table.locator("thead button", has_text="Total").click()
    totals = [
        float(v)
        for v in table.locator("tbody td.total").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert totals == sorted(totals, reverse=True)
    page.locator(".table-scroll").evaluate("element => { element.scrollLeft = 0; }")
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-gradebook.png", full_page=True)

    with page.expect_download() as download:
        page.click("text=Download CSV")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    got = {row["student"]: (row["single-weight"], row["total"]) for row in rows}
    assert got == {
        DEMO_STUDENTS[0]: ("5", "5"),
        DEMO_STUDENTS[1]: ("5", "5"),
        DEMO_STUDENTS[2]: ("4", "4"),
        "ada@demo.test": ("4", "4"),
        "alan@demo.test": ("5", "5"),
        "grace@demo.test": ("4", "4"),
    }
    assert {row["name"] for row in rows} >= {"Ada Lovelace", "Demo Student 1"}


def graded_by_an_older_engine(app) -> None:
    """Mark the results as an older grader's, so the regrade replaces them and keeps the old ones
    (a result that comes out the same is left alone)."""
    with app.app_context():
        db.session.execute(text("UPDATE results SET engine_version = '0'"))
        db.session.commit()


def test_regrade_shows_progress_and_keeps_the_old_results(browser_page, dashboard_app, artifacts):
    """Regrade single-weight from the course page: the batch page follows it to done, and the
    student's page shows each attempt's result before the regrade."""
    page = browser_page
    log_in(page, DEMO_INSTRUCTOR)
    page.goto(f"{COURSE}/")
    row = page.locator("tr[data-exercise='single-weight']")
    if row.locator("text=Regrade").count() == 0:
        submit_all(dashboard_app)
        page.reload()
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-course-exercises.png", full_page=True)
    graded_by_an_older_engine(dashboard_app)
    row.get_by_role("button", name="Regrade", exact=True).click()
    page.wait_for_selector("#batch[data-status='done']", timeout=30_000)
    assert page.locator("#batch-percent").inner_text() == "100%"
    assert page.locator("#batch-graded").inner_text() == page.locator("#batch-total").inner_text()
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-regrade-done.png", full_page=True)

    page.click("nav.course-tabs >> text=Roster")
    page.click("text=alan@demo.test")
    attempts = page.locator("details.attempt")
    expect(attempts).to_have_count(2)
    assert "Before the regrade" in attempts.first.inner_text()
    assert attempts.first.locator(".score").inner_text() == "5 / 5"
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-student-attempts.png", full_page=True)


def test_settings_form_saves_and_names_each_bad_field(browser_page, artifacts):
    """Set the attempt limit, dates and points of fan-out; a close before the open is refused
    with the field marked, then corrected and saved."""
    page = browser_page
    log_in(page, DEMO_INSTRUCTOR)
    page.goto(f"{COURSE}/exercises/fan-out/settings")
    page.fill("#opens_at", "2026-12-08T09:00")
    page.fill("#due_at", "2026-12-01T09:00")
    page.fill("#max_attempts", "3")
    page.fill("#points", "10")
    page.check("input[name=reveal][value=after_last_attempt]")
    page.click("form.settings-form button[type=submit]")
    expect(page.locator("#due_at[aria-invalid=true]")).to_have_count(1)
    assert page.locator("#due_at-error").inner_text() == "the exercise must close after it opens"
    assert_accessible(page)
    page.screenshot(path=artifacts / "instructor-settings-refused.png", full_page=True)
    page.fill("#due_at", "2026-12-15T18:00")
    page.click("form.settings-form button[type=submit]")
    page.wait_for_url(f"**{COURSE}/")
    row = page.locator("tr[data-exercise='fan-out']")
    assert "2026-12-15 18:00 UTC" in row.inner_text()
    assert row.locator("td.num").first.inner_text() == "3"


def test_student_gets_403_on_every_instructor_url(browser_page, artifacts):
    """A student logged in with the form is refused the analytics page, the gradebook page, its
    CSV and the analytics API."""
    page = browser_page
    log_in(page, DEMO_STUDENTS[0])
    response = page.goto(ANALYTICS)
    assert response.status == 403
    assert page.locator("main h1").inner_text() == "Instructors only"
    expect(page.locator("svg.histogram")).to_have_count(0)
    page.screenshot(path=artifacts / "instructor-403-for-student.png", full_page=True)
    for url in (
        f"{COURSE}/gradebook",
        GRADEBOOK_CSV,
        f"/api/v1/courses/{DEMO_COURSE}/exercises/single-weight/analytics",
    ):
        assert page.request.get(url).status == 403, url
