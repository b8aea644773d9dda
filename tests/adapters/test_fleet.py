"""Many communities per bot (I1): `qunyun bot` without --plan runs every community's stored
accounts with its stored plan, in one process — here two communities, each with a QQ
account on its own local OneBot server; each welcomes by its own plan, and each account
reports that it is connected and when it last synced."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from qunyun.app import open_database
from qunyun.bot import accounts
from qunyun.bot.fleet import run_fleet, runnable
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class SecondAccount(OneBotServer):
    """Another QQ account (each community its own bot account, as in real use)."""

    self_id = 10002

    def _answer(self, call: dict[str, Any]) -> Any:
        data = super()._answer(call)
        if call["action"] == "get_login_info":
            data = {**data, "user_id": self.self_id}
        return data


def test_two_communities_in_one_process(tmp_path: Path) -> None:
    async def go() -> None:
        engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
        servers = [await OneBotServer().start(), await SecondAccount().start()]
        texts = []
        with engine.begin() as conn:
            for n, (server, name) in enumerate(zip(servers, ("python-camp", "photo-club"),
                                                   strict=True)):
                text = (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
                cid = community_repo.get_or_create_community(conn, slug=f"c{n}", name=name,
                                                             now_ms=0)
                plan_service.import_file(conn, community_id=cid, path=name, text=text)
                accounts.add(conn, community_id=cid, platform="onebot",
                             settings={"onebot_url": server.url, "onebot_token": TOKEN})
                texts.append(text)
            accounts.add(conn, community_id=community_repo.get_or_create_community(
                conn, slug="draft", name="draft", now_ms=0), platform="onebot",
                settings={"onebot_url": "ws://127.0.0.1:9/"})  # no plan: left out
        chosen = runnable(engine)
        assert sorted(a.community_id for a, _p, _t in chosen) == [1, 2]
        stop = asyncio.Event()
        task = asyncio.create_task(run_fleet(engine, stop, chosen))
        try:
            for server in servers:
                await server.wait_connected()
                await server.push(fixture("event-notice-group_increase", time=int(time.time()),
                                          sub_type="approve", user_id=20001,
                                          self_id=server.self_id))
            for _ in range(400):
                if all(server.sent("send_group_msg") for server in servers):
                    break
                await asyncio.sleep(0.05)
            camp, club = (server.texts() for server in servers)

            assert camp and club and camp != club  # each community's own welcome
            with engine.connect() as conn:
                states = {s["community_id"]: s for s in accounts.statuses(conn)}
            assert set(states) == {1, 2}
            assert all(s["connected"] and s["last_sync_ms"] for s in states.values())
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
            for server in servers:
                await server.stop()
        with engine.connect() as conn:
            assert not any(s["connected"] for s in accounts.statuses(conn))
        engine.dispose()

    asyncio.run(go())
