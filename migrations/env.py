"""Alembic environment: runs the migrations on the URL or connection ``grader`` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from grader.db import Base, make_engine
from grader.db.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, item, autogen_context) -> str | bool:
    """Write the models' own column types as plain SQLAlchemy types in new revisions."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and type(item).__name__ == "JSON" and item._variant_mapping:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def run_on(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # A batch migration rebuilds a table by dropping the old one: with foreign keys
        # enforced, that drop would cascade-delete every row referring to it. SQLite only
        # honours this outside a transaction, so it comes first (SQLite's own advice for
        # schema changes); the app's connections turn enforcement on again.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
