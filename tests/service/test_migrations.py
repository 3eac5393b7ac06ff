"""One way to make the schema: the migrations, which match the models on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

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


def test_regraded_tables_leave_room_on_their_pages_as_the_models_say(empty_database):
    """The storage settings autogenerate does not compare: PostgreSQL's fillfactor of results
    and result_blanks (so a regrade's updates stay on their pages), as the models declare;
    and result_history names its submission and batch, result_blanks its result, without
    foreign keys."""
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        assert inspect(engine).get_foreign_keys("result_history") == []
        assert inspect(engine).get_foreign_keys("result_blanks") == []
        if engine.dialect.name != "postgresql":
            return
        with engine.connect() as connection:
            options = dict(
                connection.execute(
                    text(
                        "SELECT relname, array_to_string(reloptions, ',') FROM pg_class "
                        "WHERE relname IN ('results', 'result_blanks')"
                    )
                ).all()
            )
        for table in ("results", "result_blanks"):
            declared = Base.metadata.tables[table].dialect_options["postgresql"]["with"]
            assert options[table] == f"fillfactor={declared['fillfactor']}"
        assert options == {"results": "fillfactor=50", "result_blanks": "fillfactor=70"}
    finally:
        engine.dispose()


def test_an_import_chunks_lines_are_kept_as_the_json_text_written(empty_database):
    """PostgreSQL keeps a chunk's lines as json, not parsed into jsonb (migration 0018, which goes
    down to jsonb and up again); SQLite keeps JSON as text anyway."""
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                kind = connection.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'batch_chunks' AND column_name = 'lines'"
                    )
                ).scalar()
            assert kind == "json"
        migrate.downgrade(empty_database, "0017")
        migrate.upgrade(empty_database)
    finally:
        engine.dispose()
