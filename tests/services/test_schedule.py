"""The durable schedule on a simulated clock (months in seconds), through the real pipeline
and database (SQLite and PostgreSQL): each slot fires once, on time, in local time; after
downtime a recent slot is sent late and older ones are recorded missed, never a burst;
skip and pause work; two bot processes on one PostgreSQL database fire each slot once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.capabilities import FULL, Capabilities
from qunyun.domain import recurrence
from qunyun.effects import Effect, Send
from qunyun.events import MemberJoined
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import schedule as schedule_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.engine import make_engine
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import camp_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI).astimezone(UTC)


def plan_with(posts: list[dict[str, Any]], **calendar: Any) -> Plan:
    data = camp_plan().model_dump()
    data["calendar"] = {"posts": posts, **calendar}
    # Only the calendar's entries: no E1 sweep, H4 weekly report, T1 tier, T3 season or T4
    # volunteer entries.
    data["elimination"]["enabled"] = False
    data["growth"]["enabled"] = False
    data["reports"]["weekly"] = False
    data["volunteers"] = None
    data["seasons"] = None
    return Plan.model_validate(data)


MORNING = {"id": "morning", "title": "早安", "text": "{group} 早安，今天是 {date}",
           "at": "08:00", "every": "day", "start": date(2026, 3, 1)}


class Bot:
    """The bot's pipeline and schedule on a clock the test moves (one 'process')."""

    def __init__(self, engine: Engine, plan: Plan, now: datetime = START,
                 capabilities: Capabilities = FULL) -> None:
        with engine.begin() as conn:
            self.cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                              now_ms=0)
        self.engine = engine
        self.plan = plan
        self.now = now
        self.pipeline = Pipeline(engine, community_id=self.cid,
                                 policies=build_policies(plan, capabilities=capabilities),
                                 plan=plan, clock=lambda: self.now)
        self.schedule = build_scheduler(engine, community_id=self.cid, plan=plan, now=now)
        self.sent: list[tuple[datetime, Send]] = []

    def join_group(self) -> None:
        self.pipeline.process(MemberJoined(source="t", source_event_id="join-1", group=GROUP,
                                           at=self.now, member=user(1, "甲")))

    def run_until(self, end: datetime, step: timedelta = timedelta(minutes=1)) -> None:
        while self.now < end:
            self.now = min(self.now + step, end)
            self.fire()

    def fire(self) -> list[Effect]:
        out: list[Effect] = []
        for tick in self.schedule(self.now):
            for planned in self.pipeline.process(tick).effects:
                out.append(planned.effect)
                if isinstance(planned.effect, Send) and planned.effect.policy in ("calendar",
                                                                                "campaigns"):
                    self.sent.append((self.now, planned.effect))
        return out

    def statuses(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT status FROM schedule_slots ORDER BY slot_ms"))]


def test_rules_in_local_time_across_a_dst_change() -> None:
    daily = recurrence.rule_text(at="08:00", every="day", start=date(2026, 3, 27))
    berlin = recurrence.between(daily, "Europe/Berlin", datetime(2026, 3, 27, tzinfo=UTC),
                                datetime(2026, 3, 31, tzinfo=UTC))
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in berlin]
    assert [t.hour for t in local] == [8, 8, 8, 8]  # DST began on 29 March
    assert [t.hour for t in berlin] == [7, 7, 6, 6]  # …so the UTC hour moved
    tue_thu = recurrence.rule_text(at="20:00", every="week", on=["tue", "周四"],
                                   start=date(2026, 3, 2))
    got = recurrence.between(tue_thu, "Asia/Shanghai", START, START + timedelta(days=14))
    assert [t.astimezone(SHANGHAI).strftime("%a %H:%M") for t in got] == [
        "Tue 20:00", "Thu 20:00"] * 2
    first_monday = recurrence.rule_text(at="09:00", every="month", on=["mon"], nth=1,
                                        start=date(2026, 1, 1))
    got = recurrence.between(first_monday, "Asia/Shanghai", START, START + timedelta(days=92))
    assert [t.astimezone(SHANGHAI).date() for t in got] == [
        date(2026, 3, 2), date(2026, 4, 6), date(2026, 5, 4)]
    every_3 = recurrence.rule_text(at="07:30", every="3 days", start=date(2026, 3, 2))
    got = recurrence.between(every_3, "Asia/Shanghai", START, START + timedelta(days=9))
    assert [t.astimezone(SHANGHAI).day for t in got] == [2, 5, 8]
    assert recurrence.check_rule("RRULE:FREQ=SOMETIMES") is not None


def test_a_daily_post_fires_once_a_day_at_eight_for_two_months(engine: Engine) -> None:
    bot = Bot(engine, plan_with([MORNING]))
    bot.join_group()
    bot.run_until(START + timedelta(days=61), step=timedelta(hours=1))
    assert len(bot.sent) == 61
    assert all(at.astimezone(SHANGHAI).strftime("%H:%M") == "08:00" for at, _ in bot.sent)
    assert bot.sent[0][1].text == "测试群 早安，今天是 3月1日"
    assert bot.sent[-1][1].text.endswith("4月30日")
    assert set(bot.statuses()) == {"sent"}


def test_a_restart_does_not_send_a_slot_twice(engine: Engine) -> None:
    plan = plan_with([MORNING])
    first = Bot(engine, plan)
    first.join_group()
    first.run_until(START + timedelta(hours=8, minutes=1))
    assert len(first.sent) == 1
    # A second bot on the same database at the same minute computes the same tick: the
    # event log already has it, so no policy sees it again.
    again = Bot(engine, plan, now=first.now)
    again.fire()
    again.run_until(START + timedelta(hours=20))
    assert again.sent == []
    again.run_until(START + timedelta(days=1, hours=8, minutes=1))
    assert len(again.sent) == 1


def test_downtime_sends_the_recent_slot_late_and_records_older_ones_missed(engine: Engine
                                                                          ) -> None:
    plan = plan_with([MORNING], catch_up_minutes=60)
    bot = Bot(engine, plan)
    bot.join_group()
    bot.run_until(START + timedelta(hours=9))
    assert len(bot.sent) == 1
    # Down from day 1 09:00 to day 4 08:30: days 2 and 3 are missed, day 4 is sent late.
    bot.now = START + timedelta(days=3, hours=8, minutes=30)
    bot.fire()
    assert len(bot.sent) == 2 and "3月4日" in bot.sent[-1][1].text
    assert "补发" in bot.sent[-1][1].reason
    assert bot.statuses() == ["sent", "missed", "missed", "late"]
    with engine.connect() as conn:
        missed = conn.execute(text("SELECT reason FROM audit_log "
                                   "WHERE action = 'schedule:missed'")).scalars().all()
    assert missed == ["「早安」停机期间错过 2 次（超过补发时限 60 分钟），已跳过"]
    # Down again, back two hours after the slot: nothing is sent, the slot is missed.
    bot.now = START + timedelta(days=4, hours=10)
    bot.fire()
    assert len(bot.sent) == 2
    assert bot.statuses()[-1] == "missed"
    bot.run_until(START + timedelta(days=5, hours=8, minutes=1))
    assert len(bot.sent) == 3


def test_a_week_of_downtime_is_not_a_burst(engine: Engine) -> None:
    every_10 = {**MORNING, "id": "often", "rrule":
                "DTSTART:20260301T000000\nRRULE:FREQ=MINUTELY;INTERVAL=10"}
    bot = Bot(engine, plan_with([every_10], catch_up_minutes=60))
    bot.join_group()
    bot.now = START + timedelta(days=7, minutes=5)
    bot.fire()
    bot.fire()
    assert len(bot.sent) == 1  # only the newest slot inside the window
    statuses = bot.statuses()
    assert statuses.count("late") == 1 and statuses.count("missed") == 200  # rows capped


def test_skip_one_occurrence_and_pause(engine: Engine) -> None:
    bot = Bot(engine, plan_with([MORNING]))
    bot.join_group()
    with engine.begin() as conn:
        entry = conn.execute(text("SELECT id FROM schedule_entries")).scalar_one()
        day2 = int((START + timedelta(days=1, hours=8)).timestamp() * 1000)
        assert schedule_service.skip_slot(conn, community_id=bot.cid, entry_id=entry,
                                          slot_ms=day2, operator="lin", now_ms=0)
        assert not schedule_service.skip_slot(conn, community_id=bot.cid, entry_id=entry,
                                              slot_ms=day2 + 60_000, operator="lin",
                                              now_ms=0)  # not a slot of the rule
    bot.run_until(START + timedelta(days=3), step=timedelta(minutes=10))
    assert [at.astimezone(SHANGHAI).day for at, _ in bot.sent] == [1, 3]
    assert bot.statuses() == ["sent", "skipped", "sent"]
    with engine.begin() as conn:
        schedule_service.set_paused(conn, community_id=bot.cid, entry_id=entry, paused=True,
                                    operator="lin", now_ms=0)
    bot.run_until(START + timedelta(days=5), step=timedelta(minutes=10))
    assert len(bot.sent) == 2
    with engine.begin() as conn:
        schedule_service.set_paused(conn, community_id=bot.cid, entry_id=entry, paused=False,
                                    operator="lin", now_ms=int(bot.now.timestamp() * 1000))
    bot.run_until(START + timedelta(days=6), step=timedelta(minutes=10))
    assert [at.astimezone(SHANGHAI).day for at, _ in bot.sent] == [1, 3, 6]
    assert "missed" not in bot.statuses()  # a pause is not downtime


def test_a_plan_skip_date_and_a_one_off_post(engine: Engine) -> None:
    once = {"id": "launch", "text": "开营啦", "at": "19:30", "date": date(2026, 3, 2)}
    bot = Bot(engine, plan_with([{**MORNING, "skip": [date(2026, 3, 2)]}, once]))
    bot.join_group()
    bot.run_until(START + timedelta(days=4), step=timedelta(minutes=5))
    assert [(at.astimezone(SHANGHAI).strftime("%d %H:%M"), s.text[:4]) for at, s in bot.sent] \
        == [("01 08:00", "测试群 "), ("02 19:30", "开营啦"), ("03 08:00", "测试群 "),
            ("04 08:00", "测试群 ")][:len(bot.sent)]
    assert len(bot.sent) == 3 or len(bot.sent) == 4


def test_two_processes_on_one_postgresql_database_fire_each_slot_once(
        db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared-database case is PostgreSQL's")
    plan = plan_with([MORNING, {**MORNING, "id": "noon", "at": "12:00"}])
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        bots = [Bot(e, plan) for e in engines]
        bots[0].join_group()
        end = START + timedelta(days=10)
        errors: list[BaseException] = []

        def run(bot: Bot) -> None:
            try:
                bot.run_until(end, step=timedelta(minutes=15))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(b,)) for b in bots]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors and not any(t.is_alive() for t in threads)
        sent = [s for b in bots for _, s in b.sent]
        keys: Sequence[str] = [str(s.evidence["key"]) for s in sent]
        assert len(sent) == 20 and len(set(keys)) == 20
        with engines[0].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'send' "
                                     "AND actor = 'policy:calendar'")).scalar_one() == 20
    finally:
        for e in engines:
            e.dispose()


def test_where_the_bot_cannot_post_the_owner_gets_the_text_to_post(engine: Engine) -> None:
    bot = Bot(engine, plan_with([MORNING]), capabilities=Capabilities(post_in_group=False))
    bot.join_group()
    bot.run_until(START + timedelta(days=2), step=timedelta(hours=1))
    assert bot.sent == []
    with engine.connect() as conn:
        todos = conn.execute(text("SELECT title, detail FROM work_items WHERE queue = "
                                  "'post_todo' ORDER BY id")).all()
    assert [t[0] for t in todos] == ["请群主发布：早安"] * 2
    detail = todos[0][1] if isinstance(todos[0][1], dict) else __import__("json").loads(
        todos[0][1])
    assert detail["text"] == "测试群 早安，今天是 3月1日"
    assert bot.statuses() == ["sent", "sent"]  # the slot is done: the owner has the text


def test_a_daily_post_keeps_its_local_time_across_a_dst_change(engine: Engine) -> None:
    data = plan_with([{**MORNING, "start": date(2026, 3, 25)}]).model_dump()
    data["bot"]["timezone"] = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 26, tzinfo=berlin).astimezone(UTC)
    bot = Bot(engine, Plan.model_validate(data), now=start)
    bot.join_group()
    bot.run_until(start + timedelta(days=6), step=timedelta(minutes=30))
    local = [at.astimezone(berlin) for at, _ in bot.sent]  # DST began on 29 March
    assert [(t.day, t.strftime("%H:%M")) for t in local] == [
        (26, "08:00"), (27, "08:00"), (28, "08:00"), (29, "08:00"), (30, "08:00"),
        (31, "08:00")]


def test_a_post_the_platform_refused_shows_failed_on_the_calendar(engine: Engine) -> None:
    """A1 statuses: the slot fired, but the adapter's delivery failed (the outbox marks the
    audit row failed): the console calendar shows 失败 for that day, 已发送 for the next."""
    from qunyun.services import audit as audit_service
    from qunyun.storage.tables import audit_log

    bot = Bot(engine, plan_with([MORNING]))
    bot.join_group()
    bot.run_until(START + timedelta(days=2), step=timedelta(hours=1))
    assert len(bot.sent) == 2
    first_tick = str(bot.sent[0][1].evidence["key"])
    with engine.begin() as conn:
        audit_id = conn.execute(audit_log.select().with_only_columns(audit_log.c.id).where(
            audit_log.c.event_source_id == first_tick,
            audit_log.c.action == "send")).scalar_one()
        audit_service.mark_delivery(conn, audit_id=audit_id, ok=False, detail="M_FORBIDDEN")
        got = schedule_service.occurrences(conn, community_id=bot.cid, start=START,
                                           end=START + timedelta(days=2), kinds=["calendar"])
    days = [(datetime.fromtimestamp(o.slot_ms / 1000, tz=SHANGHAI).day, o.status)
            for o in got if o.status]
    assert days == [(1, "failed"), (2, "sent")]
