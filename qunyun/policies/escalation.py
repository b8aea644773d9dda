"""R5 escalation: what the bot should not answer alone goes to a human, with a reply script.

Three triggers, each switchable in the plan: a message that @-mentions an admin, a
question the FAQ cannot answer, and a heated exchange (insults, or two members trading
several negative messages within minutes). The alert goes to the plan's admin room (never
the group), with a draft reply (`drafts`): the nearest FAQ answer, or a template that names
what the admin has to fill in. When the plan has volunteers, today's on-duty volunteer
is pinged by DM first (T4, `policies.volunteers.duty_ping`). A member whose question the
FAQ cannot answer is told once, in the room, that it went to a teacher (not again for more
questions while one is open from the last half hour). A DM that is no form answer, no
command and no FAQ hit is escalated the same way (`Escalation.direct`, asked by the
onboarding policy, which owns what a DM means).

A lively group must not flood the admins' room:
- a question asked of the other members (「有人一起组队学习吗」) waits
  `bot.question_wait_minutes` and is escalated only when nobody answered it (a reply to
  it, or a message @-naming the asker); a question to the bot or the admins goes at once;
- the same question from the same member on the same day is one item and one alert;
- a quarrel is one item per pair of members and day: the first insult or heated run
  raises the alert, every later insult or negative line between the two joins that item
  (its evidence grows) without another alert.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace

from qunyun.domain import questions
from qunyun.domain.links import first_link
from qunyun.domain.streaks import local_day
from qunyun.effects import Alert, Effect, Reply
from qunyun.events import Event, MessagePosted, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.drafts import draft_answer, draft_for_mention
from qunyun.policies.matching import KeywordSet, fold
from qunyun.policies.volunteers import duty_ping
from qunyun.services import elimination, lookup, question_wait, queues
from qunyun.services import schedule as schedule_service

QUESTION_MARKS = questions.QUESTION_MARKS  # kept for importers of the old name
# Words that show a question is asked of the staff, not of the other members.
STAFF_WORDS = ("老师", "助教", "管理员", "管理", "班主任", "群主", "机器人", "客服", "运营")
CALM_DOWN = "大家冷静一下，有分歧可以私聊管理员，群里请保持友善。"
HEATED_REPLY = "两位的观点都收到了，我们私聊细说，群里先聊别的话题好吗？"
QUARREL_LINES = 20  # the lines of one quarrel kept on its item
FORWARDED = "已转给老师，稍后回复你。"
FORWARDED_QUIET_MS = 30 * 60_000
WORDLESS = re.compile(r"[\W_]+")  # spaces, punctuation, emoji: what a pleasantry adds


@dataclass(frozen=True, slots=True)
class _Raised:
    alert: Alert
    key: str
    member_id: int | None


class Escalation:
    name = "escalation"
    handles = (MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        heated = setup.plan.moderation.heated
        self.heated = heated
        self.insults = KeywordSet(heated.insults if heated.enabled else [])
        self.negative = KeywordSet(heated.negative_words if heated.enabled else [])
        rules = setup.plan.rules
        self.staff_words = KeywordSet([*STAFF_WORDS, *(rules.admins if rules else [])])

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired):
            return self._waited(event, ctx) if event.timer == question_wait.KIND else None
        if not isinstance(event, MessagePosted) or self.setup.is_direct(event.group):
            return None
        if self.setup.is_admin(event.actor, event.group) or self.setup.command(event) is not None:
            return None
        text = event.text[:2000]
        who = name_of(event.actor)
        raised: _Raised | None = None
        bot = self.setup.plan.bot
        faq = self.setup.plan.rules.faq if self.setup.plan.rules else []
        mentioned = [m for m in event.mentions if self.setup.is_admin_id(m, event.group)]
        # A question the FAQ answers is answered in the group at once (A2): asking the
        # admins to send the same answer again is needless work (walk finding 63).
        to_admin = bot.escalate_admin_mentions and bool(mentioned) \
            and self.setup.faq_answer(text) is None
        if to_admin:
            told = self._told(event, ctx)
            raised = self._open(event, ctx, ctx.member_id, f"escalation:{event.source_event_id}",
                                f"{who} 在群里@了管理员：{text[:200]}",
                                draft_for_mention(who, text, faq), "admin_mention")
            # The member is told too, as a DM's question is (walk12 finding 18).
            return self._verdict(event, ctx, raised, forwarded=not told)
        elif self.insults or self.negative:
            found = self._quarrel(event, ctx, text)
            if found is not None:
                return Verdict.act(*found) if found else None
        if not to_admin and bot.escalate_questions \
                and self._question(text) and self.setup.faq_answer(text) is None:
            if bot.question_wait_minutes > 0 and not self._asked_of_staff(event, ctx, text) \
                    and ctx.group_id is not None and ctx.member_id is not None:
                question_wait.wait_for_answer(
                    ctx.conn, community_id=ctx.community_id, plan=self.setup.plan,
                    group_id=ctx.group_id, member_id=ctx.member_id,
                    event_id=event.source_event_id, text=text, asked=event.at,
                    same_question=self._same_question(event, ctx.member_id, text))
                return None
            told = self._told(event, ctx)
            raised = self._question_item(event, ctx, ctx.member_id, text)
            return self._verdict(event, ctx, raised, forwarded=not told)
        return self._verdict(event, ctx, raised)

    def direct(self, event: MessagePosted, ctx: Context, *, removed: bool) -> list[Effect]:
        """A DM that is no form answer, no command and no FAQ hit (a member reporting a
        scam, asking a question, a removed member asking why): escalated like a question
        in the group, and the member told it went to a human. A pleasantry (「好的」,
        「谢谢」) gets nothing here: the caller answers it. `removed`: the member is in none
        of the community's groups, so the reply also says how to appeal or come back."""
        text = event.text[:2000]
        if self.setup.is_admin(event.actor, event.group) or small_talk(text):
            return []
        who = name_of(event.actor)
        faq = self.setup.plan.rules.faq if self.setup.plan.rules else []
        told = self._told(event, ctx)
        raised = self._open(event, ctx, ctx.member_id, f"escalation:{event.source_event_id}",
                            f"{who} 私信机器人：{text[:200]}", draft_answer(who, text, faq),
                            "direct")
        # No duty ping: a volunteer answers in the group, and cannot see or answer a DM.
        out: list[Effect] = [raised.alert] if raised is not None else []
        if told:
            return out  # the DM already says it went to a teacher (half an hour ago at most)
        tail = ""
        if removed:
            # Removed for breaking the rules: the appeal is the only way back (no 复活).
            tail = ("\n如对移出有异议，发送 !申诉 加上理由。" if elimination.removed_for_rules(
                ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id or 0)
                else "\n如对移出有异议，发送 !申诉 加上理由；想回群，发送 !复活 说明。")
        out.append(Reply(group=event.group, event_id=event.source_event_id,
                         text=FORWARDED + tail, reason="R5 forwarded", policy=self.name))
        return out

    def _told(self, event: MessagePosted, ctx: Context) -> bool:
        """The member has an escalation from this room opened in the last half hour (and
        so was told it went to a teacher)."""
        return ctx.member_id is not None and queues.opened_since(
            ctx.conn, community_id=ctx.community_id, queue="escalation",
            member_id=ctx.member_id, group_id=ctx.group_id,
            since_ms=ms(event.at) - FORWARDED_QUIET_MS) > 0

    # -- questions -------------------------------------------------------------------------
    def _question(self, text: str) -> bool:
        return questions.looks_like_question(text)

    def _asked_of_staff(self, event: MessagePosted, ctx: Context, text: str) -> bool:
        """Is the question put to the bot or the admins (a staff word or an admin's name,
        or a reply to an admin's message), rather than to the other members?"""
        if self.staff_words.find(text):
            return True
        if event.reply_to:
            author = ctx.message_author(source=event.source, source_event_id=event.reply_to)
            ref = lookup.member_ref(ctx.conn, member_id=author) if author is not None else None
            return ref is not None and self.setup.is_admin(ref, event.group)
        return False

    def _question_item(self, event: MessagePosted, ctx: Context, member_id: int | None,
                       text: str) -> _Raised | None:
        """One item per member, question and local day: asking again adds no alert."""
        who = name_of(event.actor)
        faq = self.setup.plan.rules.faq if self.setup.plan.rules else []
        key = f"escalation:question:{self._same_question(event, member_id, text)}"
        return self._open(event, ctx, member_id, key, f"{who} 的问题机器人答不了：{text[:200]}",
                          draft_answer(who, text, faq), "unanswered")

    def repeated_question(self, event: MessagePosted, ctx: Context, *,
                          first: tuple[str, int]) -> list[Effect]:
        """R1's repeat rule caught a question (it ends with ？ or ?) sent again and again:
        when nobody answered it since its first copy (a reply, an @ of the asker), the
        admins get an alert now, not only the member a warning (walk13 finding 43). One
        item per member, question and day, shared with the question's own escalation: a
        question already escalated raises no second alert."""
        text = event.text[:2000].strip()
        if not (text.endswith(("？", "?")) and self.setup.plan.bot.escalate_questions) \
                or ctx.member_id is None or ctx.group_id is None \
                or self.setup.is_admin(event.actor, event.group):
            return []
        first_id, first_ms = first
        if lookup.answered(ctx.conn, group_id=ctx.group_id, asker_id=ctx.member_id,
                           question_event_id=first_id, since_ms=first_ms,
                           until_ms=ms(event.at), asker_name=name_of(event.actor)):
            return []
        who = name_of(event.actor)
        faq = self.setup.plan.rules.faq if self.setup.plan.rules else []
        key = f"escalation:question:{self._same_question(event, ctx.member_id, text)}"
        raised = self._open(event, ctx, ctx.member_id, key,
                            f"{who} 把同一个问题连发了几次，还没有人回答：{text[:200]}",
                            draft_answer(who, text, faq), "repeated_question")
        if raised is None:
            return []
        verdict = self._verdict(event, ctx, raised)
        return list(verdict.effects) if verdict is not None else []

    def _same_question(self, event: MessagePosted, member_id: int | None, text: str) -> str:
        """The member's question of the local day (the folded text: 「嗎」 and 「吗」 alike)."""
        digest = hashlib.sha1(fold(text.strip()).encode()).hexdigest()[:16]
        return f"{member_id}:{local_day(event.at, self.setup.tz)}:{digest}"

    def _waited(self, event: TimerFired, ctx: Context) -> Verdict | None:
        """The wait on a question to the members is over: escalate it if nobody answered."""
        tick = schedule_service.tick_of(event)
        if tick is None or not self.setup.plan.bot.escalate_questions:
            return None
        try:
            member_id, asked = int(tick.payload["member"]), int(tick.payload["asked"])
            question, text = str(tick.payload["event"]), str(tick.payload["text"])
        except (KeyError, ValueError):
            return None
        member = lookup.member_ref(ctx.conn, member_id=member_id)
        groups = dict((ref, gid) for gid, ref in
                      lookup.community_groups(ctx.conn, community_id=ctx.community_id))
        group_id = groups.get(event.group)
        if member is None or group_id is None:
            return None
        if lookup.answered(ctx.conn, group_id=group_id, asker_id=member_id,
                           question_event_id=question, since_ms=asked, until_ms=ms(event.at),
                           asker_name=name_of(member)):
            schedule_service.mark_slot(ctx.conn, tick=tick, status=schedule_service.STATUS_SKIPPED,
                                       detail="群友已回答")
            return None
        asked_as = MessagePosted(source=member.platform, source_event_id=question,
                                 group=event.group, at=event.at, actor=member, text=text)
        as_asker = replace(ctx, member_id=member_id, group_id=group_id)
        told = self._told(asked_as, as_asker)
        return self._verdict(asked_as, as_asker,
                             self._question_item(asked_as, as_asker, member_id, text),
                             forwarded=not told)

    # -- quarrels --------------------------------------------------------------------------
    def _quarrel(self, event: MessagePosted, ctx: Context, text: str) -> list[Effect] | None:
        """An insult or a heated run opens the pair's item for the day (one alert); a later
        insult or negative line between the same two joins it without another alert."""
        if ctx.group_id is None or ctx.member_id is None:
            return None
        insult = self.insults.find(text) if self.insults else None
        negative = self.negative.find(text[:500]) if self.negative else None
        if not insult and not negative:
            return None
        other = self._counterpart(event, ctx)
        pair = sorted(m for m in {ctx.member_id, other} if m is not None)
        key = (f"escalation:quarrel:{ctx.group_id}:{'-'.join(map(str, pair))}:"
               f"{local_day(event.at, self.setup.tz)}")
        existing = queues.item_by_key(ctx.conn, community_id=ctx.community_id,
                                      queue="escalation", item_key=key)
        who = name_of(event.actor)
        line = f"{who}：{text[:200]}"
        if existing is not None and existing["status"] != "open":
            key = f"{key}:{event.source_event_id}"  # closed by an admin: this is a new round
        elif existing is not None:
            stored = existing.get("detail") or {}
            detail = dict(json.loads(stored) if isinstance(stored, str) else stored)
            lines = [*list(detail.get("lines") or []), line][-QUARREL_LINES:]
            queues.open_item(ctx.conn, community_id=ctx.community_id, queue="escalation",
                             item_key=key, title=str(existing["title"]),
                             detail={**detail, "lines": lines},
                             member_id=existing.get("member_id"), group_id=ctx.group_id,
                             at_ms=ms(event.at))
            return []  # the same quarrel: on its item, no second alert
        if insult:
            title, reply, trigger = f"{who} 的消息含辱骂（{insult}）：{text[:200]}", CALM_DOWN, \
                "insult"
        elif self._heated(event, ctx):
            title, reply, trigger = f"{who} 与他人正在激烈争执：{text[:200]}", HEATED_REPLY, \
                "heated"
        else:
            return None
        raised = self._open(event, ctx, ctx.member_id, key, title, reply, trigger,
                            extra={"lines": [line]})
        verdict = self._verdict(event, ctx, raised)
        return list(verdict.effects) if verdict is not None else []

    def _counterpart(self, event: MessagePosted, ctx: Context) -> int | None:
        """Whom the message answers: the author replied to, else the last other speaker
        within the exchange window."""
        if event.reply_to:
            author = ctx.message_author(source=event.source, source_event_id=event.reply_to)
            if author is not None and author != ctx.member_id:
                return author
        assert ctx.group_id is not None
        recent = ctx.recent_messages(
            group_id=ctx.group_id, since_ms=ms(event.at) - self.heated.exchange_seconds * 1000)
        for row in reversed(recent):
            if row[0] is not None and row[0] != ctx.member_id:
                return row[0]
        return None

    def _heated(self, event: MessagePosted, ctx: Context) -> bool:
        if not self.negative or ctx.group_id is None:
            return False
        h = self.heated
        recent = ctx.recent_messages(group_id=ctx.group_id,
                                     since_ms=ms(event.at) - h.exchange_seconds * 1000)
        tail = recent[-h.exchange_messages:]
        people = {r[0] for r in tail}
        if len(tail) < h.exchange_messages or len(people) != 2 or ctx.member_id not in people:
            return False
        return sum(1 for r in tail if self.negative.find(r[3][:500])) >= h.negative_messages

    # -- the item and the alert ------------------------------------------------------------
    def _open(self, event: MessagePosted, ctx: Context, member_id: int | None, key: str,
              text: str, reply: str, trigger: str,
              extra: dict[str, object] | None = None) -> _Raised | None:
        """The console's escalation item (R5); None when it was already there (the same
        question again, the same quarrel): it is refreshed, no second alert."""
        said = f"【需要人工】{text}"
        item_id, created = queues.open_item(
            ctx.conn, community_id=ctx.community_id, queue="escalation", item_key=key,
            title=said[:200],
            # `event_id`: the console can send the reply as the bot's answer to this very
            # message (issue 11 #55).
            detail={"suggested_reply": reply, "trigger": trigger,
                    "event_id": event.source_event_id, **(extra or {})},
            member_id=member_id, group_id=ctx.group_id, at_ms=ms(event.at))
        alert = Alert(group=event.group, member=event.actor, text=said,
                      suggested_reply=reply, reason=f"R5 {trigger}", policy=self.name,
                      evidence={"trigger": trigger, "event": event.source_event_id},
                      page=f"queues/{item_id}")  # the item, linked in the admins' room
        return _Raised(alert, key, member_id) if created else None

    def _verdict(self, event: MessagePosted, ctx: Context, raised: _Raised | None, *,
                 forwarded: bool = False) -> Verdict | None:
        """The alert of a new item (today's on-duty volunteer pinged first), and with
        `forwarded` — a question, its member not told in the last half hour — one short
        note in the room: the member sees their question taken, not ignored (issue 11)."""
        if raised is None:
            return None
        effects: list[Effect] = []
        # T4: today's on-duty volunteer is pinged first (by DM), then the admins' room.
        if (ping := duty_ping(self.setup, event, ctx, raised.alert, raised.key)) is not None:
            effects.append(ping)
        effects.append(raised.alert)
        if forwarded and raised.alert.evidence.get("trigger") in ("unanswered", "admin_mention"):
            effects.append(Reply(group=event.group, event_id=event.source_event_id,
                                 text=f"@{name_of(event.actor)} {FORWARDED}",
                                 reason="R5 forwarded", policy=self.name))
        return Verdict.act(*effects)


def small_talk(text: str) -> bool:
    """A short pleasantry (「好的」「谢谢老师」「👍」): no question, no link, at most four
    letters or characters. Not worth an admin's time."""
    bare = WORDLESS.sub("", text)
    return len(bare) <= 4 and not questions.looks_like_question(text) \
        and first_link(text) is None
