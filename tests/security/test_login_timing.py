"""Who has an account cannot be told by how long a login takes: an unknown email costs the
same password check as a wrong password."""

from __future__ import annotations

import statistics
import time

from tests.security.test_rate_limits import limited_app
from tests.web.conftest import new_student

ROUNDS = 7


def login_seconds(client, email: str) -> float:
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    started = time.perf_counter()
    reply = client.post(
        "/api/v1/session",
        json={"email": email, "password": "not the password"},
        headers={"X-CSRFToken": token},
    )
    elapsed = time.perf_counter() - started
    assert reply.status_code == 401
    return elapsed


def test_unknown_email_takes_as_long_as_a_wrong_password(tmp_path, exercises_dir):
    """Medians of interleaved logins: before the fix an unknown email answered in 8-10 ms and
    a wrong password in 155-164 ms (the scrypt check)."""
    app = limited_app(
        tmp_path,
        exercises_dir,
        LOGIN_LIMIT="1000 per minute",
        LOGIN_LIMIT_PER_ADDRESS="1000 per minute",
        LOGIN_LOCKOUT="1000 per hour",
        LOGIN_LOCKOUT_PER_ADDRESS="1000 per hour",
    )
    known, _ = new_student(app)
    client = app.test_client()
    login_seconds(client, "warm-up@nowhere.example")
    known_times, unknown_times = [], []
    for number in range(ROUNDS):
        known_times.append(login_seconds(client, known))
        unknown_times.append(login_seconds(client, f"nobody-{number}@nowhere.example"))
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    assert 0.6 < unknown_median / known_median < 1.6, (known_median, unknown_median)
    app.extensions["grader.db"].engine.dispose()
