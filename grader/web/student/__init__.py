"""The student's site: log in, see a course, open an exercise's graph, fill the blanks, and watch
each attempt get graded without reloading."""

from flask import Blueprint, current_app

from grader.services.penalties import percent
from grader.web.student import account, attempts, courses, exercise, guard, practice, present

bp = Blueprint("student", __name__)
for module in (account, courses, exercise, attempts, practice):
    bp.register_blueprint(module.bp)
guard.register(bp)
bp.add_app_template_global(present.number, "number")
bp.add_app_template_global(present.summary, "attempt_summary")
bp.add_app_template_global(percent, "percent")


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """True when the app has this endpoint (so the layout links only to pages that exist)."""
    return name in current_app.view_functions
