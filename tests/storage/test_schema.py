"""Migrations produce exactly the tables the code declares, and a bad URL fails in one line."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from qunyun.storage.engine import DatabaseUnavailable, make_engine
from qunyun.storage.migrate import (
    alembic_config,
    is_current,
    run_migrations,
    script_heads,
    stored_heads,
    upgrade,
)
from qunyun.storage.schema import metadata


def test_migrations_match_declared_tables(engine: Engine) -> None:
    assert is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_the_migrations_build_exactly_the_declared_tables(tmp_path, pg_databases) -> None:  # type: ignore[no-untyped-def]
    # New databases are created from the declared tables (`upgrade`); existing ones are
    # migrated step by step. Both must arrive at the same schema, on both backends.
    urls = [f"sqlite:///{tmp_path / 'migrated.db'}"]
    if pg_databases is not None:
        urls.append(pg_databases.url(pg_databases.empty()))
    for url in urls:
        migrated = make_engine(url)
        run_migrations(migrated)
        assert stored_heads(migrated) == script_heads()
        with migrated.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        migrated.dispose()


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert is_current(engine)


def test_the_quick_schema_check_sees_what_alembic_sees(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    # `upgrade` skips Alembic when the stored revisions are the scripts' heads: both must
    # agree with Alembic's own reading, or a new migration would never run.
    assert script_heads() == set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    assert stored_heads(engine) == script_heads()
    fresh = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert stored_heads(fresh) == set()
    upgrade(fresh)
    assert is_current(fresh)


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    "url",
    ["postgresql://nobody@127.0.0.1:1/none", "not a url at all", "sqlite:////nonexistent/dir/x.db"],
)
def test_unreachable_database_is_one_clear_line(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        make_engine(url)
    message = str(info.value)
    assert "\n" not in message
    assert "数据库" in message and "database" in message
