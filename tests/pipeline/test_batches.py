"""The live pipeline's speed-ups change nothing a member sees: what it remembers between
events (recent messages, authors, today's points) and sync batches in one transaction
decide exactly what reading the database for every event decides; a failing policy in
a batch is rolled back alone; a batch that cannot be recorded loses nothing."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies
from qunyun.events import Event, MemberJoined, MessagePosted, ReactionAdded
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.load import load_plan
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.storage.events import log as eventlog
from tests.conftest import EXAMPLES
from tests.factories import GROUP, T0, message, user

TALK = ["今天的作业好难啊", "老师讲的分组终于搞懂了", "收到", "同问", "学到了",
        "打卡 今天学了两小时", "直播回放在哪里看？", "!积分", "兼职日结 加微信 http://spam.example.com"]


def traffic(source: str, n: int = 600, seed: int = 5) -> list[Event]:
    """Busy room traffic with floods, copy-paste waves, replies, reactions and joins."""
    rng = random.Random(seed)
    out: list[Event] = []
    at = T0
    for i in range(n):
        at += timedelta(seconds=rng.choice([1, 2, 3, 8, 30, 90]))
        who = user(int(rng.paretovariate(1.3)) % 40)
        roll = rng.random()
        if roll < 0.04:
            out.append(MemberJoined(source=source, source_event_id=f"e{i}", group=GROUP, at=at,
                                    member=user(100 + i), inviter=who if roll < 0.02 else None,
                                    via="invite" if roll < 0.02 else "link"))
        elif roll < 0.10 and i:
            out.append(ReactionAdded(source=source, source_event_id=f"e{i}", group=GROUP, at=at,
                                     actor=who, target_event_id=f"e{rng.randrange(i)}", key="👍"))
        else:
            words = "复制粘贴的通知：明晚八点直播" if roll < 0.16 else rng.choice(TALK)
            reply = f"e{rng.randrange(i)}" if i and rng.random() < 0.2 else None
            out.append(MessagePosted(source=source, source_event_id=f"e{i}", group=GROUP, at=at,
                                     actor=who, text=words, reply_to=reply))
    return out


def _decisions(engine: Engine, slug: str, events: Sequence[Event], *, remember: bool,
               batch: int) -> list[tuple[str, list[tuple[str, str]]]]:
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug=slug, name=slug, now_ms=0)
    clock = [events[0].at]
    pipe = Pipeline(engine, community_id=cid, policies=build_policies(loaded.plan),
                    plan=loaded.plan, clock=lambda: clock[0], remember=remember)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    for start in range(0, len(events), batch):
        chunk = events[start:start + batch]
        clock[0] = chunk[0].at
        for event, outcome in zip(chunk, pipe.process_many(chunk), strict=True):
            seen.append((event.source_event_id,
                         [(p.effect.kind, p.effect.reason) for p in outcome.effects]))
    return seen


def test_memory_and_batches_decide_exactly_as_reading_the_database(engine: Engine) -> None:
    plain = _decisions(engine, "a", traffic("a"), remember=False, batch=1)
    remembered = _decisions(engine, "b", traffic("b"), remember=True, batch=1)
    batched = _decisions(engine, "c", traffic("c"), remember=True, batch=25)
    kinds = {kind for _, effects in plain for kind, _ in effects}
    # The traffic really exercises the windows and the ledger, not just quiet chat.
    assert {"delete", "warn", "send"} <= kinds
    assert any("刷屏" in r or "重复" in r for _, effects in plain for _, r in effects)
    assert remembered == plain
    assert batched == plain


class FailingWrite:
    """Writes something that the database refuses, for one event."""

    name = "failing"

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if event.source_event_id == "m2":
            # A duplicate primary key: PostgreSQL aborts the whole transaction unless this
            # policy's savepoint is rolled back, so the rest of the batch proves it was.
            ctx.conn.execute(text("INSERT INTO communities (id, slug, name, created_ms) "
                                  "VALUES (:id, 'dup', 'dup', 0)"), {"id": ctx.community_id})
        return None


class Counting:
    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        self.calls.append(event.source_event_id)
        return None


def test_a_failing_write_in_a_batch_is_rolled_back_alone(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="f", name="f", now_ms=0)
    after = Counting()
    pipe = Pipeline(engine, community_id=cid, policies=[FailingWrite(), after])
    outcomes = pipe.process_many([message(i) for i in range(1, 5)])
    assert [bool(o.errors) for o in outcomes] == [False, True, False, False]
    assert outcomes[1].errors[0][0] == "failing"
    assert after.calls == ["m1", "m2", "m3", "m4"]
    with engine.connect() as conn:
        assert eventlog.count_events(conn, community_id=cid) == 4


def test_a_batch_that_cannot_be_recorded_commits_what_it_can_and_raises(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = EventRecorder.record

    def record(self: EventRecorder, conn: object, event: Event, **kw: bool) -> int | None:
        if event.source_event_id == "m3":
            raise RuntimeError("disk full")
        return original(self, conn, event, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(EventRecorder, "record", record)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="r", name="r", now_ms=0)
    pipe = Pipeline(engine, community_id=cid, policies=[Counting()])
    with pytest.raises(RuntimeError, match="disk full"):
        pipe.process_many([message(i) for i in range(1, 6)])
    # One by one after the batch rolled back: what came before the bad event is kept, the
    # rest is left for the next delivery (the sync token is not saved), nothing twice.
    with engine.connect() as conn:
        assert eventlog.count_events(conn, community_id=cid) == 2
    monkeypatch.setattr(EventRecorder, "record", original)
    outcomes = pipe.process_many([message(i) for i in range(1, 6)])
    assert [o.duplicate for o in outcomes] == [True, True, False, False, False]
