"""Statements run on the driver (`storage/prepared.py`) behave like their Core originals on
SQLite and PostgreSQL: JSON columns round-trip as objects, NULL stays NULL, literal values
in the statement are bound, and a policy's writes through them roll back with its
savepoint."""

from __future__ import annotations

from sqlalchemy import Engine, select

from qunyun.storage.bot import lookup as bot_lookup
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.events import log as eventlog
from qunyun.storage.prepared import Prepared
from qunyun.storage.savepoints import Savepoint
from qunyun.storage.tables import events
from qunyun.storage.work import audit as audit_repo


def _community(engine: Engine) -> tuple[int, int]:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="p", name="p", now_ms=0)
        gid = community_repo.get_or_create_group(conn, community_id=cid, platform="matrix",
                                                 external_id="!g", name="g", now_ms=0)
    return cid, gid


def test_json_columns_round_trip_and_null_stays_null(engine: Engine) -> None:
    cid, gid = _community(engine)
    evidence = {"text": "<script>加微信</script>", "n": [1, 2]}
    with engine.begin() as conn:
        audit_repo.record(conn, entry={"at_ms": 1, "community_id": cid, "actor": "cli",
                                       "action": "note", "reason": "r", "evidence": evidence,
                                       "status": "done"})
        new = eventlog.append_one(conn, row={
            "source": "s", "source_event_id": "1", "community_id": cid, "group_id": gid,
            "member_id": None, "kind": "message", "ts_ms": 1_700_000_000_000, "text": "hi",
            "related_member_id": None, "ref_id": None, "payload": {"mentions": ["@a"]}})
        again = eventlog.append_one(conn, row={
            "source": "s", "source_event_id": "1", "community_id": cid, "group_id": gid,
            "member_id": None, "kind": "message", "ts_ms": 1_700_000_000_000, "text": "hi",
            "related_member_id": None, "ref_id": None, "payload": None})
    assert new is not None and again is None  # the second copy is a duplicate
    with engine.connect() as conn:
        (entry,) = audit_repo.entries(conn, community_id=cid)
        assert entry["evidence"] == evidence and entry["effect"] is None
        payload = conn.execute(select(events.c.payload).where(events.c.id == new)).scalar()
        assert payload == {"mentions": ["@a"]}


def test_literal_values_in_a_statement_are_bound(engine: Engine) -> None:
    cid, gid = _community(engine)
    with engine.begin() as conn:
        (mid,) = member_repo.create_members(conn, community_id=cid,
                                            new=[(("matrix", "@a:x"), "阿明")]).values()
        for n, kind in enumerate(["join", "message", "join"]):
            eventlog.append_one(conn, row={
                "source": "s", "source_event_id": str(n), "community_id": cid, "group_id": gid,
                "member_id": mid, "kind": kind, "ts_ms": 1_000 + n, "text": None,
                "related_member_id": None, "ref_id": None, "payload": None})
        # `kind == "join"` is a literal in the prepared statement.
        joins = bot_lookup.recent_joins(conn, group_id=gid, since_ms=0, until_ms=10_000)
        assert [(m, ts) for m, ts, _ in joins] == [(mid, 1_000), (mid, 1_002)]
        assert bot_lookup.member_identity(conn, member_id=mid) == ("matrix", "@a:x", "阿明")


def test_writes_roll_back_with_the_policy_savepoint(engine: Engine) -> None:
    cid, _ = _community(engine)
    with engine.begin() as conn:
        (mid,) = member_repo.create_members(conn, community_id=cid,
                                            new=[(("matrix", "@b:x"), "B")]).values()
        member_repo.update_attributes(conn, member_id=mid, attributes={"kept": 1})
        savepoint = Savepoint(conn, "qy_test").arm()
        member_repo.update_attributes(conn, member_id=mid, attributes={"dropped": 2})
        savepoint.rollback()
        member = member_repo.get_member(conn, member_id=mid)
        assert member is not None and member["attributes"] == {"kept": 1}


def test_a_prepared_select_reads_like_core(engine: Engine) -> None:
    cid, _ = _community(engine)
    names = Prepared(select(events.c.id).where(events.c.community_id == cid))
    with engine.connect() as conn:
        assert names.rows(conn, {}) == []
        assert names.scalar(conn, {}) is None


def test_a_first_write_outside_begin_is_still_in_a_transaction(engine: Engine) -> None:
    cid, _ = _community(engine)
    with engine.connect() as conn:  # no begin(): the prepared write must not autocommit
        audit_repo.record(conn, entry={"at_ms": 1, "community_id": cid, "actor": "cli",
                                       "action": "note", "reason": "r", "status": "done"})
        conn.rollback()
    with engine.connect() as conn:
        assert audit_repo.entries(conn, community_id=cid) == []
