"""One way to make the schema: the migrations, which match the models on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from grader.db import Base, make_engine, migrate
from tests.service import infra


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url, drop = infra.create_database(request.getfixturevalue("servers")[0])
    yield url
    drop()


def test_migrations_build_the_models_schema_and_autogenerate_finds_no_difference(empty_database):
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        assert migrate.differences(engine) == []
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_go_down_to_nothing_and_up_again(empty_database):
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    engine = make_engine(empty_database)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(empty_database)


def test_revision_files_are_named_rev_verb_what(repo_root):
    names = [p.name for p in (repo_root / "migrations" / "versions").glob("*.py")]
    assert names
    for name in names:
        rev, verb, *what = name.removesuffix(".py").split("_")
        assert rev.isalnum() and verb.isalpha() and what, name
