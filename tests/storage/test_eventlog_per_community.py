"""The event log's dedupe is per community (I1: one bot, many communities): the same
platform message id in two communities is two events, each stored once — live (`record`)
and in bulk (`record_many`, the staging merge), on both databases; and a database made
before the change keeps its events and its indexes when migrated to the new key."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from qunyun.services import lookup
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.engine import make_engine
from qunyun.storage.events import log as eventlog
from qunyun.storage.migrate import alembic_config, run_migrations
from tests.conftest import PgDatabases
from tests.factories import message


def _two_communities(engine: Engine) -> tuple[int, int]:
    with engine.begin() as conn:
        return (community_repo.get_or_create_community(conn, slug="a", name="a", now_ms=0),
                community_repo.get_or_create_community(conn, slug="b", name="b", now_ms=0))


def test_same_message_in_two_communities_is_kept_in_each(engine: Engine) -> None:
    a, b = _two_communities(engine)
    with engine.begin() as conn:
        first = EventRecorder(community_id=a).record(conn, message(1, who=7))
        other = EventRecorder(community_id=b).record(conn, message(1, who=8))
        again = EventRecorder(community_id=b).record(conn, message(1, who=8))
    assert first is not None and other is not None  # not a duplicate of a's
    assert again is None  # but still a duplicate within b
    with engine.connect() as conn:
        assert eventlog.count_events(conn, community_id=a) == 1
        assert eventlog.count_events(conn, community_id=b) == 1
        sid = message(1).source_event_id
        assert eventlog.exists(conn, source="test", source_event_id=sid, community_id=b)
        # A reply's target is looked up in the replying community's own log.
        author_a = lookup.message_author(conn, source="test", source_event_id=sid,
                                         community_id=a)
        author_b = lookup.message_author(conn, source="test", source_event_id=sid,
                                         community_id=b)
        assert author_a is not None and author_b is not None and author_a != author_b


def test_bulk_import_into_a_second_community_keeps_every_row(engine: Engine) -> None:
    a, b = _two_communities(engine)
    batch = [message(i, who=i % 4) for i in range(50)]
    with engine.begin() as conn:
        into_a = EventRecorder(community_id=a).record_many(conn, batch, batch_size=16)
    with engine.begin() as conn:
        into_b = EventRecorder(community_id=b).record_many(conn, batch, batch_size=16)
    with engine.begin() as conn:
        again_b = EventRecorder(community_id=b).record_many(conn, batch[:20], batch_size=16)
    assert (into_a.inserted, into_b.inserted) == (50, 50)
    assert (again_b.inserted, again_b.duplicates) == (0, 20)
    with engine.connect() as conn:
        assert eventlog.count_events(conn, community_id=b) == 50


def _old_database(url: str) -> Engine:
    """A database migrated only as far as before the new key (and the joins index, which
    the rebuild must keep), holding one event."""
    engine = make_engine(url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0001_foundation")
    command.upgrade(cfg, "console_0003_member_joins")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO communities (id, slug, name, created_ms) "
                          "VALUES (1, 'a', 'a', 0), (2, 'b', 'b', 0)"))
        conn.execute(text("INSERT INTO groups (id, community_id, platform, external_id, "
                          "created_ms) VALUES (1, 1, 'test', 'g', 0), (2, 2, 'test', 'g', 0)"))
        conn.execute(text("INSERT INTO events (source, source_event_id, community_id, "
                          "group_id, kind, ts_ms, text) VALUES "
                          "('test', 'm1', 1, 1, 'message', 5, '旧消息')"))
    return engine


def test_migration_keeps_events_and_indexes(tmp_path: Path,
                                            pg_databases: PgDatabases | None) -> None:
    urls = [f"sqlite:///{tmp_path / 'old.db'}"]
    if pg_databases is not None:
        urls.append(pg_databases.url(pg_databases.empty()))
    for url in urls:
        engine = _old_database(url)
        run_migrations(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT text FROM events WHERE source_event_id = 'm1'")
                                ).scalar_one() == "旧消息"
            indexes = {i["name"] for i in inspect(conn).get_indexes("events")}
            assert {"ix_events_group_ts", "ix_events_member", "ix_events_member_joins"} <= indexes
            # The same message id in community 2 is now a new event.
            conn.execute(text("INSERT INTO events (source, source_event_id, community_id, "
                              "group_id, kind, ts_ms) VALUES ('test', 'm1', 2, 2, 'message', 6)"))
            assert eventlog.count_events(conn, community_id=2) == 1
        engine.dispose()
