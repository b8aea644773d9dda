"""The live Telegram bot (I1): long polling → translate → pipeline → Bot API calls.

python-telegram-bot 22's `ExtBot` makes the calls (its server URL can point anywhere: the
tests' local Bot API). `getUpdates` is asked with `allowed_updates` naming `chat_member`
(Telegram leaves it out otherwise; the bot must be an admin to get it). The offset —
the next update id — is saved after each update was handled, so a killed bot is sent
that update again and the event log recognises it. Outgoing calls pass through
`AIORateLimiter` (about 30 messages/s overall, 20 a minute per group, `retry_after`
honoured). A member can be written to only after they started the bot (pressed Start or
wrote to it): the adapter remembers who did; for anyone else a DM is an operator to-do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import json
import logging
import secrets
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import ChatPermissions, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from qunyun.adapters.contract import (
    AdapterCore,
    NotOnPlatform,
    Scheduler,
    open_group_by_hand,
    with_backoff,
)
from qunyun.capabilities import TELEGRAM
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
from qunyun.events import Event, GroupRef, MessagePosted, NicknameChanged, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import direct, lookup
from qunyun.storage.bot import adapter_state

from . import webhook
from .translate import LINK_PREFIX, PLATFORM, largest_photo, source_for, split_id, translate

log = logging.getLogger("qunyun.bot.telegram")

ALLOWED_UPDATES = ["message", "edited_message", "chat_member", "my_chat_member",
                   "chat_join_request", "message_reaction"]
MAX_IMAGE_BYTES = 5 * 1024 * 1024
NOT_STARTED = "ta 还没有私聊过机器人（没有点“开始”），Telegram 不允许机器人先发私信"
ADMINS_TTL_S = 600.0


def _is_chat_id(value: str) -> bool:
    return value.strip().lstrip("-").isdigit()


def make_bot(token: str, *, base_url: str = "https://api.telegram.org/bot",
             base_file_url: str = "https://api.telegram.org/file/bot",
             rate_limited: bool = True) -> ExtBot[Any]:
    limiter: AIORateLimiter | None = None
    if rate_limited:
        # max_retries=0: a `retry_after` is not slept on inside the call (that would stall
        # every group); TelegramBot.hold parks that chat's effects in the outbox instead.
        limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, group_max_rate=20,
                                 group_time_period=60, max_retries=0)
    return ExtBot(token, base_url=base_url, base_file_url=base_file_url,
                  rate_limiter=limiter)


class TelegramBot(AdapterCore):
    platform = PLATFORM
    capabilities = TELEGRAM

    def __init__(self, bot: ExtBot[Any], pipeline: Pipeline, *, admin_chat: str | None = None,
                 scheduler: Scheduler | None = None, poll_timeout_s: int = 30,
                 timer_interval_s: float = 1.0, webhook_url: str | None = None,
                 webhook_secret: str | None = None) -> None:
        super().__init__(pipeline, cursor_key=f"telegram:{bot.token.split(':')[0]}:offset",
                         scheduler=scheduler, timer_interval_s=timer_interval_s)
        self.bot = bot
        # `bot.admin_room`: the admins' chat's id, or (as on QQ and Matrix) its title, whose
        # id the first update from that chat gives (kept, so a restart knows it at once).
        self.admin_title = None if admin_chat is None or _is_chat_id(admin_chat) else admin_chat
        self.admin_title_key = f"telegram:{bot.token.split(':')[0]}:admin_chat:{admin_chat}"
        self.admin_chat = admin_chat if self.admin_title is None else \
            self.load_key(self.admin_title_key)
        # Members told in the group to open the bot's chat (Telegram lets a bot write only to
        # those who did): told once, not at every DM the bot could not send.
        self.asked_to_start_key = f"telegram:{bot.token.split(':')[0]}:asked_to_start"
        self.asked_to_start: set[str] = set(json.loads(
            self.load_key(self.asked_to_start_key) or "[]"))
        self.poll_timeout_s = poll_timeout_s
        self.bot_id = 0
        self.source = "telegram:?"
        self.started_key = f"telegram:{bot.token.split(':')[0]}:started"
        self.started: set[str] = set(json.loads(self.load_key(self.started_key) or "[]"))
        self.admins: dict[str, set[str]] = {}
        # chat → monotonic time its admins were last read (getChatAdministrators): read on
        # the chat's first update after a start, again after ADMINS_TTL_S; chat_member
        # updates keep them current in between.
        self.admins_read: dict[str, float] = {}
        self.names: dict[str, str] = {}
        # (chat, user) → the name their last message there showed: the Bot API sends no
        # rename, so a message under another name is one (O2's nickname step needs it).
        self.seen_names: dict[tuple[str, str], str] = {}
        self.connected = asyncio.Event()
        self.paused: dict[str, float] = {}  # chat → monotonic time its retry_after ends
        # Webhook mode (`webhook.py`): Telegram POSTs to the console, the bot drains the inbox.
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self.bot_key = webhook.bot_key(bot.token)

    def load_key(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return adapter_state.load(conn, key=key)

    def save_key(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=key, value=value, now_ms=int(time.time() * 1000))

    def _chat_of(self, effect: Effect) -> str:
        if isinstance(effect, Alert | SendFile) and self.admin_chat:
            return self.admin_chat
        if isinstance(effect, DirectMessage):
            return effect.member.user_id
        return effect.group.group_id

    def waiting(self, effect: Effect) -> bool:
        return self.paused.get(self._chat_of(effect), 0.0) > time.monotonic()

    def hold(self, effect: Effect, exc: Exception) -> bool:
        if not isinstance(exc, RetryAfter):
            return False
        with warnings.catch_warnings():  # PTB 22.2+ warns that it will become a timedelta
            warnings.simplefilter("ignore")
            after = exc.retry_after
        wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
        chat = self._chat_of(effect)
        self.paused[chat] = time.monotonic() + wait
        log.info("Telegram asked to wait %.0f s before writing to %s again", wait, chat)
        return True

    def moderators(self, chat_id: str) -> frozenset[str]:
        return frozenset(self.admins.get(chat_id, set()))

    def every_moderator(self) -> frozenset[str]:
        return frozenset().union(*self.admins.values())

    def is_user_id(self, user_id: str) -> bool:
        return user_id.isdigit()

    # -- the loop --------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.bot_id:
            await self.bot.initialize()  # getMe (and the rate limiter)
            self.bot_id = self.bot.id
            self.source = source_for(self.bot_id)
        self.connected.set()
        self.report_status(connected=True)

    async def run(self, stop: asyncio.Event) -> None:
        timers = asyncio.ensure_future(self.timer_loop(stop))
        try:
            await with_backoff(stop, lambda: self._poll_forever(stop), what="Telegram polling")
        finally:
            timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timers
            self.connected.clear()
            self.report_status(connected=False, synced=False)
            with contextlib.suppress(Exception):
                await self.bot.shutdown()

    async def _poll_forever(self, stop: asyncio.Event) -> None:
        try:
            await self._serve(stop)
        except Exception as exc:
            self.report_status(connected=False, synced=False, error=exc)  # retried, backoff
            raise

    async def _serve(self, stop: asyncio.Event) -> None:
        await self.start()
        await self.flush_outbox()
        if self.webhook_url:
            await self.set_webhook()
            while not stop.is_set():
                if not await self.drain_inbox():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=0.2)
            return
        while not stop.is_set():
            await self.poll_once(stop)

    async def set_webhook(self) -> None:
        """Point Telegram at the console's route, with the secret it must send back (only
        its hash is kept, for the route to check)."""
        with self.engine.begin() as conn:
            adapter_state.save(conn, key=webhook.secret_key(self.bot_key),
                               value=webhook.digest(self.webhook_secret),
                               now_ms=int(time.time() * 1000))
        assert self.webhook_url is not None
        await self.bot.set_webhook(url=self.webhook_url, secret_token=self.webhook_secret,
                                   allowed_updates=ALLOWED_UPDATES)

    async def drain_inbox(self) -> int:
        """Updates the webhook stored, in update_id order: each handled, then the offset
        after it saved, then it is removed (a crash in between re-reads it harmlessly)."""
        with self.engine.connect() as conn:
            waiting = adapter_state.entries(conn, prefix=webhook.inbox_prefix(self.bot_key))
        offset = int(self.load_cursor() or 0)
        for key, body in waiting:
            update = Update.de_json(json.loads(body), self.bot)
            if update is not None and update.update_id >= offset:
                await self.handle_update(update)
                offset = update.update_id + 1
                self.save_cursor(str(offset))
            with self.engine.begin() as conn:
                adapter_state.delete(conn, key=key)
        return len(waiting)

    async def poll_once(self, stop: asyncio.Event | None = None) -> int:
        """One getUpdates: each update handled, then the offset after it saved."""
        offset = self.load_cursor()
        request = asyncio.ensure_future(self.bot.get_updates(
            offset=int(offset) if offset else None, timeout=self.poll_timeout_s,
            allowed_updates=ALLOWED_UPDATES))
        if stop is not None:
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not request.done():
                request.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await request
                return 0
        updates: Sequence[Update] = await request
        handled = 0
        for update in updates:
            handled += await self.handle_update(update)
            self.save_cursor(str(update.update_id + 1))
        return handled

    async def handle_update(self, update: Update) -> int:
        self._find_admin_chat(update)
        await self._read_admins(update)
        if (opened := self._learn(update)) is not None:
            await self._send_waiting(opened)
        event = translate(update, source=self.source, bot_id=self.bot_id,
                          admin_chat=self.admin_chat)
        if event is None:
            return 0
        if isinstance(event, MessagePosted) and (file_id := largest_photo(update)):
            event = await self._with_image(event, file_id)
        batch: list[Event] = [event]
        if isinstance(event, MessagePosted) and (rename := self._renamed(event)):
            batch.insert(0, rename)  # the new name first: the message is under it
        return await self.handle_many(batch)

    def _renamed(self, event: MessagePosted) -> NicknameChanged | None:
        """A group message under another name than the member's last one in that chat: the
        one seen in this process, or for their first message since a start the one the log
        recorded (a member renamed while the bot was down). Its id follows the message's:
        a re-delivery renames once."""
        new = event.actor.display_name
        if event.group.kind == "direct" or event.edited or not new:
            return None
        key = (event.group.group_id, event.actor.user_id)
        old = self.seen_names.get(key)
        if old is None:
            with self.engine.connect() as conn:
                old = lookup.name_last_seen(conn, community_id=self.pipeline.community_id,
                                            member=event.actor, group=event.group)
        self.seen_names[key] = new
        if old is None or old == new:
            return None
        return NicknameChanged(source=event.source, source_event_id=f"{event.source_event_id}:nick",
                               group=event.group, at=event.at, member=event.actor, old=old,
                               new=new)

    async def _read_admins(self, update: Update) -> None:
        """The chat's admins, before the policies ask (`moderators`): a restarted bot knows
        them without waiting for a chat_member update about each."""
        chat = update.effective_chat
        if chat is None or chat.type not in ("group", "supergroup"):
            return
        key = str(chat.id)
        if time.monotonic() - self.admins_read.get(key, -ADMINS_TTL_S) < ADMINS_TTL_S:
            return
        self.admins_read[key] = time.monotonic()  # a failure is not retried at every update
        try:
            found = await self.bot.get_chat_administrators(chat_id=chat.id)
        except Exception as exc:
            log.warning("could not read the admins of %s: %s", key, exc)
            return
        self.admins[key] = {str(m.user.id) for m in found if m.user.id != self.bot_id}

    def _learn(self, update: Update) -> UserRef | None:
        """What an update tells about members (names, admins, who opened the bot's chat);
        the member who just opened it, if one did."""
        m = update.message
        opened = None
        if m is not None and m.from_user is not None:
            self.names[str(m.from_user.id)] = m.from_user.full_name
            if m.chat.type == "private" and str(m.from_user.id) not in self.started:
                self.started.add(str(m.from_user.id))  # wrote to the bot: DMs may reach them
                self.save_key(self.started_key, json.dumps(sorted(self.started)))
                opened = UserRef(PLATFORM, str(m.from_user.id), m.from_user.full_name)
        cm = update.chat_member
        if cm is not None:
            member, chat = str(cm.new_chat_member.user.id), str(cm.chat.id)
            if cm.new_chat_member.status in ("administrator", "creator"):
                self.admins.setdefault(chat, set()).add(member)
            else:
                self.admins.get(chat, set()).discard(member)
        return opened

    async def _send_waiting(self, member: UserRef) -> None:
        """The DMs that waited as the operator's to-dos because the member had not opened
        the bot's chat: sent now, in order, each to-do closed (the questionnaire's are
        closed unsent: its pending question is asked again by the onboarding policy)."""
        with self.engine.connect() as conn:
            waiting = direct.waiting(conn, community_id=self.pipeline.community_id,
                                     member=member)
        for item in waiting:
            detail = item.get("detail") or {}
            text = str(detail.get("dm_text") or "")
            if text and detail.get("purpose") != direct.FORM_PURPOSE:
                try:
                    await self._say(member.user_id, text)
                except TelegramError as exc:
                    log.warning("could not send %s a waiting DM: %s", member.user_id, exc)
                    return  # the rest stay the operator's
            with self.engine.begin() as conn:
                direct.sent_later(conn, community_id=self.pipeline.community_id,
                                  item_id=int(item["id"]))

    async def _with_image(self, event: MessagePosted, file_id: str) -> MessagePosted:
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size and file.file_size > MAX_IMAGE_BYTES:
                return event
            data = bytes(await file.download_as_bytearray())
        except Exception as exc:
            log.warning("could not download photo %s for the QR check: %s", file_id, exc)
            return event
        return dataclasses.replace(event, image=data) if len(data) <= MAX_IMAGE_BYTES else event

    # -- effects → Bot API -----------------------------------------------------------------
    def _html(self, text: str, refs: Sequence[UserRef]) -> str:
        """The text as HTML, each "@name" of a mentioned member a mention by id (Telegram
        notifies them even without a username); a mention the text omits goes first."""
        out = html.escape(text)
        missing = []
        for ref in sorted(refs, key=lambda r: -len(r.display_name or r.user_id)):
            name = ref.display_name or self.names.get(ref.user_id) or ref.user_id
            link = f'<a href="tg://user?id={ref.user_id}">{html.escape(name)}</a>'
            label = html.escape(f"@{name}")
            if label in out:
                out = out.replace(label, link, 1)
            else:
                missing.append(link)
        return " ".join([*missing, out]) if missing else out

    def _author(self, event_id: str) -> UserRef | None:
        with self.engine.connect() as conn:
            member_id = lookup.message_author(conn, source=self.source, source_event_id=event_id,
                                              community_id=self.pipeline.community_id)
            return lookup.member_ref(conn, member_id=member_id) if member_id else None

    async def _say(self, chat: str | int, text: str, refs: Sequence[UserRef] = (),
                   reply_to: int | None = None) -> str:
        sent = await self.bot.send_message(
            chat_id=int(chat), text=self._html(text, refs), parse_mode="HTML",
            reply_parameters=ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to else None)
        return str(sent.message_id)

    def _find_admin_chat(self, update: Update) -> None:
        chat = update.effective_chat
        if self.admin_title is None or self.admin_chat is not None or chat is None \
                or chat.type == "private" or (chat.title or "").strip() != self.admin_title:
            return
        self.admin_chat = str(chat.id)
        self.save_key(self.admin_title_key, self.admin_chat)
        log.info("admins' chat 「%s」 is %s", self.admin_title, self.admin_chat)

    def _admin_chat(self) -> str:
        if self.admin_title is not None and not self.admin_chat:
            raise NotOnPlatform(
                f"还没找到管理群「{self.admin_title}」：把机器人拉进这个群（群名与计划的管理群"
                "一致）并在群里发一条消息，或在计划里填它的 chat id（如 -1001234567890）；"
                "在那之前提醒只留在控制台")
        if not self.admin_chat:
            raise NotOnPlatform("计划里没有设置管理群（bot.admin_room 填管理群的 chat id，"
                                "如 -1001234567890），只留在控制台")
        return self.admin_chat

    async def _ask_to_start(self, group: GroupRef, member: UserRef) -> None:
        """Telegram lets a bot write only to members who opened its chat: the first DM the
        bot cannot send a member of a group comes with a word in that group and a link
        that opens the chat (the DM itself stays the operator's to-do; the questionnaire's
        question is asked again when they press Start)."""
        username = getattr(self.bot, "username", None)
        if member.user_id in self.asked_to_start or group.kind != "group" or not username:
            return
        self.asked_to_start.add(member.user_id)
        self.save_key(self.asked_to_start_key, json.dumps(sorted(self.asked_to_start)))
        name = member.display_name or self.names.get(member.user_id) or member.user_id
        try:
            await self._say(group.group_id,
                            f"@{name} 我想私信你，但 Telegram 要你先打开和我的私聊："
                            f"https://t.me/{username}?start=hi （点开后按“开始”）", [member])
        except TelegramError as exc:  # the DM's to-do still reaches the operator
            log.warning("could not ask %s to open the bot's chat: %s", member.user_id, exc)

    async def perform(self, effect: Effect) -> str | None:
        chat = effect.group.group_id
        if isinstance(effect, Send):
            return await self._say(chat, effect.text, effect.mentions)
        if isinstance(effect, Reply):
            author = self._author(effect.event_id)
            if author is not None and effect.author_name:  # the name the text uses
                author = dataclasses.replace(author, display_name=effect.author_name)
            refs = [author] if author is not None and author.platform == PLATFORM else []
            return await self._say(chat, effect.text, refs, reply_to=split_id(effect.event_id)[1])
        if isinstance(effect, Warn):
            return await self._say(chat, effect.text, [effect.member])
        if isinstance(effect, Delete):
            chat_id, mid = split_id(effect.event_id)
            await self.bot.delete_message(chat_id=chat_id, message_id=mid)
            return None
        if isinstance(effect, Kick):
            # Ban then unban: removed, but free to come back by a link (送机票, not 拉黑).
            await self.bot.ban_chat_member(chat_id=int(chat), user_id=int(effect.member.user_id))
            await self.bot.unban_chat_member(chat_id=int(chat),
                                             user_id=int(effect.member.user_id),
                                             only_if_banned=True)
            return None
        if isinstance(effect, Mute):
            until = datetime.now(UTC) + timedelta(seconds=max(effect.seconds, 30))
            await self.bot.restrict_chat_member(chat_id=int(chat),
                                                user_id=int(effect.member.user_id),
                                                permissions=ChatPermissions.no_permissions(),
                                                until_date=until)
            return None
        if isinstance(effect, DirectMessage):
            if effect.member.user_id not in self.started:
                await self._ask_to_start(effect.group, effect.member)
            return await self.direct(effect.member, effect.text)
        if isinstance(effect, Alert):
            target = self._admin_chat()
            # The admins who can act, each "@name" a mention by id (tg://user?id=…).
            # (An admin the bot has not seen write yet is linked as 「管理员」, not a bare id.)
            admins = [UserRef(a.platform, a.user_id, a.display_name or "管理员") for a in
                      self.alert_admins(effect, bot_id=str(self.bot_id), names=self.names)]
            return await self._say(target, self.alert_body(effect, effect.group.name or chat,
                                                           admins), admins)
        if isinstance(effect, SendFile):
            target = self._admin_chat()
            sent = await self.bot.send_document(chat_id=int(target),
                                                document=Path(effect.path).read_bytes(),
                                                filename=effect.filename,
                                                caption=effect.text or None)
            return str(sent.message_id)
        if isinstance(effect, Invite):
            link = await self.invite_link(effect.group, effect.member, member_limit=1)
            return await self.direct(effect.member, f"欢迎回来，点这个链接重新进群：{link}")
        if isinstance(effect, InviteLink):
            return await self.give_invite_link(effect.group, effect.member)
        if isinstance(effect, AnswerJoinRequest):
            return await self.answer_join_request(effect)
        if isinstance(effect, SetRole):
            # `capabilities.member_roles` is off (a custom title needs making the member an
            # admin); a stored effect can still come: the operator's to-do.
            name = effect.member.display_name or self.names.get(effect.member.user_id) \
                or effect.member.user_id
            if effect.give:
                raise NotOnPlatform(f"Telegram 机器人不能只给头衔：请管理员在群里给 {name} "
                                    f"加上头衔「{effect.role}」（如需设为管理员请自行判断）")
            raise NotOnPlatform(f"请管理员悄悄收回 {name} 的头衔「{effect.role}」，不必告知")
        if isinstance(effect, OpenGroup):
            raise open_group_by_hand("Telegram", effect)
        return None  # AwardPoints, Flag: recorded state, nothing to send

    async def give_invite_link(self, group: GroupRef, member: UserRef) -> str:
        """G2 !邀请: the member's own link, by DM if they started the bot, else in the group
        (it is theirs to share: whoever joins by it is attributed to them)."""
        link = await self.invite_link(group, member)
        text = f"你的专属邀请链接：{link}\n朋友通过它进群，会记在你名下。"
        if member.user_id in self.started:
            await self._say(member.user_id, text)
            return f"link {link} sent by DM"
        name = member.display_name or self.names.get(member.user_id) or member.user_id
        await self._say(group.group_id, f"@{name} {text}", [member])
        return f"link {link} posted in the group"

    async def answer_join_request(self, effect: AnswerJoinRequest) -> str:
        """G1: approveChatJoinRequest / declineChatJoinRequest. Telegram shows no reason
        on a decline, so the reason goes as a DM to `user_chat_id`, which a join request
        opens for five minutes (after that the DM is refused: the decline still stands)."""
        chat, uid = int(effect.group.group_id), int(effect.member.user_id)
        if effect.approve:
            await self.bot.approve_chat_join_request(chat_id=chat, user_id=uid)
            return "approved"
        await self.bot.decline_chat_join_request(chat_id=chat, user_id=uid)
        if effect.message and effect.handle:
            try:
                await self._say(effect.handle, effect.message)
            except Exception as exc:
                log.info("the reason could not be sent to %s: %s", effect.handle, exc)
                return "rejected (the reason could not be sent: the five minutes had passed)"
        return "rejected"

    async def direct(self, member: UserRef, text: str) -> str:
        """A DM, only to a member who started the bot; else (and when Telegram refuses)
        the core makes it the operator's to-do with the text (`services.direct`)."""
        if member.user_id not in self.started:
            raise NotOnPlatform(NOT_STARTED)
        try:
            return await self._say(member.user_id, text)
        except Forbidden:
            # Blocked (or gone): the next DM goes straight to the operator.
            self.started.discard(member.user_id)
            self.save_key(self.started_key, json.dumps(sorted(self.started)))
            raise

    def dm_refusal(self, exc: Exception) -> str:
        words = str(exc).casefold()
        if isinstance(exc, Forbidden) and "blocked" in words:
            return "ta 屏蔽了机器人，Telegram 不再让机器人给 ta 发私信"
        if isinstance(exc, Forbidden) and "deactivated" in words:
            return "ta 的 Telegram 账号已注销"
        if isinstance(exc, Forbidden | BadRequest) and (
                "initiate" in words or "chat not found" in words):
            return NOT_STARTED
        if isinstance(exc, Forbidden):
            return "Telegram 不让机器人给 ta 发私信"
        return "发送私信时 Telegram 出错，没有送达"

    async def invite_link(self, group: GroupRef, member: UserRef,
                          member_limit: int | None = None) -> str:
        """A per-member invite link (G2): its name is the member's code, so the joins it
        brings are attributed to them (`translate`: LINK_PREFIX + user id)."""
        link = await self.bot.create_chat_invite_link(
            chat_id=int(group.group_id), name=f"{LINK_PREFIX}{member.user_id}",
            member_limit=member_limit)
        return link.invite_link

