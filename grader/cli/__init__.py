"""The ``grader`` command: one click group, one module per family of commands."""

from __future__ import annotations

import click

from grader.cli import batch, exercises, grade, lti, service, tokens


@click.group()
@click.version_option(package_name="backprop-grader")
def main() -> None:
    """Grade hand-worked backpropagation exercises."""


for _module in (grade, exercises, service, tokens, batch, lti):
    for _command in _module.COMMANDS:
        main.add_command(_command)
