"""I1 restart safety on a real Synapse: `qunyun bot` killed with SIGKILL mid-stream and
started again neither misses an event (those sent while it was dead included) nor handles
one twice, and leaves no effect undelivered."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.plan.load import load_plan
from tests.conftest import EXAMPLES
from tests.e2e.conftest import Room, make_room

MESSAGES = 40


def _plan_without_flood_control(tmp: Path) -> Path:
    """The course plan, minus flood control: this test posts 40 messages in seconds on
    purpose, which the real plan would (rightly) punish."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump(mode="json", exclude_none=True)
    data["moderation"]["flood"]["enabled"] = False
    path = tmp / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _start_bot(hs: LocalHomeserver, room: Room, db: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUNYUN_PROGRESS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "qunyun", "bot", "--plan", str(_plan_without_flood_control(
            log.parent)),
         "--db", db, "--homeserver", hs.url, "--token", room.bot.access_token,
         "--timeout-ms", "1000"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env,
    )


def _wait(predicate: object, seconds: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_bot_resumes_without_loss_or_duplicates(homeserver: LocalHomeserver,
                                                       tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    open_database(db).dispose()
    reader = create_engine(db)
    room = asyncio.run(make_room(homeserver))
    log = tmp_path / "bot.log"

    def scalar(sql: str) -> int:
        with reader.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    def synced() -> bool:
        return scalar("SELECT count(*) FROM adapter_state WHERE key LIKE '%since'") > 0

    def messages() -> int:
        return scalar("SELECT count(*) FROM events WHERE kind = 'message'")

    async def say(start: int, stop: int) -> None:
        api = room.api(room.alice)
        try:
            for i in range(start, stop):
                await api.send_text(room.room_id, f"第 {i} 条消息，今天学了 pandas")
        finally:
            await api.close()

    bot = _start_bot(homeserver, room, db, log)
    try:
        _wait(synced, 30, "the bot's first sync")
        asyncio.run(say(0, MESSAGES // 2))
        _wait(lambda: messages() >= 5, 30, "the bot to handle some messages")
        bot.send_signal(signal.SIGKILL)  # mid-stream: no chance to clean up
        bot.wait(timeout=10)
        asyncio.run(say(MESSAGES // 2, MESSAGES))  # while the bot is dead
        bot = _start_bot(homeserver, room, db, log)
        _wait(lambda: messages() >= MESSAGES, 60, f"all {MESSAGES} messages")
        time.sleep(1.5)  # a few more sync rounds: anything double would show now
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=15)
        except subprocess.TimeoutExpired:
            bot.kill()
    assert bot.returncode == 0, log.read_text()[-2000:]

    with reader.connect() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT source_event_id FROM events WHERE kind = 'message'"))]
        assert len(ids) == len(set(ids)) == MESSAGES
        decided = Counter(conn.execute(text(
            "SELECT event_source_id, actor, action FROM audit_log WHERE effect IS NOT NULL "
            "OR status IN ('sent', 'pending', 'failed')")).all())
        assert all(n == 1 for n in decided.values()), decided.most_common(3)
        assert scalar("SELECT count(*) FROM audit_log WHERE status = 'pending'") == 0
