"""The group page's whole-group mutes come from their partial index, not from a walk of
every event of the group (issue 13: the group page spent 30 ms at 200k events on SQLite,
whose planner took ix_events_group_ts), on both databases."""

from __future__ import annotations

from sqlalchemy import Engine, select

from qunyun.services import lookup
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.console.overview import group_mutes, group_mutes_query
from tests.factories import message


def test_group_mutes_reads_the_group_mutes_index(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c1", name="c1", now_ms=0)
        EventRecorder(community_id=cid).record_many(
            conn, [message(i, who=i % 7) for i in range(1, 400)]
        )
    with engine.connect() as conn:
        ((gid, _ref),) = lookup.community_groups(conn, community_id=cid)
        assert group_mutes(conn, group_id=gid) == []  # messages only: no mute to show
        sql = str(
            group_mutes_query(gid).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:  # a tiny table: make the planner show what it would do on a big one
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_events_group_mutes" in plan, plan
        assert "ix_events_group_ts" not in plan, plan


def test_imported_groups_read_the_live_events_index(engine: Engine) -> None:
    """Which groups are only imported history: one look into `ix_events_group_live`, not a
    walk of every event of an imported group (issue 12: 26 ms at 200k events)."""
    from qunyun.storage.community.imported import imported_groups, imported_only
    from qunyun.storage.tables import groups

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c1", name="c1", now_ms=0)
        EventRecorder(community_id=cid).record_many(
            conn, [message(i, who=i % 7) for i in range(1, 50)])
        old = community_repo.get_or_create_community(conn, slug="c2", name="c2", now_ms=0)
        EventRecorder(community_id=old).record_many(
            conn, [message(i, who=i % 7, source="import:telegram:1") for i in range(1, 50)])
    with engine.connect() as conn:
        ((old_gid, _ref),) = lookup.community_groups(conn, community_id=old)
        assert imported_groups(conn, community_id=old) == {old_gid}  # history only
        assert imported_groups(conn, community_id=cid) == set()  # live messages
        query = select(groups.c.id).where(groups.c.community_id == cid, imported_only())
        sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_events_group_live" in plan, plan
