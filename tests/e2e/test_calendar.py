"""A1 on a real Synapse: a calendar post is sent at its time by `qunyun bot`; a bot killed
with SIGKILL and started again does not send a slot twice (and sends the one due while it
was down, within the catch-up window); two bot processes on one PostgreSQL database send
each scheduled post exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import create_engine, text

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.plan.load import load_plan
from tests.conftest import EXAMPLES, PgDatabases
from tests.e2e.conftest import Room, make_room, timeline

EVERY_S = 6
SLOTS = 4
# The first slot is this far ahead: a bot stores the plan's entries when it starts, and an
# entry starts at its first slot after that (a loaded machine takes seconds to start it).
LEAD_S = 30
TEXT = "⏰ 定时帖：{group} 的 {date}"


def _plan(tmp: Path, first: dt.datetime) -> Path:
    """The course plan with one post every few seconds (an RRULE, SECONDLY): the schedule
    works in seconds, so the test does not wait for 08:00."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump(mode="json", exclude_none=True)
    local = first.astimezone(ZoneInfo(loaded.plan.bot.timezone))
    data["calendar"] = {"posts": [{
        "id": "tick", "title": "定时帖", "text": TEXT,
        "rrule": f"DTSTART:{local:%Y%m%dT%H%M%S}\nRRULE:FREQ=SECONDLY;INTERVAL={EVERY_S};"
                 f"COUNT={SLOTS}"}], "campaigns": []}
    # The plan's revival task is a camp day's task, gone with the campaigns.
    (data.get("revival") or {}).pop("task", None)
    path = tmp / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _bot(hs: LocalHomeserver, room: Room, db: str, plan: Path, log: Path
         ) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "qunyun", "bot", "--plan", str(plan), "--db", db,
         "--homeserver", hs.url, "--token", room.bot.access_token, "--timeout-ms", "500"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
        env={**os.environ, "QUNYUN_PROGRESS": "0"})


def _stop(bot: subprocess.Popen[bytes], log: Path) -> None:
    bot.send_signal(signal.SIGTERM)
    try:
        bot.wait(timeout=15)
    except subprocess.TimeoutExpired:
        bot.kill()
        bot.wait(timeout=5)
    assert bot.returncode == 0, log.read_text()[-2000:]


def _posts(room: Room) -> list[tuple[str, int]]:
    async def read() -> list[tuple[str, int]]:
        api = room.api(room.alice)
        try:
            return [(e["content"]["body"], int(e["origin_server_ts"]))
                    for e in await timeline(api, room.room_id)
                    if e["sender"] == room.bot.user_id and e["type"] == "m.room.message"
                    and "定时帖" in e["content"].get("body", "")]
        finally:
            await api.close()
    return asyncio.run(read())


def _wait(predicate: object, seconds: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _slots(db: str) -> list[str]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT status FROM schedule_slots ORDER BY slot_ms"))]
    finally:
        engine.dispose()


def test_a_post_at_its_time_and_a_restart_does_not_send_it_twice(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    open_database(db).dispose()
    room = asyncio.run(make_room(homeserver))
    first = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=LEAD_S)
    plan = _plan(tmp_path, first)
    log = tmp_path / "bot.log"
    bot = _bot(homeserver, room, db, plan, log)
    try:
        _wait(lambda: len(_posts(room)) >= 1, LEAD_S + 30, "the first scheduled post")
        body, ts = _posts(room)[0]
        # Sent at its time (the loop polls every half second; Synapse stamps the event).
        assert 0 <= ts / 1000 - first.timestamp() < 5, (ts, first)
        assert body.startswith("⏰ 定时帖：测试群 的 ")
        bot.send_signal(signal.SIGKILL)  # no chance to clean up
        bot.wait(timeout=10)
        time.sleep(EVERY_S + 1)  # a slot passes while the bot is dead
        bot = _bot(homeserver, room, db, plan, log)
        _wait(lambda: len(_slots(db)) >= SLOTS, 60, "every slot to be recorded")
        time.sleep(2)  # a few more rounds: a double would show now
    finally:
        _stop(bot, log)
    posts = _posts(room)
    assert len(posts) == SLOTS - _slots(db).count("missed"), posts
    assert len(posts) >= SLOTS - 1  # the slot due while down is caught up (window 60 min)
    assert set(_slots(db)) <= {"sent", "late", "missed"}


def test_two_bot_processes_on_one_postgresql_database_post_each_slot_once(
        homeserver: LocalHomeserver, tmp_path: Path, pg_databases: PgDatabases | None) -> None:
    if pg_databases is None:
        pytest.skip("needs PostgreSQL (QUNYUN_TEST_PG_URL)")
    db = pg_databases.new()
    room = asyncio.run(make_room(homeserver))
    first = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=LEAD_S)
    plan = _plan(tmp_path, first)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    bots = [_bot(homeserver, room, db, plan, log) for log in logs]
    try:
        _wait(lambda: len(_slots(db)) >= SLOTS, LEAD_S + 90, "every slot to be recorded")
        time.sleep(3)
    finally:
        for bot, log in zip(bots, logs, strict=True):
            _stop(bot, log)
    posts = _posts(room)
    assert len(posts) == SLOTS, posts
    assert _slots(db) == ["sent"] * SLOTS
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            sends = Counter(r[0] for r in conn.execute(text(
                "SELECT event_source_id FROM audit_log WHERE actor = 'policy:calendar'")))
    finally:
        engine.dispose()
    assert len(sends) == SLOTS and set(sends.values()) == {1}
