"""Schema migrations: run Alembic from code, so users never need an alembic.ini.

Feature areas add migrations that branch from the foundation revision, so they can
be written independently; `upgrade` always goes to every head.

Every command opens the database through `upgrade`, and importing Alembic alone takes a
quarter of a second; so `upgrade` first compares the stored revisions with the heads
read from the migration files' `revision`/`down_revision` lines, and only starts
Alembic when they differ. A new, empty database is created from the declared tables
and stamped with those heads; a test runs the real migrations and checks that they
build exactly the same schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_NAME = re.compile(r"['\"]([^'\"]+)['\"]")


def script_heads() -> set[str]:
    """Head revisions of the migration scripts, read from their source lines."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        fields = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        revisions.update(_NAME.findall(fields.get("revision", "")))
        parents.update(_NAME.findall(fields.get("down_revision", "")))
    return revisions - parents


def stored_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (idempotent)."""
    heads = script_heads()
    stored = stored_heads(engine)
    if stored == heads:
        return
    if not stored and _is_empty(engine):
        _create_new(engine, heads)
        return
    run_migrations(engine)


def run_migrations(engine: Engine) -> None:
    """Alembic's upgrade to every head, whatever the database holds (tests compare it with
    the declared tables, which is what lets `upgrade` create a new database directly)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def _create_new(engine: Engine, heads: set[str]) -> None:
    """A new database gets the declared tables in one go, stamped with the heads: what the
    migrations build, one step at a time and a third of a second slower (the schema test
    holds the two equal)."""
    from qunyun.storage.schema import metadata

    with engine.begin() as conn:
        # A new, empty database: no table is there to check for (~35 ms less, issue 12).
        metadata.create_all(conn, checkfirst=False)
        conn.execute(text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                     [{"v": head} for head in sorted(heads)])


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == set(script.get_heads())
