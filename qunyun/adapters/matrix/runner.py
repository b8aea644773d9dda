"""The live Matrix bot loop (I1): sync → translate → pipeline → deliver effects.

Restart safety, in three parts:
- the sync token is saved only after every event of a sync has been processed, so a
  killed bot re-reads the last batch on restart;
- the event log is idempotent, so those re-read events reach no policy twice;
- every effect is committed to the audit log (the outbox) before it is sent and marked
  delivered after, so an effect committed but not sent when the bot died is sent on
  restart (`flush_outbox`), and none is sent twice. Each effect is claimed before it is
  sent (`audit.claim_effect`), so a second bot process on the same database, flushing
  the same outbox, never sends it too.
A `limited` sync (more events than the timeline holds) is completed by paging
`/messages` backwards until an event already in the log (or the page end) is reached.

On start (`start`) the bot reads every joined room's state again (names, display names,
moderators; `rooms.RoomDirectory`), finds or creates the admins' room and invites the
admins. Only community groups reach the pipeline as groups: a DM's messages arrive as
`kind="direct"` (form answers, commands), its joins and leaves not at all; the admins'
room is not community activity. Timers (batched welcomes, reminders) are fired by a loop
of their own every `timer_interval_s`, not only when a sync returns.
The outbox is also how the console acts through the bot (an appeal's answer, a
re-invitation): it is flushed after every sync round, not only on start.

The pipeline hand-off, the outbox (claim, send, mark; ordered by the core's lock), the
timer loop and the saved cursor (the sync token) are `AdapterCore`'s, shared with the
Telegram and QQ adapters; this module adds what is Matrix's own: the sync loop, the
limited-sync backfill, the room directory and the admins' room. Each sync round reports
the account's status (connected, last sync) for the console, as the other adapters do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from qunyun.adapters.contract import AdapterCore, NotOnPlatform
from qunyun.capabilities import MATRIX
from qunyun.domain.group_matrix import LINK_SLOT
from qunyun.effects import (
    Alert,
    AnswerJoinRequest,
    Delete,
    DirectMessage,
    Effect,
    Invite,
    InviteLink,
    Kick,
    Mute,
    OpenGroup,
    Reply,
    Send,
    SendFile,
    SetRole,
    Warn,
)
from qunyun.events import Event, GroupRef, MessagePosted, MessageRecalled, TimerFired, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import direct, group_invites, ingest, lookup
from qunyun.storage.bot import adapter_state
from qunyun.storage.events import log as eventlog

from .client import MatrixError
from .rooms import MODERATOR_LEVEL, RoomDirectory
from .translate import PLATFORM, image_url, source_for, translate

# G4: what a new room copies from its model room (besides its power rules).
COPIED_STATE = ("m.room.topic", "m.room.avatar", "m.room.history_visibility")
COPIED_LEVELS = ("ban", "kick", "redact", "invite", "state_default", "events", "notifications")

log = logging.getLogger("qunyun.bot.matrix")

MAX_IMAGE_BYTES = 5 * 1024 * 1024
BOT_NAME = "群运助手"  # a DM room's name when the bot's own display name is not known
# How long a starting bot waits for another process that is creating the admins' room.
ADMIN_ROOM_WAIT_S = 30.0
MODERATOR_POWER = 50  # Matrix's "Moderator" role; the bot's admins by default
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
    async def send_text(self, room_id: str, body: str, mentions: Sequence[str] = ..., *,
                        names: Mapping[str, str] | None = ...,
                        reply_to: str | None = ..., txn_id: str | None = ...) -> str: ...
    async def redact(self, room_id: str, event_id: str, reason: str | None = ...) -> str: ...
    async def kick(self, room_id: str, user_id: str, reason: str | None = ...) -> None: ...
    async def invite(self, room_id: str, user_id: str) -> None: ...
    async def leave(self, room_id: str) -> None: ...
    async def upload(self, data: bytes, content_type: str, filename: str) -> str: ...
    async def send_event(self, room_id: str, event_type: str,
                         content: dict[str, Any]) -> str: ...
    async def join(self, room_id: str) -> Any: ...
    async def state_event(self, room_id: str, event_type: str,
                          state_key: str = ...) -> dict[str, Any]: ...
    async def set_state(self, room_id: str, event_type: str, content: dict[str, Any],
                        state_key: str = ...) -> str: ...
    async def download(self, mxc: str) -> bytes: ...
    async def create_dm(self, user_id: str, *, name: str | None = ...,
                        topic: str | None = ...) -> str: ...
    async def joined_rooms(self) -> list[str]: ...
    async def room_state(self, room_id: str) -> list[dict[str, Any]]: ...
    async def create_room(self, *, name: str | None = ..., invite: Sequence[str] = ...,
                          is_direct: bool = ..., preset: str = ...,
                          power_users: dict[str, int] | None = ...) -> str: ...


Scheduler = Callable[[Any], Sequence[TimerFired]]
# What the bot can do on Matrix (`capabilities.MATRIX`: all but a timed mute; knocks).
CAPABILITIES = MATRIX


def _now_ms() -> int:
    return int(time.time() * 1000)


# Why a DM waits as the operator's 待发私信 to-do on Matrix (issue 11: a DM nobody reads).
DM_NOT_ACCEPTED = ("ta 还没有接受机器人的私聊邀请（已经邀请过一次，不再重复邀请）；"
                   "ta 接受后机器人会自己补发")
DM_TURNED_DOWN = ("ta 拒绝了或退出了和机器人的私聊，机器人不再打扰 ta；"
                  "ta 自己再私聊机器人时，机器人会自己补发")


class MatrixBot(AdapterCore):
    platform = PLATFORM
    capabilities = CAPABILITIES

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
        admin_room_name: str = "管理组",
        admin_invites: Sequence[str] = (),
        timer_interval_s: float = 1.0,
    ) -> None:
        super().__init__(pipeline, cursor_key=f"matrix:{homeserver}:{bot_user_id}:since",
                         scheduler=scheduler, timer_interval_s=timer_interval_s)
        self.client = client
        self.bot_user_id = bot_user_id
        self.homeserver = homeserver
        self.source = source_for(homeserver)
        self.admin_room = admin_room
        self.auto_join = auto_join
        self.token_key = self.cursor_key
        self.rooms_key = f"matrix:{homeserver}:{bot_user_id}:rooms"
        self.admin_room_name = admin_room_name
        self.admin_invites = tuple(admin_invites)
        self.rooms = RoomDirectory(bot_user_id)
        with self.engine.connect() as conn:
            self.rooms.load(adapter_state.load(conn, key=self.rooms_key))
        if admin_room and admin_room.startswith("!"):
            self.rooms.set_admin_room(admin_room)
        self.known_rooms: set[str] = set()
        self.open_dm_rooms: set[str] | None = None  # as of the last look (None: not yet)

    @property
    def room_names(self) -> dict[str, str]:
        return self.rooms.names

    @property
    def display_names(self) -> dict[str, str]:
        return self.rooms.display_names

    @property
    def dm_rooms(self) -> dict[str, str]:
        """Member → their DM room (a snapshot; `rooms` is the directory)."""
        return {user: room for room, user in self.rooms.direct.items()}

    def moderators(self, room_id: str) -> frozenset[str]:
        """User ids with moderator power (≥ 50) in the room, as last seen."""
        return frozenset(self.rooms.moderators.get(room_id, set()))

    def every_moderator(self) -> frozenset[str]:
        return frozenset(self.rooms.group_moderators())

    def is_user_id(self, user_id: str) -> bool:
        return user_id.startswith("@") and ":" in user_id

    # -- state ------------------------------------------------------------------------------
    def load_token(self) -> str | None:
        """The sync token: the core's cursor."""
        return self.load_cursor()

    def save_token(self, token: str) -> None:
        self.save_cursor(token)

    def save_rooms(self) -> None:
        """Remember the DMs and the admin room (and mark their rows if recorded as groups)."""
        if not self.rooms.changed:
            return
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=self.rooms_key, value=self.rooms.dump(),
                               now_ms=int(time.time() * 1000))
            kinds = {room: "direct" for room in self.rooms.direct}
            if self.rooms.admin_room:
                kinds[self.rooms.admin_room] = "admin"
            lookup.mark_group_kinds(conn, community_id=self.pipeline.community_id,
                                    platform=PLATFORM, kinds=kinds)
        self.rooms.changed = False

    # -- start: read the rooms again, the admins' room -------------------------------------
    async def start(self) -> None:
        """Read every joined room's state (names and display names survive a restart) and
        make sure the admins' room exists. Called by `run`; tests call it directly."""
        for room_id in await self.client.joined_rooms():
            try:
                self.rooms.learn(room_id, await self.client.room_state(room_id))
            except Exception as exc:
                log.warning("could not read the state of %s: %s", room_id, exc)
        for room_id in list(self.rooms.joined):
            self.rooms.guess_direct(room_id)
        await self.ensure_admin_room()
        self.save_rooms()
        self._record_members_present()

    def _record_members_present(self, rooms: Sequence[str] | None = None) -> None:
        """Who is in each group room (or in `rooms`) now, as its member state says: in the
        console's member counts from the start, also those who joined before the bot
        (issue 11: the live group showed 0 members while people were in it)."""
        now = int(time.time() * 1000)
        with self.engine.begin() as conn:
            for room_id, users in self.rooms.joined.items():
                if self.rooms.kind(room_id) != "group" or (rooms is not None
                                                           and room_id not in rooms):
                    continue
                room = GroupRef(PLATFORM, room_id, self.room_names.get(room_id), "group")
                names = self.rooms.names_in(room_id)
                people = [UserRef(PLATFORM, u, names.get(u) or None)
                          for u in sorted(users) if u != self.bot_user_id]
                self.pipeline.recorder.members_present(conn, group=room, people=people,
                                                       at_ms=now)
                # Their name in the room's member state is their first name there when
                # none is on record (the room's creator, in before the bot): member 360
                # says they were seen from now, not from their first message (issue 11
                # walk 45). A name on record is left to the events' renames.
                self.pipeline.recorder.names_listed(conn, group=room, people=people,
                                                    at_ms=now)

    async def ensure_admin_room(self) -> str | None:
        """The admins' room: the plan's (by id or name), or one the bot creates and invites
        the admins to (the plan's, and the moderators of the community's rooms). Alerts
        go only there, never to a group."""
        wanted = self.admin_room or self.admin_room_name
        if wanted.startswith("!"):
            self.rooms.set_admin_room(wanted)
            return wanted
        found = self.rooms.find_by_name(wanted)
        if found is None and self.rooms.admin_room in self.rooms.joined:
            found = self.rooms.admin_room
        if found is None:
            found = await self._create_admin_room(wanted)
            if found is None:
                return None
        self.rooms.set_admin_room(found)
        return found

    async def _create_admin_room(self, wanted: str) -> str | None:
        """Create the admins' room once, however many bot processes start at once: the
        creator claims the key first (`adapter_state.claim`) and the others wait for the
        room it stores, rather than each creating a room of its own — a second admin room
        would look like a group to the first process and get the community's posts."""
        key = f"matrix:{self.homeserver}:{self.bot_user_id}:{self.pipeline.community_id}:admin"
        mine = f"creating:{uuid.uuid4().hex}"
        deadline = time.monotonic() + ADMIN_ROOM_WAIT_S
        while True:
            with self.engine.begin() as conn:
                held = adapter_state.claim(conn, key=key, value=mine, now_ms=_now_ms())
            if held.startswith("!") and held in await self.client.joined_rooms():
                self.rooms.joined.setdefault(held, {self.bot_user_id})
                self.rooms.names.setdefault(held, wanted)
                return held
            if held != mine and held.startswith("creating:") and time.monotonic() < deadline:
                await asyncio.sleep(0.5)  # another process is creating it
                continue
            if held != mine:  # a room the bot has left, or a creator that died
                with self.engine.begin() as conn:
                    adapter_state.save(conn, key=key, value=mine, now_ms=_now_ms())
            break
        invite = sorted((set(self.admin_invites) | self.rooms.group_moderators())
                        - {self.bot_user_id})
        try:
            found = await self.client.create_room(name=wanted, invite=invite)
        except Exception as exc:
            with self.engine.begin() as conn:
                adapter_state.forget(conn, key=key, value=mine)
            log.warning("could not create the admin room %r: %s", wanted, exc)
            return None
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=key, value=found, now_ms=_now_ms())
        self.rooms.names[found] = wanted
        self.rooms.joined[found] = {self.bot_user_id}
        log.info("created the admin room %r (%s), invited %s", wanted, found,
                 ", ".join(invite) or "nobody")
        return found

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, *, timeout_ms: int = 30_000) -> None:
        timers: asyncio.Future[None] | None = None
        try:
            await self.start()
            self.report_status(connected=True)
            await self.flush_outbox()
            timers = asyncio.ensure_future(self.timer_loop(stop))
            await self._sync_loop(stop, timeout_ms)
        except Exception as exc:
            self.report_status(connected=False, synced=False, error=exc)
            raise
        finally:
            if timers is not None:
                timers.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timers
        self.report_status(connected=False, synced=False)

    async def _sync_loop(self, stop: asyncio.Event, timeout_ms: int) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                await self.sync_once(timeout_ms=timeout_ms, stop=stop)
                if backoff > 1.0:  # back after failures: connected again
                    self.report_status(connected=True)
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
                self.report_status(connected=False, synced=False, error=exc)
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
        for room_id, invite in (rooms.get("invite") or {}).items():
            # The invite's stripped state says whether it is a DM (`is_direct`).
            stripped = (invite.get("invite_state") or {}).get("events") or []
            self._learn_state(room_id, stripped)
            if self.auto_join:
                await self._answer_invite(room_id, stripped)
        await self._carry_out_invite_decisions()
        for room_id, room in (rooms.get("join") or {}).items():
            self._learn_state(room_id, (room.get("state") or {}).get("events") or [])
            timeline = room.get("timeline") or {}
            raw_events = list(timeline.get("events") or [])
            kind = self.rooms.kind(room_id)
            if kind == "group":
                self._register(room_id)
            if since is None or kind == "admin":
                # First start: what happened before the bot existed is history, not work.
                # The admins' room is not community activity at all.
                self._learn_state(room_id, raw_events)
                continue
            joined_at = self._own_join(raw_events)
            if joined_at is not None:
                # The bot has just joined (an approved invitation, a room it opened): what
                # happened there before is history, as on a first start — the members
                # already in it are present, not newcomers to welcome (issue 11 #58).
                self._learn_state(room_id, raw_events[:joined_at + 1])
                raw_events = raw_events[joined_at + 1:]
                if kind == "group":
                    self._record_members_present([room_id])
            elif timeline.get("limited") and timeline.get("prev_batch"):
                raw_events = await self._backfill(room_id, timeline["prev_batch"]) + raw_events
            batch = [e for raw in raw_events if (e := await self.to_event(room_id, raw))]
            handled += await self.handle_many(batch)
        await self._dms_opened()
        handled += await self.fire_timers()
        self.save_rooms()
        self.save_token(str(resp["next_batch"]))
        # What the console decided (appeals) since the last round, and what a killed
        # process left claimed once its lease ran out.
        await self.flush_outbox()
        return handled

    def _own_join(self, raw_events: Sequence[Mapping[str, Any]]) -> int | None:
        """The index of the bot's own joining in a room's timeline (not a renaming), if
        it is there."""
        found = None
        for i, raw in enumerate(raw_events):
            if raw.get("type") == "m.room.member" and raw.get("state_key") == self.bot_user_id \
                    and (raw.get("content") or {}).get("membership") == "join":
                before = ((raw.get("unsigned") or {}).get("prev_content") or {})
                if before.get("membership") != "join":
                    found = i
        return found

    async def _dms_opened(self) -> None:
        """DMs the member and the bot are both in now and were not at the last look (the
        member accepted the bot's invitation, or opened a DM of their own; on start: every
        open DM): what waited for them as the operator's to-dos is sent there, in order,
        and the to-dos close (R2/R3/O2: a DM is never lost, nor sent twice)."""
        now_open = self.rooms.open_dms()
        before, self.open_dm_rooms = self.open_dm_rooms, set(now_open)
        fresh = {room: user for room, user in now_open.items()
                 if before is None or room not in before}
        if not fresh:
            return
        with self.engine.connect() as conn:
            waiting = direct.waiting_accounts(conn, community_id=self.pipeline.community_id,
                                              platform=PLATFORM)
        for room, user in fresh.items():
            if user in waiting:
                await self._send_waiting(room, user)

    async def _send_waiting(self, room: str, user_id: str) -> None:
        with self.engine.connect() as conn:
            items = direct.waiting(conn, community_id=self.pipeline.community_id,
                                   member=UserRef(PLATFORM, user_id))
        for item in items:
            text = str((item.get("detail") or {}).get("dm_text") or "")
            if text:
                try:
                    await self.client.send_text(room, text)
                except Exception as exc:
                    log.warning("could not send %s a waiting DM: %s", user_id, exc)
                    return  # the rest stay the operator's
            with self.engine.begin() as conn:
                direct.sent_later(conn, community_id=self.pipeline.community_id,
                                  item_id=int(item["id"]))

    def _inviter(self, stripped: Sequence[Mapping[str, Any]]) -> str | None:
        for raw in stripped:
            if raw.get("type") == "m.room.member" and raw.get("state_key") == self.bot_user_id \
                    and (raw.get("content") or {}).get("membership") == "invite":
                return str(raw.get("sender") or "") or None
        return None

    def _may_add_groups(self, user_id: str | None) -> bool:
        """An admin to the bot: the plan's `bot.admins`, or (unless the plan says not) a
        moderator of one of the community's rooms."""
        if user_id is None:
            return False
        plan = self.pipeline.plan
        if plan is None:
            return False
        return user_id in plan.bot.admins or (plan.bot.moderators_are_admins
                                              and user_id in self.rooms.group_moderators())

    async def _answer_invite(self, room_id: str, stripped: Sequence[Mapping[str, Any]]) -> None:
        """Issue 11 #58: join a DM, a known room, or an admin's invitation; any other
        room waits in the console's 「新群待确认」 queue (`services.group_invites`)."""
        inviter = self._inviter(stripped)
        plan = self.pipeline.plan
        listed = room_id in (self.admin_room, plan.bot.admin_room if plan else None)
        with self.engine.connect() as conn:
            decided = adapter_state.load(conn, key=self._invite_key(room_id))
        if self.rooms.kind(room_id) in ("direct", "admin") or listed or decided == "joined" \
                or room_id in self.known_rooms or self._may_add_groups(inviter):
            await self.client.join(room_id)
            return
        if decided is not None:
            return  # an operator declined this room: the invitation was turned down
        with self.engine.begin() as conn:
            group_invites.wait(conn, community_id=self.pipeline.community_id,
                               platform=PLATFORM, room_id=room_id,
                               name=self.room_names.get(room_id), inviter=inviter,
                               inviter_name=self.display_names.get(inviter or ""),
                               at_ms=int(time.time() * 1000))
        log.info("invited to %s by %s, not an admin: waiting for an operator", room_id,
                 inviter)

    def _invite_key(self, room_id: str) -> str:
        return f"matrix:{self.homeserver}:{self.bot_user_id}:invite:{room_id}"

    async def _carry_out_invite_decisions(self) -> None:
        """What operators decided on waiting invitations, each carried out once."""
        with self.engine.connect() as conn:
            decided = group_invites.decisions(conn, community_id=self.pipeline.community_id,
                                              platform=PLATFORM)
            todo = [(item, room, ok) for item, room, ok in decided
                    if adapter_state.load(conn, key=self._invite_key(room)) is None]
        for _item, room_id, approved in todo:
            try:
                if approved:
                    await self.client.join(room_id)
                else:
                    await self.client.leave(room_id)  # turns the invitation down
            except Exception as exc:  # the room is gone, the invite withdrawn …
                log.warning("could not answer the invitation to %s: %s", room_id, exc)
            with self.engine.begin() as conn:
                adapter_state.save(conn, key=self._invite_key(room_id),
                                   value="joined" if approved else "declined",
                                   now_ms=int(time.time() * 1000))

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
                                       community_id=self.pipeline.community_id,
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
        self.rooms.learn(room_id, raw_events)

    async def to_event(self, room_id: str, raw: Mapping[str, Any]) -> Event | None:
        """The normalized event for a raw one (None for the bot's own and for what qunyun
        does not track); images are downloaded for the QR check."""
        self._learn_state(room_id, [raw])
        if raw.get("sender") == self.bot_user_id and raw.get("type") == "m.room.redaction" \
                and self.rooms.kind(room_id) == "group":
            # A message the bot deleted (an advert) is logged as recalled, by no member:
            # a deleted message is not participation (analytics.tiers, walk13 #54).
            room = GroupRef(PLATFORM, room_id, self.room_names.get(room_id), "group")
            recalled = translate(raw, room=room, source=self.source)
            return dataclasses.replace(recalled, actor=None) \
                if isinstance(recalled, MessageRecalled) else None
        if raw.get("sender") == self.bot_user_id and not (
                raw.get("type") == "m.room.member" and raw.get("state_key") != self.bot_user_id):
            # The bot's own messages are not community activity; but a member it removed
            # has left (memberships, the console, an appeal's re-invitation rely on it).
            return None
        kind = self.rooms.kind(room_id)
        if kind == "admin":
            return None
        room = GroupRef(PLATFORM, room_id, self.room_names.get(room_id), kind)
        event = translate(raw, room=room, source=self.source,
                          names=self.rooms.names_in(room_id))
        if kind == "direct" and not isinstance(event, MessagePosted):
            return None  # joining a DM is not joining the community: no welcome, no checklist
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

    async def handle_many(self, events: Sequence[Event]) -> int:
        """A room's events of one sync in one transaction, then their effects in order
        (the core's, under its outbox lock), members the bot invited brought by nobody."""
        return await super().handle_many([self._unbrought(e) for e in events])

    def _unbrought(self, event: Event) -> Event:
        """A member the bot invited (set-up, an upheld appeal) was brought by nobody: no
        invite points, no invite edge (T3, G2)."""
        inviter = getattr(event, "inviter", None)
        if inviter is not None and inviter.user_id == self.bot_user_id:
            return dataclasses.replace(event, inviter=None)  # type: ignore[call-arg]  # a join
        return event

    # -- effects → Matrix -------------------------------------------------------------------
    def _names(self, refs: Sequence[UserRef]) -> dict[str, str]:
        """How each mentioned member is named in the text (what policies wrote after "@")."""
        return {r.user_id: r.display_name or self.display_names.get(r.user_id) or r.user_id
                for r in refs}


    def _author(self, event_id: str) -> UserRef | None:
        with self.engine.connect() as conn:
            member_id = lookup.message_author(conn, source=self.source, source_event_id=event_id,
                                              community_id=self.pipeline.community_id)
            return lookup.member_ref(conn, member_id=member_id) if member_id else None

    async def perform(self, effect: Effect) -> str | None:
        room = effect.group.group_id
        if isinstance(effect, Send):
            return await self.client.send_text(room, effect.text,
                                               [m.user_id for m in effect.mentions],
                                               names=self._names(effect.mentions))
        if isinstance(effect, Reply):
            # A real reply, which mentions the member it answers (so they are notified).
            author = self._author(effect.event_id)
            if author is not None and effect.author_name:  # the name the text uses
                author = dataclasses.replace(author, display_name=effect.author_name)
            refs = [author] if author is not None and author.platform == PLATFORM else []
            return await self.client.send_text(room, effect.text, [r.user_id for r in refs],
                                               names=self._names(refs),
                                               reply_to=effect.event_id)
        if isinstance(effect, Warn):
            return await self.client.send_text(room, effect.text, [effect.member.user_id],
                                               names=self._names([effect.member]))
        if isinstance(effect, Delete):
            return await self.client.redact(room, effect.event_id, effect.reason)
        if isinstance(effect, Kick):
            await self.client.kick(room, effect.member.user_id, effect.reason)
            return None
        if isinstance(effect, SendFile):
            target = self.rooms.admin_room or await self.ensure_admin_room()
            if target is None:
                # A report is for the admins: never the public group.
                raise RuntimeError("no admin room to post the file in")
            data = Path(effect.path).read_bytes()
            mxc = await self.client.upload(data, effect.content_type, effect.filename)
            if effect.text:
                await self.client.send_text(target, effect.text)
            return await self.client.send_event(target, "m.room.message", {
                "msgtype": "m.file", "body": effect.filename, "url": mxc,
                "info": {"mimetype": effect.content_type, "size": len(data)}})
        if isinstance(effect, Invite):
            await self.client.invite(room, effect.member.user_id)
            return None
        if isinstance(effect, InviteLink):
            # The Commands policy asks `invite_links` first; a stored effect can still come.
            raise NotOnPlatform("Matrix 没有个人邀请链接：请成员直接邀请对方的账号"
                                "（邀请人会被记下）")
        if isinstance(effect, AnswerJoinRequest):
            # G1 on Matrix: an invite accepts a knock; a kick rejects it, with the reason.
            if effect.approve:
                await self.client.invite(room, effect.member.user_id)
                return "approved"
            await self.client.kick(room, effect.member.user_id, effect.message or None)
            return "rejected"
        if isinstance(effect, DirectMessage):
            dm, state = self.rooms.dm_state(effect.member.user_id)
            if state == "invited":
                # Invited once already: no second invitation, nothing piled up unread; the
                # operator's to-do until the member accepts (then it is sent: `_dms_opened`).
                raise NotOnPlatform(DM_NOT_ACCEPTED)
            if state == "left":
                # The member turned the DM down or left it: never a new room and invitation
                # for every DM (spam); they reach the bot when they open a DM themselves.
                raise NotOnPlatform(DM_TURNED_DOWN)
            if dm is None:
                name, topic = self.dm_title()
                dm = await self.client.create_dm(effect.member.user_id, name=name, topic=topic)
                self.rooms.opened_dm(dm, effect.member.user_id)
                self.save_rooms()  # before anything arrives from it
            return await self.client.send_text(dm, effect.text)
        if isinstance(effect, Alert):
            target = self.rooms.admin_room or await self.ensure_admin_room()
            if target is None:
                # Never the public group: the alert stays in the console's queue.
                raise RuntimeError("no admin room to alert in")
            self.save_rooms()
            where = self.room_names.get(room) or effect.group.name
            # The admins who can act, @-mentioned as a real mention (m.mentions + pill).
            admins = self.alert_admins(effect, bot_id=self.bot_user_id,
                                       names=self.rooms.names_in(target))
            return await self.client.send_text(
                target, self.alert_body(effect, where, admins), [a.user_id for a in admins],
                names=self._names(admins))
        if isinstance(effect, OpenGroup):
            return await self.open_group(effect)
        if isinstance(effect, Mute):
            # Not dropped: the operator can lower the power level and restore it after.
            minutes = max(1, effect.seconds // 60)
            raise NotOnPlatform(f"Matrix 没有定时禁言：请管理员把 "
                                f"{effect.member.display_name or effect.member.user_id} 的权限等级"
                                f"调到发言所需以下，{minutes} 分钟后再调回")
        if isinstance(effect, SetRole):
            return await self.set_power_level(room, effect)
        return None  # AwardPoints, Flag: recorded state, nothing to send

    def dm_title(self) -> tuple[str, str]:
        """The name and topic of a DM room the bot opens: who writes and why, so the
        member's invitation does not read "Empty room" or the bot's id (bot13)."""
        bot = self.display_names.get(self.bot_user_id) or BOT_NAME
        plan = self.pipeline.plan
        community = plan.community.name if plan is not None else ""
        if not community:
            return bot, f"{bot}和你的私聊：入群问卷、提醒和申诉结果都发在这里，直接回复就好。"
        return (f"{bot} · {community}",
                f"「{community}」的{bot}和你的私聊：入群问卷、提醒和申诉结果都发在这里，"
                "直接回复就好；发 !帮助 看我能做什么。")

    def dm_refusal(self, exc: Exception) -> str:
        if isinstance(exc, MatrixError) and exc.status in (400, 403, 404):
            # The DM room could not be opened with them, or they cannot be invited to it.
            return ("Matrix 没能和 ta 建立私聊：ta 的账号可能不存在、ta 的服务器拒绝了邀请，"
                    "或 ta 不接受机器人的私聊")
        return "发送私信时和 Matrix 服务器的连接出错，没有送达"

    async def set_power_level(self, room: str, effect: SetRole) -> str:
        """T2 on Matrix: a role is a power level in `m.room.power_levels`. Given only where
        it raises the member's level, taken back only where the level is still the role's:
        the bot never lowers a moderator, nor undoes a level an admin set by hand."""
        uid, name = effect.member.user_id, effect.member.display_name or effect.member.user_id
        levels = await self.client.state_event(room, "m.room.power_levels")
        users = dict(levels.get("users") or {})
        default = int(levels.get("users_default", 0))
        current = int(users.get(uid, default))
        if effect.give and current >= effect.level:
            return f"power level {current} already ≥ {effect.level}: left as it is"
        if not effect.give and current != effect.level:
            return f"power level {current} is not the role's {effect.level}: left as it is"
        if effect.give:
            users[uid] = effect.level
        else:
            users.pop(uid, None)
        try:
            await self.client.set_state(room, "m.room.power_levels", {**levels, "users": users})
        except MatrixError as exc:
            if exc.status != 403:
                raise
            wanted = (f"设为 {effect.level}（身份「{effect.role}」）" if effect.give
                      else f"调回 {default}（收回身份「{effect.role}」，不必告知）")
            raise NotOnPlatform(f"机器人的权限等级不够，不能调整 {name} 的权限等级："
                                f"请管理员把 ta 的权限等级{wanted}") from exc
        after = effect.level if effect.give else default
        return f"power level {current} → {after} ({effect.role})"

    async def _model_state(self, room_id: str) -> dict[str, dict[str, Any]]:
        """The room-wide state a new room copies from its model (topic, avatar, history
        visibility, power levels), by type; empty where it cannot be read."""
        try:
            events = await self.client.room_state(room_id)
        except Exception as exc:
            log.warning("could not read the model room %s: %s", room_id, exc)
            return {}
        return {str(e["type"]): dict(e.get("content") or {}) for e in events
                if e.get("type") in (*COPIED_STATE, "m.room.power_levels")
                and e.get("state_key", "") == ""}

    async def _copy_settings(self, new_room: str, model: Mapping[str, dict[str, Any]],
                             moderators: Sequence[str]) -> None:
        """G4 template: the model's topic, avatar and history visibility, and its power
        rules (who may kick, ban, redact, invite, change what) with its moderators at their
        level (the full room's at least moderator). Not what members may do by default —
        a muted model must not give newcomers a muted room — nor members' own levels
        (tier roles, mutes). Only what differs is set, so doing it again changes nothing."""
        current = await self._model_state(new_room)
        for kind in COPIED_STATE:
            if model.get(kind) and model[kind] != current.get(kind):
                await self.client.set_state(new_room, kind, dict(model[kind]))
        levels = current.get("m.room.power_levels") or await self.client.state_event(
            new_room, "m.room.power_levels")
        source = model.get("m.room.power_levels") or {}
        merged = {**levels, **{k: v for k, v in source.items() if k in COPIED_LEVELS}}
        users = dict(levels.get("users") or {})
        for user, level in (source.get("users") or {}).items():
            if isinstance(level, int) and level >= MODERATOR_LEVEL and user != self.bot_user_id:
                users[user] = max(int(users.get(user, 0)), level)
        for user in moderators:
            # Added to the levels the room was created with, not overridden: the creator's
            # own level is in them (or implicit, in room versions that refuse naming it).
            users[user] = max(int(users.get(user, 0)), MODERATOR_LEVEL)
        merged["users"] = users
        if merged != levels:
            await self.client.set_state(new_room, "m.room.power_levels", merged)

    async def open_group(self, effect: OpenGroup) -> str:
        """G4: the full room's next room — anyone with the link may join (it is for
        newcomers), a copy of its model's settings (the plan's template room, else the full
        room: `_copy_settings`), the moderators invited as its moderators — recorded as a
        group of the community, then the notice with its link posted in the full room.

        Once, whatever the crashes: the outbox re-sends an effect whose process died before
        marking it, so each step is claimed in `adapter_state` (as the admin room is) —
        `creating:…` before asking the homeserver, the room id once it exists, `posted:…`
        once the notice is out. A restarted bot finishes what the killed one began instead
        of opening a second room."""
        full = effect.group.group_id
        key = (f"matrix:{self.homeserver}:{self.bot_user_id}:{self.pipeline.community_id}"
               f":open:{full}:{effect.name}")
        mine = f"creating:{uuid.uuid4().hex}"
        with self.engine.begin() as conn:
            held = adapter_state.claim(conn, key=key, value=mine, now_ms=_now_ms())
        if held.startswith("posted:"):
            return f"opened {held.removeprefix('posted:')} (before a restart)"
        new_room: str | None = held if held.startswith("!") else None
        if new_room is None and held != mine:
            # The process that claimed it died while the homeserver created the room: if the
            # room came to be, the bot is in it under that name (read back on start).
            new_room = next((r for r, n in self.rooms.names.items()
                             if n == effect.name and r != full
                             and self.rooms.kind(r) == "group"), None)
        # The model the new room copies: the plan's template room, else the full room.
        model = await self._model_state(effect.template_id or full)
        model_levels = model.get("m.room.power_levels") or {}
        moderators = sorted((self.moderators(full) | {
            u for u, level in (model_levels.get("users") or {}).items()
            if isinstance(level, int) and level >= MODERATOR_LEVEL}) - {self.bot_user_id})
        if new_room is None:
            try:
                new_room = await self.client.create_room(name=effect.name, invite=moderators,
                                                         preset="public_chat")
            except Exception:
                with self.engine.begin() as conn:
                    adapter_state.forget(conn, key=key, value=mine)
                raise
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=key, value=new_room, now_ms=_now_ms())
        await self._copy_settings(new_room, model, moderators)
        self.rooms.names[new_room] = effect.name
        self.rooms.joined.setdefault(new_room, {self.bot_user_id})
        self.rooms.changed = True
        self.save_rooms()
        with self.engine.begin() as conn:
            self.pipeline.recorder.group_id(conn, GroupRef(PLATFORM, new_room, effect.name),
                                            _now_ms())
        link = f"https://matrix.to/#/{new_room}"
        # A fixed transaction id: killed after this and before `posted:` is stored, the
        # restarted bot's send is the same message, which Synapse does not post twice.
        txn = "qy-open-" + hashlib.sha256(f"{key}:{new_room}".encode()).hexdigest()[:24]
        await self.client.send_text(full, effect.text.replace(LINK_SLOT, link), txn_id=txn)
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=key, value=f"posted:{new_room}", now_ms=_now_ms())
        return f"opened {new_room}"
