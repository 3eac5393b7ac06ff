"""Whether a failed login tells who has an account: the time of a wrong password for a known
email against an unknown email, through the API, on a throwaway SQLite database.

    python benchmarks/login_timing.py [--rounds 30]

Interleaves the two kinds of login and prints the median, 10th and 90th percentile of each
(the rate limits are raised out of the way).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.db import migrate  # noqa: E402
from grader.extensions import db  # noqa: E402
from grader.services import accounts  # noqa: E402
from grader.web import create_app  # noqa: E402

UNLIMITED = {
    "LOGIN_LIMIT": "1000000 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "1000000 per minute",
    "LOGIN_LOCKOUT": "1000000 per hour",
    "LOGIN_LOCKOUT_PER_ADDRESS": "1000000 per hour",
}


def failed_login_ms(client, email: str) -> float:
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    started = time.perf_counter()
    reply = client.post(
        "/api/v1/session",
        json={"email": email, "password": "not the password"},
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 401, reply.status_code
    return (time.perf_counter() - started) * 1000


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return (
        f"median {statistics.median(ordered):.1f} ms, p10 {ordered[len(ordered) // 10]:.1f}, "
        f"p90 {ordered[9 * len(ordered) // 10]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("grader").setLevel(logging.ERROR)  # one "failed login" line per login
    folder = Path(tempfile.mkdtemp(prefix="login-timing-"))
    url = f"sqlite:///{folder}/grader.db"
    migrate.upgrade(url)
    app = create_app({"INSTANCE_DIR": str(folder), "SECRET_KEY": "bench", "DATABASE_URL": url})
    app.config.update(UNLIMITED)
    with app.app_context():
        accounts.add_user(db.session, "known@bench.test", "student", "the password", "bench")
        db.session.commit()
    client = app.test_client()
    failed_login_ms(client, "warm-up@bench.test")
    known, unknown = [], []
    for number in range(args.rounds):
        known.append(failed_login_ms(client, "known@bench.test"))
        unknown.append(failed_login_ms(client, f"nobody-{number}@bench.test"))
    print(f"known email, wrong password: {summary(known)}")
    print(f"unknown email:               {summary(unknown)}")


if __name__ == "__main__":
    main()
