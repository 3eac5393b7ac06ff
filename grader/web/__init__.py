"""The Flask app factory: configuration, extensions, blueprints, error handlers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from grader.celery_app import celery_init_app
from grader.config import instance_secret, load_config
from grader.extensions import csrf, db, login_manager
from grader.web import auth, cookies, errors, headers, i18n, ids, limits, lti, proxies, sizes
from grader.web.api import bp as api_bp
from grader.web.application import GraderFlask
from grader.web.instructor import bp as instructor_bp
from grader.web.pages import bp as pages_bp
from grader.web.student import bp as student_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, then ``config`` on top (tests pass theirs)."""
    settings = load_config(overrides=config)
    app = GraderFlask(
        __name__, instance_path=settings["INSTANCE_DIR"], instance_relative_config=True
    )
    app.config.from_mapping(settings)
    app.json.sort_keys = False
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    proxies.init_app(app)
    register_extensions(app)
    ids.init_app(app)
    register_blueprints(app)
    limits.init_app(app)
    errors.register(app)
    return app


def register_extensions(app: Flask) -> None:
    if app.config["DATABASE_URL"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    sizes.init_app(app)
    db.init_app(app)
    login_manager.init_app(app)
    auth.register(app)
    csrf.init_app(app)
    celery_init_app(app)
    i18n.init_app(app)
    cookies.init_app(app)
    headers.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(student_bp)
    app.register_blueprint(instructor_bp)
    lti.init_app(app)
