"""The event log is append-only and idempotent on (source, source event id), on both databases."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, func, select

from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.events import log as eventlog
from qunyun.storage.tables import events, identities, members, memberships
from tests.factories import GROUP, join, leave, message, user


def _community(engine: Engine, slug: str = "c1") -> int:
    with engine.begin() as conn:
        return community_repo.get_or_create_community(conn, slug=slug, name=slug, now_ms=0)


def test_same_event_twice_is_stored_once(engine: Engine) -> None:
    cid = _community(engine)
    recorder = EventRecorder(community_id=cid)
    with engine.begin() as conn:
        first = recorder.record(conn, message(1))
        again = recorder.record(conn, message(1))
    assert first is not None and again is None
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 1


def test_redelivery_in_a_new_process_changes_nothing(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        EventRecorder(community_id=cid).record(conn, message(1, text="原文"))
    with engine.begin() as conn:  # a fresh recorder: no cache, as after a restart
        assert EventRecorder(community_id=cid).record(conn, message(1, text="原文")) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members)).scalar_one() == 1
        assert eventlog.count_events(conn) == 1


def test_bulk_counts_only_new_events_for_overlapping_imports(engine: Engine) -> None:
    cid = _community(engine)
    older = [message(i, who=i % 3) for i in range(100)]
    newer = [message(i, who=i % 3) for i in range(60, 150)]  # overlaps 60..99
    with engine.begin() as conn:
        first = EventRecorder(community_id=cid).record_many(conn, older, batch_size=32)
    with engine.begin() as conn:
        second = EventRecorder(community_id=cid).record_many(conn, newer, batch_size=32)
    assert (first.seen, first.inserted) == (100, 100)
    assert (second.seen, second.inserted, second.duplicates) == (90, 50, 40)
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 150


def test_same_source_id_from_another_source_is_a_different_event(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        rec = EventRecorder(community_id=cid)
        assert rec.record(conn, message(1, source="a")) is not None
        assert rec.record(conn, message(1, source="b")) is not None


def test_members_identities_and_nickname_history(engine: Engine) -> None:
    cid = _community(engine)
    renamed = replace(message(3, who=1), actor=user(1, "张三-上海-产品"))
    with engine.begin() as conn:
        EventRecorder(community_id=cid).record_many(
            conn, [message(1, who=1), message(2, who=1), renamed, message(4, who=2)]
        )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(identities)).scalar_one() == 2
        mid = member_repo.find_member_ids(conn, community_id=cid, keys=[user(1).key])[user(1).key]
        history = [h["nickname"] for h in member_repo.nickname_history(conn, member_id=mid)]
        assert history == ["用户1", "张三-上海-产品"]
        member = member_repo.get_member(conn, member_id=mid)
        assert member is not None
        assert member["display_name"] == "张三-上海-产品"
        assert member["first_seen_ms"] < member["last_seen_ms"]


def test_many_new_members_at_once_keep_their_names_and_ids(engine: Engine) -> None:
    """An import creates a batch's new senders at once: every one is found again under
    its own identity with its own name — odd names, numeric-looking ids, a name past 255
    characters — and members made one at a time before and after get ids of their own."""
    cid = _community(engine)
    names = [None, "", "0", "007", '"引号" a\'b \\ 🎉', "x" * 300, "张三-上海-产品"]
    keys = [("telegram", str(n)) for n in range(len(names))] + [("telegram", "0.0")]
    names.append("零")
    with engine.begin() as conn:
        first = member_repo.create_members(conn, community_id=cid, new=[(("qq", "1"), "早到")])
        made = member_repo.create_members(conn, community_id=cid,
                                          new=list(zip(keys, names, strict=True)))
        later = member_repo.create_members(conn, community_id=cid, new=[(("qq", "2"), "晚到")])
    with engine.connect() as conn:
        found = member_repo.find_member_ids(conn, community_id=cid,
                                            keys=[*keys, ("qq", "1"), ("qq", "missing")])
        assert found == {**made, **first}
        ids = [*first.values(), *made.values(), *later.values()]
        assert len(set(ids)) == len(ids) == len(keys) + 2
        for key, name in zip(keys, names, strict=True):
            member = member_repo.get_member(conn, member_id=found[key])
            assert member is not None
            assert member["display_name"] == ((name or None) and name[:255])
            assert member["attributes"] == {}
            assert member_repo.member_identities(conn, member_id=found[key]) == [key]


def test_communities_keep_members_apart(engine: Engine) -> None:
    a, b = _community(engine, "a"), _community(engine, "b")
    with engine.begin() as conn:
        EventRecorder(community_id=a).record(conn, message(1, source="sa"))
        EventRecorder(community_id=b).record(conn, message(1, source="sb"))
        assert member_repo.count_members(conn, community_id=a) == 1
        assert member_repo.count_members(conn, community_id=b) == 1


def test_joins_and_leaves_keep_membership_and_inviter(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        EventRecorder(community_id=cid).record_many(conn, [join(1, 5, inviter=1), leave(9, 5)])
        row = conn.execute(
            select(events.c.related_member_id, events.c.payload).where(events.c.kind == "join")
        ).one()
        inviter_id = member_repo.find_member_ids(conn, community_id=cid, keys=[user(1).key])
        assert row.related_member_id == inviter_id[user(1).key]
        assert row.payload["via"] == "invite"
        state = conn.execute(select(memberships)).mappings().one()
        assert state["active"] is False and state["left_ms"] > state["joined_ms"]
    with engine.begin() as conn:  # rejoining makes them active again
        rejoin = replace(join(20, 5), source_event_id="j20")
        EventRecorder(community_id=cid).record(conn, rejoin)
        assert conn.execute(select(memberships.c.active)).scalar_one() is True


def test_group_is_created_once_per_platform_id(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        rec = EventRecorder(community_id=cid)
        gid = rec.group_id(conn, GROUP, 0)
        assert EventRecorder(community_id=cid).group_id(conn, GROUP, 0) == gid
        assert len(community_repo.list_groups(conn, community_id=cid)) == 1
