"""Bearer tokens end: they expire (90 days unless issued for less) and can be revoked, and the
API says which (401 token_expired / token_revoked); the CLI issues, lists and revokes them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select, update

from grader.cli import main
from grader.cli.tokens import DEFAULT_EXPIRES
from grader.config import parse_duration
from grader.db import ApiToken, utcnow
from grader.db.user import TOKEN_LIFETIME
from grader.extensions import db
from grader.services import tokens
from tests.service.factories import make_user


def courses(app, token: str):
    return app.test_client().get("/api/v1/courses", headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_issued_for_90_days_by_default(app):
    api = make_user(app)
    with app.app_context():
        row = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert row.expires_at - row.created_at == timedelta(days=90)
    assert parse_duration(DEFAULT_EXPIRES) == TOKEN_LIFETIME
    assert courses(app, api.token).status_code == 200


def test_an_expired_token_is_401_token_expired(app):
    api = make_user(app)
    with app.app_context():
        db.session.execute(
            update(ApiToken)
            .values(expires_at=utcnow() - timedelta(seconds=1))
            .where(ApiToken.user.has(email=api.email))
        )
        db.session.commit()
    reply = courses(app, api.token)
    assert reply.status_code == 401 and reply.get_json()["error"] == "token_expired"


def test_the_cli_issues_lists_and_revokes_tokens(app, cli):
    api = make_user(app)
    token = cli("token", api.email, "--expires", "30d", "--name", "grading script").strip()
    assert token.startswith("gr_") and courses(app, token).status_code == 200
    listed = json.loads(cli("token", "list", api.email, "--json"))
    assert [set(row) for row in listed] == [
        {"id", "name", "created_at", "expires_at", "revoked_at"}
    ] * 2
    mine = listed[-1]
    assert mine["name"] == "grading script" and mine["revoked_at"] is None
    assert token not in json.dumps(listed)
    lifetime = datetime.fromisoformat(mine["expires_at"]) - datetime.fromisoformat(
        mine["created_at"]
    )
    assert lifetime == timedelta(days=30)
    assert "revoked" in cli("token", "revoke", str(mine["id"]))
    reply = courses(app, token)
    assert reply.status_code == 401 and reply.get_json()["error"] == "token_revoked"
    assert json.loads(cli("token", "list", api.email, "--json"))[-1]["revoked_at"]
    assert courses(app, api.token).status_code == 200


def test_the_cli_refuses_a_lifetime_it_cannot_read(app, cli):
    api = make_user(app)
    result = CliRunner().invoke(main, ["token", api.email, "--expires", "soon"])
    assert result.exit_code != 0 and "duration" in result.output


def test_logging_out_everywhere_with_tokens_revokes_them(app, cli):
    api = make_user(app)
    assert "1 tokens revoked" in cli("user", "logout", api.email, "--tokens")
    assert courses(app, api.token).get_json()["error"] == "token_revoked"


def test_an_unknown_token_is_still_plain_unauthorized(app):
    reply = courses(app, "gr_not-a-token")
    assert reply.status_code == 401 and reply.get_json()["error"] == "unauthorized"


def test_revoking_twice_keeps_the_first_date(app):
    api = make_user(app)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user.has(email=api.email)))
        first = tokens.revoke_token(db.session, token_id).revoked_at
        db.session.commit()
        assert tokens.revoke_token(db.session, token_id).revoked_at == first
