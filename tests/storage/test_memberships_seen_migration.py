"""A database made before memberships were recorded for members seen acting (issue 11):
migrating it gives every member who has events in a community group a membership, as the
code now writes for new events, so the console counts them; a left membership stays left,
a DM gets no members — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, text

from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import make_engine
from qunyun.storage.migrate import alembic_config, run_migrations
from tests.conftest import PgDatabases


def _old_database(url: str) -> Engine:
    """Migrated only as far as the group kinds, holding what the old code left: alice
    spoke without a join on record (no membership), bob joined and left, carol wrote only
    in a DM, and a service line has no member."""
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0006_group_kind")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO communities (id, slug, name, created_ms) "
                          "VALUES (1, 'camp', 'camp', 0)"))
        conn.execute(text("INSERT INTO groups (id, community_id, platform, external_id, name, "
                          "created_ms, kind) VALUES (1, 1, 'telegram', '-100', '进阶营', 0, "
                          "'group'), (2, 1, 'telegram', '7', NULL, 0, 'direct')"))
        conn.execute(text("INSERT INTO members (id, community_id, display_name, attributes) "
                          "VALUES (1, 1, 'alice', '{}'), (2, 1, 'bob', '{}'), "
                          "(3, 1, 'carol', '{}')"))
        conn.execute(text("INSERT INTO memberships (group_id, member_id, joined_ms, left_ms, "
                          "active) VALUES (1, 2, 10, 20, :no)"), {"no": False})
        conn.execute(text(
            "INSERT INTO events (source, source_event_id, community_id, group_id, member_id, "
            "kind, ts_ms, text) VALUES "
            "('t', 'm1', 1, 1, 1, 'message', 5, '群主的第一句话'), "
            "('t', 'm2', 1, 1, 1, 'message', 6, '第二句'), "
            "('t', 'j2', 1, 1, 2, 'join', 10, NULL), ('t', 'l2', 1, 1, 2, 'leave', 20, NULL), "
            "('t', 'm3', 1, 2, 3, 'message', 7, '私聊'), "
            "('t', 's1', 1, 1, NULL, 'service', 8, NULL)"))
    return engine


def test_members_seen_acting_get_their_membership(tmp_path: Path,
                                                  pg_databases: PgDatabases | None) -> None:
    urls = [f"sqlite:///{tmp_path / 'old.db'}"]
    if pg_databases is not None:
        urls.append(pg_databases.url(pg_databases.empty()))
    for url in urls:
        engine = _old_database(url)
        with engine.connect() as conn:
            (group,) = console_overview.groups_with_counts(conn, community_id=1)
        assert (group["current"], group["ever"]) == (0, 1)  # alice was not counted
        run_migrations(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT group_id, member_id, joined_ms, left_ms, active "
                                     "FROM memberships ORDER BY member_id")).all()
            (group,) = console_overview.groups_with_counts(conn, community_id=1)
        assert [tuple(r) for r in rows] == [(1, 1, None, None, True), (1, 2, 10, 20, False)]
        assert (group["current"], group["ever"]) == (1, 2)
        run_migrations(engine)  # already at the heads: nothing twice
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM memberships")).scalar() == 2
        engine.dispose()
