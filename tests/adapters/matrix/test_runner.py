"""The Matrix bot loop against an in-memory API (unit level; the Synapse suite is end to end):
first start skips history, token saved after handling, a crash re-reads without double
handling, the outbox re-sends what was committed but not sent, limited syncs backfill."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from qunyun.storage.events import log as eventlog
from qunyun.storage.work import audit as audit_repo
from tests.pipeline.test_dispatcher import DeleteAdverts

ROOM = "!r:localhost"


def msg(n: int, body: str, sender: str = "@alice:localhost") -> dict[str, Any]:
    return {"type": "m.room.message", "sender": sender, "event_id": f"$e{n}",
            "origin_server_ts": 1_770_000_000_000 + n * 1000,
            "content": {"msgtype": "m.text", "body": body}}


class FakeApi:
    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.sent: list[tuple[str, str]] = []
        self.redacted: list[str] = []
        self.fail_sends = False
        self.fail_syncs = 0
        self.replies: list[str | None] = []
        self.state: dict[str, list[dict[str, Any]]] = {}
        self.created: list[tuple[str | None, list[str]]] = []
        self.joins: list[str] = []  # rooms the bot joined (accepting an invitation)
        self.left: list[str] = []  # rooms the bot left (declining an invitation)

    def push(self, events: list[dict[str, Any]], *, limited: bool = False) -> None:
        n = len(self.batches) + 1
        self.batches.append({"next_batch": f"t{n}", "rooms": {"join": {ROOM: {
            "timeline": {"events": events, "limited": limited, "prev_batch": f"p{n}"}}}}})

    async def sync(self, since: str | None = None, timeout_ms: int = 0,
                   filter: Any = None) -> dict[str, Any]:
        if self.fail_syncs:
            self.fail_syncs -= 1
            raise ConnectionError("homeserver down")
        index = 0 if since is None else int(since[1:])
        if index < len(self.batches):
            return self.batches[index]
        return {"next_batch": since or "t0", "rooms": {}}

    async def messages(self, room_id: str, from_token: str | None = None, direction: str = "b",
                       limit: int = 100, filter: Any = None) -> dict[str, Any]:
        return {"chunk": list(reversed(self.history)), "end": None}

    async def send_text(self, room_id: str, body: str, mentions: Sequence[str] = (), *,
                        names: Mapping[str, str] | None = None,
                        reply_to: str | None = None, txn_id: str | None = None) -> str:
        if self.fail_sends:
            raise ConnectionError("send failed")
        self.sent.append((room_id, body))
        self.replies.append(reply_to)
        return f"$sent{len(self.sent)}"

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        if self.fail_sends:
            raise ConnectionError("redact failed")
        self.redacted.append(event_id)
        return "$r"

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> None: ...
    async def join(self, room_id: str) -> Any:
        self.joins.append(room_id)

    async def leave(self, room_id: str) -> None:
        self.left.append(room_id)

    async def download(self, mxc: str) -> bytes:
        return b""

    async def create_dm(self, user_id: str, *, name: str | None = None,
                        topic: str | None = None) -> str:
        return "!dm:localhost"

    async def joined_rooms(self) -> list[str]:
        return list(self.state)

    async def room_state(self, room_id: str) -> list[dict[str, Any]]:
        return self.state[room_id]

    async def create_room(self, *, name: str | None = None, invite: Sequence[str] = (),
                          is_direct: bool = False, preset: str = "private_chat",
                          power_users: dict[str, int] | None = None) -> str:
        self.created.append((name, list(invite)))
        room = f"!created{len(self.created)}:localhost"
        self.state[room] = [{"type": "m.room.name", "state_key": "", "content": {"name": name}}]
        return room


class Counts:
    name = "counts"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, MessagePosted):
            self.seen.append(event.source_event_id)
        return None


def _bot(engine: Engine, api: FakeApi, counts: Counts) -> MatrixBot:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    pipe = Pipeline(engine, community_id=cid, policies=[DeleteAdverts(), counts])
    return MatrixBot(api, pipe, bot_user_id="@bot:localhost", homeserver="localhost")


def test_first_start_skips_history_then_handles_new_events(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([msg(1, "旧消息")])
    api.push([msg(2, "新消息"), msg(3, "加微信领资料"), msg(4, "bot", sender="@bot:localhost")])
    bot = _bot(engine, api, counts)
    assert asyncio.run(bot.sync_once()) == 0
    assert asyncio.run(bot.sync_once()) == 2
    assert counts.seen == ["$e2"]  # the advert stopped at moderation; the bot's own is ignored
    assert api.redacted == ["$e3"]
    assert bot.load_token() == "t2"


def test_crash_before_saving_the_token_does_not_double_handle(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([])
    api.push([msg(1, "你好")])
    bot = _bot(engine, api, counts)
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    bot.save_token("t1")  # as if killed after handling, before the token was written
    restarted = _bot(engine, api, counts)
    assert asyncio.run(restarted.sync_once()) == 0
    assert counts.seen == ["$e1"]


def test_failed_deliveries_are_recorded_not_retried_blindly(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([])
    api.push([msg(1, "加微信")])
    bot = _bot(engine, api, counts)
    asyncio.run(bot.sync_once())
    api.fail_sends = True
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        rows = audit_repo.entries(conn)
    assert sorted(r["status"] for r in rows) == ["failed", "failed"]
    assert all("failed" in (r["detail"] or "") for r in rows)
    api.fail_sends = False
    assert asyncio.run(_bot(engine, api, counts).flush_outbox()) == 0


def test_pending_effects_are_delivered_on_restart(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([])
    bot = _bot(engine, api, counts)
    asyncio.run(bot.sync_once())
    bot.pipeline.process(bot_event := _advert())  # committed, never delivered: a crash here
    assert bot_event.source_event_id == "$x"
    restarted = _bot(engine, api, counts)
    assert asyncio.run(restarted.flush_outbox()) == 2
    assert api.redacted == ["$x"] and len(api.sent) == 1
    assert asyncio.run(restarted.flush_outbox()) == 0  # and never twice


def _advert() -> MessagePosted:
    from qunyun.adapters.matrix.translate import translate
    from qunyun.events import GroupRef

    event = translate(msg(99, "加微信") | {"event_id": "$x"},
                      room=GroupRef("matrix", ROOM), source="matrix:localhost")
    assert isinstance(event, MessagePosted)
    return event


def test_limited_sync_pages_back_to_the_last_known_event(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([])
    api.push([msg(1, "a")])
    bot = _bot(engine, api, counts)
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    api.history = [msg(1, "a"), msg(2, "b"), msg(3, "c")]  # server-side order, oldest first
    api.push([msg(4, "d")], limited=True)
    asyncio.run(bot.sync_once())
    assert counts.seen == ["$e1", "$e2", "$e3", "$e4"]
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 4


def test_dead_homeserver_is_retried_until_it_answers(engine: Engine) -> None:
    api, counts = FakeApi(), Counts()
    api.push([])
    api.fail_syncs = 2
    bot = _bot(engine, api, counts)

    async def run_briefly() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop, timeout_ms=0))
        for _ in range(80):
            await asyncio.sleep(0.05)
            if bot.load_token() == "t1":
                break
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(run_briefly())
    assert bot.load_token() == "t1"


def test_members_already_in_a_room_are_counted_on_start(engine: Engine) -> None:
    """Issue 11: people in a group room before the bot came (no join seen) are the group's
    members in the console from the start; the bot is not one of them."""
    from qunyun.storage.console import overview as console_overview

    def member(user: str, name: str) -> dict[str, Any]:
        return {"type": "m.room.member", "state_key": user, "sender": user,
                "content": {"membership": "join", "displayname": name}}

    api, counts = FakeApi(), Counts()
    api.state[ROOM] = [{"type": "m.room.name", "state_key": "", "content": {"name": "演示群"}},
                       member("@bot:localhost", "机器人"), member("@alice:localhost", "爱丽丝"),
                       member("@bob:localhost", "鲍勃"), member("@carol:localhost", "卡罗")]
    bot = _bot(engine, api, counts)
    asyncio.run(bot.start())
    asyncio.run(bot.start())  # a restart counts nobody twice
    with engine.connect() as conn:
        groups = console_overview.groups_with_counts(conn,
                                                     community_id=bot.pipeline.community_id)
    [room] = [g for g in groups if g["external_id"] == ROOM]
    assert room["current"] == 3 and room["name"] == "演示群"


def test_status_for_the_console_connected_last_sync_and_error(engine: Engine) -> None:
    # I1: the Matrix account reports on the console's accounts list as the Telegram and QQ
    # ones do — the failure and why, then connected with its last sync, then stopped.
    from qunyun.bot import accounts

    api, counts = FakeApi(), Counts()
    api.push([])
    api.fail_syncs = 1
    bot = _bot(engine, api, counts)
    bot.status_key = accounts.status_key(bot.pipeline.community_id, "matrix", "localhost")
    seen: list[dict[str, Any]] = []

    def status() -> dict[str, Any]:
        with engine.connect() as conn:
            return next(s for s in accounts.statuses(conn) if s["platform"] == "matrix")

    async def run_briefly() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop, timeout_ms=0))
        for _ in range(100):
            await asyncio.sleep(0.05)
            seen.append(status())
            if bot.load_token() == "t1" and seen[-1]["connected"]:
                break
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(run_briefly())
    failed = [s for s in seen if not s["connected"]]
    assert failed and failed[0]["error"] == "ConnectionError: homeserver down"
    assert seen[-1]["connected"] and seen[-1]["last_sync_ms"] and seen[-1]["error"] is None
    assert status()["connected"] is False  # stopped


def test_what_matrix_cannot_do_is_an_operator_to_do_not_a_silent_drop(engine: Engine) -> None:
    """A timed mute and a per-member invite link have no Matrix call: the capabilities say
    so (policies ask them), and an effect that still comes fails with the to-do's text."""
    import pytest

    from qunyun.adapters.contract import NotOnPlatform
    from qunyun.effects import InviteLink, Mute
    from qunyun.events import GroupRef, UserRef

    bot = _bot(engine, FakeApi(), Counts())
    assert not bot.capabilities.mute and not bot.capabilities.invite_links
    assert bot.capabilities.join_requests  # knocks
    room, alice = GroupRef("matrix", ROOM, "进阶营"), UserRef("matrix", "@alice:localhost", "小王")
    with pytest.raises(NotOnPlatform, match=r"小王 的权限等级.*10 分钟后再调回"):
        asyncio.run(bot.perform(Mute(group=room, reason="r", member=alice, seconds=600)))
    with pytest.raises(NotOnPlatform, match="没有个人邀请链接"):
        asyncio.run(bot.perform(InviteLink(group=room, reason="r", member=alice)))
