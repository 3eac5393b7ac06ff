"""Configuration read from ``GRADER_*`` environment variables when the app is created."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import grader

MAX_CONTENT_LENGTH = 16 * 1024 * 1024
MAX_SUBMISSION_BYTES = 256 * 1024
MAX_EXERCISE_BYTES = 1024 * 1024  # an exercise editor's form: the file's 256 KiB, encoded
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
GRADEBOOK_PAGE = 200  # students per page of the gradebook
DEFAULT_REQUEUE_AFTER = 60.0
DEFAULT_LOGIN_LIMIT = "10 per minute"
DEFAULT_LOGIN_LIMIT_PER_ADDRESS = "50 per minute"
DEFAULT_SUBMIT_LIMIT = "30 per minute"
DEFAULT_PREVIEW_LIMIT = "120 per minute"
DEFAULT_PRACTICE_LIMIT = "20 per minute"
DEFAULT_LOGIN_LOCKOUT = "100 per hour"
DEFAULT_LOGIN_LOCKOUT_PER_ADDRESS = "1000 per hour"
DEFAULT_SESSION_LIFETIME = "14d"
DEFAULT_LTI_RETRIES = 12  # sending a score to an LMS: 10 s, 20 s, 40 s ... an hour apart
DEFAULT_LTI_RETRY_BASE = 10.0
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
TRUE_WORDS = ("1", "true", "yes", "on")
REDIS_LIMITS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def packaged_dir(package_name: str, source_name: str) -> Path:
    """A data folder shipped inside the package, or its source-tree original."""
    root = Path(grader.__file__).resolve().parent
    installed = root / package_name
    return installed if installed.is_dir() else root.parent / source_name


def default_exercises_dir() -> Path:
    """``./exercises`` when the current folder has one, else the exercises shipped with the package."""
    local = Path.cwd() / "exercises"
    return local if local.is_dir() else packaged_dir("exercises_data", "exercises")


def migrations_dir() -> Path:
    """The Alembic scripts folder (``migrations/``), installed or in the source tree."""
    return packaged_dir("migrations", "migrations")


def instance_secret(instance_dir: Path) -> str:
    """A secret key generated once and kept in the instance folder (shared by its processes)."""
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it or set GRADER_SECRET_KEY")


def parse_duration(text: str) -> timedelta:
    """A duration written as a number and a unit: ``30d``, ``12h``, ``90m``, ``45s``, ``2w``
    (a bare number is seconds)."""
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not a duration like 30d, 12h, 90m or 45s")
    return timedelta(seconds=int(match.group(1)) * DURATION_UNITS[match.group(2)])


def load_config(environ: Mapping[str, str] | None = None, overrides: Mapping | None = None) -> dict:
    """The app's settings from the environment, then ``overrides``; unset means embedded."""
    settings = read_environment(environ)
    settings.update(overrides or {})
    settings["INSTANCE_DIR"] = str(Path(settings["INSTANCE_DIR"]).resolve())
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{Path(settings['INSTANCE_DIR']) / 'grader.db'}"
    settings["EMBEDDED"] = not settings["BROKER_URL"]
    if not settings["RATELIMIT_STORAGE_URI"]:
        broker = settings["BROKER_URL"]
        settings["RATELIMIT_STORAGE_URI"] = broker if broker.startswith("redis") else "memory://"
    if settings["RATELIMIT_STORAGE_URI"].startswith("redis"):
        settings.setdefault("RATELIMIT_STORAGE_OPTIONS", REDIS_LIMITS_OPTIONS)
    settings.setdefault("RATELIMIT_KEY_PREFIX", f"{settings['QUEUE']}-limits")
    settings["PERMANENT_SESSION_LIFETIME"] = settings["SESSION_LIFETIME"]
    return settings


def read_environment(environ: Mapping[str, str] | None = None) -> dict:
    """The ``GRADER_*`` variables and the fixed settings, before defaults that depend on others."""
    env = os.environ if environ is None else environ
    return {
        "INSTANCE_DIR": str(Path(env.get("GRADER_INSTANCE_DIR") or Path.cwd() / "instance")),
        "DATABASE_URL": env.get("GRADER_DATABASE_URL") or None,
        "BROKER_URL": env.get("GRADER_BROKER_URL") or "",
        "SECRET_KEY": env.get("GRADER_SECRET_KEY") or None,
        "EXERCISES_DIR": str(Path(env.get("GRADER_EXERCISES_DIR") or default_exercises_dir())),
        "REQUEUE_AFTER": float(env.get("GRADER_REQUEUE_AFTER") or DEFAULT_REQUEUE_AFTER),
        "QUEUE": env.get("GRADER_QUEUE") or "grader",
        "RATELIMIT_STORAGE_URI": env.get("GRADER_RATELIMIT_STORAGE_URL") or None,
        "LOGIN_LIMIT": env.get("GRADER_LOGIN_LIMIT") or DEFAULT_LOGIN_LIMIT,
        "LOGIN_LIMIT_PER_ADDRESS": env.get("GRADER_LOGIN_LIMIT_PER_ADDRESS")
        or DEFAULT_LOGIN_LIMIT_PER_ADDRESS,
        "LOGIN_LOCKOUT": env.get("GRADER_LOGIN_LOCKOUT") or DEFAULT_LOGIN_LOCKOUT,
        "LOGIN_LOCKOUT_PER_ADDRESS": env.get("GRADER_LOGIN_LOCKOUT_PER_ADDRESS")
        or DEFAULT_LOGIN_LOCKOUT_PER_ADDRESS,
        "SUBMIT_LIMIT": env.get("GRADER_SUBMIT_LIMIT") or DEFAULT_SUBMIT_LIMIT,
        "PREVIEW_LIMIT": env.get("GRADER_PREVIEW_LIMIT") or DEFAULT_PREVIEW_LIMIT,
        "PRACTICE_LIMIT": env.get("GRADER_PRACTICE_LIMIT") or DEFAULT_PRACTICE_LIMIT,
        "SESSION_LIFETIME": parse_duration(
            env.get("GRADER_SESSION_LIFETIME") or DEFAULT_SESSION_LIFETIME
        ),
        "SESSION_COOKIE_SECURE": (env.get("GRADER_SESSION_COOKIE_SECURE") or "").lower()
        in TRUE_WORDS,
        "TRUSTED_PROXIES": int(env.get("GRADER_TRUSTED_PROXIES") or 0),
        "LTI_RETRIES": int(env.get("GRADER_LTI_RETRIES") or DEFAULT_LTI_RETRIES),
        "LTI_RETRY_BASE": float(env.get("GRADER_LTI_RETRY_BASE") or DEFAULT_LTI_RETRY_BASE),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Off: the X-RateLimit headers cost every limited answer a round trip to Redis; a 429
        # still says when to come back (Retry-After, ``limits.too_many``).
        "RATELIMIT_HEADERS_ENABLED": False,
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        "MAX_SUBMISSION_BYTES": MAX_SUBMISSION_BYTES,
        "MAX_EXERCISE_BYTES": MAX_EXERCISE_BYTES,
        "MAX_UPLOAD_BYTES": MAX_UPLOAD_BYTES,
        "GRADEBOOK_PAGE": GRADEBOOK_PAGE,
        "SESSION_COOKIE_HTTPONLY": True,
        # A session lasts SESSION_LIFETIME from the login: the cookie's expiry is set then and
        # not moved on by each request (grader.web.auth checks the login time too).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
    }
