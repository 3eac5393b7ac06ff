"""A student's id scopes every submission query, a course's instructors only see their course:
every route that names an object is tried with another course's objects."""

from __future__ import annotations

import logging

from tests.security.conftest import Side, cookie_csrf, snapshot

ROUTE_OBJECTS = {
    "slug",
    "exercise_slug",
    "submission_id",
    "batch_id",
    "user_id",
    "number",
    "attempt_id",
}
NOT_OBJECTS = {"code", "filename"}


def object_routes(app) -> list:
    rules = [r for r in app.url_map.iter_rules() if set(r.arguments) & ROUTE_OBJECTS]
    unknown = {a for r in app.url_map.iter_rules() for a in r.arguments} - ROUTE_OBJECTS
    assert unknown <= NOT_OBJECTS, f"a route names objects this test does not try: {unknown}"
    return rules


def urls_reaching(rule, own: Side, other: Side) -> list[str]:
    """The rule's URL with the other course's objects, and with the caller's own course but
    the other's submission, batch or student."""
    theirs = {
        "slug": other.course,
        "exercise_slug": "single-weight",
        "submission_id": other.submission_id,
        "batch_id": other.batch_id,
        "user_id": other.student_id,
        "number": other.practice_number,
        "attempt_id": other.practice_attempt_id,
    }
    urls = [rule.build({k: theirs[k] for k in rule.arguments}, append_unknown=False)[1]]
    if "slug" in rule.arguments and set(rule.arguments) - {"slug", "exercise_slug"}:
        mixed = {k: theirs[k] for k in rule.arguments} | {"slug": own.course}
        urls.append(rule.build(mixed, append_unknown=False)[1])
    return urls


def request(browser, method: str, url: str):
    token = cookie_csrf(browser)
    if method == "GET":
        return browser.client.get(url)
    return browser.client.open(
        url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
    )


def test_no_route_reaches_another_courses_objects(app, mine, theirs, caplog):
    """Student and instructor of one course, every route naming the other course's course,
    submission, batch or student: 403 or 404, nothing of theirs in the reply, nothing changed."""
    rules = object_routes(app)
    assert len(rules) >= 15
    before = snapshot(app)
    tried = 0
    with caplog.at_level(logging.WARNING):
        for browser in (mine.student, mine.instructor):
            for rule in rules:
                for url in urls_reaching(rule, mine, theirs):
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        reply = request(browser, method, url)
                        text = reply.get_data(as_text=True)
                        assert reply.status_code in (403, 404), (method, url, reply.status_code)
                        assert theirs.student.email not in text, (method, url)
                        tried += 1
    assert snapshot(app) == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"refused submission {theirs.submission_id} to {mine.student.email}" in logged
    assert f"refused course '{theirs.course}' to {mine.student.email}" in logged
    assert tried >= 2 * len(rules), tried


def test_own_objects_are_reachable(app, mine):
    """The same routes with the caller's own objects answer (so the refusals above are not an
    accident of a broken URL)."""
    student = mine.student
    base = f"/courses/{mine.course}/exercises/single-weight"
    assert student.get(f"{base}/attempts/{mine.submission_id}").status_code == 200
    assert student.get(f"/api/v1/submissions/{mine.submission_id}").status_code == 200
    practice = f"{base}/practice/{mine.practice_number}"
    assert student.get(f"{practice}/attempts/{mine.practice_attempt_id}").status_code == 200
    instructor = mine.instructor
    assert (
        instructor.get(f"/instructor/courses/{mine.course}/batches/{mine.batch_id}").status_code
        == 200
    )
    assert (
        instructor.get(f"/instructor/courses/{mine.course}/students/{mine.student_id}").status_code
        == 200
    )
    assert instructor.get(f"/api/v1/batches/{mine.batch_id}").status_code == 200


def test_listings_show_only_the_callers_own(app, mine, theirs):
    """The course list and the exercise page's history hold nothing of the other course."""
    courses = mine.student.get("/api/v1/courses").get_json()["courses"]
    assert [c["slug"] for c in courses] == [mine.course]
    history = mine.student.get(f"/courses/{mine.course}/exercises/single-weight/attempts")
    assert theirs.student.email not in history.get_data(as_text=True)
