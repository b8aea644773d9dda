"""The member page's inviters come from the partial index of joins, not from a walk of all
of the member's events (issue 12: console pages < 300 ms with 10M events), on both
databases."""

from __future__ import annotations

from sqlalchemy import Engine, select

from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.console.members import inviters_of
from qunyun.storage.tables import members
from tests.factories import join, message, user


def test_inviters_of_reads_the_joins_index(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c1", name="c1", now_ms=0)
        recorder = EventRecorder(community_id=cid)
        recorder.record_many(conn, [message(i, who=5) for i in range(1, 300)]
                             + [join(1000, 5, inviter=1), join(1001, 6, inviter=5)])
    with engine.connect() as conn:
        (five,) = member_repo.find_member_ids(conn, community_id=cid, keys=[user(5).key]).values()
        (one,) = member_repo.find_member_ids(conn, community_id=cid, keys=[user(1).key]).values()
        got = inviters_of(conn, member_id=five)
        assert [r["related_member_id"] for r in got] == [one]
        name = conn.execute(select(members.c.display_name).where(members.c.id == one)).scalar()
        assert got[0]["display_name"] == name
        sql = ("SELECT related_member_id, ts_ms FROM events WHERE member_id = "
               f"{five} AND kind = 'join' ORDER BY ts_ms")
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:  # a tiny table: make the planner show what it would do on a big one
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_events_member_joins" in plan, plan
