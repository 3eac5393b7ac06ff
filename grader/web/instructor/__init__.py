"""The instructor's dashboard: courses and rosters, exercise settings, analytics drawn on the
computation graph, the gradebook, a student's attempts, and regrades with their progress.

Every route, page or API, is for the course's instructors only (``guard``)."""

from flask import Blueprint

from grader.web.instructor import (
    analytics,
    api,
    authoring,
    batches,
    courses,
    gradebook,
    guard,
    lms,
    roster,
    students,
    trial,
)

bp = Blueprint("instructor", __name__)
for module in (
    courses,
    authoring,
    trial,
    roster,
    analytics,
    gradebook,
    students,
    batches,
    lms,
    api,
):
    bp.register_blueprint(module.bp)
guard.register(bp)
bp.add_url_rule("/instructor/", "index", courses.index)
