"""The ``grader`` command: one click group, one module per family of commands."""

from __future__ import annotations

import importlib

import click

COMMAND_MODULES = ("grader.cli.grade", "grader.cli.exercises", "grader.cli.service")


@click.group()
@click.version_option(package_name="backprop-grader")
def main() -> None:
    """Grade hand-worked backpropagation exercises."""


for _module in COMMAND_MODULES:
    try:
        _commands = importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
        continue
    for _command in _commands.COMMANDS:
        main.add_command(_command)
