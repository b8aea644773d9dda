"""The outbox's claim step (SQLite and PostgreSQL): a pending effect is delivered by the one
bot process that won its lease; a process killed while holding claims leaves them to
another after the lease; two bot processes on one PostgreSQL database flushing the same
outbox at once deliver every effect exactly once."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from qunyun.adapters.contract import AdapterCore
from qunyun.effects import Effect, Send
from qunyun.pipeline.runner import Pipeline
from qunyun.services import audit
from qunyun.storage.community import communities as community_repo
from qunyun.storage.engine import make_engine
from tests.factories import GROUP, message
from tests.pipeline.test_dispatcher import DeleteAdverts

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Bot(AdapterCore):
    """A bot process whose platform call only records what it was asked to do."""

    platform = GROUP.platform  # it serves the group the effects are for

    def __init__(self, pipeline: Pipeline, *, pause: float = 0.0) -> None:
        super().__init__(pipeline, cursor_key="test:cursor")
        self.done: list[Effect] = []
        self.pause = pause

    async def perform(self, effect: Effect) -> str | None:
        if self.pause:
            await asyncio.sleep(self.pause)  # a platform call takes a while: races overlap
        self.done.append(effect)
        return f"sent by {self.owner}"


def _community(engine: Engine) -> int:
    with engine.begin() as conn:
        return community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)


def _outbox(engine: Engine, cid: int, n: int) -> list[int]:
    """`n` effects an operator decided, waiting in the outbox."""
    with engine.begin() as conn:
        return [audit.record_operator_effect(
            conn, Send(group=GROUP, text=f"第 {i} 条", reason="test"), community_id=cid,
            operator="lin", member_id=None, group_id=None) for i in range(n)]


def _pipeline(engine: Engine, cid: int, clock: Clock) -> Pipeline:
    return Pipeline(engine, community_id=cid, policies=[DeleteAdverts()], clock=clock)


def test_one_process_wins_the_claim_until_its_lease_runs_out(engine: Engine) -> None:
    cid = _community(engine)
    (effect_id,) = _outbox(engine, cid, 1)
    with engine.begin() as conn:
        assert audit.claim_effect(conn, audit_id=effect_id, owner="a", now_ms=NOW_MS)
        assert not audit.claim_effect(conn, audit_id=effect_id, owner="b", now_ms=NOW_MS)
        late = NOW_MS + audit.CLAIM_LEASE_MS - 1
        assert not audit.claim_effect(conn, audit_id=effect_id, owner="b", now_ms=late)
        # Listed as pending, but not as free for another process while the lease holds.
        assert [i for i, _ in audit.pending_effects(conn, community_id=cid)] == [effect_id]
        assert audit.pending_effects(conn, community_id=cid, now_ms=late) == []
        after = NOW_MS + audit.CLAIM_LEASE_MS + 1
        assert audit.claim_effect(conn, audit_id=effect_id, owner="b", now_ms=after)
        audit.mark_delivery(conn, audit_id=effect_id, ok=True, detail="$sent")
        # Delivered: nobody claims it again, whenever.
        assert not audit.claim_effect(conn, audit_id=effect_id, owner="c",
                                      now_ms=after + 10 * audit.CLAIM_LEASE_MS)
        row = conn.execute(text("SELECT status, claimed_by FROM audit_log WHERE id = :i"),
                           {"i": effect_id}).one()
    assert tuple(row) == ("done", "b")


def test_a_second_process_does_not_resend_what_the_first_is_delivering(
        engine: Engine) -> None:
    cid = _community(engine)
    clock = Clock()
    first, second = Bot(_pipeline(engine, cid, clock)), Bot(_pipeline(engine, cid, clock))
    # The first process handles an advert: two effects committed, delivered by it...
    (outcome,) = first.pipeline.process_many([message(1, text="加微信")])
    planned = list(outcome.effects)
    assert len(planned) == 2
    asyncio.run(first.deliver(planned[0].audit_id, planned[0].effect))
    # ...while the second flushes between its rounds: it takes only what nobody has taken.
    assert asyncio.run(second.flush_outbox()) == 1
    asyncio.run(first.deliver(planned[1].audit_id, planned[1].effect))  # lost the claim
    assert [e.kind for e in first.done] == ["delete"]
    assert [e.kind for e in second.done] == ["warn"]
    assert asyncio.run(first.flush_outbox()) == asyncio.run(second.flush_outbox()) == 0


def test_a_killed_process_s_claims_are_delivered_by_another_after_the_lease(
        engine: Engine) -> None:
    cid = _community(engine)
    ids = _outbox(engine, cid, 3)
    with engine.begin() as conn:  # the killed process had claimed two, then died sending
        for effect_id in ids[:2]:
            assert audit.claim_effect(conn, audit_id=effect_id, owner="killed", now_ms=NOW_MS)
    clock = Clock()
    survivor = Bot(_pipeline(engine, cid, clock))
    assert asyncio.run(survivor.flush_outbox()) == 1  # the unclaimed one, at once
    clock.now = NOW + timedelta(milliseconds=audit.CLAIM_LEASE_MS - 1000)
    assert asyncio.run(survivor.flush_outbox()) == 0  # the lease still holds
    clock.now = NOW + timedelta(milliseconds=audit.CLAIM_LEASE_MS + 1000)
    assert asyncio.run(survivor.flush_outbox()) == 2
    assert sorted(e.text for e in survivor.done if isinstance(e, Send)) == [
        "第 0 条", "第 1 条", "第 2 条"]
    with engine.connect() as conn:
        owners = conn.execute(text("SELECT DISTINCT claimed_by FROM audit_log WHERE "
                                   "status = 'done'")).scalars().all()
    assert owners == [survivor.owner]


def test_two_processes_on_one_postgresql_database_deliver_each_effect_once(
        db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared-database case is PostgreSQL's")
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        cid = _community(engines[0])
        ids = _outbox(engines[0], cid, 40)
        bots = [Bot(_pipeline(e, cid, Clock()), pause=0.005) for e in engines]
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def flush(bot: Bot) -> None:
            try:
                start.wait()
                for _ in range(3):  # several rounds each, overlapping
                    asyncio.run(bot.flush_outbox())
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=flush, args=(b,)) for b in bots]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors and not any(t.is_alive() for t in threads)
        texts = [e.text for b in bots for e in b.done if isinstance(e, Send)]
        assert sorted(texts) == sorted(f"第 {i} 条" for i in range(40))  # each exactly once
        with engines[0].connect() as conn:
            statuses = conn.execute(text("SELECT id, status FROM audit_log WHERE actor = "
                                         "'operator:lin'")).all()
        assert sorted(statuses) == [(i, "done") for i in ids]
    finally:
        for e in engines:
            e.dispose()
