"""R5 escalation: what the bot should not answer alone goes to a human, with a reply script.

Three triggers, each switchable in the plan: a message that @-mentions an admin, a
question the FAQ cannot answer, and a heated exchange (insults, or two members trading
several negative messages within minutes). The alert goes to the plan's admin room (never
the group), with a draft reply (`drafts`): the nearest FAQ answer, or a template that names
what the admin has to fill in. When the plan has volunteers, today's on-duty volunteer
is pinged by DM first (T4, `policies.volunteers.duty_ping`). A member whose question in
the group the FAQ cannot answer is told once, in the room, that it went to a teacher (not
again for more questions while one is open from the last half hour).
A DM that is no form answer, no command and no FAQ hit is escalated the same way
(`Escalation.direct`, asked by the onboarding policy, which owns what a DM means).
"""

from __future__ import annotations

import re

from qunyun.domain import questions
from qunyun.domain.links import first_link
from qunyun.effects import Alert, Effect, Reply
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.drafts import draft_answer, draft_for_mention
from qunyun.policies.matching import KeywordSet
from qunyun.policies.volunteers import duty_ping
from qunyun.services import queues

QUESTION_MARKS = questions.QUESTION_MARKS  # kept for importers of the old name
FORWARDED = "已转给老师，稍后回复你。"
FORWARDED_QUIET_MS = 30 * 60_000
WORDLESS = re.compile(r"[\W_]+")  # spaces, punctuation, emoji: what a pleasantry adds


class Escalation:
    name = "escalation"
    handles = (MessagePosted,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        heated = setup.plan.moderation.heated
        self.heated = heated
        self.insults = KeywordSet(heated.insults if heated.enabled else [])
        self.negative = KeywordSet(heated.negative_words if heated.enabled else [])

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MessagePosted) or self.setup.is_direct(event.group):
            return None
        if self.setup.is_admin(event.actor, event.group) or self.setup.command(event) is not None:
            return None
        text = event.text[:2000]
        who = name_of(event.actor)
        effects: list[Effect] = []
        bot = self.setup.plan.bot
        faq = self.setup.plan.rules.faq if self.setup.plan.rules else []
        mentioned = [m for m in event.mentions if self.setup.is_admin_id(m, event.group)]
        if bot.escalate_admin_mentions and mentioned:
            effects.append(self._alert(event, f"{who} 在群里@了管理员：{text[:200]}",
                                       draft_for_mention(who, text, faq), "admin_mention"))
        elif self.insults and (word := self.insults.find(text)):
            effects.append(self._alert(event, f"{who} 的消息含辱骂（{word}）：{text[:200]}",
                                       "大家冷静一下，有分歧可以私聊管理员，群里请保持友善。",
                                       "insult"))
        elif self._heated(event, ctx):
            effects.append(self._alert(
                event, f"{who} 与他人正在激烈争执：{text[:200]}",
                "两位的观点都收到了，我们私聊细说，群里先聊别的话题好吗？", "heated"))
        elif bot.escalate_questions and self._question(text) \
                and self.setup.faq_answer(text) is None:
            effects.append(self._alert(event, f"{who} 的问题机器人答不了：{text[:200]}",
                                       draft_answer(who, text, faq), "unanswered"))
        out: list[Effect] = []
        # Told once: a member whose earlier question is still with a teacher (opened in
        # the last half hour) is not told again for each follow-up.
        told = bool(effects) and self._told(event, ctx)
        for alert in effects:
            assert isinstance(alert, Alert)
            new = open_escalation(self.setup, event, ctx, alert, out)
            if new and not told and alert.evidence.get("trigger") == "unanswered":
                # The member sees their question taken, not ignored (issue 11): one short
                # note in the room, when the question first becomes an escalation.
                out.append(Reply(group=event.group, event_id=event.source_event_id,
                                 text=f"@{who} {FORWARDED}", reason="R5 forwarded",
                                 policy=self.name))
        return Verdict.act(*out) if out else None

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
        alert = self._alert(event, f"{who} 私信机器人：{text[:200]}",
                            draft_answer(who, text, faq), "direct")
        out: list[Effect] = []
        told = self._told(event, ctx)
        # No duty ping: a volunteer answers in the group, and cannot see or answer a DM.
        open_escalation(self.setup, event, ctx, alert, out, duty=False)
        if told:
            return out  # the DM already says it went to a teacher (half an hour ago at most)
        tail = ("\n如对移出有异议，发送 !申诉 加上理由；想回群，发送 !复活 说明。"
                if removed else "")
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

    def _question(self, text: str) -> bool:
        return questions.looks_like_question(text)

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

    def _alert(self, event: MessagePosted, text: str, reply: str, trigger: str) -> Alert:
        return Alert(group=event.group, member=event.actor, text=f"【需要人工】{text}",
                     suggested_reply=reply, reason=f"R5 {trigger}", policy=self.name,
                     evidence={"trigger": trigger, "event": event.source_event_id})


def open_escalation(setup: Setup, event: MessagePosted, ctx: Context, alert: Alert,
                    out: list[Effect], *, duty: bool = True) -> bool:
    """The alert as a to-do in the console's escalation queue (R5) until handled, and the
    effects that tell people (today's on-duty volunteer first, by DM, unless not `duty`;
    then the admins' room) appended to `out`. True when the escalation is new."""
    key = f"escalation:{event.source_event_id}"
    _item, new = queues.open_item(
        ctx.conn, community_id=ctx.community_id, queue="escalation", item_key=key,
        title=alert.text[:200], detail={"suggested_reply": alert.suggested_reply,
                                        "trigger": alert.evidence.get("trigger")},
        member_id=ctx.member_id, group_id=ctx.group_id, at_ms=ms(event.at))
    if duty and (ping := duty_ping(setup, event, ctx, alert, key)) is not None:
        out.append(ping)
    out.append(alert)
    return new


def small_talk(text: str) -> bool:
    """A short pleasantry (「好的」「谢谢老师」「👍」): no question, no link, at most four
    letters or characters. Not worth an admin's time."""
    bare = WORDLESS.sub("", text)
    return len(bare) <= 4 and not questions.looks_like_question(text) \
        and first_link(text) is None
