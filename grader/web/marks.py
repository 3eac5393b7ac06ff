"""What a view declares about itself, for the app-wide hooks that act on it: which rate limits
it is under (``grader.web.limits``) and how big a body it takes (``grader.web.sizes``). A new
view marked so is covered by the hooks without being named anywhere else."""

from __future__ import annotations


def login_view(view):
    """A view that logs people in: under the failed-login limits."""
    view.grader_limits = "login"
    return view


def submission_view(view):
    """A view that takes submissions: under the submission limit."""
    view.grader_limits = "submission"
    return view


def preview_view(view):
    """A view that reads answers back without grading them: under the (more generous) preview
    limit."""
    view.grader_limits = "preview"
    return view


def practice_view(view):
    """A view that makes a practice (new numbers, or a new graph drawn for it): under the
    practice limit."""
    view.grader_limits = "practice"
    return view


def max_body(setting: str):
    """A view whose request body may be at most ``config[setting]`` bytes."""

    def mark(view):
        view.grader_max_body = setting
        return view

    return mark
