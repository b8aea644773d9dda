"""A member's imported messages (what `!积分` and member 360 say earned no points, T3)
are counted right as history and live messages arrive, and from the partial index of
imported messages alone, not by reading every event of the member (issue 13), on both
databases."""

from __future__ import annotations

from sqlalchemy import Engine

from qunyun.services import points as point_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.events.log import imported_messages_query
from tests.factories import join, message, user

IMPORT = "import:telegram:42"


def test_the_imported_count_follows_new_messages_and_reads_its_index(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c1", name="c1", now_ms=0)
        recorder = EventRecorder(community_id=cid)
        recorder.record_many(
            conn,
            [message(i, who=5, source=IMPORT) for i in range(30)]
            + [message(i, who=6, source=IMPORT) for i in range(30, 40)]
            + [join(900, 5, source=IMPORT)],
        )
    with engine.connect() as conn:
        (five,) = member_repo.find_member_ids(conn, community_id=cid, keys=[user(5).key]).values()
        assert point_service.imported_messages(conn, member_id=five) == 30  # the join is no message
    with engine.begin() as conn:
        recorder = EventRecorder(community_id=cid)
        recorder.record_many(conn, [message(i, who=5, source=IMPORT) for i in range(25, 50)])
        for i in range(3):  # the live bot: these earn points, they are not history
            recorder.record(conn, message(100 + i, who=5, source="matrix"))
    with engine.connect() as conn:
        # 25..29 were imported already (the same export read again), 40..49 are new for
        # five (30..39 were six's ids in another file: the same source and id is one event).
        assert point_service.imported_messages(conn, member_id=five) == 30 + 10
        sql = str(
            imported_messages_query(five).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert "SCAN events" not in plan, plan
        else:  # a tiny table: make the planner show what it would do on a big one
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_events_member_imported" in plan, plan
