"""`qunyun bot --platform telegram|onebot`, as an operator starts it: the real command in a
subprocess against the local Bot API / OneBot server, a member's question answered from the
FAQ, SIGTERM stops it cleanly; missing connection settings are a one-line error."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.adapters.onebot.server import TOKEN as ONEBOT_TOKEN
from tests.adapters.onebot.server import OneBotServer
from tests.adapters.onebot.server import fixture as onebot_fixture
from tests.adapters.telegram.server import TOKEN, BotApiServer, fixture
from tests.conftest import EXAMPLES

PLAN = str(EXAMPLES / "python-camp.yaml")
QUESTION = "直播回放在哪里看呀"
ANSWER = "群公告置顶的链接"


def _bot(tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUNYUN_PROGRESS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "qunyun", "bot", "--plan", PLAN,
         "--db", f"sqlite:///{tmp / 'bot.db'}", *args],
        stdout=(tmp / "bot.log").open("ab"), stderr=subprocess.STDOUT, env=env)


def _stop(proc: subprocess.Popen[bytes], tmp: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=20) == 0, (tmp / "bot.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_telegram_bot_answers_from_the_faq(tmp_path: Path) -> None:
    server = BotApiServer().start()
    proc = _bot(tmp_path, "--platform", "telegram", "--telegram-token", TOKEN,
                "--telegram-api", server.base_url.removesuffix("/bot"))
    try:
        deadline = time.monotonic() + 60
        while not server.sent("getUpdates") and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "bot.log").read_text()
            time.sleep(0.2)
        update = fixture("Update-message")
        update["message"].pop("entities")
        update["message"].update(text=QUESTION, date=int(time.time()))
        server.push(update)
        while time.monotonic() < deadline:
            if any(ANSWER in str(p.get("text")) for p in server.sent("sendMessage")):
                break
            time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "bot.log").read_text())
        _stop(proc, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()


def test_onebot_bot_answers_from_the_faq(tmp_path: Path) -> None:
    async def go() -> None:
        server = await OneBotServer().start()
        proc = _bot(tmp_path, "--platform", "onebot", "--onebot-url", server.url,
                    "--onebot-token", ONEBOT_TOKEN)
        try:
            for _ in range(600):
                if any(a["action"] == "get_group_member_list" for a in server.actions):
                    break
                assert proc.poll() is None, (tmp_path / "bot.log").read_text()
                await asyncio.sleep(0.1)
            await server.push(onebot_fixture(
                "event-message-group", time=int(time.time()), message_id=77,
                message=[{"type": "text", "data": {"text": QUESTION}}]))
            for _ in range(300):
                if any(ANSWER in t for t in server.texts()):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "bot.log").read_text())
            # One account run with --plan is on the console's accounts list too (I1).
            assert _statuses(tmp_path) == [("onebot", server.url, True)]
            await asyncio.to_thread(_stop, proc, tmp_path)
            assert _statuses(tmp_path) == [("onebot", server.url, False)]
        finally:
            if proc.poll() is None:
                proc.kill()
            await server.stop()

    asyncio.run(go())


def _statuses(tmp: Path) -> list[tuple[str, str, bool]]:
    from qunyun.bot import accounts
    from qunyun.storage.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp / 'bot.db'}")
    try:
        with engine.connect() as conn:
            return [(s["platform"], s["label"], s["connected"]) for s in accounts.statuses(conn)]
    finally:
        engine.dispose()


def test_missing_connection_settings_are_one_line_errors(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNYUN_")}
    for platform, needle in (("telegram", "--telegram-token"), ("onebot", "--onebot-url")):
        done = subprocess.run(
            [sys.executable, "-m", "qunyun", "bot", "--plan", PLAN, "--platform", platform,
             "--db", f"sqlite:///{tmp_path / 'x.db'}"],
            capture_output=True, env=env, timeout=60)
        assert done.returncode != 0
        assert needle in (done.stderr + done.stdout).decode()
