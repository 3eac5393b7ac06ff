"""Alembic driven from Python: ``grader db upgrade``, tests, and the drift check."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from grader.config import migrations_dir
from grader.db.base import Base
from grader.db.session import normalise_url

FILE_TEMPLATE = "%%(rev)s_%%(slug)s"


def alembic_config(url: str) -> Config:
    """An Alembic config for the migrations shipped with the package."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    config.set_main_option("file_template", FILE_TEMPLATE)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` down to ``revision``."""
    command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new revision from the difference between the models and the database."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


def differences(engine: Engine) -> list:
    """What autogenerate would change: empty when the models and the migrations agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
