"""The adapter contract (I1): what every platform adapter does, and the part they share.

An adapter
- turns raw platform updates into normalized events (`qunyun.events`), and nothing else
  leaves `adapters/` (platform types stay in the adapter's package);
- hands the events to the pipeline and saves its cursor (update offset, sync token, last
  event time) only after the pipeline handled them, so a killed bot re-reads the last
  batch; the idempotent event log makes that re-read change nothing;
- turns effects (`qunyun.effects`) into platform calls; every effect is committed to the
  audit log (the outbox) before it is sent and marked delivered after, so one committed
  but not sent when the bot died is sent on restart and none is sent twice;
- declares its `Capabilities`; an effect the platform cannot carry out is not dropped: it
  fails with a Chinese operator to-do (`NotOnPlatform`) that the console shows. A direct
  message the platform refuses (or fails to send) becomes an item in the console's
  待发私信 queue with the text ready (`services.direct`); the adapter only words the
  refusal (`dm_refusal`).

`AdapterCore` is the shared part: the pipeline hand-off, the outbox, timers, the saved
cursor, the account's status for the console, and how an alert reads in the admins' room
(`alert_body`, `alert_admins`: it links the console page the alert is about when the
console's address is known — `services/console_link` — and @-mentions the admins who
can act — the plan's `bot.admins` on this platform and the group's moderators — each at
most once every `ALERT_PING_QUIET_S`, so a burst of alerts pings once). All three
adapters (Matrix, Telegram, QQ/OneBot) build on it and add only their own connection loop
and `perform`.

Several adapters in one process (issue 16: Matrix, Telegram and QQ accounts of one
community under one plan) share the database and the outbox. Each acts only in its own
platform's groups (`serves`): a policy run by one adapter may decide an effect for
another platform's group (a calendar post for every group); that effect waits in the
outbox, unclaimed, and the flush of the adapter whose platform it is sends it. An
adapter never claims, sends or fails another platform's effect — unless the community
has no bot on that platform at all (a group only imported from an export): then the
effect is not left waiting forever but fails at once with an operator to-do that says so.

Ordering: an event's effects are delivered in the order the policies decided them (a
warning after the delete it follows), and the timer loop's outbox flush runs beside the
connection loop; one lock per adapter (`_outbox_lock`) keeps the two from interleaving, so
a flush never takes an effect of a batch that is still being delivered out of its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, Engine

from qunyun import activity
from qunyun.capabilities import Capabilities
from qunyun.effects import Alert, Effect, OpenGroup, SetRole
from qunyun.events import Event, GroupRef, TimerFired, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import audit, console_link, direct, tier_roles
from qunyun.storage.bot import adapter_state
from qunyun.storage.engine import writing

log = logging.getLogger("qunyun.bot.adapter")

Scheduler = Callable[[datetime], Sequence[TimerFired]]

# An admin @-mentioned by an alert is not @-mentioned again by the next ones for this long:
# several alerts arriving together ping once (issue 11 walk finding 12).
ALERT_PING_QUIET_S = 600.0
ALERT_MAX_MENTIONS = 5  # the admins who can act, not everyone with a badge


class NotOnPlatform(Exception):
    """The platform cannot do this effect: the message is the operator's to-do, in Chinese."""


def open_group_by_hand(platform_name: str, effect: OpenGroup) -> NotOnPlatform:
    """G4 where the bot cannot create groups: the policy asks `create_groups` first and
    files a to-do, but a stored `OpenGroup` can still come; the operator gets the steps."""
    return NotOnPlatform(f"{platform_name} 机器人不能建群：请新建「{effect.name}」，"
                         f"再在「{effect.group.name or effect.group.group_id}」发：{effect.text}")


class Adapter(Protocol):
    """What `qunyun bot` runs, whatever the platform."""

    platform: str
    capabilities: Capabilities

    async def run(self, stop: asyncio.Event) -> None: ...


class AdapterCore:
    """Pipeline hand-off, outbox, timers and cursor, for an adapter that implements
    `perform` (one effect → platform calls; returns a detail for the audit log)."""

    platform = "?"
    capabilities = Capabilities()

    def __init__(self, pipeline: Pipeline, *, cursor_key: str,
                 scheduler: Scheduler | None = None, timer_interval_s: float = 1.0) -> None:
        self.pipeline = pipeline
        self.engine: Engine = pipeline.engine
        self.cursor_key = cursor_key
        self.scheduler = scheduler
        self.timer_interval_s = timer_interval_s
        self.handled = 0
        self.owner = audit.process_owner()  # this process's name on outbox claims
        # Where this account reports whether it is connected and when it last synced (the
        # console's accounts list); set by whoever knows the account's label.
        self.status_key: str | None = None
        # The bot's own account as people know it (Matrix `@qunyun-bot:localhost`), shown in
        # the accounts list instead of the label where the label is a server address.
        self.account: str | None = None
        self._status_at = 0.0
        # Deliveries one at a time within the process: the connection loop's batch and the
        # timer loop's flush never interleave (effects keep their order).
        self._outbox_lock = asyncio.Lock()
        self._alert_pinged: dict[str, float] = {}  # admin → monotonic time of their last @

    # -- alerts in the admins' room --------------------------------------------------------
    def moderators(self, group_id: str) -> frozenset[str]:
        """The group's moderators as the platform last showed them (each adapter's own)."""
        return frozenset()

    def every_moderator(self) -> frozenset[str]:
        """The moderators of every group the adapter knows (whom a DM's alert concerns)."""
        return frozenset()

    def is_user_id(self, user_id: str) -> bool:
        """Whether a `bot.admins` entry is an account on this platform (a Matrix id, a QQ
        number …): a community on several platforms lists them all in one plan."""
        return True

    def alert_admins(self, effect: Alert, *, bot_id: str,
                     names: Mapping[str, str]) -> list[UserRef]:
        """Whom the alert @-mentions in the admins' room: the plan's `bot.admins` on this
        platform, then (with `bot.moderators_are_admins`) the moderators of the group it is
        about; at most `ALERT_MAX_MENTIONS`, and none @-ed in the last `ALERT_PING_QUIET_S`
        (they were pinged for the alert before, which is still on their screen) — except
        for an alert that `awaits_decision` (an appeal): someone must decide it, so it
        always pings."""
        plan = self.pipeline.plan
        if not effect.ping or plan is None:
            return []
        ids = [a for a in plan.bot.admins if a and self.is_user_id(a)]
        if plan.bot.moderators_are_admins:
            # Also the group's moderators: a plan's admin may not be on this server or in
            # the admins' room, and the local demo's operator is a moderator, not listed.
            # A DM's own "moderators" are the member and the bot: the groups' count instead.
            ids += sorted(self.every_moderator() if effect.group.kind == "direct"
                          else self.moderators(effect.group.group_id))
        now = time.monotonic()
        chosen = [u for u in dict.fromkeys(ids) if u != bot_id
                  and (effect.awaits_decision or now - self._alert_pinged.get(
                      u, -ALERT_PING_QUIET_S) >= ALERT_PING_QUIET_S)][:ALERT_MAX_MENTIONS]
        for user_id in chosen:
            self._alert_pinged[user_id] = now
        return [UserRef(self.platform, u, names.get(u) or None) for u in chosen]

    def alert_body(self, effect: Alert, where: str | None, admins: Sequence[UserRef]) -> str:
        """The alert as the admins' room reads it: what happened, in which group, the draft
        reply, the console page it is about (when the console's address is known), and
        the admins it @-mentions (the adapter makes each "@name" a mention)."""
        link = None
        if effect.page:
            with self.engine.connect() as conn:
                link = console_link.page_url(conn, community_id=self.pipeline.community_id,
                                             page=effect.page)
        return (effect.text + (f"\n群：{where}" if where else "")
                + (f"\n建议回复：{effect.suggested_reply}" if effect.suggested_reply else "")
                + (f"\n控制台：{link}" if link else "")
                + ("\n请处理：" + " ".join(f"@{a.display_name or a.user_id}" for a in admins)
                   if admins else ""))

    def serves(self, group: GroupRef) -> bool:
        """The groups this adapter's bot acts in: its own platform's (the policies'
        `Setup.serves` and the schedule get the same answer, `serving(platform)`)."""
        return group.platform == self.platform

    # -- status ----------------------------------------------------------------------------
    def report_status(self, *, connected: bool, synced: bool = True,
                      error: BaseException | None = None) -> None:
        """Connected or not, the last sync, and why the connection failed (`error`)."""
        if self.status_key is None:
            return
        from qunyun.bot import accounts  # the bot package owns the accounts' records

        self._status_at = time.monotonic()
        why = f"{type(error).__name__}: {error}" if error is not None else None
        try:
            with writing(self.engine) as conn:
                accounts.report(conn, key=self.status_key, connected=connected, synced=synced,
                                error=why, account=self.account)
        except Exception as exc:  # a status row must never stop the bot
            log.warning("could not record the connection status: %s", exc)

    # -- cursor ----------------------------------------------------------------------------
    def load_cursor(self) -> str | None:
        with self.engine.connect() as conn:
            return adapter_state.load(conn, key=self.cursor_key)

    def save_cursor(self, value: str) -> None:
        with writing(self.engine) as conn:
            adapter_state.save(conn, key=self.cursor_key, value=value,
                               now_ms=int(time.time() * 1000))
        if time.monotonic() - self._status_at > 5:  # the last sync, at most every 5 s
            self.report_status(connected=True)

    # -- pipeline --------------------------------------------------------------------------
    async def handle_many(self, events: Sequence[Event]) -> int:
        """Events of one update batch in one transaction, then their effects in order."""
        handled = 0
        # Under the outbox lock: the timer loop's flush must not take one of these
        # effects out of order (a warning before the delete it follows).
        async with self._outbox_lock:
            for outcome in self.pipeline.process_many(events):
                if outcome.duplicate:
                    continue
                handled += 1
                for planned in outcome.effects:
                    if self.serves(planned.effect.group):
                        await self.deliver(planned.audit_id, planned.effect)
                    # else: another platform's group; it waits for that adapter's flush
        self.handled += handled
        return handled

    async def handle(self, event: Event) -> int:
        return await self.handle_many([event])

    async def fire_timers(self) -> int:
        if self.scheduler is None:
            return 0
        fired = 0
        for tick in self.scheduler(self.pipeline.clock()):
            fired += await self.handle_many([tick])
        return fired

    async def flush_outbox(self) -> int:
        """Send what waits in the outbox (committed before a crash, decided in the console,
        held by a rate limit, or claimed by a killed process whose lease ran out) that no
        other process is sending; each is claimed first (`deliver`). Returns how many this
        process delivered."""
        # The connection loop and the timer loop both flush: one at a time in the process.
        async with self._outbox_lock:
            with self.engine.connect() as conn:
                pending = audit.pending_effects(conn, community_id=self.pipeline.community_id,
                                                now_ms=self._now_ms())
                others = {e.group.platform for _i, e in pending if not self.serves(e.group)}
                botless = others - self._bot_platforms(conn) if others else set()
            sent = 0
            for audit_id, effect in pending:
                if self.serves(effect.group):
                    sent += await self.deliver(audit_id, effect)
                elif effect.group.platform in botless:
                    self._no_bot_for(audit_id, effect)
                # else: another platform's bot sends it (its own flush)
        if sent:
            log.info("sent %d effect(s) waiting in the outbox", sent)
        return sent

    def _bot_platforms(self, conn: Connection) -> set[str]:
        from qunyun.bot import accounts  # the bot package owns the accounts' records

        return accounts.bot_platforms(conn, community_id=self.pipeline.community_id)

    def _no_bot_for(self, audit_id: int, effect: Effect) -> None:
        """No bot of the community is on the platform of this effect's group (a group only
        imported from an export): an operator to-do, not an effect left waiting forever."""
        from qunyun.plan.platforms import PLATFORM_NAMES

        platform = PLATFORM_NAMES.get(effect.group.platform, (effect.group.platform,))[0]
        where = effect.group.name or effect.group.group_id
        with writing(self.engine) as conn:
            if not audit.claim_effect(conn, audit_id=audit_id, owner=self.owner,
                                      now_ms=self._now_ms()):
                return
            audit.mark_delivery(conn, audit_id=audit_id, ok=False, detail=(
                f"需要运营者处理：「{where}」在{platform}上，这个社群没有连接{platform}的"
                f"机器人账号，机器人做不了这一步；请在{platform}里手动处理，"
                f"或用 qunyun account-add 连接账号"))
        log.info("effect %s for a %s group with no bot: an operator to-do", effect.kind,
                 effect.group.platform)

    def _now_ms(self) -> int:
        return int(self.pipeline.clock().timestamp() * 1000)

    async def deliver(self, audit_id: int, effect: Effect) -> bool:
        """Claim the effect, carry it out, mark it. False if it is not delivered now:
        another process holds it (or sent it), or the platform said wait (then it goes
        back to the outbox for any process's next flush)."""
        if not self.serves(effect.group):
            return False  # another platform's: never claimed here, its adapter sends it
        if self.waiting(effect):
            return False  # stays in the outbox; the timer loop's flush sends it when allowed
        with writing(self.engine) as conn:
            if not audit.claim_effect(conn, audit_id=audit_id, owner=self.owner,
                                      now_ms=self._now_ms()):
                return False
        try:
            detail = await self.perform(effect)
            ok = True
        except NotOnPlatform as exc:
            detail, ok = f"需要运营者处理：{exc}", False
            log.info("effect %s is an operator to-do: %s", effect.kind, exc)
            if isinstance(effect, SetRole):
                # T2: a title the platform would not set is a to-do in the console's queue.
                with writing(self.engine) as conn:
                    tier_roles.platform_refused(conn, community_id=self.pipeline.community_id,
                                                effect=effect, message=str(exc),
                                                plan=self.pipeline.plan)
            if direct.private_text(effect) is not None:
                detail = self._dm_todo(audit_id, effect, str(exc), "")
        except Exception as exc:
            if self.hold(effect, exc):
                # A rate limit: left pending in the outbox, not failed.
                with writing(self.engine) as conn:
                    audit.release_effect(conn, audit_id=audit_id, owner=self.owner)
                return False
            detail, ok = f"{type(exc).__name__}: {exc}", False
            log.warning("effect %s failed: %s", effect.kind, detail)
            if direct.private_text(effect) is not None:
                # Refused (or lost on the way): the text must not go with it.
                detail = self._dm_todo(audit_id, effect, self.dm_refusal(exc), detail)
        with writing(self.engine) as conn:
            audit.mark_delivery(conn, audit_id=audit_id, ok=ok, detail=detail)
        if ok:
            plan = self.pipeline.plan  # the line `qunyun up` prints, names as in the group
            activity.effect_done(effect, plan.onboarding.nickname_pattern if plan else None)
        return True

    def _dm_todo(self, audit_id: int, effect: Effect, why: str,
                 platform_said: str) -> str:
        """The operator's to-do for an undelivered DM; the detail its audit entry keeps."""
        private = direct.private_text(effect)
        activity.dm_undelivered(private[1] if private else None, why)
        with writing(self.engine) as conn:
            direct.undeliverable(conn, community_id=self.pipeline.community_id,
                                 effect=effect, why=why, audit_id=audit_id,
                                 at_ms=self._now_ms(), platform_said=platform_said)
        return f"需要运营者处理：{direct.todo_detail(why)}"

    async def perform(self, effect: Effect) -> str | None:
        raise NotImplementedError

    def dm_refusal(self, exc: Exception) -> str:
        """Why the platform did not deliver a DM, in the operator's words (Chinese, no
        codes); each adapter words its platform's refusals."""
        return "发送私信时平台出错，没有送达"

    def waiting(self, effect: Effect) -> bool:
        """True while the platform asked to wait before this effect's chat gets more."""
        return False

    def hold(self, effect: Effect, exc: Exception) -> bool:
        """True if `exc` is the platform's "wait, then retry" (the effect stays pending)."""
        return False

    # -- loops -----------------------------------------------------------------------------
    async def timer_loop(self, stop: asyncio.Event) -> None:
        """Due timers (welcome batches, reminders) and the outbox, every `timer_interval_s`,
        whatever the platform connection is doing."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.timer_interval_s)
            if stop.is_set():
                return
            try:
                await self.fire_timers()
                await self.flush_outbox()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("timers failed (%s: %s); trying again", type(exc).__name__, exc)


async def with_backoff(stop: asyncio.Event, attempt: Callable[[], object], *,
                       what: str, first_s: float = 1.0, max_s: float = 30.0) -> None:
    """Run `attempt` (a coroutine function) until `stop`, waiting 1, 2, 4 … 30 s after
    each failure: a dead server or network is said once per attempt, never spun on."""
    backoff = first_s
    while not stop.is_set():
        try:
            result = attempt()
            if asyncio.iscoroutine(result):
                await result
            backoff = first_s
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s failed (%s: %s); retrying in %.0f s", what, type(exc).__name__,
                        exc, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, max_s)
