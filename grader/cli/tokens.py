"""``grader token``: issue a bearer token, list a user's tokens, revoke one; and
``grader user logout``, an admin's "log out everywhere".

``grader token EMAIL`` issues (as it always has); ``grader token list EMAIL`` and
``grader token revoke ID`` are its subcommands.
"""

from __future__ import annotations

import json

import click

from grader.cli.service import app_context, user_group
from grader.config import parse_duration

ISSUE = "issue"
DEFAULT_EXPIRES = "90d"  # grader.db.user.TOKEN_LIFETIME, named here without loading the models


class TokenGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, is the email to issue for."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [ISSUE, *args]
        return super().parse_args(ctx, args)


def duration(_ctx, _param, value: str):
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("token", cls=TokenGroup)
def token_group() -> None:
    """Bearer tokens: `grader token EMAIL [--expires 30d] [--name N]` prints a new one;
    `grader token list EMAIL [--json]`; `grader token revoke ID`."""


@token_group.command(ISSUE)
@click.argument("email")
@click.option(
    "--expires",
    default=DEFAULT_EXPIRES,
    show_default=True,
    callback=duration,
    help="lifetime: 30d, 12h, 90m, 2w",
)
@click.option("--name", default="", help="what the token is for, shown by `grader token list`")
def issue(email: str, expires, name: str) -> None:
    """Print a new bearer token for the user (send as 'Authorization: Bearer TOKEN')."""
    from grader.extensions import db
    from grader.services import tokens

    with app_context():
        value = tokens.issue_token(db.session, email, expires, name)
        db.session.commit()
    click.echo(value)


@token_group.command("list")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="a JSON list of the tokens")
def list_tokens(email: str, as_json: bool) -> None:
    """The user's tokens (never the tokens themselves: only their hash is kept)."""
    from grader.extensions import db
    from grader.services import tokens

    with app_context():
        rows = tokens.tokens_of(db.session, email)
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = (
            f"revoked {row['revoked_at']}" if row["revoked_at"] else f"expires {row['expires_at']}"
        )
        click.echo(f"{row['id']}\t{row['name'] or '-'}\tcreated {row['created_at']}\t{state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by its id (from `grader token list`)."""
    from grader.extensions import db
    from grader.services import tokens

    with app_context():
        row = tokens.revoke_token(db.session, token_id)
        db.session.commit()
        click.echo(f"token {row.id} revoked at {row.revoked_at.isoformat()}")


@user_group.command("logout")
@click.argument("email")
@click.option("--tokens", "with_tokens", is_flag=True, help="revoke the user's tokens too")
def logout_everywhere(email: str, with_tokens: bool) -> None:
    """Log the user out everywhere: every session cookie issued to them stops working."""
    from sqlalchemy import select

    from grader.db import User
    from grader.extensions import db
    from grader.services import tokens

    with app_context():
        user = db.session.scalar(select(User).filter_by(email=email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user '{email}'")
        user.end_sessions()
        revoked = tokens.revoke_all(db.session, user) if with_tokens else 0
        db.session.commit()
    click.echo(
        f"{user.email}: logged out everywhere"
        + (f", {revoked} tokens revoked" if with_tokens else "")
    )


COMMANDS = [token_group]
