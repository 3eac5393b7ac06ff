"""Logging in and out with a form, and choosing the interface's language."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from grader.extensions import db
from grader.services import accounts
from grader.web import auth, limits
from grader.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from grader.web.marks import login_view
from grader.web.student.guard import safe_next

bp = Blueprint("account", __name__)

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class LoginForm(FlaskForm):
    """Email and password, with the form's CSRF token."""

    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
@login_view
def login():
    """The login form; a new session on success, then back where the student was going."""
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or home(current_user))
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            auth.start_session(user)
            return redirect(safe_next(request.args.get("next")) or home(user))
        wait = limits.count_failed_login()
        if wait is not None:
            error = gettext("Too many failed logins: wait a minute and try again.")
            page = render_template("student/login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(wait)}
        error = gettext("Wrong email or password.")
    return render_template("student/login.html", form=form, error=error)


def home(user) -> str:
    """Where a login lands: the teaching dashboard for staff (when the app has one), else the
    student's courses."""
    if user.is_staff and "instructor.index" in current_app.view_functions:
        return url_for("instructor.index")
    return url_for("student.courses.index")


@bp.post("/logout")
def logout():
    """Log out: this session and every copy of its cookie stop working."""
    auth.end_session(current_user)
    return redirect(url_for("student.account.login"))


@bp.get("/language/<code>")
def language(code: str):
    """Switch the interface's language (kept in a cookie across logins), then go back."""
    target = safe_next(request.args.get("next")) or url_for("student.courses.index")
    response = redirect(target)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
    return response
