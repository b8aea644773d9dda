"""The live Matrix bot loop (I1): sync → translate → pipeline → deliver effects.

Restart safety, in three parts:
- the sync token is saved only after every event of a sync has been processed, so a
  killed bot re-reads the last batch on restart;
- the event log is idempotent, so those re-read events reach no policy twice;
- every effect is committed to the audit log (the outbox) before it is sent and marked
  delivered after, so an effect committed but not sent when the bot died is sent on
  restart (`flush_outbox`), and none is sent twice.
A `limited` sync (more events than the timeline holds) is completed by paging
`/messages` backwards until an event already in the log (or the page end) is reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Engine

from qunyun.capabilities import Capabilities
from qunyun.effects import (
    Alert,
    Delete,
    DirectMessage,
    Effect,
    Kick,
    Reply,
    Send,
    Warn,
)
from qunyun.events import Event, GroupRef, MessagePosted, TimerFired
from qunyun.pipeline.runner import Pipeline
from qunyun.services import audit, ingest
from qunyun.storage.bot import adapter_state
from qunyun.storage.events import log as eventlog

from .translate import PLATFORM, image_url, source_for, translate

log = logging.getLogger("qunyun.bot.matrix")

MAX_IMAGE_BYTES = 5 * 1024 * 1024
SYNC_FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {"timeline": {"limit": 200}, "ephemeral": {"not_types": ["*"]}},
}


class MatrixApi(Protocol):
    """What the bot needs from a Matrix client (qunyun.adapters.matrix.client.MatrixClient)."""

    async def sync(self, since: str | None = ..., timeout_ms: int = ...,
                   filter: Any = ...) -> dict[str, Any]: ...
    async def messages(self, room_id: str, from_token: str | None = ..., direction: str = ...,
                       limit: int = ..., filter: Any = ...) -> dict[str, Any]: ...
    async def send_text(self, room_id: str, body: str, mentions: Sequence[str] = ...) -> str: ...
    async def redact(self, room_id: str, event_id: str, reason: str | None = ...) -> str: ...
    async def kick(self, room_id: str, user_id: str, reason: str | None = ...) -> None: ...
    async def join(self, room_id: str) -> Any: ...
    async def download(self, mxc: str) -> bytes: ...
    async def create_dm(self, user_id: str) -> str: ...


Scheduler = Callable[[Any], Sequence[TimerFired]]
# What the bot can do on Matrix: everything the policies and the schedule ask for.
CAPABILITIES = Capabilities(post_in_group=True, direct_message=True, delete=True, remove=True)


class MatrixBot:
    def __init__(
        self,
        client: MatrixApi,
        pipeline: Pipeline,
        *,
        bot_user_id: str,
        homeserver: str,
        admin_room: str | None = None,
        scheduler: Scheduler | None = None,
        auto_join: bool = True,
    ) -> None:
        self.client = client
        self.pipeline = pipeline
        self.engine: Engine = pipeline.engine
        self.bot_user_id = bot_user_id
        self.source = source_for(homeserver)
        self.admin_room = admin_room
        self.scheduler = scheduler
        self.auto_join = auto_join
        self.token_key = f"matrix:{homeserver}:{bot_user_id}:since"
        self.room_names: dict[str, str] = {}
        self.display_names: dict[str, str] = {}
        self.dm_rooms: dict[str, str] = {}
        self.known_rooms: set[str] = set()
        self.handled = 0

    # -- state ------------------------------------------------------------------------------
    def load_token(self) -> str | None:
        with self.engine.connect() as conn:
            return adapter_state.load(conn, key=self.token_key)

    def save_token(self, token: str) -> None:
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=self.token_key, value=token,
                               now_ms=int(time.time() * 1000))

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, *, timeout_ms: int = 30_000) -> None:
        await self.flush_outbox()
        backoff = 1.0
        while not stop.is_set():
            try:
                await self.sync_once(timeout_ms=timeout_ms, stop=stop)
                backoff = 1.0
                # Yield even if the client answered without waiting (timeout 0, a fast
                # server), so stop requests and other tasks always get a turn.
                await asyncio.sleep(0 if timeout_ms else 0.05)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A dead homeserver or network: say so once per attempt, wait, try again.
                log.warning("sync failed (%s: %s); retrying in %.0f s",
                            type(exc).__name__, exc, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 30.0)

    async def sync_once(self, *, timeout_ms: int = 0, stop: asyncio.Event | None = None) -> int:
        """One sync round: handle every new event, then persist the token. Returns events.

        A stop request interrupts the long-poll wait (nothing has been handled yet, so
        nothing is lost); once events arrive they are all handled before stopping.
        """
        since = self.load_token()
        request = asyncio.ensure_future(self.client.sync(
            since=since, timeout_ms=timeout_ms if since else 0, filter=SYNC_FILTER))
        if stop is not None:
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not request.done():
                request.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await request
                return 0
        resp = await request
        handled = 0
        rooms = resp.get("rooms") or {}
        if self.auto_join:
            for room_id in (rooms.get("invite") or {}):
                await self.client.join(room_id)
        for room_id, room in (rooms.get("join") or {}).items():
            self._learn_state(room_id, (room.get("state") or {}).get("events") or [])
            timeline = room.get("timeline") or {}
            raw_events = list(timeline.get("events") or [])
            if since is None:
                # First start: what happened before the bot existed is history, not work.
                self._learn_state(room_id, raw_events)
            self._register(room_id)
            if since is None:
                continue
            if timeline.get("limited") and timeline.get("prev_batch"):
                raw_events = await self._backfill(room_id, timeline["prev_batch"]) + raw_events
            batch = [e for raw in raw_events if (e := await self.to_event(room_id, raw))]
            handled += await self.handle_many(batch)
        handled += await self.fire_timers()
        self.save_token(str(resp["next_batch"]))
        return handled

    async def _backfill(self, room_id: str, prev_batch: str) -> list[dict[str, Any]]:
        """Events a limited sync left out: page back until one is already in the log."""
        collected: list[dict[str, Any]] = []
        token: str | None = prev_batch
        for _page in range(100):  # bounded: 100 pages × 500 events
            page = await self.client.messages(room_id, from_token=token, direction="b", limit=500)
            chunk = page.get("chunk") or []
            reached = False
            for raw in chunk:
                with self.engine.connect() as conn:
                    if eventlog.exists(conn, source=self.source,
                                       source_event_id=str(raw.get("event_id"))):
                        reached = True
                        break
                collected.append(raw)
            token = page.get("end")
            if reached or not chunk or not token:
                break
        collected.reverse()
        log.info("limited sync in %s: paged back %d events", room_id, len(collected))
        return collected

    def _register(self, room_id: str) -> None:
        """Make a joined room known as a group (scheduled posts go to the known groups)."""
        if room_id in self.known_rooms:
            return
        with self.engine.begin() as conn:
            ingest.ensure_group(conn, community_id=self.pipeline.community_id,
                                group=GroupRef(PLATFORM, room_id, self.room_names.get(room_id)),
                                at_ms=int(time.time() * 1000))
        self.known_rooms.add(room_id)

    def _learn_state(self, room_id: str, raw_events: Sequence[Mapping[str, Any]]) -> None:
        for raw in raw_events:
            content = raw.get("content") or {}
            if raw.get("type") == "m.room.name" and content.get("name"):
                self.room_names[room_id] = str(content["name"])
            elif raw.get("type") == "m.room.member" and content.get("displayname"):
                self.display_names[str(raw.get("state_key"))] = str(content["displayname"])

    async def to_event(self, room_id: str, raw: Mapping[str, Any]) -> Event | None:
        """The normalized event for a raw one (None for the bot's own and for what qunyun
        does not track); images are downloaded for the QR check."""
        self._learn_state(room_id, [raw])
        if raw.get("sender") == self.bot_user_id:
            return None  # the bot's own messages are not community activity
        room = GroupRef(PLATFORM, room_id, self.room_names.get(room_id))
        event = translate(raw, room=room, source=self.source, names=self.display_names)
        if isinstance(event, MessagePosted) and (mxc := image_url(raw)):
            event = await self._with_image(event, mxc)
        return event

    async def _with_image(self, event: MessagePosted, mxc: str) -> MessagePosted:
        try:
            data = await self.client.download(mxc)
        except Exception as exc:
            log.warning("could not download %s for QR check: %s", mxc, exc)
            return event
        if len(data) > MAX_IMAGE_BYTES:
            return event
        return dataclasses.replace(event, image=data)

    async def handle(self, event: Event) -> int:
        return await self.handle_many([event])

    async def handle_many(self, events: Sequence[Event]) -> int:
        """A room's events of one sync in one transaction, then their effects in order."""
        handled = 0
        for outcome in self.pipeline.process_many(events):
            if outcome.duplicate:
                continue
            handled += 1
            for planned in outcome.effects:
                await self.deliver(planned.audit_id, planned.effect)
        self.handled += handled
        return handled

    async def fire_timers(self) -> int:
        if self.scheduler is None:
            return 0
        fired = 0
        for tick in self.scheduler(self.pipeline.clock()):
            fired += await self.handle(tick)
        return fired

    async def flush_outbox(self) -> int:
        """Send effects committed before a crash but never delivered."""
        with self.engine.connect() as conn:
            pending = audit.pending_effects(conn, community_id=self.pipeline.community_id)
        for audit_id, effect in pending:
            await self.deliver(audit_id, effect)
        if pending:
            log.info("re-sent %d effect(s) left undelivered by the last run", len(pending))
        return len(pending)

    # -- effects → Matrix -------------------------------------------------------------------
    async def deliver(self, audit_id: int, effect: Effect) -> None:
        try:
            detail = await self._send(effect)
            ok = True
        except Exception as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
            log.warning("effect %s failed: %s", effect.kind, detail)
        with self.engine.begin() as conn:
            audit.mark_delivery(conn, audit_id=audit_id, ok=ok, detail=detail)

    async def _send(self, effect: Effect) -> str | None:
        room = effect.group.group_id
        if isinstance(effect, Send):
            return await self.client.send_text(room, effect.text,
                                               [m.user_id for m in effect.mentions])
        if isinstance(effect, Reply):
            return await self.client.send_text(room, effect.text)
        if isinstance(effect, Warn):
            return await self.client.send_text(room, effect.text, [effect.member.user_id])
        if isinstance(effect, Delete):
            return await self.client.redact(room, effect.event_id, effect.reason)
        if isinstance(effect, Kick):
            await self.client.kick(room, effect.member.user_id, effect.reason)
            return None
        if isinstance(effect, DirectMessage):
            dm = self.dm_rooms.get(effect.member.user_id)
            if dm is None:
                dm = await self.client.create_dm(effect.member.user_id)
                self.dm_rooms[effect.member.user_id] = dm
            return await self.client.send_text(dm, effect.text)
        if isinstance(effect, Alert):
            target = self._admin_room_id() or room
            body = effect.text + (f"\n建议回复：{effect.suggested_reply}"
                                  if effect.suggested_reply else "")
            return await self.client.send_text(target, body)
        return None  # AwardPoints, Flag, Mute…: recorded state, nothing to send

    def _admin_room_id(self) -> str | None:
        if not self.admin_room:
            return None
        if self.admin_room.startswith("!"):
            return self.admin_room
        for room_id, name in self.room_names.items():
            if name == self.admin_room:
                return room_id
        return None
