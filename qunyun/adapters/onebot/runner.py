"""The live QQ bot through OneBot 11 (I1): event frames → translate → pipeline → actions.

On each (re)connection the bot asks who it is (`get_login_info`), reads its groups and
their members (`get_group_list`, `get_group_member_list`: names, admins, join times) and
sends what waits in the outbox; then it handles event frames one by one. After each
handled event the cursor (the last event's time and id) is saved. OneBot keeps no
history to page back through, so what the implementation sends again after a reconnect
is recognised by the event log and changes nothing. A lost connection is retried with
backoff (`contract.with_backoff`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from qunyun.adapters.contract import (
    AdapterCore,
    NotOnPlatform,
    Scheduler,
    open_group_by_hand,
    with_backoff,
)
from qunyun.capabilities import ONEBOT
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
from qunyun.events import Event, GroupRef, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import lookup

from .client import OneBotClient, OneBotError
from .translate import (
    PLATFORM,
    image_url,
    listed_rename,
    renamed,
    source_for,
    to_segments,
    translate,
)

log = logging.getLogger("qunyun.bot.onebot")

MAX_IMAGE_BYTES = 5 * 1024 * 1024
ADMIN_ROLES = ("owner", "admin")


def _id(value: str) -> int | str:
    """QQ numbers and message ids are integers on the wire; keep anything else as it is."""
    return int(value) if value.lstrip("-").isdigit() else value


class OneBotBot(AdapterCore):
    platform = PLATFORM
    capabilities = ONEBOT

    def __init__(self, client: OneBotClient, pipeline: Pipeline, *,
                 admin_group: str | None = None, scheduler: Scheduler | None = None,
                 timer_interval_s: float = 1.0) -> None:
        super().__init__(pipeline, cursor_key=f"onebot:{client.url}:cursor",
                         scheduler=scheduler, timer_interval_s=timer_interval_s)
        self.client = client
        self.admin_group = admin_group
        self.self_id = ""
        self.source = "onebot:?"
        self.group_names: dict[str, str] = {}
        self.names: dict[str, str] = {}  # QQ number → group card or nickname
        # (group, QQ number) → the name last seen there: a message under another name is a
        # rename (OneBot 11 has no rename notice of its own).
        self.cards: dict[tuple[str, str], str] = {}
        self.admins: dict[str, set[str]] = {}  # group → owner and admins
        self.owners: dict[str, str] = {}  # group → its owner (群主)
        self.join_times: dict[tuple[str, str], int] = {}
        self.connected = asyncio.Event()

    def moderators(self, group_id: str) -> frozenset[str]:
        return frozenset(self.admins.get(group_id, set()))

    def every_moderator(self) -> frozenset[str]:
        return frozenset().union(*self.admins.values())

    def is_user_id(self, user_id: str) -> bool:
        return user_id.isdigit()

    # -- start -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Who the bot is, its groups and their members (after every (re)connection)."""
        me = await self.client.call("get_login_info") or {}
        self.self_id = str(me.get("user_id", ""))
        self.source = source_for(self.self_id)
        present: dict[str, list[UserRef]] = {}
        for group in await self.client.call("get_group_list") or []:
            gid = str(group.get("group_id"))
            self.group_names[gid] = str(group.get("group_name") or gid)
            try:
                members = await self.client.call("get_group_member_list", group_id=_id(gid))
            except Exception as exc:
                log.warning("could not read the members of %s: %s", gid, exc)
                continue
            for m in members or []:
                self._learn(gid, m)
            present[gid] = [UserRef(PLATFORM, str(m.get("user_id")),
                                    self.names.get(str(m.get("user_id"))))
                            for m in members or [] if str(m.get("user_id")) != self.self_id]
        if self.admin_group and not self.admin_group.isdigit():
            # The plan may name the admins' group instead of giving its number.
            named = [g for g, name in self.group_names.items() if name == self.admin_group]
            if named:
                self.admin_group = named[0]
            else:
                log.warning("no group named %r: alerts stay in the console", self.admin_group)
        self._record_members_present(present)
        await self._renamed_while_down(present)
        self.connected.set()
        self.report_status(connected=True)

    def _record_members_present(self, present: Mapping[str, list[UserRef]]) -> None:
        """Who is in each group now (the member lists): in its memberships from the start,
        also those who joined before the bot, as the Matrix adapter does from room state;
        and when each joined (`join_time`), as a join in the log where the log has none
        for their present stay (`EventRecorder.joins_listed`: once, whatever the restarts).
        These joins reach no policy: nobody is welcomed for joining last year."""
        now = int(time.time() * 1000)
        with self.engine.begin() as conn:
            for gid, people in present.items():
                if gid == self.admin_group:
                    continue  # the admins' group is not community activity
                group = GroupRef(PLATFORM, gid, self.group_names.get(gid))
                joins = [(p, self.join_times[(gid, p.user_id)] * 1000) for p in people
                         if (gid, p.user_id) in self.join_times]
                added = self.pipeline.recorder.joins_listed(conn, group=group,
                                                            source=self.source, joins=joins)
                if added:
                    log.info("%d join time(s) of %s read from its member list", added, gid)
                self.pipeline.recorder.members_present(conn, group=group, people=people,
                                                       at_ms=now)
                # Each member's card here as their first name in this group, where the
                # group names them not yet: the rename check below compares like with like.
                self.pipeline.recorder.names_listed(conn, group=group, at_ms=now, people=[
                    UserRef(PLATFORM, p.user_id, self.cards.get((gid, p.user_id)))
                    for p in people])

    async def _renamed_while_down(self, present: Mapping[str, list[UserRef]]) -> int:
        """A member whose group card changed while the bot was down sends no notice: the
        member list's name (card, else nickname) differing from the one the log last holds
        for them in that group is their rename, through the policies as a `group_card`
        notice would be (O2's nickname check). Once: the log then holds the new name, so a
        reconnection or a restart reads no change. Members the log never named (new to the
        bot; their join from the list carries the name) are not renames, nor is a card
        different from a name shown only in another group (no join time, never spoke here:
        the first read records this group's card, `names_listed`)."""
        now = time.time()
        renames: list[Event] = []
        with self.engine.connect() as conn:
            for gid, people in present.items():
                if gid == self.admin_group:
                    continue
                group = GroupRef(PLATFORM, gid, self.group_names.get(gid))
                for person in people:
                    new = self.cards.get((gid, person.user_id))
                    if not new:
                        continue
                    old = lookup.name_last_seen(conn, community_id=self.pipeline.community_id,
                                                member=person, group=group, in_group_only=True)
                    if old and old != new:
                        renames.append(listed_rename(source=self.source, group=group,
                                                     user_id=person.user_id, old=old, new=new,
                                                     at_s=now))
        if renames:
            log.info("%d member(s) renamed while the bot was down", len(renames))
            return await self.handle_many(renames)
        return 0

    def _learn(self, group_id: str, member: Mapping[str, Any]) -> None:
        uid = str(member.get("user_id"))
        name = member.get("card") or member.get("nickname")
        if name:
            self.names[uid] = str(name)
            self.cards[(group_id, uid)] = str(name)
        if member.get("role") == "owner":
            self.owners[group_id] = uid
        if member.get("role") in ADMIN_ROLES:
            self.admins.setdefault(group_id, set()).add(uid)
        elif member.get("role"):
            self.admins.get(group_id, set()).discard(uid)
        if isinstance(member.get("join_time"), int):
            self.join_times[(group_id, uid)] = int(member["join_time"])

    # -- the loop --------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        timers = asyncio.ensure_future(self.timer_loop(stop))
        try:
            await with_backoff(stop, lambda: self.serve(stop), what="OneBot connection")
        finally:
            with contextlib.suppress(Exception):
                await self.client.shutdown()
            timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timers

    async def serve(self, stop: asyncio.Event) -> None:
        """One connection: start, then events until it closes (raises) or `stop`."""
        # A reverse connection waits for the implementation to dial in: `stop` ends the wait.
        connecting = asyncio.ensure_future(self.client.connect())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            return
        try:
            connecting.result()
        except Exception as exc:
            self.report_status(connected=False, synced=False, error=exc)
            raise
        try:
            await self.start()
            await self.flush_outbox()
            while not stop.is_set():
                stopping = asyncio.ensure_future(stop.wait())
                frame = asyncio.ensure_future(self.client.next_event())
                await asyncio.wait({stopping, frame}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not frame.done():
                    frame.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await frame
                    return
                raw = frame.result()
                if raw is None:
                    raise ConnectionError("OneBot 连接断开 / the connection closed")
                await self.handle_raw(raw)
        except Exception as exc:
            self.connected.clear()
            self.report_status(connected=False, synced=False, error=exc)
            raise
        finally:
            self.connected.clear()
            self.report_status(connected=False, synced=False)
            await self.client.close()

    async def handle_raw(self, raw: Mapping[str, Any]) -> int:
        """One event frame: translate, run the pipeline, then save the cursor."""
        seen_as: str | None = None
        if raw.get("post_type") == "message" and raw.get("group_id") is not None:
            seen_as = self.cards.get((str(raw["group_id"]), str(raw.get("user_id"))))
            self._learn(str(raw["group_id"]), {"user_id": raw.get("user_id"),
                                               **(raw.get("sender") or {})})
        if raw.get("notice_type") == "group_card" and raw.get("card_new"):
            self._learn(str(raw.get("group_id")), {"user_id": raw.get("user_id"),
                                                   "card": raw["card_new"]})
        if raw.get("post_type") == "notice" and raw.get("notice_type") == "group_increase":
            await self._fetch_name(raw)
        event = translate(raw, source=self.source, group_names=self.group_names,
                          names=self.names, admin_group=self.admin_group)
        handled = 0
        if event is not None:
            if isinstance(event, MessagePosted) and (url := image_url(raw)):
                event = await self._with_image(event, url)
            batch: list[Event] = [event]
            if isinstance(event, MessagePosted) and (
                    rename := renamed(raw, source=self.source, old=seen_as,
                                      group_name=event.group.name)):
                batch.insert(0, rename)  # the new name first: the message is under it
            handled = await self.handle_many(batch)
        if raw.get("post_type") in ("message", "notice"):
            self.save_cursor(f"{raw.get('time')}:{raw.get('message_id') or ''}")
        await self.fire_timers()
        return handled

    async def _fetch_name(self, raw: Mapping[str, Any]) -> None:
        """A newcomer's name for the welcome (the notice carries only the QQ number)."""
        uid = str(raw.get("user_id"))
        if uid in self.names:
            return
        with contextlib.suppress(Exception):
            info = await self.client.call("get_group_member_info", group_id=raw.get("group_id"),
                                          user_id=raw.get("user_id"), no_cache=True)
            self._learn(str(raw.get("group_id")), info or {})

    async def _with_image(self, event: MessagePosted, url: str) -> MessagePosted:
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                resp = await http.get(url)
                resp.raise_for_status()
                data = resp.content
        except Exception as exc:
            log.warning("could not download %s for the QR check: %s", url, exc)
            return event
        if len(data) > MAX_IMAGE_BYTES:
            return event
        return dataclasses.replace(event, image=data)

    # -- effects → OneBot actions ----------------------------------------------------------
    def _mentions(self, refs: list[UserRef]) -> list[tuple[str, str]]:
        return [(r.user_id, r.display_name or self.names.get(r.user_id) or r.user_id)
                for r in refs]

    def _author(self, event_id: str) -> UserRef | None:
        with self.engine.connect() as conn:
            member_id = lookup.message_author(conn, source=self.source, source_event_id=event_id,
                                              community_id=self.pipeline.community_id)
            return lookup.member_ref(conn, member_id=member_id) if member_id else None

    async def _post(self, group_id: str, segments: list[dict[str, Any]]) -> str:
        if group_id.startswith("private:"):
            data = await self.client.call("send_private_msg",
                                          user_id=_id(group_id.split(":", 1)[1]),
                                          message=segments)
        else:
            data = await self.client.call("send_group_msg", group_id=_id(group_id),
                                          message=segments)
        return str((data or {}).get("message_id", ""))

    def dm_refusal(self, exc: Exception) -> str:
        if isinstance(exc, OneBotError) and "retcode" in str(exc):
            # `send_private_msg` refused: QQ lets a bot write to friends, and to group
            # members only where temporary chats are allowed.
            return ("QQ 拒绝了这条私信：ta 可能不是机器人的 QQ 好友，"
                    "或不接受群临时会话")
        return "发送私信时和 QQ 的连接中断，没有送达"

    async def perform(self, effect: Effect) -> str | None:
        group = effect.group.group_id
        if isinstance(effect, Send):
            return await self._post(group, to_segments(effect.text,
                                                       self._mentions(list(effect.mentions))))
        if isinstance(effect, Reply):
            author = self._author(effect.event_id)
            if author is not None and effect.author_name:  # the name the text uses
                author = dataclasses.replace(author, display_name=effect.author_name)
            # A private chat has one reader: no @ (QQ has no mentions there).
            refs = [author] if author is not None and author.platform == PLATFORM \
                and effect.group.kind != "direct" else []
            return await self._post(group, to_segments(effect.text, self._mentions(refs),
                                                       reply_to=effect.event_id))
        if isinstance(effect, Warn):
            return await self._post(group, to_segments(effect.text,
                                                       self._mentions([effect.member])))
        if isinstance(effect, Delete):
            await self.client.call("delete_msg", message_id=_id(effect.event_id))
            return None
        if isinstance(effect, Kick):
            await self.client.call("set_group_kick", group_id=_id(group),
                                   user_id=_id(effect.member.user_id),
                                   reject_add_request=False)
            return None
        if isinstance(effect, Mute):
            await self.client.call("set_group_ban", group_id=_id(group),
                                   user_id=_id(effect.member.user_id), duration=effect.seconds)
            return None
        if isinstance(effect, DirectMessage):
            data = await self.client.call("send_private_msg",
                                          user_id=_id(effect.member.user_id),
                                          message=to_segments(effect.text))
            return str((data or {}).get("message_id", ""))
        if isinstance(effect, Alert):
            if not self.admin_group:
                raise NotOnPlatform("计划里没有设置管理群（bot.admin_room 填管理群的群号），"
                                    "预警只留在控制台")
            if not self.admin_group.isdigit():
                # A name no group of the account has (read on connecting): never a group id.
                raise NotOnPlatform(f"机器人的 QQ 号不在名为「{self.admin_group}」的群里：把它拉进"
                                    "管理群（群名与计划的管理群一致）或在计划里填群号；"
                                    "在那之前预警只留在控制台")
            where = self.group_names.get(group) or effect.group.name
            # The admins who can act, each "@name" an `at` segment (QQ notifies them).
            admins = self.alert_admins(effect, bot_id=self.self_id, names=self.names)
            return await self._post(self.admin_group, to_segments(
                self.alert_body(effect, where, admins), self._mentions(admins)))
        if isinstance(effect, SendFile):
            raise NotOnPlatform(f"QQ 机器人不能发文件：请把 {effect.path} 发到管理群"
                                f"（{effect.filename}）")
        if isinstance(effect, Invite):
            raise NotOnPlatform(f"QQ 机器人不能拉人进群：请把群号发给 "
                                f"{effect.member.display_name or effect.member.user_id}"
                                f"（QQ {effect.member.user_id}），请对方申请加群")
        if isinstance(effect, InviteLink):
            # The Commands policy asks `invite_links` first; a stored effect can still come.
            raise NotOnPlatform("QQ 群没有个人邀请链接：请成员在 QQ 里直接邀请好友"
                                "（进群通知会记下邀请人）")
        if isinstance(effect, AnswerJoinRequest):
            # G1: the reason is shown to the applicant by QQ (only on a rejection).
            await self.client.call("set_group_add_request", flag=effect.handle, sub_type="add",
                                   approve=effect.approve,
                                   reason="" if effect.approve else effect.message)
            return "approved" if effect.approve else "rejected"
        if isinstance(effect, SetRole):
            return await self.set_title(group, effect)
        if isinstance(effect, OpenGroup):
            raise open_group_by_hand("QQ", effect)
        return None  # AwardPoints, Flag: recorded state, nothing to send

    async def set_title(self, group: str, effect: SetRole) -> str:
        """T2 on QQ: the role is the member's group special title (专属头衔), which QQ lets
        only the group's owner set; where the bot is an admin only, the operator's to-do."""
        name = effect.member.display_name or self.names.get(effect.member.user_id) \
            or effect.member.user_id
        if self.owners.get(group) != self.self_id:
            if effect.give:
                raise NotOnPlatform(f"QQ 只有群主能设置专属头衔，机器人不是这个群的群主："
                                    f"请群主给 {name}（QQ {effect.member.user_id}）设置头衔"
                                    f"「{effect.role}」")
            raise NotOnPlatform(f"请群主悄悄收回 {name}（QQ {effect.member.user_id}）的"
                                f"专属头衔「{effect.role}」，不必告知")
        await self.client.call("set_group_special_title", group_id=_id(group),
                               user_id=_id(effect.member.user_id),
                               special_title=effect.role if effect.give else "", duration=-1)
        return f"special title {effect.role!r} {'given' if effect.give else 'taken back'}"
