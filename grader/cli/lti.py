"""``grader lti``: register the LMSs (LTI 1.3 platforms) that launch the tool, list, remove."""

from __future__ import annotations

import json

import click

from grader.cli.service import app_context


@click.group("lti")
def lti_group() -> None:
    """LTI 1.3 platforms: `grader lti add-platform ...`, `grader lti list`, `grader lti remove ID`."""


@lti_group.command("add-platform")
@click.option("--issuer", required=True, help="the platform's issuer (Moodle: its site URL)")
@click.option("--client-id", required=True, help="the client id the LMS gave the tool")
@click.option("--auth-login-url", required=True, help="the LMS's OIDC authentication URL")
@click.option("--auth-token-url", required=True, help="the LMS's OAuth2 access token URL")
@click.option("--key-set-url", required=True, help="the LMS's public keyset (JWKS) URL")
@click.option(
    "--deployment-id", "deployment_ids", required=True, multiple=True, help="repeat for several"
)
def add_platform(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: tuple[str, ...],
) -> None:
    """Register an LMS; prints the tool's URLs to enter in the LMS."""
    from grader.extensions import db
    from grader.services.lti.platforms import PlatformFields, add_platform

    fields = PlatformFields(
        issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment_ids
    )
    with app_context():
        platform = add_platform(db.session, fields)
        click.echo(f"platform {platform.id} registered: {platform.issuer} ({platform.client_id})")
    click.echo("In the LMS, give the tool (replace https://grader.example with this site's URL):")
    click.echo("  Tool URL / Target link URI:  https://grader.example/lti/launch")
    click.echo("  Initiate login URL:          https://grader.example/lti/login")
    click.echo("  Redirection URI(s):          https://grader.example/lti/launch")
    click.echo("  Public keyset URL:           https://grader.example/lti/jwks.json")


@lti_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="a JSON list")
def list_platforms(as_json: bool) -> None:
    """The registered platforms."""
    from grader.extensions import db
    from grader.services.lti.platforms import listed

    with app_context():
        rows = [
            {
                "id": p.id,
                "issuer": p.issuer,
                "client_id": p.client_id,
                "auth_login_url": p.auth_login_url,
                "auth_token_url": p.auth_token_url,
                "key_set_url": p.key_set_url,
                "deployment_ids": p.deployment_ids,
            }
            for p in listed(db.session)
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("no platform registered (grader lti add-platform --help)")
    for row in rows:
        deployments = ",".join(row["deployment_ids"])
        click.echo(f"{row['id']}\t{row['issuer']}\t{row['client_id']}\tdeployments {deployments}")


@lti_group.command("remove")
@click.argument("platform_id", type=int)
def remove(platform_id: int) -> None:
    """Forget a platform: its launches stop working (its courses and accounts stay)."""
    from grader.extensions import db
    from grader.services.lti.platforms import remove as remove_platform

    with app_context():
        platform = remove_platform(db.session, platform_id)
        click.echo(f"platform {platform_id} removed: {platform.issuer}")


COMMANDS = [lti_group]
